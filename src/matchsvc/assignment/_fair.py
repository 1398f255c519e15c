"""``objective="fair"``: maximise the lowest matched score, then the total."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from matchsvc.assignment._flow import dense_graph
from matchsvc.assignment._types import Problem, Solver, SolverResult
from matchsvc.errors import InvalidInputError

__all__ = ["FAIR_BLOCK_LIMIT", "fair_threshold", "solve_fair"]

IntArray = npt.NDArray[np.int64]

# The threshold search holds every allowed pair in memory (~40 bytes each); a block source
# larger than this many cells is refused rather than materialised.
FAIR_BLOCK_LIMIT = 25_000_000


def _max_count(problem: Problem, rows: IntArray, cols: IntArray) -> int:
    """Maximum matched count using only the allowed pairs ``(rows[k], cols[k])``.

    An integer maximum flow (Dinic, scipy) on source -> mentee (``demand``) -> mentor (1 per
    allowed pair) -> sink (``capacity``); counts are clipped to the node degrees (which bound
    them anyway) so they fit scipy's int32 capacities.
    """
    n, m = problem.shape
    src, snk = n + m, n + m + 1
    heads = np.concatenate([np.full(n, src), rows, n + np.arange(m)])
    tails = np.concatenate([np.arange(n), n + cols, np.full(m, snk)])
    caps = np.concatenate(
        [
            np.minimum(problem.demand, m),
            np.ones(rows.size, np.int64),
            np.minimum(problem.capacity, n),
        ]
    ).astype(np.int32)
    net = csr_matrix((caps, (heads, tails)), shape=(n + m + 2, n + m + 2))
    return int(maximum_flow(net, src, snk, method="dinic").flow_value)


def fair_threshold(problem: Problem) -> float | None:
    """The largest ``t`` such that pairs with score >= ``t`` still reach the maximum count.

    Binary search over the sorted distinct allowed scores; every probe is an exact maximum
    count (an integer maximum flow). None when nothing can be matched.
    """
    g = dense_graph(problem)
    if g.score.size == 0:
        return None
    rows = g.rows  # derived from the CSR pointers: computed once, not per probe
    target = _max_count(problem, rows, g.col)
    if target == 0:
        return None
    values = np.unique(g.score)
    lo, hi = 0, values.size - 1  # invariant: values[lo] reaches the target
    while lo < hi:
        mid = (lo + hi + 1) // 2
        keep = g.score >= values[mid]
        if _max_count(problem, rows[keep], g.col[keep]) == target:
            lo = mid
        else:
            hi = mid - 1
    return float(values[lo])


def solve_fair(problem: Problem, solver: Solver) -> SolverResult:
    """Solve with ``min_score`` raised to :func:`fair_threshold` using ``solver``.

    Raises InvalidInputError for a block source of more than ``FAIR_BLOCK_LIMIT`` cells.
    """
    n, m = problem.shape
    if not problem.is_dense and n * m > FAIR_BLOCK_LIMIT:
        raise InvalidInputError(
            f"objective='fair' reads every pair into memory; {n} x {m} = {n * m:,} pairs from "
            f"a block source is more than {FAIR_BLOCK_LIMIT:,}. Use objective='total', or "
            "raise min_score to the lowest score you accept",
            field="objective",
        )
    t = fair_threshold(problem)
    return solver.solve(problem if t is None else problem.with_min_score(t))
