"""Circles: heuristic <= optimum <= bound on tiny pools (brute force), leaders, reasons,
determinism, the pricing kernel against enumeration, validation."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from matchsvc.assignment import (
    CIRCLE_NO_LEADER,
    CIRCLE_POOL_SIZE,
    CIRCLE_TOO_FEW_PARTNERS,
    Circles,
    form_circles,
)
from matchsvc.assignment._circles import circle_bound
from matchsvc.assignment._circles_kernel import best_circles
from matchsvc.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _sym(x: FloatArray) -> FloatArray:
    x = np.triu(x, 1)
    out: FloatArray = x + x.T
    return out


def brute_force(
    w: FloatArray, a: int, b: int, forb: BoolArray | None, lead: FloatArray | None = None,
    cap: npt.NDArray[np.int64] | None = None,
) -> tuple[int, float]:  # fmt: skip
    """(most people placed, best total among those) over every set of disjoint circles."""
    n = w.shape[0]
    best = (0, 0.0)

    def value(groups: list[list[int]]) -> float | None:
        tot = sum(w[x, y] for g in groups for x, y in itertools.combinations(g, 2))
        if lead is None or cap is None:
            return tot
        # best leader assignment by brute force (tiny)
        L = lead.shape[1]
        slots = [ell for ell in range(L) for _ in range(int(cap[ell]))]
        bestl = None
        for perm in itertools.permutations(slots, len(groups)):
            v = tot + sum(lead[g, ell].sum() for g, ell in zip(groups, perm, strict=True))
            bestl = v if bestl is None or v > bestl else bestl
        return bestl

    def rec(i: int, groups: list[list[int]]) -> None:
        nonlocal best
        if i == n:
            if all(a <= len(g) <= b for g in groups):
                v = value(groups)
                if v is None:
                    return
                k = sum(len(g) for g in groups)
                if k > best[0] or (k == best[0] and v > best[1] + 1e-12):
                    best = (k, v)
            return
        rec(i + 1, groups)
        for g in groups:
            if len(g) < b and not (forb is not None and forb[i, g].any()):
                g.append(i)
                rec(i + 1, groups)
                g.pop()
        groups.append([i])
        rec(i + 1, groups)
        groups.pop()

    rec(0, [])
    return best


def check_circles(c: Circles, w: FloatArray, a: int, b: int, forb: BoolArray | None) -> None:
    n = w.shape[0]
    seen = np.zeros(n, dtype=np.int64)
    for k in range(c.n_circles):
        m = c.circle(k)
        assert a <= m.size <= b and (np.diff(m) > 0).all()
        seen[m] += 1
        assert (c.circle_of[m] == k).all()
        if forb is not None:
            assert not forb[np.ix_(m, m)].any()
        pair = float(w[np.ix_(m, m)].sum()) / 2
        if c.leaders is None:
            assert c.scores[k] == pytest.approx(pair)
    assert seen.max(initial=0) <= 1
    np.testing.assert_array_equal(c.unmatched, np.flatnonzero(seen == 0))
    assert c.total == pytest.approx(float(c.scores.sum()))
    assert c.total <= c.upper_bound + 1e-9
    assert c.gap >= 0.0


def test_tiny_pools_heuristic_le_optimum_le_bound() -> None:
    rng = np.random.default_rng(0)
    below = 0
    for it in range(60):
        n = int(rng.integers(0, 9))
        a = int(rng.integers(2, 4))
        b = int(rng.integers(a, 5))
        w = _sym(rng.normal(size=(n, n)) if it % 3 else rng.integers(-1, 4, (n, n)).astype(float))
        ok = None
        forb = None
        if it % 2:
            ok = np.triu(rng.random((n, n)) < 0.75, 1)
            ok = ok | ok.T
            forb = ~ok & ~np.eye(n, dtype=bool)
        c = form_circles(w, a, b, allowed=ok, rounds=2)
        check_circles(c, w, a, b, forb)
        opt = brute_force(w, a, b, forb)
        heur = (n - c.unmatched.size, c.total)
        assert heur[0] < opt[0] or heur[1] <= opt[1] + 1e-9, (it, heur, opt)
        assert opt[1] <= c.upper_bound + 1e-9, (it, opt, c.upper_bound)
        below += heur[0] < opt[0] or heur[1] < opt[1] - 1e-9
    assert below < 15  # a heuristic, but a good one on tiny pools


def test_tiny_pools_with_leaders() -> None:
    rng = np.random.default_rng(1)
    for _ in range(8):
        n = int(rng.integers(4, 8))
        w = _sym(rng.normal(size=(n, n)))
        lead = rng.normal(size=(n, 2))
        cap = np.array([1, 1])
        c = form_circles(w, 2, 3, leader_scores=lead, leader_capacity=cap, rounds=2)
        assert c.leaders is not None
        assert np.bincount(c.leaders, minlength=2).max(initial=0) <= 1
        for k in range(c.n_circles):
            m = c.circle(k)
            pair = float(w[np.ix_(m, m)].sum()) / 2
            assert c.scores[k] == pytest.approx(pair + float(lead[m, c.leaders[k]].sum()))
        opt = brute_force(w, 2, 3, None, lead, cap)
        heur = (n - c.unmatched.size, c.total)
        assert heur[0] < opt[0] or heur[1] <= opt[1] + 1e-9
        assert opt[1] <= c.upper_bound + 1e-9
        assert c.bound_method == "set_partition_lp+leader_transport"


def test_leader_capacity_limits_circles_and_forbidden_leaders_are_respected() -> None:
    rng = np.random.default_rng(2)
    w = _sym(rng.random((12, 12)))
    lead = rng.random((12, 2))
    la = np.ones((12, 2), dtype=bool)
    la[0, 0] = False
    c = form_circles(w, 3, 3, leader_scores=lead, leader_capacity=[1, 2], leader_allowed=la)
    assert c.n_circles == 3 and c.leaders is not None
    assert sorted(c.leaders.tolist()) == [0, 1, 1]
    assert c.circle_of[0] < 0 or c.leaders[c.circle_of[0]] != 0
    assert set(c.unmatched_reasons) == {CIRCLE_NO_LEADER}


def test_reasons_and_pool_size() -> None:
    w = _sym(np.ones((7, 7)))
    ok = np.ones((7, 7), dtype=bool)
    ok[6, :] = ok[:, 6] = False
    c = form_circles(w, 3, 3, allowed=ok)
    reasons = dict(zip(c.unmatched.tolist(), c.unmatched_reasons, strict=True))
    assert reasons[6] == CIRCLE_TOO_FEW_PARTNERS
    assert c.n_circles == 2 and len(reasons) == 1
    c = form_circles(_sym(np.ones((5, 5))), 4, 4)
    assert c.n_circles == 1 and c.unmatched_reasons == (CIRCLE_POOL_SIZE,)
    c = form_circles(np.zeros((0, 0)), 2, 3)
    assert c.n_circles == 0 and c.total == 0.0 and c.upper_bound == 0.0 and c.gap == 0.0


def test_deterministic_and_seeded() -> None:
    rng = np.random.default_rng(4)
    v = rng.normal(size=(40, 5))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    w = v @ v.T
    a = form_circles(w, 3, 4, rounds=5)
    b = form_circles(w.copy(), 3, 4, rounds=5)
    np.testing.assert_array_equal(a.members, b.members)
    np.testing.assert_array_equal(a.circle_ptr, b.circle_ptr)
    assert a.total == b.total and a.upper_bound == b.upper_bound


def test_clustered_pool_reaches_a_small_gap() -> None:
    rng = np.random.default_rng(6)
    c = rng.normal(size=(6, 16))
    v = c[rng.integers(0, 6, 120)] + 0.9 * rng.normal(size=(120, 16))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    out = form_circles(v @ v.T, 4, 4, rounds=5)
    assert out.n_circles == 30 and out.unmatched.size == 0
    assert out.gap < 0.05
    assert out.stats.lp_value <= out.upper_bound + 1e-9


def test_bound_beats_the_degree_relaxation() -> None:
    """A 6-cycle of weight-1 pairs, circles of 3: the degree relaxation (every person with at
    most 2 circle-mates) takes the whole cycle, 6; a circle of 3 holds at most a path of 2
    cycle pairs (there is no triangle), so the optimum is 4, and the LP bound proves it."""
    w = np.zeros((6, 6))
    for t in range(6):
        w[t, (t + 1) % 6] = w[(t + 1) % 6, t] = 1.0
    assert brute_force(w, 3, 3, None) == (6, 4.0)
    ub, lp, _, _ = circle_bound(w, None, 3, 3, [np.array([0, 1, 2]), np.array([3, 4, 5])])
    assert ub == pytest.approx(4.0) and lp == pytest.approx(4.0)
    c = form_circles(w, 3, 3)
    assert c.total == 4.0 and c.upper_bound == pytest.approx(4.0) and c.gap == pytest.approx(0.0)


def test_pricing_kernel_matches_enumeration() -> None:
    rng = np.random.default_rng(9)
    for _ in range(40):
        n = int(rng.integers(2, 9))
        a = int(rng.integers(2, 4))
        b = int(rng.integers(a, 5))
        w = _sym(rng.normal(size=(n, n)))
        pi = rng.random(n)
        forb = np.triu(rng.random((n, n)) < 0.3, 1)
        forb = forb | forb.T
        val = np.empty(n)
        size = np.zeros(n, dtype=np.int64)
        mem = np.zeros((n, b + 1), dtype=np.int64)
        best_circles(w, pi, forb, True, a, b, n, val, size, mem)
        for i in range(n):
            best = -np.inf
            others = [x for x in range(n) if x != i]
            for s in range(a, b + 1):
                for comb in itertools.combinations(others, s - 1):
                    cc = [i, *comb]
                    if forb[np.ix_(cc, cc)].any():
                        continue
                    best = max(best, (w[np.ix_(cc, cc)].sum() / 2 - pi[cc].sum()) / s)
            assert val[i] == pytest.approx(best) if np.isfinite(best) else val[i] == -np.inf


# ---- validation: one test per branch ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "match", "field"),
    [
        ({"min_size": 1}, "min_size must be an integer >= 2", "min_size"),
        ({"max_size": 2.5}, "max_size must be an integer", "max_size"),
        ({"min_size": 4, "max_size": 3}, "exceeds max_size", "min_size"),
        ({"seed": -1}, "seed must be an integer >= 0", "seed"),
        ({"rounds": -1}, "rounds must be an integer >= 0", "rounds"),
        ({"bound_rounds": -1}, "bound_rounds must be an integer >= 0", "bound_rounds"),
        ({"bound_candidates": 0}, "bound_candidates must be an integer >= 1", "bound_candidates"),
        (
            {"leader_capacity": [1]},
            "leader_capacity was given without leader_scores",
            "leader_capacity",
        ),
        (
            {"leader_scores": np.zeros((3, 2))},
            r"leader_scores must be \(n_people, n_leaders\)",
            "leader_scores",
        ),
        ({"leader_scores": np.full((4, 2), np.nan)}, "leader_scores contains nan", "leader_scores"),
        (
            {"leader_scores": np.zeros((4, 2), dtype=bool)},
            "leader_scores must be real",
            "leader_scores",
        ),
        (
            {"leader_scores": np.zeros((4, 2)), "leader_capacity": [1]},
            "has 1 entries",
            "leader_capacity",
        ),
        (
            {"leader_scores": np.zeros((4, 2)), "leader_capacity": [1, -1]},
            "is negative",
            "leader_capacity",
        ),
        (
            {"leader_scores": np.zeros((4, 2)), "leader_capacity": [1.5, 1]},
            "integers",
            "leader_capacity",
        ),
        (
            {"leader_scores": np.zeros((4, 2)), "leader_allowed": np.ones((4, 2))},
            "leader_allowed must be a bool",
            "leader_allowed",
        ),
    ],
)
def test_rejects(kw: dict[str, object], match: str, field: str) -> None:
    args: dict[str, object] = {"min_size": 2, "max_size": 3}
    args.update(kw)
    with pytest.raises(InvalidInputError, match=match) as err:
        form_circles(np.zeros((4, 4)), **args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_rejects_block_source() -> None:
    class Rows:
        shape = (4, 4)

        def block(self, i0: int, i1: int) -> FloatArray:
            return np.zeros((i1 - i0, 4))

    with pytest.raises(InvalidInputError, match="in memory"):
        form_circles(Rows(), 2, 2)


def test_rejects_asymmetric_scores() -> None:
    with pytest.raises(InvalidInputError, match="symmetric"):
        form_circles(np.triu(np.ones((4, 4)), 1), 2, 2)


def test_circle_scores_are_sums_of_the_inputs_pair_scores_and_the_result_says_how() -> None:
    rng = np.random.default_rng(7)
    w = _sym(rng.random((12, 12)))
    res = form_circles(w, 3, 4, seed=1)
    for k in range(res.scores.size):
        members = res.members[res.circle_ptr[k] : res.circle_ptr[k + 1]]
        want = sum(w[x, y] for x, y in itertools.combinations(members.tolist(), 2))
        assert res.scores[k] == pytest.approx(want)
    assert res.total == pytest.approx(float(res.scores.sum()))
    assert res.bound_method == "set_partition_lp"
    assert res.total <= res.upper_bound + 1e-9
    assert res.gap == pytest.approx((res.upper_bound - res.total) / abs(res.upper_bound))
    assert res.stats.seconds_heuristic >= 0 and res.stats.seconds_bound >= 0
    lead = rng.random((12, 3))
    led = form_circles(w, 3, 4, leader_scores=lead, leader_capacity=[1, 1, 1])
    assert led.bound_method == "set_partition_lp+leader_transport"
    assert led.leaders is not None and sorted(led.leaders.tolist()) == [0, 1, 2]
