"""Independent reference solvers the service is compared against.

Both solve the same problem as ``matchsvc.assignment.assign(..., objective="total")``: choose
pairs, each allowed, each mentee in at most ``demand[i]`` pairs, each mentor in at most
``capacity[j]``, no pair twice. Two variants of "best", picked by ``mode``:

* ``"max_weight"``: maximise the total score; a mentee may stay unmatched (a pair with a negative
  score is never worth taking);
* ``"max_cardinality"``: match as many mentee places as possible, and among those maximise the
  total score.

They are deliberately plain, textbook formulations, so that agreement with the service's solver
is evidence of optimality rather than of shared code.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

__all__ = ["Mode", "flow_all_arcs", "scipy_repeated_columns", "total_score"]

Mode = Literal["max_weight", "max_cardinality"]

FLOW_COST_SCALE = 1_000_000
"""OR-Tools min-cost flow needs integer costs: scores are rounded to 1e-6 (the baseline's
objective is then re-evaluated on the float scores)."""


def total_score(scores: NDArray[Any], pairs: NDArray[np.int64]) -> float:
    """Sum of ``scores`` over ``pairs`` in float64."""
    return float(np.asarray(scores, dtype=np.float64)[pairs[:, 0], pairs[:, 1]].sum())


def _sorted(pairs: NDArray[np.int64]) -> NDArray[np.int64]:
    if len(pairs) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return np.ascontiguousarray(pairs[order], dtype=np.int64)


def scipy_repeated_columns(
    scores: NDArray[Any],
    capacity: NDArray[np.int64],
    *,
    allowed: NDArray[np.bool_] | None = None,
    mode: Mode = "max_weight",
) -> NDArray[np.int64]:
    """Solve with ``scipy.optimize.linear_sum_assignment`` on the repeated-column matrix.

    Every mentor column is repeated ``capacity[j]`` times; forbidden pairs cost ``+inf``. Each
    mentee wants one mentor (scipy cannot express ``demand > 1`` without risking the same mentor
    twice). ``"max_weight"`` appends one zero-cost "unmatched" column per mentee and clips
    positive costs (negative scores) to that option; ``"max_cardinality"`` drops mentees with no
    allowed mentor and needs a full matching of the rest (scipy raises ``ValueError`` otherwise).

    Returns:
        ``(k, 2)`` int64 (mentee, mentor) pairs sorted by mentee.
    """
    s = np.asarray(scores, dtype=np.float64)
    n, m = s.shape
    cols = np.repeat(np.arange(m), np.asarray(capacity, dtype=np.int64))
    cost = -s[:, cols]
    if allowed is not None:
        cost[~np.asarray(allowed, dtype=bool)[:, cols]] = np.inf
    if mode == "max_weight":
        cost = np.concatenate([cost, np.zeros((n, n))], axis=1)
        rows, picked = linear_sum_assignment(cost)
        real = picked < cols.size
        rows, picked = rows[real], picked[real]
        keep = s[rows, cols[picked]] > 0  # a non-positive pair never beats "unmatched"
        rows, picked = rows[keep], picked[keep]
    else:
        has_option = np.isfinite(cost).any(axis=1)
        sub = np.flatnonzero(has_option)
        r, picked = linear_sum_assignment(cost[sub])
        rows = sub[r]
    return _sorted(np.stack([rows, cols[picked]], axis=1).astype(np.int64))


def flow_all_arcs(
    scores: NDArray[Any],
    capacity: NDArray[np.int64],
    demand: NDArray[np.int64] | None = None,
    *,
    allowed: NDArray[np.bool_] | None = None,
    mode: Mode = "max_weight",
) -> NDArray[np.int64]:
    """Solve with OR-Tools ``SimpleMinCostFlow`` on every allowed mentee -> mentor arc.

    Network: source -> mentee ``i`` (capacity ``demand[i]``), mentee -> mentor (capacity 1, cost
    ``-round(score * 1e6)``), mentor ``j`` -> sink (capacity ``capacity[j]``). ``"max_weight"``
    adds a zero-cost source -> sink bypass and solves for the full supply;
    ``"max_cardinality"`` uses ``solve_max_flow_with_min_cost``. About 100 bytes per arc.

    Returns:
        ``(k, 2)`` int64 (mentee, mentor) pairs sorted by mentee.

    Raises:
        RuntimeError: OR-Tools reports a status other than OPTIMAL.
    """
    from ortools.graph.python import min_cost_flow

    s = np.asarray(scores, dtype=np.float64)
    n, m = s.shape
    cap = np.asarray(capacity, dtype=np.int64)
    dem = np.ones(n, dtype=np.int64) if demand is None else np.asarray(demand, dtype=np.int64)
    if allowed is None:
        ii, jj = np.divmod(np.arange(n * m, dtype=np.int64), m)
    else:
        ii, jj = np.nonzero(np.asarray(allowed, dtype=bool))
    source, sink = n + m, n + m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        ii.astype(np.int32),
        (jj + n).astype(np.int32),
        np.ones(ii.size, dtype=np.int64),
        -np.rint(s[ii, jj] * FLOW_COST_SCALE).astype(np.int64),
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(n, source, dtype=np.int32), np.arange(n, dtype=np.int32), dem, np.zeros(n, np.int64)
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, n + m, dtype=np.int32),
        np.full(m, sink, dtype=np.int32),
        cap,
        np.zeros(m, np.int64),
    )
    supply = int(dem.sum())
    if mode == "max_weight":
        flow.add_arc_with_capacity_and_unit_cost(source, sink, supply, 0)
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    status = flow.solve() if mode == "max_weight" else flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools min-cost flow ended with status {status}, not OPTIMAL")
    used = flow.flows(np.asarray(pair_arcs, dtype=np.int32)) > 0
    return _sorted(np.stack([ii[used], jj[used]], axis=1).astype(np.int64))
