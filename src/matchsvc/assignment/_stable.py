"""The ``stable`` baseline: mentee-proposing deferred acceptance (Gale-Shapley)."""

from __future__ import annotations

import numpy as np

from matchsvc.assignment._stable_kernel import deferred_acceptance
from matchsvc.assignment._types import Problem, SolverResult
from matchsvc.errors import InvalidInputError

__all__ = ["StableSolver"]


class StableSolver:
    """Mentee-optimal stable matching with mentor capacities; demand must be 0 or 1.

    Both sides rank by the score (mentees: higher score first, ties by smaller mentor index;
    mentors: higher score first, ties by smaller mentee index). Not exact for the total
    (``optimal=False``); a benchmark baseline.

    Notes:
        Deferred acceptance, Gale & Shapley, "College admissions and the stability of marriage",
        Amer. Math. Monthly 69, 1962 (the college-admissions form handles capacities).
    """

    name = "stable"
    exact = False

    def solve(self, problem: Problem) -> SolverResult:
        """Stable matching; never optimal by contract."""
        if (problem.demand > 1).any():
            k = int(np.flatnonzero(problem.demand > 1)[0])
            raise InvalidInputError(
                f"demand[{k}] = {problem.demand[k]} > 1 is not supported by solver='stable'; "
                "use solver='greedy' or an exact solver",
                field="demand",
            )
        s, mask = problem.dense()
        n, m = problem.shape
        mask = mask & (problem.demand > 0)[:, None]
        rows, cols = np.nonzero(mask)
        sc = s[rows, cols]
        order = np.lexsort((cols, -sc, rows))
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
        match = deferred_acceptance(
            n, m, ptr, cols[order].astype(np.int64), sc[order], problem.capacity
        )
        who = np.flatnonzero(match >= 0)
        return SolverResult(pairs=np.stack([who, match[who]], axis=1), optimal=False)
