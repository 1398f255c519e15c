"""Match and recommend: profiles -> :class:`MatchProblem` -> exact assignment -> explanations.

Every door (HTTP, CLI, Python) calls these functions through :class:`matchsvc.engine.Engine`,
so they give the same answers. Pure core: no web types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from matchsvc.assignment import Assignment, BlockExecutor, GroupFloor
from matchsvc.bounds import MAX_TOP_N, MAX_WEIGHT
from matchsvc.errors import InvalidInputError
from matchsvc.explain import (
    COVER_THRESHOLD,
    Explanation,
    FocusArea,
    MenteeGaps,
    SlotHolders,
    UnmatchedReason,
    explain_pair,
    focus_areas,
    mentee_gaps,
    unmatched_reasons,
)
from matchsvc.pipelines._timing import Stopwatch
from matchsvc.pipelines.complementary import ComplementarySummary, complementary
from matchsvc.pipelines.fairness import FairnessOutcome, check_fairness, solve_with_floors
from matchsvc.problem import MatchProblem
from matchsvc.profiles import Profile
from matchsvc.scoring import Compatibility, Embedder, ScoringOptions, build_compatibility

__all__ = [
    "MatchOptions",
    "MatchReport",
    "MatchSummary",
    "MatchedPair",
    "MentorLoad",
    "Recommendation",
    "build_problem",
    "match",
    "mentor_loads",
    "recommend",
    "score",
]

Objective = Literal["total", "fair"]


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Scoring plus what the solver optimises.

    Attributes:
        scoring: weights, criteria and hard constraints.
        objective: ``"total"`` maximises the sum of matched scores; ``"fair"`` first the lowest
            matched score, then the sum. Both first match as many mentee slots as possible.
        min_score: pairs scoring below it are never matched (reason ``below_min_score``); a
            score in [0, 1] or None.
        explain: build per-pair explanations, focus areas and each mentee's gaps (the costliest
            part for large programmes).
        solver: an exact solver name of :func:`matchsvc.assign`.
        fairness: floors on the matched share of groups of mentees, one rule per attribute
            (:mod:`matchsvc.pipelines.fairness`); read by :func:`match` only.
        complementary: for mentees with demand > 1, prefer mentors who cover different wanted
            skills (:mod:`matchsvc.pipelines.complementary`: the objective, the algorithm and
            its guarantees); the summary reports the coverage gained.
        complementary_weight: ``gamma >= 0``, the weight of a mentee's skill coverage against
            the pair scores in that objective.
        cover_threshold: the similarity at which a mentor skill covers a wanted skill (focus
            areas, gaps), in [0, 1]; default :data:`~matchsvc.explain.COVER_THRESHOLD`.
    """

    scoring: ScoringOptions = field(default_factory=ScoringOptions)
    objective: Objective = "total"
    min_score: float | None = None
    explain: bool = True
    solver: str = "auto"
    complementary: bool = False
    complementary_weight: float = 1.0
    cover_threshold: float = COVER_THRESHOLD
    fairness: tuple[GroupFloor, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchedPair:
    """One pair of a match, with its explanation (None when explanations are off).

    ``coverage``: the share of the score's weight backed by data; ``focus_areas``: what the
    pair could work on (:func:`~matchsvc.explain.focus_areas`; empty when explanations are off).
    """

    mentee_id: str
    mentor_id: str
    score: float
    explanation: Explanation | None
    coverage: float
    focus_areas: tuple[FocusArea, ...]


@dataclass(frozen=True, slots=True)
class MentorLoad:
    """How many mentees a mentor received, out of their capacity."""

    mentor_id: str
    assigned: int
    capacity: int


@dataclass(frozen=True, slots=True)
class MatchSummary:
    """Totals of a match. ``matched`` counts pairs, ``unmatched`` mentees with unmet demand.

    ``timings_ms``: milliseconds per stage (``embed``, ``score``, ``solve``, ``explain``).
    ``mean_coverage``: mean coverage of the matched pairs (None without pairs).
    ``complementary``: what ``options.complementary`` changed (None when it is off); ``optimal``
    is then False if it moved any pair (the pairs optimise the complementary objective, with
    the guarantees its summary states).
    ``fairness``: the cost of the fairness floors and every group's outcome; None without
    ``options.fairness``.
    """

    matched: int
    unmatched: int
    total_score: float
    mean_score: float | None
    min_score: float | None
    optimal: bool
    solver: str
    timings_ms: Mapping[str, float]
    mean_coverage: float | None
    complementary: ComplementarySummary | None
    fairness: FairnessOutcome | None = None


@dataclass(frozen=True, slots=True)
class MatchReport:
    """Everything ``POST /match`` returns. Matches are sorted by mentee then mentor order;
    ``mentees`` holds each mentee's skill gaps, in mentee order (empty when explanations are
    off)."""

    matches: tuple[MatchedPair, ...]
    unmatched: tuple[UnmatchedReason, ...]
    mentors: tuple[MentorLoad, ...]
    summary: MatchSummary
    mentees: tuple[MenteeGaps, ...]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One suggested mentor for one mentee; ``rank`` 1 is the best."""

    mentee_id: str
    mentor_id: str
    score: float
    rank: int
    remaining_capacity: int
    explanation: Explanation
    coverage: float
    focus_areas: tuple[FocusArea, ...]


def build_problem(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: MatchOptions,
    embedder: Embedder,
    watch: Stopwatch | None = None,
) -> MatchProblem:
    """The problem of ``options`` over these people; times ``embed`` and ``score`` on ``watch``."""

    def build(timed: Embedder) -> MatchProblem:
        return MatchProblem.build(
            mentees, mentors, options.scoring, timed, min_score=options.min_score
        )

    return build(embedder) if watch is None else watch.scoring(build, embedder)


def mentor_loads(problem: MatchProblem, pairs: np.ndarray) -> tuple[MentorLoad, ...]:
    """Each mentor's assigned count (from ``(k, 2)`` index pairs) against their capacity."""
    m = problem.shape[1]
    loads = np.bincount(pairs[:, 1], minlength=m) if pairs.size else np.zeros(m, dtype=np.int64)
    ids = problem.comp.mentor_ids
    return tuple(MentorLoad(ids[j], int(loads[j]), int(problem.capacity[j])) for j in range(m))


def match(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: MatchOptions,
    embedder: Embedder,
    *,
    executor: BlockExecutor | None = None,
) -> MatchReport:
    """Match mentees to mentors exactly and explain the result.

    With ``options.fairness`` the solve step keeps every group's floor
    (:func:`~matchsvc.pipelines.fairness.solve_with_floors`) and ``summary.fairness`` says
    what the floors cost.

    ``executor``: where the ``pricing`` solver's full passes run (None: in this process); the
    report is the same either way.

    Raises:
        InvalidInputError: bad people or options (``field`` names the offending input).
        InfeasibleError: a fairness floor that cannot hold (``FloorInfeasibleError`` names the
            group and the largest floor that can).
    """
    groupings = check_fairness(mentees, options)
    _check_match_options(options)
    watch = Stopwatch()
    problem = build_problem(mentees, mentors, options, embedder, watch)
    fairness: FairnessOutcome | None = None
    extra = None
    with watch.stage("solve"):
        if groupings:
            result, fairness = solve_with_floors(problem, options.fairness, groupings)
        else:
            result = problem.solve(
                objective=options.objective, solver=options.solver, executor=executor
            )
        if options.complementary:
            result, extra = complementary(
                problem,
                result,
                weight=options.complementary_weight,
                threshold=options.cover_threshold,
            )
    with watch.stage("explain"):
        matches, unmatched, gaps = _explain(problem, result, options)
    scores = result.scores
    summary = MatchSummary(
        matched=len(matches),
        unmatched=len(unmatched),
        total_score=float(result.total),
        mean_score=float(scores.mean()) if scores.size else None,
        min_score=float(scores.min()) if scores.size else None,
        optimal=bool(result.optimal),
        solver=result.solver,
        timings_ms=watch.timings(),
        mean_coverage=float(np.mean([m.coverage for m in matches])) if matches else None,
        complementary=extra,
        fairness=fairness,
    )
    return MatchReport(matches, unmatched, mentor_loads(problem, result.pairs), summary, gaps)


def _check_match_options(options: MatchOptions) -> None:
    """Raise InvalidInputError for a complementary weight or cover threshold out of range, or
    complementary mentors asked together with fairness floors (its local search does not keep
    floors)."""
    if options.complementary and options.fairness:
        raise InvalidInputError(
            "complementary mentors and fairness floors cannot be combined: the complementary "
            "search does not keep the floors; drop one of them",
            field="options.complementary",
        )
    w = options.complementary_weight
    if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= MAX_WEIGHT:
        raise InvalidInputError(
            f"complementary_weight is {w!r}; use a number in [0, {MAX_WEIGHT:g}]",
            field="options.complementary_weight",
        )
    t = options.cover_threshold
    if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= 1:
        raise InvalidInputError(
            f"cover_threshold is {t!r}; use a similarity in [0, 1]",
            field="options.cover_threshold",
        )


def _explain(
    problem: MatchProblem, result: Assignment, options: MatchOptions
) -> tuple[tuple[MatchedPair, ...], tuple[UnmatchedReason, ...], tuple[MenteeGaps, ...]]:
    """The matched pairs (explained when ``options.explain``), the unmatched mentees' reasons
    and each mentee's gaps (when explained)."""
    comp, explain, threshold = problem.comp, options.explain, options.cover_threshold
    holders = SlotHolders(result.pairs, result.scores, problem.shape[1])
    pairs = [(int(i), int(j)) for i, j in result.pairs.tolist()]
    covers = {pair: comp.cover(*pair) for pair in pairs} if explain else {}
    matches = tuple(
        MatchedPair(
            mentee_id=comp.mentee_ids[i],
            mentor_id=comp.mentor_ids[j],
            score=float(s),
            explanation=explain_pair(problem, holders, i, j) if explain else None,
            coverage=comp.coverage(i, j),
            focus_areas=(
                focus_areas(comp, i, j, threshold=threshold, cover=covers[(i, j)])
                if explain
                else ()
            ),
        )
        for (i, j), s in zip(pairs, result.scores.tolist(), strict=True)
    )
    gaps = mentee_gaps(comp, holders, threshold=threshold, covers=covers) if explain else ()
    return matches, tuple(unmatched_reasons(problem, holders, result.unmatched)), gaps


def recommend(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: MatchOptions,
    embedder: Embedder,
    *,
    top_n: int = 5,
    assigned: Mapping[str, int] | None = None,
    only_available: bool = True,
) -> dict[str, tuple[Recommendation, ...]]:
    """Each mentee's ``top_n`` feasible mentors, best first, explained (for self-service).

    ``assigned`` gives mentors' current loads (default 0; each between 0 and the mentor's
    capacity); a mentor's remaining capacity is ``capacity - assigned``. With ``only_available`` mentors with none left are skipped.
    No assignment is solved: mentees choose. Ties are broken by mentor order.

    Raises:
        InvalidInputError: bad people or options, ``top_n`` outside [1, 100], or an unknown
            id or a count outside [0, capacity] in ``assigned``.
    """
    if not isinstance(top_n, int) or not 1 <= top_n <= MAX_TOP_N:
        raise InvalidInputError(f"top_n is {top_n!r}; use 1 to {MAX_TOP_N}", field="top_n")
    _check_match_options(options)
    loads = assigned or {}
    capacity = {p.id: p.capacity for p in mentors}
    for mentor_id in sorted(loads):
        if mentor_id not in capacity:
            raise InvalidInputError(
                f"assigned names mentor {mentor_id!r}, who is not among the mentors",
                field=f"assigned.{mentor_id}",
            )
        count, limit = loads[mentor_id], capacity[mentor_id]
        if not isinstance(limit, int):
            continue  # a bad capacity is reported by the problem's own check
        if not isinstance(count, int) or not 0 <= count <= limit:
            raise InvalidInputError(
                f"assigned[{mentor_id!r}] is {count!r}, but a mentor has between 0 and their "
                f"capacity ({limit}) mentees: give the current count",
                field=f"assigned.{mentor_id}",
            )
    problem = build_problem(mentees, mentors, options, embedder)
    comp = problem.comp
    taken = np.array([loads.get(mentor_id, 0) for mentor_id in comp.mentor_ids], dtype=np.int64)
    remaining = problem.capacity - taken
    if only_available:
        problem = problem.without(np.broadcast_to((remaining <= 0)[None, :], problem.shape))
    no_slots = SlotHolders(np.zeros((0, 2), np.int64), np.zeros(0), problem.shape[1])
    out: dict[str, tuple[Recommendation, ...]] = {}
    for i, mentee_id in enumerate(comp.mentee_ids):
        cols = np.flatnonzero(problem.allowed[i])
        order = cols[np.lexsort((cols, -comp.scores[i, cols].astype(np.float64)))][:top_n]
        out[mentee_id] = tuple(
            Recommendation(
                mentee_id=mentee_id,
                mentor_id=comp.mentor_ids[j],
                score=float(comp.scores[i, j]),
                rank=rank,
                remaining_capacity=int(remaining[j]),
                explanation=explain_pair(problem, no_slots, i, j, with_forgone=False),
                coverage=comp.coverage(i, j),
                focus_areas=focus_areas(comp, i, j, threshold=options.cover_threshold),
            )
            for rank, j in enumerate(order.tolist(), start=1)
        )
    return out


def score(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: ScoringOptions,
    embedder: Embedder,
) -> Compatibility:
    """The compatibility matrix with every facet (validates people and options first)."""
    return build_compatibility(mentees, mentors, options, embedder)
