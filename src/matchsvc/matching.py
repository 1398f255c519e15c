"""The pipeline: profiles -> compatibility -> exact assignment -> explanations.

Every door (HTTP, CLI, Python) calls these functions through :class:`matchsvc.engine.Engine`,
so they give the same answers. Pure core: no web types.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from matchsvc.assignment import Assignment, assign
from matchsvc.errors import InvalidInputError
from matchsvc.explain import (
    Explanation,
    SlotHolders,
    UnmatchedReason,
    explain_pair,
    unmatched_reasons,
)
from matchsvc.profiles import Profile
from matchsvc.scoring import Compatibility, Embedder, ScoringOptions, build_compatibility

__all__ = [
    "MatchOptions",
    "MatchReport",
    "MatchSummary",
    "MatchedPair",
    "MentorLoad",
    "Recommendation",
    "compatibility",
    "match",
    "recommend",
]

Objective = Literal["total", "fair"]


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Scoring plus what the solver optimises.

    Attributes:
        scoring: weights, criteria and hard constraints (its ``constraints.min_score`` is
            ignored: use ``min_score`` here).
        objective: ``"total"`` maximises the sum of matched scores; ``"fair"`` first the lowest
            matched score, then the sum. Both first match as many mentee slots as possible.
        min_score: pairs scoring below it are never matched (reason ``below_min_score``).
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
    mentee_id: str
    mentor_id: str
    score: float
    explanation: Explanation | None


@dataclass(frozen=True, slots=True)
class MentorLoad:
    mentor_id: str
    assigned: int
    capacity: int


@dataclass(frozen=True, slots=True)
class MatchSummary:
    """Totals of a match. ``matched`` counts pairs, ``unmatched`` mentees with unmet demand."""

    matched: int
    unmatched: int
    total_score: float
    mean_score: float | None
    min_score: float | None
    optimal: bool
    solver: str
    timings_ms: dict[str, float]


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


class _TimedEmbedder:
    """Wraps an embedder and adds up the time spent in it (the "embed" stage)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seconds = 0.0

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        start = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - start


class _Stopwatch:
    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - start) * 1000


def _check_min_score(min_score: float | None) -> None:
    if min_score is not None and not (np.isfinite(min_score) and 0.0 <= min_score <= 1.0):
        raise InvalidInputError(
            f"min_score is {min_score!r}; use a score in [0, 1] or leave it out",
            field="options.min_score",
        )


def compatibility(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: ScoringOptions,
    embedder: Embedder,
    watch: _Stopwatch | None = None,
) -> Compatibility:
    """Score every pair (validates people and options first); times "embed" and "score"."""
    scoring = replace(options, constraints=replace(options.constraints, min_score=None))
    timed = _TimedEmbedder(embedder)
    start = time.perf_counter()
    comp = build_compatibility(mentees, mentors, scoring, timed)
    if watch is not None:
        total_ms = (time.perf_counter() - start) * 1000
        watch.ms["embed"] = timed.seconds * 1000
        watch.ms["score"] = total_ms - timed.seconds * 1000
    return comp


def _min_score_mask(comp: Compatibility, min_score: float | None) -> NDArray[np.bool_]:
    if min_score is None:
        return comp.allowed
    return comp.allowed & (comp.scores >= np.float32(min_score))


def match(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: MatchOptions,
    embedder: Embedder,
) -> MatchReport:
    """Match mentees to mentors exactly and explain the result.

    Raises:
        InvalidInputError: bad people or options (``field`` names the offending input).
    """
    _check_min_score(options.min_score)
    watch = _Stopwatch()
    comp = compatibility(mentees, mentors, options.scoring, embedder, watch)
    capacity = np.array([p.capacity for p in mentors], dtype=np.int64)
    demand = np.array([p.demand for p in mentees], dtype=np.int64)
    allowed = _min_score_mask(comp, options.min_score)
    with watch.stage("solve"):
        result = assign(
            comp.scores,
            capacity=capacity,
            demand=demand,
            allowed=allowed,
            objective=options.objective,
            solver=options.solver,
        )
    with watch.stage("explain"):
        report = _report(comp, result, capacity, allowed, options.explain)
    timings = {stage: round(ms, 3) for stage, ms in watch.ms.items()}
    return replace(report, summary=replace(report.summary, timings_ms=timings))


def _report(
    comp: Compatibility,
    result: Assignment,
    capacity: NDArray[np.int64],
    allowed: NDArray[np.bool_],
    explain: bool,
) -> MatchReport:
    """The report with empty ``timings_ms`` (the caller fills them once every stage ran)."""
    holders = SlotHolders(result.pairs, result.scores, len(comp.mentor_ids))
    cap = capacity.tolist()
    matches = tuple(
        MatchedPair(
            mentee_id=comp.mentee_ids[i],
            mentor_id=comp.mentor_ids[j],
            score=float(s),
            explanation=explain_pair(comp, allowed, holders, cap, i, j) if explain else None,
        )
        for (i, j), s in zip(result.pairs.tolist(), result.scores.tolist(), strict=True)
    )
    unmatched = tuple(
        unmatched_reasons(comp, allowed, comp.allowed, holders, cap, result.unmatched)
    )
    mentors = tuple(
        MentorLoad(comp.mentor_ids[j], int(result.loads[j]), int(capacity[j]))
        for j in range(len(comp.mentor_ids))
    )
    scores = result.scores
    summary = MatchSummary(
        matched=len(matches),
        unmatched=len(unmatched),
        total_score=float(result.total),
        mean_score=float(scores.mean()) if scores.size else None,
        min_score=float(scores.min()) if scores.size else None,
        optimal=bool(result.optimal),
        solver=result.solver,
        timings_ms={},
    )
    return MatchReport(matches, unmatched, mentors, summary)


def recommend(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: MatchOptions,
    embedder: Embedder,
    *,
    top_n: int = 5,
    assigned: dict[str, int] | None = None,
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
    _check_min_score(options.min_score)
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
    comp = compatibility(mentees, mentors, options.scoring, embedder)
    remaining = np.array([p.capacity - loads.get(p.id, 0) for p in mentors], dtype=np.int64)
    allowed = _min_score_mask(comp, options.min_score)
    if only_available:
        allowed = allowed & (remaining > 0)[None, :]
    no_slots = SlotHolders(np.zeros((0, 2), np.int64), np.zeros(0), len(mentors))
    cap = [p.capacity for p in mentors]
    out: dict[str, tuple[Recommendation, ...]] = {}
    for i, mentee_id in enumerate(comp.mentee_ids):
        cols = np.flatnonzero(allowed[i])
        order = cols[np.lexsort((cols, -comp.scores[i, cols].astype(np.float64)))][:top_n]
        out[mentee_id] = tuple(
            Recommendation(
                mentee_id=mentee_id,
                mentor_id=comp.mentor_ids[j],
                score=float(comp.scores[i, j]),
                rank=rank,
                remaining_capacity=int(remaining[j]),
                explanation=explain_pair(comp, allowed, no_slots, cap, i, j, with_forgone=False),
            )
            for rank, j in enumerate(order.tolist(), start=1)
        )
    return out
