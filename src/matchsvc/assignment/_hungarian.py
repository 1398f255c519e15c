"""The ``hungarian`` reference solver: scipy's LSAP on mentor columns repeated by capacity."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from matchsvc.assignment._types import Problem, SolverResult
from matchsvc.errors import InvalidInputError

__all__ = ["HungarianSolver"]


class HungarianSolver:
    """``scipy.optimize.linear_sum_assignment`` on the matrix with mentor ``j`` repeated
    ``capacity[j]`` times (clipped to the number of mentees). Demand must be 0 or 1.

    Notes:
        LSAP on an ``n x C`` matrix assigns exactly ``K = min(n, C)`` entries. Without forbidden
        pairs that count is the maximum, and minimising ``-s`` maximises the total. With forbidden
        pairs each allowed entry costs ``smax - s_ij`` (in ``[0, R]``, ``R = smax - smin``; a
        constant shift changes every K-entry solution by the same amount) and each forbidden entry
        costs ``B = 2 K R + 1``. A solution using ``f`` forbidden entries costs at least ``f B`` and
        at most ``f B + K R``; since ``B > K R``, fewer forbidden entries always win, so the allowed
        entries of the optimum form a maximum-cardinality matching of maximum total. Forbidden
        entries are dropped from the result, and the cardinality is checked against
        ``scipy.sparse.csgraph.maximum_bipartite_matching`` (Hopcroft-Karp). Reference: Crouse,
        "On implementing 2D rectangular assignment algorithms", IEEE TAES 52(4), 2016.
    """

    name = "hungarian"
    exact = True

    def solve(self, problem: Problem) -> SolverResult:
        """Solve exactly (no certificate: scipy does not return duals)."""
        if (problem.demand > 1).any():
            k = int(np.flatnonzero(problem.demand > 1)[0])
            raise InvalidInputError(
                f"demand[{k}] = {problem.demand[k]} > 1 is not supported by solver='hungarian'; "
                "use solver='flow'",
                field="demand",
            )
        s, mask = problem.dense()
        rows = np.flatnonzero(problem.demand > 0)
        reps = np.minimum(problem.capacity, rows.size)
        col_map = np.repeat(np.arange(reps.size, dtype=np.int64), reps)
        empty = SolverResult(pairs=np.zeros((0, 2), dtype=np.int64), optimal=True)
        if rows.size == 0 or col_map.size == 0:
            return empty
        sub_mask = mask[np.ix_(rows, col_map)]
        sub = s[np.ix_(rows, col_map)]
        if sub_mask.all():
            cost = -sub
        else:
            if not sub_mask.any():
                return empty
            smax = float(sub[sub_mask].max())
            srange = smax - float(sub[sub_mask].min())
            k = min(rows.size, col_map.size)
            cost = np.where(sub_mask, smax - sub, 2.0 * k * srange + 1.0)
        del sub
        # Imported here: scipy.optimize costs ~1 s of start-up that no other solver needs.
        from scipy.optimize import linear_sum_assignment

        r, c = linear_sum_assignment(cost)
        keep = sub_mask[r, c]
        pairs = np.stack([rows[r[keep]], col_map[c[keep]]], axis=1).astype(np.int64)
        if not sub_mask.all():
            best = maximum_bipartite_matching(csr_matrix(sub_mask), perm_type="column")
            if int((best >= 0).sum()) != pairs.shape[0]:
                raise RuntimeError("hungarian: matched count is not maximal (bound violated)")
        return SolverResult(pairs=pairs, optimal=True)
