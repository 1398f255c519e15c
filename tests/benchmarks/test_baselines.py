"""The reference solvers agree with brute force on tiny instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from benchmarks.baselines import flow_all_arcs, scipy_repeated_columns, total_score


def brute_force(
    scores: np.ndarray, capacity: np.ndarray, allowed: np.ndarray, cardinality: bool
) -> float:
    """Best (count, total) or total over every choice of one mentor or none per mentee."""
    n, m = scores.shape
    best: tuple[float, float] = (-1.0, -np.inf)
    for choice in itertools.product(range(-1, m), repeat=n):
        load = np.bincount([c for c in choice if c >= 0], minlength=m)
        if (load > capacity).any() or any(
            c >= 0 and not allowed[i, c] for i, c in enumerate(choice)
        ):
            continue
        total = sum(scores[i, c] for i, c in enumerate(choice) if c >= 0)
        count = sum(c >= 0 for c in choice)
        key = (float(count), total) if cardinality else (0.0, total)
        best = max(best, key)
    return best[1]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["max_weight", "max_cardinality"])
def test_baselines_match_brute_force(seed: int, mode: str) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.3, 0.5, size=(5, 3))
    capacity = rng.integers(1, 3, size=3)
    allowed = rng.random((5, 3)) > 0.2
    expected = brute_force(scores, capacity, allowed, mode == "max_cardinality")
    a = scipy_repeated_columns(scores, capacity, allowed=allowed, mode=mode)  # type: ignore[arg-type]
    b = flow_all_arcs(scores, capacity, allowed=allowed, mode=mode)  # type: ignore[arg-type]
    assert total_score(scores, a) == pytest.approx(expected, abs=1e-9)
    assert total_score(scores, b) == pytest.approx(expected, abs=1e-5)  # costs rounded to 1e-6
    for pairs in (a, b):
        assert allowed[pairs[:, 0], pairs[:, 1]].all()
        assert (np.bincount(pairs[:, 1], minlength=3) <= capacity).all()
        assert len(np.unique(pairs[:, 0])) == len(pairs)


def test_flow_respects_demand_above_one() -> None:
    scores = np.array([[0.9, 0.8, 0.1], [0.7, 0.2, 0.3]])
    pairs = flow_all_arcs(scores, np.array([1, 1, 1]), np.array([2, 1]))
    np.testing.assert_array_equal(pairs, [[0, 0], [0, 1], [1, 2]])
