"""Floors on several attributes at once: an integer program (HiGHS through scipy ``milp``).

Two attributes partition the mentees in crossing ways; the floor constraints then no longer
form a network (the constraint matrix is not totally unimodular), so they are solved as an
integer program at zero relative gap. Small problems only: the program has one variable per
allowed pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from matchsvc.assignment._types import Problem

__all__ = ["milp_floors", "milp_max_group"]

IntArray = npt.NDArray[np.int64]

_OPTIONS = {"mip_rel_gap": 0.0}  # HiGHS keeps its absolute gap of 1e-6


def _base(
    problem: Problem, codes: Sequence[IntArray], lowers: Sequence[IntArray], skip: tuple[int, int]
) -> tuple[IntArray, IntArray, npt.NDArray[np.float64], list[LinearConstraint]]:
    """Allowed pairs (rows, cols, scores) and the demand, capacity and floor constraints
    (the floor of group ``skip = (attribute, group)`` left out)."""
    s, mask = problem.dense()
    rows, cols = np.nonzero(mask)
    nvar = rows.size
    n, m = problem.shape
    ones = np.ones(nvar)
    var = np.arange(nvar)
    cons = [
        LinearConstraint(csr_matrix((ones, (rows, var)), shape=(n, nvar)), 0, problem.demand),
        LinearConstraint(csr_matrix((ones, (cols, var)), shape=(m, nvar)), 0, problem.capacity),
    ]
    for a, (c, low) in enumerate(zip(codes, lowers, strict=True)):
        lo = low.astype(np.float64).copy()
        if skip[0] == a:
            lo[skip[1]] = 0.0
        keep = lo > 0
        if keep.any():
            mat = csr_matrix((ones, (c[rows], var)), shape=(low.size, nvar))[keep]
            cons.append(LinearConstraint(mat, lo[keep], np.inf))
    return rows.astype(np.int64), cols.astype(np.int64), s[rows, cols], cons


def milp_floors(
    problem: Problem, codes: Sequence[IntArray], lowers: Sequence[IntArray], count: int
) -> IntArray | None:
    """The max-score assignment with exactly ``count`` pairs meeting every floor, as (k, 2)
    pairs; None when the floors cannot hold with that count.

    Notes
    -----
    ``max sum s_ij x_ij`` s.t. ``sum_j x_ij <= demand_i``, ``sum_i x_ij <= capacity_j``,
    ``sum x_ij = count``, ``sum_{i in group} x_ij >= floor`` for every group of every
    attribute, ``x_ij in {0, 1}`` on allowed pairs; HiGHS branch and bound at zero relative
    gap (absolute gap 1e-6). ``count`` is the unconstrained maximum: floors never lower the
    maximum count when they can hold (see :class:`~matchsvc.assignment._floors.PartitionSolver`;
    the argument holds for any family of floors, since a flow meeting the floors of the
    joint cells of all attributes meets every attribute's floors).
    """
    rows, cols, sc, cons = _base(problem, codes, lowers, (-1, -1))
    nvar = rows.size
    cons.append(LinearConstraint(np.ones((1, nvar)), count, count))
    res = milp(
        -sc, constraints=cons, integrality=np.ones(nvar), bounds=Bounds(0, 1), options=_OPTIONS
    )
    if res.status == 2:
        return None
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"group floors: HiGHS stopped without an optimum: {res.message}")
    chosen = np.flatnonzero(res.x > 0.5)
    return np.stack([rows[chosen], cols[chosen]], axis=1)


def milp_max_group(
    problem: Problem,
    codes: Sequence[IntArray],
    lowers: Sequence[IntArray],
    attribute: int,
    group: int,
) -> int | None:
    """The most slots group ``group`` of attribute ``attribute`` can get while every other
    floor holds (its own floor dropped); None when the other floors cannot hold."""
    rows, _, _, cons = _base(problem, codes, lowers, (attribute, group))
    nvar = rows.size
    obj = -(codes[attribute][rows] == group).astype(np.float64)
    res = milp(
        obj, constraints=cons, integrality=np.ones(nvar), bounds=Bounds(0, 1), options=_OPTIONS
    )
    if res.status == 2:
        return None
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"group floors: HiGHS stopped without an optimum: {res.message}")
    return round(-float(res.fun))
