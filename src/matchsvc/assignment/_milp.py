"""The ``milp`` solver: the assignment with a limit on how many given pairs may be dropped."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._types import Problem, SolverResult
from matchsvc.errors import InfeasibleError, InvalidInputError

__all__ = ["MoveLimitSolver"]

BoolArray = npt.NDArray[np.bool_]


class MoveLimitSolver:
    """Exact assignment that keeps all but at most ``max_moves`` of the ``active`` pairs.

    Same objective as every exact solver (as many pairs as possible, then the largest total),
    with one side constraint: of the pairs marked in ``active`` (a bool mask of the problem's
    shape, e.g. the pairs of a running programme), at least ``active.sum() - max_moves`` stay
    matched. Active pairs the problem forbids count as dropped.

    Args:
        active: bool ``(n_mentees, n_mentors)``, the pairs that should mostly stay.
        max_moves: how many of them may be dropped, >= 0.

    Raises:
        InvalidInputError: ``max_moves`` negative, or ``active`` of the wrong shape or dtype
            (at solve time, when the problem's shape is known).

    Notes:
        The side constraint breaks the network structure, so the problem is solved as two
        integer programs with HiGHS (``scipy.optimize.milp``) at zero relative gap: first the
        largest count under the constraint, then the largest total at that count. Exact up to
        HiGHS's absolute objective tolerance (1e-6). Its cost grows quickly with the number of
        allowed pairs: seconds for a few hundred people, much more beyond. There is no dual
        certificate (``certificate`` is None); ``stats`` holds the count and both statuses.
    """

    name = "milp"
    exact = True

    def __init__(self, active: BoolArray, max_moves: int) -> None:
        if max_moves < 0:
            raise InvalidInputError(f"max_moves is {max_moves}; use 0 or more", field="max_moves")
        self.active = active
        self.max_moves = max_moves

    def solve(self, problem: Problem) -> SolverResult:
        """Both integer programs; raises InfeasibleError when no assignment keeps the limit."""
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csr_matrix

        n, m = problem.shape
        active = np.asarray(self.active)
        if active.dtype != np.bool_ or active.shape != (n, m):
            raise InvalidInputError(
                f"active must be a bool array of shape {(n, m)}, got {active.dtype} {active.shape}",
                field="active",
            )
        scores, allowed = problem.dense()
        rows, cols = np.nonzero(allowed)
        nvar = rows.size
        ones = np.ones(nvar)
        var = np.arange(nvar)
        constraints = [
            LinearConstraint(csr_matrix((ones, (rows, var)), shape=(n, nvar)), 0, problem.demand),
            LinearConstraint(csr_matrix((ones, (cols, var)), shape=(m, nvar)), 0, problem.capacity),
        ]
        is_active = active[rows, cols].astype(np.float64)
        keep = int(active.sum()) - self.max_moves
        constraints.append(LinearConstraint(is_active[None, :], keep, np.inf))
        options = {"mip_rel_gap": 0.0}  # HiGHS keeps its absolute gap of 1e-6
        integral = np.ones(nvar)
        bounds = Bounds(0, 1)
        first = milp(
            -ones, constraints=constraints, integrality=integral, bounds=bounds, options=options
        )
        if first.x is None:
            raise InfeasibleError(
                f"no assignment keeps max_moves={self.max_moves}: {first.message}",
                field="max_moves",
            )
        count = round(-first.fun)
        constraints.append(LinearConstraint(ones[None, :], count, count))
        second = milp(
            -scores[rows, cols],
            constraints=constraints,
            integrality=integral,
            bounds=bounds,
            options=options,
        )
        chosen = np.flatnonzero(second.x > 0.5)
        pairs = np.stack([rows[chosen], cols[chosen]], axis=1).astype(np.int64)
        stats = {"count": count, "status_count": first.status, "status_total": second.status}
        return SolverResult(pairs=pairs, optimal=True, stats=stats)
