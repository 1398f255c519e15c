"""Conformance over the registry, validation branches, empties, fair, determinism, blocks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchsvc.assignment import SolverName, assign, verify_certificate
from matchsvc.assignment._random import RandomSolver
from matchsvc.errors import InvalidInputError
from tests.assignment.helpers import brute_force, check_assignment, random_instance

ALL = [s.value for s in SolverName]
ORLIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "orlib"
OPTIMA = {100: 305, 200: 475, 300: 626, 400: 804, 500: 991, 600: 1176, 700: 1362, 800: 1552}


@pytest.mark.parametrize("solver", ALL)
def test_conformance_every_solver(solver: str) -> None:
    rng = np.random.default_rng(3)
    for kind in ["tight", "spare", "forbidden", "empty_rows", "ties"]:
        s, cap, _, ok = random_instance(rng, kind)
        a = assign(s, capacity=cap, allowed=ok, solver=solver)
        check_assignment(a, s, cap, None, ok)
        assert a.solver == (solver if solver != "auto" else "flow")
        assert a.optimal == (solver in {"auto", "flow", "pricing", "hungarian"})


def test_baselines_never_beat_exact() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        s, cap, _, ok = random_instance(rng, "forbidden")
        best = assign(s, capacity=cap, allowed=ok, solver="flow")
        for name in ["greedy", "stable", "random"]:
            a = assign(s, capacity=cap, allowed=ok, solver=name)
            assert (a.n_matched, a.total) <= (best.n_matched, best.total)


def test_random_seed_is_explicit() -> None:
    s = np.random.default_rng(0).random((30, 10))
    a = assign(s, capacity=3, solver=RandomSolver(seed=1))
    b = assign(s, capacity=3, solver=RandomSolver(seed=1))
    np.testing.assert_array_equal(a.pairs, b.pairs)


@pytest.mark.parametrize(
    ("kwargs", "field", "match"),
    [
        ({"scores": np.zeros(3)}, "scores", r"scores must be 2-D .* got 1-D"),
        ({"scores": [["a"]]}, "scores", r"scores must be real numbers"),
        ({"capacity": [1, 1, 1]}, "capacity", r"capacity has 3 entries but scores has 4 mentor"),
        ({"capacity": np.ones((4, 1))}, "capacity", r"capacity must be 1-D"),
        ({"demand": [1, 1]}, "demand", r"demand has 2 entries but scores has 3 mentee rows"),
        ({"allowed": np.ones((3, 3), bool)}, "allowed", r"allowed has shape \(3, 3\)"),
        ({"allowed": np.ones((3, 4))}, "allowed", r"allowed must be a bool array"),
        ({"capacity": [1, -1, 1, 1]}, "capacity", r"capacity\[1\] = -1 is negative"),
        ({"demand": [1, 1, -2]}, "demand", r"demand\[2\] = -2 is negative"),
        ({"capacity": [1, 1.5, 1, 1]}, "capacity", r"capacity\[1\] = 1.5 is not an integer"),
        ({"objective": "max"}, "objective", r"unknown objective 'max'; use one of"),
        ({"solver": "lapjv"}, "solver", r"unknown solver 'lapjv'; valid names: 'auto', 'flow'"),
        ({"min_score": float("nan")}, "min_score", r"min_score must be a finite number"),
        ({"demand": [2, 1, 1], "solver": "hungarian"}, "demand", r"use solver='flow'"),
        ({"demand": [2, 1, 1], "solver": "stable"}, "demand", r"not supported by solver='stable'"),
    ],
)
def test_validation(kwargs: dict[str, object], field: str, match: str) -> None:
    args: dict[str, object] = {"scores": np.zeros((3, 4))} | kwargs
    with pytest.raises(InvalidInputError, match=match) as err:
        assign(**args)  # type: ignore[arg-type]
    assert err.value.field == field


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_validation_non_finite(bad: float) -> None:
    s = np.zeros((3, 6))
    s[2, 5] = bad
    with pytest.raises(InvalidInputError, match=r"at \(2, 5\); use allowed=False") as err:
        assign(s)
    assert err.value.field == "scores"


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (4, 0)])
@pytest.mark.parametrize("solver", ALL)
def test_empty(shape: tuple[int, int], solver: str) -> None:
    a = assign(np.zeros(shape), solver=solver)
    assert a.pairs.shape == (0, 2) and a.total == 0.0
    np.testing.assert_array_equal(a.unmatched, np.ones(shape[0], np.int64))
    np.testing.assert_array_equal(a.loads, np.zeros(shape[1], np.int64))


def test_float32_input_is_used_as_float64() -> None:
    s = np.random.default_rng(1).random((20, 5)).astype(np.float32)
    a = assign(s, capacity=4)
    b = assign(s.astype(np.float64), capacity=4)
    np.testing.assert_array_equal(a.pairs, b.pairs)
    assert a.scores.dtype == np.float64 and a.total == b.total


def test_min_score_forbids() -> None:
    s = np.array([[0.9, 0.1], [0.8, 0.2]])
    a = assign(s, min_score=0.5)
    assert a.pairs.tolist() == [[0, 0]] and a.unmatched.tolist() == [0, 1]


@pytest.mark.parametrize("solver", ["flow", "pricing", "hungarian"])
def test_fair_against_brute_force(solver: str) -> None:
    rng = np.random.default_rng(5)
    for _ in range(25):
        n, m = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s = rng.integers(0, 6, size=(n, m)).astype(np.float64)
        cap = rng.integers(0, 3, size=m)
        ok = rng.random((n, m)) < 0.8
        fair = assign(s, capacity=cap, allowed=ok, objective="fair", solver=solver)
        total = assign(s, capacity=cap, allowed=ok, solver=solver)
        check_assignment(fair, s, cap, None, ok)
        count, low, best_total = brute_force(s, cap, np.ones(n), ok, fair=True)
        assert fair.n_matched == total.n_matched == count
        if count:
            assert fair.scores.min() == low >= total.scores.min()
            assert fair.total == best_total
        assert fair.objective == "fair"


def test_deterministic_identical_arrays() -> None:
    rng = np.random.default_rng(9)
    s = rng.integers(0, 3, size=(60, 12)).astype(np.float64)
    for solver in ALL:
        a = assign(s, capacity=5, solver=solver)
        b = assign(s.copy(), capacity=5, solver=solver)
        for f in ("pairs", "scores", "unmatched", "loads"):
            assert getattr(a, f).tobytes() == getattr(b, f).tobytes()


class Blocks:
    """A streamed score source: rows ``i0:i1`` on demand."""

    def __init__(self, s: np.ndarray) -> None:  # type: ignore[type-arg]
        self._s = s
        self.calls = 0

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self._s.shape[0]), int(self._s.shape[1]))

    def block(self, i0: int, i1: int) -> np.ndarray:  # type: ignore[type-arg]
        self.calls += 1
        return self._s[i0:i1].astype(np.float32)


def test_block_source_matches_dense() -> None:
    rng = np.random.default_rng(2)
    s = rng.random((300, 40)).astype(np.float32)
    src = Blocks(s)
    a = assign(src, capacity=8, solver="pricing")
    b = assign(s, capacity=8, solver="flow")
    assert src.calls > 0 and a.solver == "pricing"
    assert (a.n_matched, a.total) == (b.n_matched, pytest.approx(b.total, abs=1e-9))
    assert verify_certificate(a, src, capacity=8).valid


def test_block_source_nan_is_reported() -> None:
    s = np.zeros((5, 3))
    s[4, 1] = np.nan
    with pytest.raises(InvalidInputError, match=r"at \(4, 1\)"):
        assign(Blocks(s), solver="pricing")


def test_wrong_certificate_is_rejected() -> None:
    rng = np.random.default_rng(4)
    s = rng.random((40, 10))
    a = assign(s, capacity=4, solver="flow")
    assert a.certificate is not None
    assert verify_certificate(a, s, capacity=4).valid
    cert = a.certificate
    bad_prices = dataclasses.replace(
        cert, mentor_potential=cert.mentor_potential + 0.5 * (np.arange(10) % 2)
    )
    report = verify_certificate(a, s, capacity=4, certificate=bad_prices)
    assert not report.valid and any("reduced cost" in r for r in report.reasons)
    # A suboptimal assignment with the old certificate must fail too.
    worse = dataclasses.replace(a, pairs=a.pairs[:-1], scores=a.scores[:-1])
    assert not verify_certificate(worse, s, capacity=4).valid


@pytest.mark.parametrize(
    "size",
    [
        100,
        200,
        pytest.param(400, marks=pytest.mark.slow),
        pytest.param(800, marks=pytest.mark.slow),
    ],
)
@pytest.mark.parametrize("solver", ["flow", "pricing", "hungarian"])
def test_orlib(size: int, solver: str) -> None:
    path = ORLIB / f"assign{size}.txt"
    if not path.exists():
        pytest.skip(f"OR-Library data not found at {ORLIB} (expected shared/ beside the repo)")
    vals = np.array(path.read_text().split(), dtype=np.int64)
    n = int(vals[0])
    cost = vals[1 : 1 + n * n].reshape(n, n)
    a = assign(-cost.astype(np.float64), solver=solver)
    assert a.n_matched == n and -a.total == OPTIMA[size]


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    n=st.integers(0, 7),
    m=st.integers(0, 6),
    seed=st.integers(0, 2**16),
    spare=st.integers(0, 3),
)
def test_property_flow_pricing_agree(n: int, m: int, seed: int, spare: int) -> None:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=(n, m))
    cap = rng.integers(0, 2 + spare, size=m)
    dem = rng.integers(0, 3, size=n)
    ok = rng.random((n, m)) < 0.75
    a = assign(s, capacity=cap, demand=dem, allowed=ok, solver="flow")
    b = assign(s, capacity=cap, demand=dem, allowed=ok, solver="pricing")
    check_assignment(a, s, cap, dem, ok)
    assert a.n_matched == b.n_matched
    assert a.total == pytest.approx(b.total, abs=1e-9)
    if n and m:
        assert verify_certificate(a, s, cap, dem, ok).valid
