"""The whole text of every error the assignment core raises: it names the value and the fix.

``pytest.raises(match=...)`` searches, so a message with text added around it still passes;
these tests compare the complete message (and the ``field``) instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from matchsvc.assignment import assign, verify_certificate
from matchsvc.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]

Z = np.zeros((3, 4))

CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"scores": np.zeros(3)}, "scores",
     "scores must be 2-D (n_mentees x n_mentors), got 1-D shape (3,)"),
    ({"scores": np.zeros((2, 2, 2))}, "scores",
     "scores must be 2-D (n_mentees x n_mentors), got 3-D shape (2, 2, 2)"),
    ({"scores": [["a"]]}, "scores", "scores must be real numbers, got dtype <U1"),
    ({"scores": np.zeros((2, 2), bool)}, "scores", "scores must be real numbers, got dtype bool"),
    ({"scores": np.zeros((2, 2), complex)}, "scores",
     "scores must be real numbers, got dtype complex128"),
    ({"scores": np.array([[0.0, 1.0], [2.0, np.nan]])}, "scores",
     "scores contains nan at (1, 1); use allowed=False to forbid a pair"),
    ({"capacity": [1, 1, 1]}, "capacity", "capacity has 3 entries but scores has 4 mentor columns"),
    ({"demand": [1, 1]}, "demand", "demand has 2 entries but scores has 3 mentee rows"),
    ({"capacity": np.ones((4, 1))}, "capacity",
     "capacity must be 1-D (one entry per mentor), got shape (4, 1)"),
    ({"demand": np.ones((3, 1))}, "demand",
     "demand must be 1-D (one entry per mentee), got shape (3, 1)"),
    ({"capacity": [True] * 4}, "capacity", "capacity must contain integers, got dtype bool"),
    ({"capacity": ["a"] * 4}, "capacity", "capacity must contain integers, got dtype <U1"),
    ({"capacity": np.ones(4, complex)}, "capacity",
     "capacity must contain integers, got complex values"),
    ({"capacity": [1, 1.5, 1, 1]}, "capacity",
     "capacity[1] = 1.5 is not an integer; capacity counts people"),
    ({"demand": [1, 1, np.inf]}, "demand", "demand[2] = inf is not an integer; demand counts people"),
    ({"capacity": np.array([1, 1, 2.5, 1], np.float32)}, "capacity",
     "capacity[2] = 2.5 is not an integer; capacity counts people"),
    ({"capacity": [1, -1, 1, 1]}, "capacity",
     "capacity[1] = -1 is negative; use 0 for a mentor that takes no one"),
    ({"capacity": [1, 0, -1, 1]}, "capacity",
     "capacity[2] = -1 is negative; use 0 for a mentor that takes no one"),
    ({"demand": [1, 1, -2]}, "demand",
     "demand[2] = -2 is negative; use 0 for a mentee that takes no one"),
    ({"allowed": np.ones((3, 4))}, "allowed",
     "allowed must be a bool array, got dtype float64; pass e.g. np.asarray(allowed, dtype=bool)"),
    ({"allowed": np.ones((3, 3), bool)}, "allowed",
     "allowed has shape (3, 3) but scores has shape (3, 4)"),
    ({"min_score": float("nan")}, "min_score", "min_score must be a finite number in [-1e+09, 1e+09] or None, got nan"),
    ({"min_score": "1"}, "min_score", "min_score must be a finite number in [-1e+09, 1e+09] or None, got '1'"),
    ({"objective": "max"}, "objective", "unknown objective 'max'; use one of 'total', 'fair'"),
    ({"solver": "lapjv"}, "solver",
     "unknown solver 'lapjv'; valid names: 'auto', 'flow', 'pricing', 'hungarian', 'greedy', "
     "'stable', 'random'"),
    ({"demand": [1, 2, 1], "solver": "hungarian"}, "demand",
     "demand[1] = 2 > 1 is not supported by solver='hungarian'; use solver='flow'"),
    ({"demand": [1, 1, 2], "solver": "stable"}, "demand",
     "demand[2] = 2 > 1 is not supported by solver='stable'; use solver='greedy' or an exact "
     "solver"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "field", "message"), CASES)
def test_validation_message(kwargs: dict[str, Any], field: str, message: str) -> None:
    args: dict[str, Any] = {"scores": Z} | kwargs
    with pytest.raises(InvalidInputError) as err:
        assign(**args)
    assert str(err.value) == message
    assert err.value.field == field


class Source:
    """A block source that can misreport its shape or return wrong blocks."""

    def __init__(self, s: FloatArray, shape: Any = None, cut_from: int | None = None) -> None:
        self._s = s
        self._shape = s.shape if shape is None else shape
        self.cut_from = cut_from

    @property
    def shape(self) -> Any:
        return self._shape

    def block(self, i0: int, i1: int) -> FloatArray:
        b = self._s[i0:i1]
        return b[:, :-1] if self.cut_from is not None and i0 >= self.cut_from else b


@pytest.mark.parametrize("shape", [(5,), (5, -1), (-2, 3)])
def test_block_source_shape_is_checked(shape: tuple[int, ...]) -> None:
    with pytest.raises(InvalidInputError) as err:
        assign(Source(np.zeros((5, 3)), shape=shape))
    assert str(err.value) == f"scores.shape must be (n_mentees, n_mentors), got {shape}"
    assert err.value.field == "scores"


@pytest.mark.parametrize("solver", ["pricing", "flow"])
def test_block_of_the_wrong_shape(solver: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        assign(Source(np.zeros((5, 3)), cut_from=0), solver=solver)
    assert str(err.value) == "scores.block(0, 5) returned shape (5, 2), expected (5, 3)"
    assert err.value.field == "scores"


@pytest.mark.parametrize("solver", ["pricing", "flow"])
def test_non_finite_score_in_a_block(solver: str) -> None:
    s = np.zeros((5, 3))
    s[4, 1] = -np.inf
    with pytest.raises(InvalidInputError) as err:
        assign(Source(s), solver=solver)
    assert str(err.value) == "scores contains -inf at (4, 1); use allowed=False to forbid a pair"
    assert err.value.field == "scores"


def test_pricing_reports_the_row_of_a_later_block() -> None:
    """4,096 mentors: the pricing solver reads 1,024 rows at a time."""
    s = np.zeros((1100, 4096), dtype=np.float32)
    s[1050, 7] = np.nan
    with pytest.raises(InvalidInputError) as err:
        assign(Source(s), capacity=1, solver="pricing")
    assert str(err.value) == "scores contains nan at (1050, 7); use allowed=False to forbid a pair"
    with pytest.raises(InvalidInputError) as err:
        assign(Source(np.zeros((1100, 4096), np.float32), cut_from=1024), solver="pricing")
    assert (
        str(err.value) == "scores.block(1024, 1100) returned shape (76, 4095), expected (76, 4096)"
    )


def test_certificate_check_reports_the_row_of_a_later_block() -> None:
    """verify_certificate reads 2,048 rows at a time through the same checks."""
    s = np.random.default_rng(0).random((2100, 3))
    a = assign(s, capacity=700)
    bad = s.copy()
    bad[2050, 1] = np.nan
    with pytest.raises(InvalidInputError) as err:
        verify_certificate(a, Source(bad), capacity=700)
    assert str(err.value) == "scores contains nan at (2050, 1); use allowed=False to forbid a pair"
    with pytest.raises(InvalidInputError) as err:
        verify_certificate(a, Source(s, cut_from=2048), capacity=700)
    assert str(err.value) == "scores.block(2048, 2100) returned shape (52, 2), expected (52, 3)"


def test_integer_blocks_are_read_as_float() -> None:
    s = np.arange(15).reshape(5, 3)
    for solver in ("pricing", "flow"):
        a = assign(Source(s), solver=solver)
        assert a.pairs.tolist() == [[2, 2], [3, 1], [4, 0]]
        assert a.scores.dtype == np.float64 and a.scores.tolist() == [8.0, 10.0, 12.0]
