"""The pricing solver on instances larger than its candidate lists: rounds, warm starts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matchsvc.assignment import assign, verify_certificate
from matchsvc.assignment._pricing import PricingSolver
from matchsvc.errors import InvalidInputError
from tests.assignment.helpers import check_assignment, ortools_optimum

KINDS = ["tight", "spare", "short", "forbidden", "demand", "min_score"]


def _instance(seed: int, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """Clustered integer scores (ties) with shapes that force cut and pricing rounds."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    n, m = int(rng.integers(40, 120)), int(rng.integers(8, 30))
    ca, cb = rng.integers(0, 4, n), rng.integers(0, 4, m)
    s = np.rint(40 * (ca[:, None] == cb[None, :]) + rng.normal(0, 12, (n, m))).astype(np.float64)
    dem = np.ones(n, np.int64)
    ok = np.ones((n, m), bool)
    cap = np.zeros(m, np.int64)
    np.add.at(cap, rng.integers(0, m, n), 1)  # tight: total capacity = mentees
    if kind == "spare":
        cap = cap + rng.integers(0, 3, m)
    elif kind == "short":
        cap = np.maximum(cap - rng.integers(0, 2, m), 0)
    elif kind == "forbidden":
        ok = rng.random((n, m)) < 0.5
    elif kind == "demand":
        dem = rng.integers(0, 4, n).astype(np.int64)
        cap = cap + rng.integers(0, 4, m)
        ok = rng.random((n, m)) < 0.7
    return s, cap, dem, ok


@pytest.mark.parametrize("kind", KINDS)
def test_small_lists_match_reference(kind: str) -> None:
    for seed in range(12):
        s, cap, dem, ok = _instance(seed, kind)
        ms = float(np.median(s)) if kind == "min_score" else None
        solver = PricingSolver(k=2, extra=1, kcache=3)
        a = assign(s, capacity=cap, demand=dem, allowed=ok, min_score=ms, solver=solver)
        check_assignment(a, s, cap, dem, ok, ms)
        okm = ok if ms is None else ok & (s >= ms)
        count, total = ortools_optimum(s.astype(np.int64), cap, dem, okm)
        assert (a.n_matched, a.total) == (count, total), (kind, seed, dict(a.stats))
        ref = assign(s, capacity=cap, demand=dem, allowed=ok, min_score=ms, solver="flow")
        assert (a.n_matched, a.total) == (ref.n_matched, ref.total)
        assert verify_certificate(a, s, cap, dem, ok, ms).valid
        assert a.stats["rounds"] >= 1 and a.stats["passes"] >= 2


def test_rounds_resume_instead_of_resolving() -> None:
    s, cap, _, _ = _instance(3, "tight")
    solver = PricingSolver(k=1, extra=0, kcache=2)
    a = assign(s, capacity=cap, solver=solver)
    assert a.optimal and a.stats["added"] > 0 and a.stats["rounds"] > 1
    assert a.stats["cold_solves"] == 1  # only the first round starts from an empty flow


@pytest.mark.parametrize("change", ["scores", "capacity", "forbid", "same"])
def test_warm_start_after_small_change(change: str) -> None:
    rng = np.random.default_rng(11)
    s, cap, _, _ = _instance(5, "spare")
    first = assign(s, capacity=cap, solver="pricing")
    s2, cap2 = s.copy(), cap.copy()
    ok2 = np.ones(s.shape, bool)
    if change == "scores":
        rows = rng.choice(s.shape[0], 5, replace=False)
        s2[rows] += rng.normal(0, 20, (5, s.shape[1]))
    elif change == "capacity":
        j = int(np.argmax(first.loads))
        cap2[j] = max(cap2[j] - 2, 0)  # some of the previous pairs no longer fit
    elif change == "forbid":
        ok2[first.pairs[:7, 0], first.pairs[:7, 1]] = False  # previous pairs now forbidden
    solver = PricingSolver(warm_start=first)
    a = assign(s2, capacity=cap2, allowed=ok2, solver=solver)
    ref = assign(s2, capacity=cap2, allowed=ok2, solver="flow")
    check_assignment(a, s2, cap2, None, ok2)
    assert a.stats["warm_started"] and a.stats["cold_solves"] == 0
    assert (a.n_matched, a.total) == (ref.n_matched, pytest.approx(ref.total, abs=1e-9))
    assert verify_certificate(a, s2, cap2, None, ok2).valid
    if change == "same":
        np.testing.assert_array_equal(a.pairs, first.pairs)


def test_warm_start_shape_mismatch_raises() -> None:
    s = np.random.default_rng(0).random((30, 6))
    first = assign(s, capacity=5, solver="pricing")
    with pytest.raises(InvalidInputError, match=r"warm_start must be an assignment of a 31 x 6"):
        assign(np.vstack([s, s[:1]]), capacity=6, solver=PricingSolver(warm_start=first))
    no_cert = dataclasses.replace(first, certificate=None)
    with pytest.raises(InvalidInputError, match=r"without a certificate"):
        assign(s, capacity=5, solver=PricingSolver(warm_start=no_cert))


def test_embedding_scores_medium() -> None:
    """Embedding-like float32 block source, tight, several rounds: equal to flow, certified."""
    rng = np.random.default_rng(1)
    c = rng.normal(size=(6, 16)).astype(np.float32)
    a = c[rng.integers(0, 6, 600)] + rng.normal(size=(600, 16)).astype(np.float32)
    b = c[rng.integers(0, 6, 120)] + rng.normal(size=(120, 16)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    s = a @ b.T

    class Src:
        shape = s.shape

        def block(self, i0: int, i1: int) -> np.ndarray:  # type: ignore[type-arg]
            return s[i0:i1]

    solver = PricingSolver(k=3, extra=2)
    got = assign(Src(), capacity=5, solver=solver)
    ref = assign(s, capacity=5, solver="flow")
    assert got.n_matched == ref.n_matched == 600
    assert got.total == pytest.approx(ref.total, abs=1e-9)
    assert verify_certificate(got, Src(), capacity=5).valid


def test_assign_warm_start_parameter() -> None:
    """``assign(warm_start=...)`` is the public door to the warm start: same optimum, and
    only ``auto`` / ``pricing`` accept it."""
    s, cap, _, _ = _instance(3, "tight")
    first = assign(s, capacity=cap, solver="flow")
    s2 = s.copy()
    s2[:4] += 15.0  # four mentees' profiles changed
    ref = assign(s2, capacity=cap, solver="flow")
    for name in ("auto", "pricing"):
        a = assign(s2, capacity=cap, solver=name, warm_start=first)
        assert a.solver == "pricing" and a.optimal
        assert (a.n_matched, a.total) == (ref.n_matched, pytest.approx(ref.total, abs=1e-9))
        assert verify_certificate(a, s2, cap).valid
    with pytest.raises(InvalidInputError, match="pass solver='pricing' or 'auto'") as err:
        assign(s2, capacity=cap, solver="flow", warm_start=first)
    assert err.value.field == "warm_start"
    with pytest.raises(InvalidInputError, match="must be an Assignment") as err:
        assign(s2, capacity=cap, warm_start=first.pairs)  # type: ignore[arg-type]
    assert err.value.field == "warm_start"
