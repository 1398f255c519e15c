"""The ``greedy`` baseline: highest score first."""

from __future__ import annotations

import numpy as np

from matchsvc.assignment._baselines_kernel import take_in_order
from matchsvc.assignment._types import Problem, SolverResult

__all__ = ["GreedySolver"]


class GreedySolver:
    """Take allowed pairs by decreasing score (ties: smaller mentee, then smaller mentor index)
    while both sides have room. Not exact (``optimal=False``); a benchmark baseline.

    Notes:
        A 1/2-approximation of the maximum-weight b-matching (Avis, "A survey of heuristics for
        the weighted matching problem", Networks 13, 1983).
    """

    name = "greedy"
    exact = False

    def solve(self, problem: Problem) -> SolverResult:
        """Greedy pairs; never optimal by contract."""
        s, mask = problem.dense()
        rows, cols = np.nonzero(mask)
        order = np.lexsort((cols, rows, -s[rows, cols]))
        r, c = rows[order].astype(np.int64), cols[order].astype(np.int64)
        keep = take_in_order(r, c, problem.demand, problem.capacity)
        return SolverResult(pairs=np.stack([r[keep], c[keep]], axis=1), optimal=False)
