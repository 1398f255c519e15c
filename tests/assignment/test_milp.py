"""The move-limited solver: exact under its side constraint, on brute-forced small instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from matchsvc.assignment import MoveLimitSolver, assign
from matchsvc.errors import InfeasibleError, InvalidInputError


def brute_force(
    s: np.ndarray, cap: np.ndarray, dem: np.ndarray, active: np.ndarray, max_moves: int
) -> tuple[int, float]:
    """(count, total) of the lexicographic optimum keeping all but max_moves active pairs."""
    cells = [(i, j) for i in range(s.shape[0]) for j in range(s.shape[1])]
    best = (-1, -np.inf)
    for pick in itertools.product([0, 1], repeat=len(cells)):
        chosen = [c for c, x in zip(cells, pick, strict=True) if x]
        rows = np.bincount([i for i, _ in chosen], minlength=s.shape[0])
        cols = np.bincount([j for _, j in chosen], minlength=s.shape[1])
        if (rows > dem).any() or (cols > cap).any():
            continue
        dropped = int(active.sum()) - sum(bool(active[c]) for c in chosen)
        if dropped > max_moves:
            continue
        value = (len(chosen), float(sum(s[c] for c in chosen)))
        best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    s = rng.integers(0, 5, (n, m)).astype(float)
    cap = rng.integers(0, 3, m)
    dem = rng.integers(0, 3, n)
    active = rng.random((n, m)) < 0.4
    max_moves = int(rng.integers(0, 2))
    expected = brute_force(s, cap, dem, active, max_moves)
    if expected[0] < 0:
        with pytest.raises(InfeasibleError):
            assign(s, cap, dem, solver=MoveLimitSolver(active, max_moves))
        return
    result = assign(s, cap, dem, solver=MoveLimitSolver(active, max_moves))
    assert (result.n_matched, result.total) == (expected[0], pytest.approx(expected[1]))
    assert result.solver == "milp" and result.optimal and result.certificate is None
    kept = int(active[result.pairs[:, 0], result.pairs[:, 1]].sum()) if result.n_matched else 0
    assert int(active.sum()) - kept <= max_moves
    assert result.stats["count"] == expected[0]


def test_the_limit_can_cost_total_but_never_breaks() -> None:
    s = np.array([[1.0, 5.0], [5.0, 1.0]])
    active = np.array([[True, False], [False, True]])
    free = assign(s)
    limited = assign(s, solver=MoveLimitSolver(active, 0))
    assert free.total == 10.0 and limited.total == 2.0
    assert limited.pairs.tolist() == [[0, 0], [1, 1]]


def test_an_impossible_limit_is_infeasible() -> None:
    s = np.ones((2, 1))
    active = np.array([[True], [True]])  # both active pairs need the one slot
    with pytest.raises(InfeasibleError, match="max_moves=0") as info:
        assign(s, capacity=1, solver=MoveLimitSolver(active, 0))
    assert info.value.field == "max_moves"


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match="max_moves is -1") as info:
        MoveLimitSolver(np.zeros((1, 1), bool), -1)
    assert info.value.field == "max_moves"
    with pytest.raises(InvalidInputError, match=r"shape \(2, 2\)") as info:
        assign(np.ones((2, 2)), solver=MoveLimitSolver(np.zeros((1, 2), bool), 0))
    assert info.value.field == "active"
