"""Numba helpers shared by the baseline (non-exact) solvers."""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["take_in_order"]


@njit(cache=True)
def take_in_order(rows, cols, demand, capacity):  # type: ignore[no-untyped-def]
    """Walk the pairs in the given order and keep each one whose mentee and mentor still
    have room; returns a bool mask over the pairs."""
    left_d = demand.copy()
    left_c = capacity.copy()
    keep = np.zeros(rows.shape[0], dtype=np.bool_)
    for k in range(rows.shape[0]):
        i = rows[k]
        j = cols[k]
        if left_d[i] > 0 and left_c[j] > 0:
            left_d[i] -= 1
            left_c[j] -= 1
            keep[k] = True
    return keep
