"""The ``random`` baseline: allowed pairs in a seeded random order."""

from __future__ import annotations

import numpy as np

from matchsvc.assignment._baselines_kernel import take_in_order
from matchsvc.assignment._types import Problem, SolverResult

__all__ = ["RandomSolver"]


class RandomSolver:
    """Take allowed pairs in a uniformly random order (``numpy.random.default_rng(seed)``)
    while both sides have room. Deterministic for a given ``seed``; ``optimal=False``.

    Notes:
        The floor of the benchmark: a maximal (not maximum) b-matching ignoring scores.
    """

    name = "random"
    exact = False

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def solve(self, problem: Problem) -> SolverResult:
        """Random maximal matching; never optimal by contract."""
        _, mask = problem.dense()
        rows, cols = np.nonzero(mask)
        order = np.random.default_rng(self.seed).permutation(rows.size)
        r, c = rows[order].astype(np.int64), cols[order].astype(np.int64)
        keep = take_in_order(r, c, problem.demand, problem.capacity)
        return SolverResult(pairs=np.stack([r[keep], c[keep]], axis=1), optimal=False)
