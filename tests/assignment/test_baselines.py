"""The baseline solvers against plain-Python references of their documented rules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from matchsvc.assignment import assign
from matchsvc.assignment._random import RandomSolver
from matchsvc.errors import InvalidInputError
from tests.assignment.helpers import check_assignment

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def instance(seed: int, demand_max: int = 1) -> tuple[FloatArray, IntArray, IntArray, BoolArray]:
    """Integer scores 0-5 (many ties), capacities 0-3, demands 0..demand_max, ~30% forbidden."""
    rng = np.random.default_rng([seed, 33])
    n, m = int(rng.integers(1, 25)), int(rng.integers(1, 9))
    s = rng.integers(0, 6, (n, m)).astype(np.float64)
    cap = rng.integers(0, 4, m).astype(np.int64)
    dem = rng.integers(0, demand_max + 1, n).astype(np.int64)
    ok = rng.random((n, m)) < 0.7
    return s, cap, dem, ok


def greedy_reference(s: FloatArray, cap: IntArray, dem: IntArray, ok: BoolArray) -> list[list[int]]:
    """Highest score first, ties by smaller mentee then smaller mentor; take while both have
    room."""
    cells = sorted(zip(*np.nonzero(ok), strict=True), key=lambda c: (-s[c], c[0], c[1]))
    left_d, left_c = dem.copy(), cap.copy()
    taken = []
    for i, j in cells:
        if left_d[i] > 0 and left_c[j] > 0:
            left_d[i] -= 1
            left_c[j] -= 1
            taken.append([int(i), int(j)])
    return sorted(taken)


def stable_reference(s: FloatArray, cap: IntArray, dem: IntArray, ok: BoolArray) -> list[list[int]]:
    """Mentee-proposing deferred acceptance, written out: mentees propose in order of score
    (ties: smaller mentor), a full mentor keeps its best (higher score, then smaller mentee)."""
    n, _ = s.shape
    prefs = {
        i: sorted(np.flatnonzero(ok[i]).tolist(), key=lambda j: (-s[i, j], j))
        for i in range(n)
        if dem[i] > 0
    }
    held: dict[int, list[int]] = {j: [] for j in range(s.shape[1])}
    free = sorted(prefs)
    while free:
        i = free.pop(0)
        while prefs[i]:
            j = prefs[i].pop(0)
            if cap[j] == 0:
                continue
            held[j].append(i)
            held[j].sort(key=lambda h: (-s[h, j], h))
            if len(held[j]) <= cap[j]:
                break
            out = held[j].pop()
            if out != i:
                free.insert(0, out)
                break
    return sorted([i, j] for j, hs in held.items() for i in hs)


def blocking_pairs(
    pairs: IntArray, s: FloatArray, cap: IntArray, dem: IntArray, ok: BoolArray
) -> list[tuple[int, int]]:
    """Allowed (i, j) that both prefer to what they have (the documented tie rules)."""
    n, m = s.shape
    mine = {int(i): int(j) for i, j in pairs}
    holders: dict[int, list[int]] = {j: [] for j in range(m)}
    for i, j in pairs:
        holders[int(j)].append(int(i))
    out = []
    for i in range(n):
        if dem[i] == 0:
            continue
        for j in np.flatnonzero(ok[i]):
            if mine.get(i) == j or cap[j] == 0:
                continue
            cur = mine.get(i)
            mentee_wants = cur is None or (-s[i, j], j) < (-s[i, cur], cur)
            mentor_wants = len(holders[j]) < cap[j] or any(
                (-s[i, j], i) < (-s[h, j], h) for h in holders[j]
            )
            if mentee_wants and mentor_wants:
                out.append((i, int(j)))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_greedy_follows_its_documented_order(seed: int) -> None:
    s, cap, dem, ok = instance(seed, demand_max=3)
    a = assign(s, cap, dem, ok, solver="greedy")
    check_assignment(a, s, cap, dem, ok)
    assert a.pairs.tolist() == greedy_reference(s, cap, dem, ok)
    assert not a.optimal and a.solver == "greedy"


@pytest.mark.parametrize("seed", range(30))
def test_stable_is_the_mentee_optimal_stable_matching(seed: int) -> None:
    s, cap, dem, ok = instance(seed, demand_max=1)
    a = assign(s, cap, dem, ok, solver="stable")
    check_assignment(a, s, cap, dem, ok)
    assert blocking_pairs(a.pairs, s, cap, dem, ok) == []
    assert a.pairs.tolist() == stable_reference(s, cap, dem, ok)
    assert not a.optimal and a.solver == "stable"


def test_stable_mentee_zero_is_matched_and_demand_zero_is_not() -> None:
    s = np.array([[3.0, 1.0], [2.0, 5.0], [9.0, 9.0]])
    a = assign(s, capacity=[1, 1], demand=[1, 1, 0], solver="stable")
    # mentee 2 (demand 0) would win both mentors; it asks for none
    assert a.pairs.tolist() == [[0, 0], [1, 1]]
    assert a.unmatched.tolist() == [0, 0, 0]


def test_stable_prefers_the_higher_score_not_the_lower() -> None:
    s = np.array([[1.0, 4.0], [1.0, 2.0]])
    a = assign(s, capacity=[1, 1], solver="stable")
    assert a.pairs.tolist() == [[0, 1], [1, 0]]  # mentee 0 gets its best mentor, 1


def test_stable_rejects_demand_above_one() -> None:
    with pytest.raises(InvalidInputError) as err:
        assign(np.ones((3, 2)), demand=[1, 2, 1], solver="stable")
    assert str(err.value).startswith("demand[1] = 2 > 1 is not supported by solver='stable'; ")
    assert "use solver='greedy' or an exact solver" in str(err.value)
    assert err.value.field == "demand"


def test_greedy_takes_the_highest_score_first() -> None:
    s = np.array([[1.0, 2.0], [3.0, 1.5]])
    a = assign(s, capacity=[1, 1], solver="greedy")
    assert a.pairs.tolist() == [[0, 1], [1, 0]]
    b = assign(s, capacity=[1, 0], solver="greedy")
    assert b.pairs.tolist() == [[1, 0]]


def maximal(pairs: IntArray, cap: IntArray, dem: IntArray, ok: BoolArray) -> bool:
    """No allowed, unused pair has room on both sides."""
    got_d = np.bincount(pairs[:, 0], minlength=ok.shape[0])
    got_c = np.bincount(pairs[:, 1], minlength=ok.shape[1])
    used = np.zeros(ok.shape, bool)
    used[pairs[:, 0], pairs[:, 1]] = True
    room = (got_d < dem)[:, None] & (got_c < cap)[None, :]
    return not (ok & ~used & room).any()


@pytest.mark.parametrize("seed", range(20))
def test_random_is_maximal_and_seeded(seed: int) -> None:
    s, cap, dem, ok = instance(seed, demand_max=2)
    a = assign(s, cap, dem, ok, solver="random")
    check_assignment(a, s, cap, dem, ok)
    assert maximal(a.pairs, cap, dem, ok)
    b = assign(s, cap, dem, ok, solver=RandomSolver(seed=0))
    assert a.pairs.tolist() == b.pairs.tolist()  # the name means seed 0
    assert not a.optimal and a.solver == "random"


def test_random_default_seed_is_zero() -> None:
    assert RandomSolver().seed == 0
    s = np.random.default_rng(0).random((40, 10))
    a = assign(s, capacity=2, solver=RandomSolver())
    b = assign(s, capacity=2, solver=RandomSolver(seed=1))
    assert a.pairs.tolist() != b.pairs.tolist()
