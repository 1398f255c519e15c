"""Match and recommend: profiles -> :class:`MatchProblem` -> exact assignment -> explanations.

Every door (HTTP, CLI, Python) calls these functions through :class:`matchsvc.engine.Engine`,
so they give the same answers. Pure core: no web types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from matchsvc.assignment import Assignment, BlockExecutor
from matchsvc.errors import InvalidInputError
from matchsvc.explain import (
    Explanation,
    SlotHolders,
    UnmatchedReason,
    explain_pair,
    unmatched_reasons,
)
from matchsvc.pipelines._timing import Stopwatch
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
        explain: build per-pair explanations (the costliest part for large programmes).
        solver: an exact solver name of :func:`matchsvc.assign`.
    """

    scoring: ScoringOptions = field(default_factory=ScoringOptions)
    objective: Objective = "total"
    min_score: float | None = None
    explain: bool = True
    solver: str = "auto"


@dataclass(frozen=True, slots=True)
class MatchedPair:
    """One pair of a match, with its explanation (None when explanations are off)."""

    mentee_id: str
    mentor_id: str
    score: float
    explanation: Explanation | None


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
    """

    matched: int
    unmatched: int
    total_score: float
    mean_score: float | None
    min_score: float | None
    optimal: bool
    solver: str
    timings_ms: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class MatchReport:
    """Everything ``POST /match`` returns. Matches are sorted by mentee then mentor order."""

    matches: tuple[MatchedPair, ...]
    unmatched: tuple[UnmatchedReason, ...]
    mentors: tuple[MentorLoad, ...]
    summary: MatchSummary


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One suggested mentor for one mentee; ``rank`` 1 is the best."""

    mentee_id: str
    mentor_id: str
    score: float
    rank: int
    remaining_capacity: int
    explanation: Explanation


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

    ``executor``: where the ``pricing`` solver's full passes run (None: in this process); the
    report is the same either way.

    Raises:
        InvalidInputError: bad people or options (``field`` names the offending input).
    """
    watch = Stopwatch()
    problem = build_problem(mentees, mentors, options, embedder, watch)
    with watch.stage("solve"):
        result = problem.solve(
            objective=options.objective, solver=options.solver, executor=executor
        )
    with watch.stage("explain"):
        matches, unmatched = _explain(problem, result, options.explain)
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
    )
    return MatchReport(matches, unmatched, mentor_loads(problem, result.pairs), summary)


def _explain(
    problem: MatchProblem, result: Assignment, explain: bool
) -> tuple[tuple[MatchedPair, ...], tuple[UnmatchedReason, ...]]:
    """The matched pairs (explained when ``explain``) and the unmatched mentees' reasons."""
    comp = problem.comp
    holders = SlotHolders(result.pairs, result.scores, problem.shape[1])
    matches = tuple(
        MatchedPair(
            mentee_id=comp.mentee_ids[i],
            mentor_id=comp.mentor_ids[j],
            score=float(s),
            explanation=explain_pair(problem, holders, i, j) if explain else None,
        )
        for (i, j), s in zip(result.pairs.tolist(), result.scores.tolist(), strict=True)
    )
    return matches, tuple(unmatched_reasons(problem, holders, result.unmatched))


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

    ``assigned`` gives mentors' current loads (default 0); a mentor's remaining capacity is
    ``capacity - assigned``. With ``only_available`` mentors with none left are skipped.
    No assignment is solved: mentees choose. Ties are broken by mentor order.

    Raises:
        InvalidInputError: bad people or options, ``top_n < 1``, or an unknown id in
            ``assigned``.
    """
    if top_n < 1:
        raise InvalidInputError(f"top_n is {top_n}; use 1 or more", field="top_n")
    loads = assigned or {}
    known = {p.id for p in mentors}
    for mentor_id in sorted(loads):
        if mentor_id not in known:
            raise InvalidInputError(
                f"assigned names mentor {mentor_id!r}, who is not among the mentors",
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
