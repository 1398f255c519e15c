"""The fair objective's threshold against an independent scan, on instances where the next
lower score value would change the answer.

Independent method: OR-Tools' push-relabel maximum flow counts the pairs that can be matched
using only pairs scoring at least ``t``, for **every** distinct score ``t`` in turn (a linear
scan, no binary search, no scipy); the threshold is the largest ``t`` that keeps the full
count. The answer of ``objective="fair"`` is then checked against OR-Tools' min-cost flow on
the pairs at or above that threshold.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from ortools.graph.python import max_flow

from matchsvc.assignment import assign
from matchsvc.assignment._fair import fair_threshold
from matchsvc.assignment._validate import validate
from matchsvc.bounds import MAX_COUNT
from tests.assignment.helpers import check_assignment, ortools_optimum

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def ortools_count(cap: IntArray, dem: IntArray, ok: BoolArray) -> int:
    """Maximum matched count on the pairs ``ok`` (OR-Tools max flow)."""
    n, m = ok.shape
    src, snk = n + m, n + m + 1
    rows, cols = np.nonzero(ok)
    tails = np.concatenate([np.full(n, src), rows, n + np.arange(m)]).astype(np.int32)
    heads = np.concatenate([np.arange(n), n + cols, np.full(m, snk)]).astype(np.int32)
    caps = np.concatenate([dem, np.ones(rows.size, np.int64), cap]).astype(np.int64)
    f = max_flow.SimpleMaxFlow()
    f.add_arcs_with_capacity(tails, heads, caps)
    assert f.solve(src, snk) == f.OPTIMAL
    return int(f.optimal_flow())


def scan_threshold(s: FloatArray, cap: IntArray, dem: IntArray, ok: BoolArray) -> float | None:
    """The largest score ``t`` whose pairs ``>= t`` still reach the maximum count."""
    full = ortools_count(cap, dem, ok)
    if full == 0:
        return None
    for t in np.unique(s[ok])[::-1]:
        if ortools_count(cap, dem, ok & (s >= t)) == full:
            return float(t)
    raise AssertionError("unreachable: the lowest score keeps every pair")


def instance(seed: int) -> tuple[FloatArray, IntArray, IntArray, BoolArray]:
    """30-60 mentees, 6-14 mentors, integer scores ~ u_i * v_j (+ noise): supermodular, so the
    largest total pairs the best with the best and leaves someone a poor pair, which the fair
    objective refuses. A few mentees want two mentors; capacities are a little short of the
    demand; about a third of the pairs are forbidden."""
    rng = np.random.default_rng([seed, 21])
    n, m = int(rng.integers(30, 61)), int(rng.integers(6, 15))
    u, v = rng.uniform(1, 8, n), rng.uniform(1, 8, m)
    s = np.round(u[:, None] * v[None, :] + rng.normal(0, 1, (n, m)))
    dem = np.where(rng.random(n) < 0.2, 2, 1).astype(np.int64)
    cap = np.zeros(m, np.int64)
    np.add.at(cap, rng.integers(0, m, int(dem.sum() * 0.9)), 1)
    ok = rng.random((n, m)) < 0.65
    return s, cap, dem, ok


SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
def test_threshold_equals_the_independent_scan_and_decides_the_answer(seed: int) -> None:
    s, cap, dem, ok = instance(seed)
    t = scan_threshold(s, cap, dem, ok)
    assert t is not None
    problem = validate(s, cap, dem, ok, "fair", None)
    assert fair_threshold(problem) == t

    fair = assign(s, capacity=cap, demand=dem, allowed=ok, objective="fair", solver="flow")
    check_assignment(fair, s, cap, dem, ok)
    count, total = ortools_optimum(s.astype(np.int64), cap, dem, ok & (s >= t))
    assert fair.n_matched == count == ortools_count(cap, dem, ok)
    assert fair.scores.min() == t
    assert fair.total == total

    # The next lower score value would change the answer: its best matching (max count, then
    # max total) uses a pair below t, so a threshold one step too low is caught above.
    lower = float(np.unique(s[ok])[np.unique(s[ok]) < t].max())
    worse = assign(s, capacity=cap, demand=dem, allowed=ok, min_score=lower, solver="flow")
    assert worse.n_matched == count and worse.scores.min() < t and worse.total > total


@pytest.mark.parametrize("seed", range(6))
def test_float_scores_threshold_is_one_of_the_scores_exactly(seed: int) -> None:
    rng = np.random.default_rng([seed, 22])
    n, m = 40, 9
    s = rng.normal(size=(n, m))
    cap = rng.integers(2, 6, m).astype(np.int64)
    dem = np.ones(n, np.int64)
    ok = rng.random((n, m)) < 0.5
    t = scan_threshold(s, cap, dem, ok)
    assert fair_threshold(validate(s, cap, dem, ok, "fair", None)) == t
    for solver in ("flow", "pricing", "hungarian"):
        fair = assign(s, capacity=cap, allowed=ok, objective="fair", solver=solver)
        assert fair.scores.min() == t, solver


def test_min_score_and_fair_together() -> None:
    s, cap, dem, ok = instance(3)
    full = ortools_count(cap, dem, ok)
    t = scan_threshold(s, cap, dem, ok)
    assert t is not None
    # a min_score below the threshold changes nothing; above it, the count drops and the
    # threshold is the one of the remaining pairs
    for ms in (t - 5.0, t + 5.0):
        okm = ok & (s >= ms)
        tm = scan_threshold(s, cap, dem, okm)
        assert tm is not None and tm >= ms
        fair = assign(s, cap, dem, ok, objective="fair", min_score=ms, solver="flow")
        assert fair.scores.min() == tm
        assert fair.n_matched == ortools_count(cap, dem, okm)
        assert (fair.n_matched == full) == (ms <= t)


class Rows:
    """A block source over an in-memory matrix."""

    def __init__(self, s: FloatArray) -> None:
        self._s = s

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self._s.shape[0]), int(self._s.shape[1]))

    def block(self, i0: int, i1: int) -> FloatArray:
        return self._s[i0:i1]


@pytest.mark.parametrize("seed", [0, 5])
def test_block_source_fair_equals_dense(seed: int) -> None:
    s, cap, dem, ok = instance(seed)
    dense = assign(s, cap, dem, ok, objective="fair", solver="flow")
    blocks = assign(Rows(s), cap, dem, ok, objective="fair")
    assert blocks.solver == "pricing"  # ties may be broken apart; the values may not
    assert (blocks.n_matched, blocks.total) == (dense.n_matched, dense.total)
    assert blocks.scores.min() == dense.scores.min() == scan_threshold(s, cap, dem, ok)


def test_huge_demand_and_capacity_are_clipped_not_overflowed() -> None:
    """Counts far above the node degrees (the largest allowed, MAX_COUNT) are clipped to the
    degrees before scipy's int32 max flow: the answer is that of the degrees."""
    s, _, _, ok = instance(7)
    n, m = s.shape
    big = MAX_COUNT
    t = fair_threshold(validate(s, np.full(m, big), np.full(n, big), ok, "fair", None))
    assert t == scan_threshold(s, np.full(m, n), np.full(n, m), ok)
    fair = assign(s, np.full(m, big), np.full(n, big), ok, objective="fair")
    assert fair.n_matched == int(ok.sum())  # every allowed pair fits
    assert fair.scores.min() == s[ok].min()


def test_single_value_and_single_pair() -> None:
    s = np.full((4, 3), 2.5)
    assert fair_threshold(validate(s, [1, 1, 1], None, None, "fair", None)) == 2.5
    one = np.zeros((3, 3), bool)
    one[2, 1] = True
    s = np.arange(9.0).reshape(3, 3)
    assert fair_threshold(validate(s, None, None, one, "fair", None)) == 7.0


def test_threshold_can_be_the_highest_score() -> None:
    s = np.array([[1.0, 5.0], [5.0, 1.0], [3.0, 2.0]])
    problem = validate(s, [1, 1], None, None, "fair", None)
    assert fair_threshold(problem) == 5.0  # both places can be filled with 5s


def test_nothing_above_min_score_is_not_an_error() -> None:
    s = np.array([[1.0, 2.0], [3.0, 4.0]])
    a = assign(s, min_score=10.0, objective="fair")
    assert a.n_matched == 0 and a.unmatched.tolist() == [1, 1]


class ReadRefused(Exception):
    pass


class Unread:
    """A block source that must not be read (it would be refused) or is read (accepted)."""

    def __init__(self, n: int, m: int) -> None:
        self.shape = (n, m)

    def block(self, i0: int, i1: int) -> FloatArray:
        raise ReadRefused


def test_block_source_limit_is_inclusive() -> None:
    from matchsvc.assignment._fair import FAIR_BLOCK_LIMIT
    from matchsvc.errors import InvalidInputError

    assert FAIR_BLOCK_LIMIT == 25_000_000
    with pytest.raises(ReadRefused):  # exactly at the limit: accepted, so it is read
        assign(Unread(5000, 5000), objective="fair")
    with pytest.raises(InvalidInputError) as err:
        assign(Unread(5001, 5000), objective="fair")
    assert str(err.value) == (
        "objective='fair' reads every pair into memory; 5001 x 5000 = 25,005,000 pairs from a "
        "block source is more than 25,000,000. Use objective='total', or raise min_score to the "
        "lowest score you accept"
    )
    assert err.value.field == "objective"
