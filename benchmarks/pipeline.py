"""The service's pipeline, stage by stage, under a :class:`~benchmarks.metrics.StageRecorder`.

:func:`run_pipeline` makes the same calls as :func:`matchsvc.pipelines.match` (which ``POST
/match`` runs), split so that each stage gets its own time and peak memory:

``embed``
    every distinct text of the people (skills, goals, styles) through the embedder in one call,
    which is what :func:`matchsvc.scoring.build_compatibility` does first; done here as its own
    stage so that ``score`` afterwards finds every vector in the cache.
``score``
    :meth:`matchsvc.problem.MatchProblem.build`: validation, facets, mask. Any embedding it still
    does is timed separately and reported as ``embed_inside_s`` (0 when ``embed`` covered all).
``solve``
    :func:`matchsvc.assignment.assign` on the scores, capacities, demands and mask.
``explain``
    :func:`matchsvc.explain.explain_pair` for every pair and
    :func:`matchsvc.explain.unmatched_reasons`, as the service's report does.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.metrics import StageRecorder
from matchsvc.profiles import Profile

__all__ = ["PipelineRun", "TimedEmbedder", "profile_texts", "run_pipeline"]


def profile_texts(people: Sequence[Profile]) -> list[str]:
    """The distinct non-empty free texts of ``people`` (skills, goals, styles), sorted."""
    out: set[str] = set()
    for p in people:
        out.update(p.skills)
        out.add(p.goals)
        out.add(p.communication.style)
    out.discard("")
    return sorted(out)


class TimedEmbedder:
    """Wraps an embedder; adds up the seconds and texts that go through it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Delegate to the wrapped embedder, timing the call."""
        start = time.perf_counter()
        try:
            return np.asarray(self.inner.embed(texts))
        finally:
            self.seconds += time.perf_counter() - start
            self.texts += len(texts)


@dataclass(frozen=True)
class PipelineRun:
    """What one pipeline run produced.

    Attributes:
        compatibility: the :class:`matchsvc.scoring.Compatibility` (scores, facets, mask).
        assignment: the :class:`matchsvc.assignment.Assignment`.
        capacity: ``(m,)`` int64 mentor capacities; ``demand``: ``(n,)`` mentee demands.
        allowed: the mask the solver saw.
        explanations: number of pair explanations built (0 when ``explain=False``).
    """

    compatibility: Any
    assignment: Any
    capacity: NDArray[np.int64]
    demand: NDArray[np.int64]
    allowed: NDArray[np.bool_]
    explanations: int


def _encoded(embedder: Any) -> int | None:
    """The embedder's count of texts sent to the model, when it keeps one."""
    value = getattr(embedder, "encoded", None)
    return int(value) if isinstance(value, int) else None


def run_pipeline(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    embedder: Any,
    recorder: StageRecorder,
    *,
    scoring: Any = None,
    objective: str = "total",
    solver: str = "auto",
    explain: bool = True,
) -> PipelineRun:
    """Run embed -> score -> solve -> explain, each stage measured by ``recorder``.

    Args:
        mentees, mentors: the people.
        embedder: a :class:`matchsvc.scoring.Embedder`, typically an
            :class:`matchsvc.scoring.EmbeddingCache`; its ``encoded`` counter, when present,
            gives the number of texts really encoded in the ``embed`` stage.
        recorder: receives one :class:`~benchmarks.metrics.StageMeasurement` per stage.
        scoring: :class:`matchsvc.scoring.ScoringOptions`; default ``ScoringOptions()``.
        objective, solver: passed to :func:`matchsvc.assignment.assign`.
        explain: build per-pair explanations (the ``explain`` stage).

    Returns:
        A :class:`PipelineRun`.
    """
    from matchsvc.explain import SlotHolders, explain_pair, unmatched_reasons
    from matchsvc.problem import MatchProblem
    from matchsvc.scoring import ScoringOptions

    options = ScoringOptions() if scoring is None else scoring
    texts = profile_texts([*mentees, *mentors])
    before = _encoded(embedder)
    with recorder.stage("embed", texts=len(texts)) as extra:
        embedder.embed(texts)
        after = _encoded(embedder)
        if before is not None and after is not None:
            extra["encoded"] = after - before
    timed = TimedEmbedder(embedder)
    with recorder.stage("score") as extra:
        problem = MatchProblem.build(mentees, mentors, options, timed)
        extra["embed_inside_s"] = timed.seconds
    with recorder.stage("solve"):
        result = problem.solve(objective=objective, solver=solver)
    count = 0
    with recorder.stage("explain"):
        if explain:
            holders = SlotHolders(result.pairs, result.scores, len(mentors))
            for i, j in result.pairs.tolist():
                explain_pair(problem, holders, i, j)
                count += 1
            unmatched_reasons(problem, holders, result.unmatched)
    allowed = np.asarray(problem.allowed, dtype=bool)
    return PipelineRun(problem.comp, result, problem.capacity, problem.demand, allowed, count)
