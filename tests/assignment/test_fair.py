"""The fair objective's maximum-count probe against the SSP kernel's count."""

from __future__ import annotations

import numpy as np
import pytest

from matchsvc.assignment import assign
from matchsvc.assignment._fair import _max_count, fair_threshold
from matchsvc.assignment._flow import dense_graph
from matchsvc.assignment._network import solve_graph
from matchsvc.assignment._validate import validate
from matchsvc.errors import InvalidInputError


@pytest.mark.parametrize("seed", range(40))
def test_max_count_equals_the_flow_kernel_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 40)), int(rng.integers(1, 15))
    scores = rng.integers(0, 6, (n, m)).astype(np.float64)  # many ties between thresholds
    capacity = rng.integers(0, 5, m)
    demand = rng.integers(0, 4, n)
    allowed = rng.random((n, m)) < 0.7
    problem = validate(scores, capacity, demand, allowed, "fair", None)
    g = dense_graph(problem)
    for t in np.unique(np.concatenate([g.score, [-1.0]])):
        keep = g.score >= t
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(g.rows[keep], minlength=n), out=ptr[1:])
        sub = type(g)(n, m, ptr, g.col[keep], g.score[keep])
        expected = int(solve_graph(sub, problem.demand, problem.capacity).used.sum())
        assert _max_count(problem, g.rows[keep], g.col[keep]) == expected


def test_threshold_is_none_when_nothing_can_be_matched() -> None:
    problem = validate(np.ones((3, 2)), [0, 0], None, None, "fair", None)
    assert fair_threshold(problem) is None


def test_fair_refuses_a_block_source_too_large_to_hold() -> None:
    class Huge:
        shape = (10_000, 5_000)

        def block(self, i0: int, i1: int) -> np.ndarray:  # never reached
            raise AssertionError("read")

    with pytest.raises(InvalidInputError, match="objective='total'") as err:
        assign(Huge(), capacity=2, objective="fair")
    assert err.value.field == "objective"
