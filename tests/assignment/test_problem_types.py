"""The validated problem, the auto rule, and the assembly of an Assignment from a block source."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from matchsvc.assignment import assign
from matchsvc.assignment._registry import AUTO_DENSE_LIMIT
from matchsvc.assignment._types import Problem
from matchsvc.assignment._validate import validate

FloatArray = npt.NDArray[np.float64]


class Rows:
    """A block source over an in-memory matrix; records the blocks read."""

    def __init__(self, s: npt.NDArray[np.floating]) -> None:
        self._s = s
        self.calls: list[tuple[int, int]] = []

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self._s.shape[0]), int(self._s.shape[1]))

    def block(self, i0: int, i1: int) -> npt.NDArray[np.floating]:
        self.calls.append((i0, i1))
        return self._s[i0:i1]


def test_with_min_score_keeps_the_stricter_bound() -> None:
    s = np.arange(12.0).reshape(3, 4)
    p = validate(s, None, None, None, "total", None)
    assert p.with_min_score(5.0).min_score == 5.0
    q = validate(s, None, None, None, "total", 7.0)
    assert q.with_min_score(5.0).min_score == 7.0
    assert q.with_min_score(9.0).min_score == 9.0
    r = q.with_min_score(9.0)
    assert r.scores is q.scores and r.capacity is q.capacity and r.demand is q.demand


def test_block_applies_allowed_and_min_score() -> None:
    s = np.arange(12.0).reshape(3, 4)
    ok = np.ones((3, 4), bool)
    ok[1, 3] = False
    p = validate(s, None, None, ok, "total", 4.0)
    got, mask = p.block(1, 3)
    np.testing.assert_array_equal(got, s[1:3])
    assert mask.tolist() == [[True, True, True, False], [True, True, True, True]]
    assert ok[1, 3] == False  # noqa: E712 - the caller's mask is not modified
    _, all_mask = p.dense()
    assert all_mask.sum() == 7
    free = validate(s, None, None, None, "total", None)
    assert free.block(0, 2)[1].all() and free.block(0, 2)[1].shape == (2, 4)


def test_block_source_blocks_are_float64() -> None:
    s = np.arange(12, dtype=np.float32).reshape(3, 4)
    p = validate(Rows(s), None, None, None, "total", None)
    got, _ = p.block(0, 3)
    assert got.dtype == np.float64 and got.flags.c_contiguous
    assert not p.is_dense and validate(s, None, None, None, "total", None).is_dense
    assert p.shape == (3, 4)


@pytest.mark.parametrize("solver", ["flow", "greedy", "stable", "random"])
def test_block_source_pair_scores_are_read_in_blocks(solver: str) -> None:
    """Solvers that return no scores: the pair scores are read 1,024 rows at a time."""
    rng = np.random.default_rng(1)
    s = rng.random((2100, 3)).astype(np.float32)
    src = Rows(s)
    a = assign(src, capacity=700, solver=solver)
    np.testing.assert_array_equal(a.scores, s[a.pairs[:, 0], a.pairs[:, 1]].astype(np.float64))
    assert a.total == float(a.scores.sum())
    assert a.n_matched == 2100
    assert src.calls[-3:] == [(0, 1024), (1024, 2048), (2048, 2100)]


def test_pair_scores_skip_blocks_without_pairs() -> None:
    s = np.zeros((2100, 2))
    ok = np.zeros((2100, 2), bool)
    ok[2050, 1] = ok[5, 0] = True
    src = Rows(s + np.arange(2100)[:, None])
    a = assign(src, allowed=ok, solver="flow")
    assert a.pairs.tolist() == [[5, 0], [2050, 1]] and a.scores.tolist() == [5.0, 2050.0]
    assert src.calls[-2:] == [(0, 1024), (2048, 2100)]  # rows 1024-2047 hold no pair


def test_assignment_fields() -> None:
    s = np.array([[3.0, 1.0], [2.0, 5.0], [4.0, 0.0]])
    a = assign(s, capacity=[1, 2], demand=[1, 1, 2])
    assert a.pairs.tolist() == [[0, 1], [1, 1], [2, 0]]
    assert a.scores.tolist() == [1.0, 5.0, 4.0] and a.total == 10.0
    assert a.unmatched.tolist() == [0, 0, 1] and a.loads.tolist() == [1, 2]
    assert a.n_matched == 3 and a.objective == "total" and a.solver == "flow" and a.optimal
    fair = assign(s, capacity=[1, 2], demand=[1, 1, 2], objective="fair")
    assert fair.objective == "fair" and fair.pairs.tolist() == a.pairs.tolist()


@pytest.mark.parametrize(
    ("shape", "block", "expected"),
    [
        ((500, 500), False, "flow"),
        ((501, 500), False, "pricing"),
        ((20, 10), True, "pricing"),
    ],
)
def test_auto_rule(shape: tuple[int, int], block: bool, expected: str) -> None:
    assert AUTO_DENSE_LIMIT == 250_000
    s = np.random.default_rng(0).random(shape)
    a = assign(Rows(s) if block else s, capacity=2)
    assert a.solver == expected and a.optimal


def test_a_solver_object_is_used_as_given() -> None:
    class Everyone:
        name = "everyone"
        exact = False

        def solve(self, problem: Problem) -> object:
            from matchsvc.assignment._types import SolverResult

            n, m = problem.shape
            pairs = np.array([[i, i % m] for i in range(n)], dtype=np.int64)
            return SolverResult(pairs=pairs, optimal=False)

    a = assign(np.zeros((3, 2)), capacity=2, solver=Everyone())  # type: ignore[arg-type]
    assert a.solver == "everyone" and a.pairs.tolist() == [[0, 0], [1, 1], [2, 0]]
    assert not a.optimal


def test_pairs_of_a_solver_object_come_back_as_int64() -> None:
    from matchsvc.assignment._types import SolverResult

    class Narrow:
        name = "narrow"
        exact = False

        def solve(self, problem: Problem) -> SolverResult:
            return SolverResult(pairs=np.array([[1, 0], [0, 1]], dtype=np.int32), optimal=False)

    a = assign(np.zeros((2, 2)), solver=Narrow())  # type: ignore[arg-type]
    assert a.pairs.dtype == np.int64 and a.pairs.tolist() == [[0, 1], [1, 0]]
    assert a.loads.dtype == np.int64 and a.unmatched.dtype == np.int64


def test_pricing_reads_no_extra_pass_for_the_pair_scores() -> None:
    """The pricing solver hands back the scores of its pairs: a block source is read only by
    its passes (SolverResult.scores saves one more pass)."""
    from matchsvc.assignment._pricing import PricingSolver

    src = Rows(np.random.default_rng(2).random((60, 7)))
    solver = PricingSolver()
    a = assign(src, capacity=9, solver=solver)
    assert len(src.calls) == a.stats["passes"]  # one block per pass
    np.testing.assert_array_equal(a.scores, src._s[a.pairs[:, 0], a.pairs[:, 1]])


@pytest.mark.parametrize("shape", [(0, 3), (4, 0)])
@pytest.mark.parametrize(
    ("solver", "exact"),
    [("flow", True), ("pricing", True), ("hungarian", True), ("greedy", False), ("random", False)],
)
def test_empty_problem_is_optimal_exactly_for_exact_solvers(
    shape: tuple[int, int], solver: str, exact: bool
) -> None:
    a = assign(np.zeros(shape), solver=solver)
    assert a.optimal is exact and a.certificate is None and a.pairs.dtype == np.int64


def test_warm_start_of_the_wrong_type_is_named() -> None:
    from matchsvc.errors import InvalidInputError

    with pytest.raises(InvalidInputError) as err:
        assign(np.zeros((2, 2)), warm_start=np.zeros((1, 2)))  # type: ignore[arg-type]
    assert str(err.value) == "warm_start must be an Assignment returned by assign(); got ndarray"
    assert err.value.field == "warm_start"
    first = assign(np.zeros((2, 2)), solver="flow")
    with pytest.raises(InvalidInputError) as err:
        assign(np.zeros((2, 2)), solver="greedy", warm_start=first)
    assert str(err.value) == (
        "warm_start is used by the 'pricing' solver; pass solver='pricing' or 'auto' (got 'greedy')"
    )


@pytest.mark.parametrize("shape", [(0, 3), (5, 0), (0, 0)])
def test_an_empty_block_source_is_valid(shape: tuple[int, int]) -> None:
    a = assign(Rows(np.zeros(shape)), solver="pricing")
    assert a.n_matched == 0 and a.unmatched.tolist() == [1] * shape[0]
    assert a.loads.tolist() == [0] * shape[1]
