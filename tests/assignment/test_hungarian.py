"""The hungarian reference solver's own guard and its handling of forbidden pairs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import linear_sum_assignment

from matchsvc.assignment import assign


def test_guard_fires_when_the_count_is_not_maximal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The maximum-cardinality check is not decoration: a solution one pair short fails."""

    def one_short(cost: Any) -> tuple[Any, Any]:
        r, c = linear_sum_assignment(cost)
        return r[1:], c[1:]

    # the solver imports it when it runs (scipy.optimize is slow to import at start-up)
    monkeypatch.setattr(scipy.optimize, "linear_sum_assignment", one_short)
    s = np.arange(9.0).reshape(3, 3)
    ok = ~np.eye(3, dtype=bool)
    with pytest.raises(RuntimeError) as err:
        assign(s, allowed=ok, solver="hungarian")
    assert str(err.value) == "hungarian: matched count is not maximal (bound violated)"
    assign(s, solver="hungarian")  # everything allowed: the count is min(n, C) by LSAP itself


def test_forbidden_entries_are_never_worth_taking() -> None:
    """A forbidden pair's cost must beat any mix of allowed ones, even with a wide range."""
    s = np.array([[0.0, 100.0], [100.0, 1e-3]])
    ok = np.array([[True, True], [True, False]])
    a = assign(s, allowed=ok, solver="hungarian")
    assert a.pairs.tolist() == [[0, 1], [1, 0]] and a.total == 200.0
    b = assign(s, capacity=[1, 0], allowed=ok, solver="hungarian")
    assert b.pairs.tolist() == [[1, 0]]


def test_nothing_allowed_and_nothing_wanted() -> None:
    s = np.ones((3, 2))
    assert assign(s, allowed=np.zeros((3, 2), bool), solver="hungarian").n_matched == 0
    assert assign(s, demand=0, solver="hungarian").n_matched == 0
    assert assign(s, capacity=0, solver="hungarian").n_matched == 0
    a = assign(s, demand=[0, 1, 0], capacity=[0, 3], solver="hungarian")
    assert a.pairs.tolist() == [[1, 1]] and a.unmatched.tolist() == [0, 0, 0]
