"""``objective="fair"``: maximise the lowest matched score, then the total."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._flow import dense_graph
from matchsvc.assignment._network import Graph, solve_graph
from matchsvc.assignment._types import Problem, Solver, SolverResult

__all__ = ["fair_threshold", "solve_fair"]


def _max_count(g: Graph, problem: Problem, keep: npt.NDArray[np.bool_]) -> int:
    """Maximum matched count using only the arcs in ``keep`` (scores ignored)."""
    ptr = np.zeros(g.n + 1, dtype=np.int64)
    rows = g.rows[keep]
    np.cumsum(np.bincount(rows, minlength=g.n), out=ptr[1:])
    sub = Graph(g.n, g.m, ptr, g.col[keep], np.zeros(rows.size, dtype=np.float64))
    return int(solve_graph(sub, problem.demand, problem.capacity).used.sum())


def fair_threshold(problem: Problem) -> float | None:
    """The largest ``t`` such that pairs with score >= ``t`` still reach the maximum count.

    Binary search over the sorted distinct allowed scores; every probe is an exact maximum
    count (successive shortest paths with zero costs). None when nothing can be matched.
    """
    g = dense_graph(problem)
    if g.score.size == 0:
        return None
    target = _max_count(g, problem, np.ones(g.score.size, dtype=np.bool_))
    if target == 0:
        return None
    values = np.unique(g.score)
    lo, hi = 0, values.size - 1  # invariant: values[lo] reaches the target
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _max_count(g, problem, g.score >= values[mid]) == target:
            lo = mid
        else:
            hi = mid - 1
    return float(values[lo])


def solve_fair(problem: Problem, solver: Solver) -> SolverResult:
    """Solve with ``min_score`` raised to :func:`fair_threshold` using ``solver``."""
    t = fair_threshold(problem)
    return solver.solve(problem if t is None else problem.with_min_score(t))
