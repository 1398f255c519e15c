"""Run several solvers on one score matrix and evaluate each: the library entry point.

Example (a data scientist's own matrix)::

    from benchmarks import compare_solvers, plot_solver_metrics

    results = compare_solvers(scores, capacity=cap, demand=dem, allowed=mask)
    plot_solver_metrics({k: r.metrics for k, r in results.items()}, "solvers.png")

For profiles instead of a matrix, :func:`compare_on_profiles` scores them with the service first::

    runs = compare_on_profiles(mentees, mentors)        # loads all-MiniLM-L6-v2 (~10 s)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from benchmarks.metrics import evaluate

__all__ = ["DEFAULT_SOLVERS", "SolverRun", "SolverSpec", "compare_on_profiles", "compare_solvers"]


@dataclass(frozen=True, slots=True)
class SolverSpec:
    """A named way to call :func:`matchsvc.assignment.assign`."""

    name: str
    solver: str
    objective: str = "total"
    exact: bool = False


DEFAULT_SOLVERS: tuple[SolverSpec, ...] = (
    SolverSpec("hungarian", "hungarian", exact=True),
    SolverSpec("flow", "flow", exact=True),
    SolverSpec("pricing", "pricing", exact=True),
    SolverSpec("fair", "auto", objective="fair", exact=True),
    SolverSpec("greedy", "greedy"),
    SolverSpec("stable", "stable"),
    SolverSpec("random", "random"),
)
"""Exact solvers of the sum, the exact max-min ("fair") objective, and three baselines."""


@dataclass(frozen=True)
class SolverRun:
    """One solver's result on the instance.

    Attributes:
        spec: what was run.
        seconds: wall time of the ``assign`` call (validation included).
        pairs: ``(k, 2)`` int64 (mentee, mentor).
        matched_scores: ``(k,)`` float64 scores of those pairs.
        optimal: the solver's own claim (``Assignment.optimal``).
        metrics: :func:`benchmarks.metrics.evaluate` of the pairs.
    """

    spec: SolverSpec
    seconds: float
    pairs: NDArray[np.int64]
    matched_scores: NDArray[np.float64]
    optimal: bool
    metrics: dict[str, float]


def compare_solvers(
    scores: ArrayLike,
    *,
    capacity: ArrayLike | None = None,
    demand: ArrayLike | None = None,
    allowed: ArrayLike | None = None,
    planted_best: ArrayLike | None = None,
    clusters: tuple[ArrayLike, ArrayLike] | None = None,
    solvers: Sequence[SolverSpec] = DEFAULT_SOLVERS,
) -> dict[str, SolverRun]:
    """Solve the same instance with each of ``solvers`` and evaluate every result.

    Args:
        scores: ``(n, m)`` compatibility matrix, higher is better.
        capacity, demand, allowed: as in :func:`matchsvc.assignment.assign` (``None`` = 1 each /
            all allowed).
        planted_best: ``(n, K)`` known best mentors per mentee, for recovery metrics.
        clusters: known (mentee, mentor) group labels, for ``cluster_match``.
        solvers: what to run, in order; names must be unique.

    Returns:
        ``{spec.name: SolverRun}`` in the order of ``solvers``.

    Raises:
        ValueError: two specs share a name.
        matchsvc.InvalidInputError: the instance is invalid (raised by ``assign``).
    """
    from matchsvc.assignment import assign

    names = [s.name for s in solvers]
    if len(set(names)) != len(names):
        raise ValueError(f"solver names must be unique, got {names}")
    s = np.asarray(scores)
    n, m = s.shape
    cap = np.ones(m, np.int64) if capacity is None else np.asarray(capacity, np.int64)
    dem = np.ones(n, np.int64) if demand is None else np.asarray(demand, np.int64)
    mask = None if allowed is None else np.asarray(allowed, dtype=bool)
    out: dict[str, SolverRun] = {}
    for spec in solvers:
        start = time.perf_counter()
        result: Any = assign(
            s, capacity=cap, demand=dem, allowed=mask, objective=spec.objective, solver=spec.solver
        )
        seconds = time.perf_counter() - start
        pairs = np.asarray(result.pairs, dtype=np.int64).reshape(-1, 2)
        out[spec.name] = SolverRun(
            spec=spec,
            seconds=seconds,
            pairs=pairs,
            matched_scores=s[pairs[:, 0], pairs[:, 1]].astype(np.float64),
            optimal=bool(result.optimal),
            metrics=evaluate(
                s,
                pairs,
                allowed=mask,
                capacity=cap,
                demand=dem,
                planted_best=planted_best,
                clusters=clusters,
            ),
        )
    return out


def compare_on_profiles(
    mentees: Sequence[Any],
    mentors: Sequence[Any],
    *,
    embedder: Any = None,
    scoring: Any = None,
    planted_best: ArrayLike | None = None,
    clusters: tuple[ArrayLike, ArrayLike] | None = None,
    solvers: Sequence[SolverSpec] = DEFAULT_SOLVERS,
) -> dict[str, SolverRun]:
    """Score :class:`matchsvc.profiles.Profile` lists with the service, then :func:`compare_solvers`.

    Args:
        mentees, mentors: the people; capacities and demands are read from them.
        embedder: a :class:`matchsvc.scoring.Embedder`; default an in-memory
            :class:`matchsvc.scoring.EmbeddingCache` over the bundled model (loaded here).
        scoring: :class:`matchsvc.scoring.ScoringOptions`; default ``ScoringOptions()``.
        planted_best, clusters, solvers: as in :func:`compare_solvers`.

    Returns:
        ``{spec.name: SolverRun}``, evaluated on the service's scores and constraint mask.
    """
    from matchsvc.pipelines import score
    from matchsvc.scoring import EmbeddingCache, ScoringOptions

    if embedder is None:
        from matchsvc.scoring.encoder import load_encoder

        embedder = EmbeddingCache(load_encoder())
    comp = score(mentees, mentors, ScoringOptions() if scoring is None else scoring, embedder)
    return compare_solvers(
        comp.scores,
        capacity=np.array([p.capacity for p in mentors], dtype=np.int64),
        demand=np.array([p.demand for p in mentees], dtype=np.int64),
        allowed=comp.allowed,
        planted_best=planted_best,
        clusters=clusters,
        solvers=solvers,
    )
