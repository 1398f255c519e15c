"""Shared checks and independent reference solvers for the assignment tests."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from matchsvc.assignment import Assignment

Instance = tuple[
    npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]
]


def check_assignment(
    a: Assignment,
    scores: npt.ArrayLike,
    capacity: npt.ArrayLike | None = None,
    demand: npt.ArrayLike | None = None,
    allowed: npt.ArrayLike | None = None,
    min_score: float | None = None,
) -> None:
    """Conformance: any solver's output must satisfy every invariant of ``Assignment``."""
    s = np.asarray(scores, dtype=np.float64)
    n, m = s.shape
    cap = np.ones(m, np.int64) if capacity is None else np.broadcast_to(capacity, (m,))
    dem = np.ones(n, np.int64) if demand is None else np.broadcast_to(demand, (n,))
    ok = np.ones((n, m), bool) if allowed is None else np.asarray(allowed, bool)
    if min_score is not None:
        ok = ok & (s >= min_score)
    p = a.pairs
    assert p.dtype == np.int64 and p.ndim == 2 and p.shape[1] == 2
    assert a.scores.dtype == np.float64 and a.scores.shape == (p.shape[0],)
    assert a.unmatched.dtype == np.int64 and a.loads.dtype == np.int64
    if p.shape[0]:
        assert p.min() >= 0 and p[:, 0].max() < n and p[:, 1].max() < m
        order = np.lexsort((p[:, 1], p[:, 0]))
        assert (order == np.arange(p.shape[0])).all(), "pairs not sorted"
        key = p[:, 0] * m + p[:, 1]
        assert (np.diff(key) > 0).all(), "duplicate pairs"
        assert ok[p[:, 0], p[:, 1]].all(), "forbidden pair matched"
    np.testing.assert_array_equal(a.scores, s[p[:, 0], p[:, 1]])
    assert a.total == float(a.scores.sum())
    np.testing.assert_array_equal(a.loads, np.bincount(p[:, 1], minlength=m))
    np.testing.assert_array_equal(a.unmatched, dem - np.bincount(p[:, 0], minlength=n))
    assert (a.loads <= cap).all() and (a.unmatched >= 0).all()


def ortools_optimum(
    s: npt.NDArray[np.int64], cap: npt.ArrayLike, dem: npt.ArrayLike, ok: npt.NDArray[np.bool_]
) -> tuple[int, int]:
    """(max count, max total among max-count) by OR-Tools on integer scores."""
    n, m = s.shape
    f = min_cost_flow.SimpleMinCostFlow()
    src, snk = n + m, n + m + 1
    for i in range(n):
        f.add_arc_with_capacity_and_unit_cost(src, i, int(np.asarray(dem)[i]), 0)
    for j in range(m):
        f.add_arc_with_capacity_and_unit_cost(n + j, snk, int(np.asarray(cap)[j]), 0)
    for i, j in zip(*np.nonzero(ok), strict=True):
        f.add_arc_with_capacity_and_unit_cost(int(i), n + int(j), 1, -int(s[i, j]))
    big = int(np.asarray(dem).sum()) + int(np.asarray(cap).sum())
    f.set_node_supply(src, big)
    f.set_node_supply(snk, -big)
    status = f.solve_max_flow_with_min_cost()
    assert status == f.OPTIMAL
    return int(f.maximum_flow()), -int(f.optimal_cost())


def brute_force(
    s: npt.NDArray[np.float64],
    cap: npt.ArrayLike,
    dem: npt.ArrayLike,
    ok: npt.NDArray[np.bool_],
    fair: bool = False,
) -> tuple[int, float, float]:
    """(count, min score, total) of the lexicographic optimum over all pair subsets."""
    n, m = s.shape
    cells = [(i, j) for i in range(n) for j in range(m) if ok[i, j]]
    best: tuple[int, float, float] = (0, np.inf, 0.0)
    best_key: tuple[float, ...] = (0, 0.0, 0.0)
    capa, dema = np.asarray(cap), np.asarray(dem)
    for mask in itertools.product((0, 1), repeat=len(cells)):
        chosen = [c for c, b in zip(cells, mask, strict=True) if b]
        rows = np.bincount([c[0] for c in chosen], minlength=n)
        cols = np.bincount([c[1] for c in chosen], minlength=m)
        if (rows > dema).any() or (cols > capa).any():
            continue
        vals = [s[c] for c in chosen]
        k, lo, tot = len(chosen), min(vals, default=np.inf), float(sum(vals))
        key = (k, lo, tot) if fair else (k, tot, 0.0)
        if key > best_key or (k == 0 and best_key == (0, 0.0, 0.0)):
            best_key, best = key, (k, lo, tot)
    return best


def random_instance(rng: np.random.Generator, kind: str) -> Instance:
    """A seeded random instance of the given kind (integer scores so ties are common)."""
    n = int(rng.integers(1, 13))
    m = int(rng.integers(1, 9))
    s = rng.integers(-20, 40, size=(n, m)).astype(np.float64)
    dem = np.ones(n, np.int64)
    cap = rng.integers(0, 4, size=m).astype(np.int64)
    ok = np.ones((n, m), bool)
    if kind == "tight":
        cap = np.zeros(m, np.int64)
        np.add.at(cap, rng.integers(0, m, size=n), 1)
    elif kind == "spare":
        cap = cap + 1
    elif kind == "forbidden":
        ok = rng.random((n, m)) < 0.5
    elif kind == "demand":
        dem = rng.integers(0, 4, size=n).astype(np.int64)
        ok = rng.random((n, m)) < 0.7
    elif kind == "empty_rows":
        ok = rng.random((n, m)) < 0.6
        ok[rng.random(n) < 0.3] = False
    elif kind == "ties":
        s = rng.integers(0, 3, size=(n, m)).astype(np.float64)
        dem = rng.integers(1, 3, size=n).astype(np.int64)
    return s, cap, dem, ok
