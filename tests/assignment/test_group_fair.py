"""Group floors: hand-built answers, a planted programme, differential tests against scipy's
HiGHS integer programs, the certificate's rejections and the infeasibility messages."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

import matchsvc.assignment._floors as floors_mod
from matchsvc.assignment import (
    Assignment,
    FloorCertificate,
    GroupFloor,
    assign,
    assign_group_fair,
    share_floor,
    verify_floor_certificate,
)
from matchsvc.errors import (
    FloorInfeasibleError,
    InfeasibleError,
    InvalidInputError,
    LimitExceededError,
)
from tests.assignment.helpers import check_assignment

# Two mentors (one slot each); group A scores higher everywhere, so the unconstrained optimum
# gives both slots to A. Totals by hand: unconstrained a0-M1 + a1-M0 = 0.8 + 0.85 = 1.65
# (a0-M0 + a1-M1 = 1.6); one slot each: a0-M1 + b0-M0 = 0.8 + 0.5 = 1.3 beats
# a0-M0 + b0-M1 = 1.25, a1-M1 + b0-M0 = 1.2, a1-M0 + b0-M1 = 1.2 and every pair with b1.
HAND = np.array(
    [
        [0.9, 0.8],  # a0
        [0.85, 0.7],  # a1
        [0.5, 0.35],  # b0
        [0.45, 0.3],  # b1
    ]
)
HAND_GROUPS = {"team": ["A", "A", "B", "B"]}


def _milp_reference(
    s: npt.NDArray[np.float64],
    cap: npt.NDArray[np.int64],
    dem: npt.NDArray[np.int64],
    ok: npt.NDArray[np.bool_],
    partitions: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
) -> tuple[int, float] | None:
    """(max count, then max total) meeting every floor, by two HiGHS integer programs."""
    n, m = s.shape
    rows, cols = np.nonzero(ok)
    nv = rows.size
    if nv == 0:
        return (0, 0.0) if all((low <= 0).all() for _, low in partitions) else None
    one = np.ones(nv)
    var = np.arange(nv)
    cons = [
        LinearConstraint(csr_matrix((one, (rows, var)), shape=(n, nv)), 0, dem),
        LinearConstraint(csr_matrix((one, (cols, var)), shape=(m, nv)), 0, cap),
    ]
    for codes, low in partitions:
        mat = csr_matrix((one, (codes[rows], var)), shape=(low.size, nv))
        cons.append(LinearConstraint(mat, low, np.inf))
    opts = {"mip_rel_gap": 0.0}
    first = milp(-one, constraints=cons, integrality=one, bounds=Bounds(0, 1), options=opts)
    if first.status == 2:
        return None
    count = round(-first.fun)
    cons.append(LinearConstraint(one[None, :], count, count))
    second = milp(
        -s[rows, cols], constraints=cons, integrality=one, bounds=Bounds(0, 1), options=opts
    )
    return count, -float(second.fun)


def _random_instance(
    rng: np.random.Generator, integer: bool
) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]
]:
    n, m = int(rng.integers(1, 12)), int(rng.integers(1, 7))
    s = rng.integers(-5, 20, (n, m)).astype(np.float64) if integer else rng.normal(size=(n, m))
    cap = rng.integers(0, 4, m).astype(np.int64)
    dem = rng.integers(0, 3, n).astype(np.int64)
    ok = rng.random((n, m)) < 0.7
    return s, cap, dem, ok


def _verify(res, s, cap, dem, ok, codes, low):  # type: ignore[no-untyped-def]
    c = res.certificate
    return verify_floor_certificate(res.assignment, c, codes, low, s, cap, dem, ok)


class Rows:
    """A BlockScores source over an array: forces the pricing path."""

    def __init__(self, s: npt.NDArray[np.float64]) -> None:
        self.s = s
        self.shape = s.shape

    def block(self, i0: int, i1: int) -> npt.NDArray[np.float64]:
        return self.s[i0:i1]


# -- hand-built answers ------------------------------------------------------------------------


def test_hand_built_floor_moves_one_slot_to_the_other_team() -> None:
    res = assign_group_fair(HAND, HAND_GROUPS, [GroupFloor("team", min_matched_share=0.5)])
    np.testing.assert_array_equal(res.unconstrained.pairs, [[0, 1], [1, 0]])
    np.testing.assert_array_equal(res.assignment.pairs, [[0, 1], [2, 0]])
    assert res.unconstrained.total == pytest.approx(1.65, abs=1e-12)
    assert res.assignment.total == pytest.approx(1.3, abs=1e-12)
    assert res.cost_of_fairness == pytest.approx(0.35, abs=1e-12)
    assert res.method == "flow"
    a, b = res.groups
    assert (a.value, a.people, a.demand, a.floor, a.matched, a.matched_unconstrained) == (
        "A", 2, 2, 1, 1, 2,
    )  # fmt: skip
    assert (b.value, b.people, b.demand, b.floor, b.matched, b.matched_unconstrained) == (
        "B", 2, 2, 1, 1, 0,
    )  # fmt: skip
    assert a.matched_share == 0.5 and b.matched_share == 0.5
    check_assignment(res.assignment, HAND)
    assert _verify(res, HAND, 1, 1, None, np.array([0, 0, 1, 1]), np.array([1, 1])).valid


def test_relative_form_uses_the_overall_share_of_the_maximum_count() -> None:
    # 2 of 4 slots can be matched: overall share 0.5; gap 0.25 gives ceil(0.25 * 2) = 1 each.
    res = assign_group_fair(HAND, HAND_GROUPS, [GroupFloor("team", max_share_gap=0.25)])
    assert [g.floor for g in res.groups] == [1, 1]
    np.testing.assert_array_equal(res.assignment.pairs, [[0, 1], [2, 0]])
    # A gap of 0.5 asks for nothing: the unconstrained optimum stands.
    res = assign_group_fair(HAND, HAND_GROUPS, [GroupFloor("team", max_share_gap=0.5)])
    assert [g.floor for g in res.groups] == [0, 0]
    assert res.method == "unconstrained" and res.cost_of_fairness == 0.0


def test_floors_that_already_hold_cost_nothing_and_keep_the_optimum() -> None:
    res = assign_group_fair(HAND, HAND_GROUPS, [GroupFloor("team", min_matched_share=0.0)])
    assert res.method == "unconstrained"
    floors = {"team": ["A", "B", "A", "B"]}  # the optimum already serves both
    res = assign_group_fair(HAND, floors, [GroupFloor("team", min_matched_share=0.5)])
    assert res.method == "flow" and res.cost_of_fairness == 0.0
    np.testing.assert_array_equal(res.assignment.pairs, res.unconstrained.pairs)


@pytest.mark.parametrize(
    ("share", "demand", "floor"),
    [
        (0.7, 10, 7),
        (0.1, 10, 1),
        (0.9, 50, 45),
        (0.33, 3, 1),
        (1 / 3, 3, 1),
        (0.0, 5, 0),
        (1.0, 4, 4),
    ],
)
def test_share_floor_reads_the_share_as_its_decimal(share: float, demand: int, floor: int) -> None:
    assert share_floor(share, demand) == floor


def test_planted_group_is_served_and_the_result_is_the_brute_force_optimum() -> None:
    # Group "low" scores 0.3 below everyone else: without floors it gets nothing.
    # Four one-slot mentors, seven mentees; half of each team's demand must be met:
    # ceil(0.5 * 4) = 2 slots for "high", ceil(0.5 * 3) = 2 for "low".
    rng = np.random.default_rng(11)
    s = rng.random((7, 4))
    team = np.array(["high"] * 4 + ["low"] * 3)
    s[team == "low"] -= 0.3
    cap = np.array([1, 1, 1, 1])
    res = assign_group_fair(s, {"team": team}, [GroupFloor("team", min_matched_share=0.5)], cap)
    low = next(g for g in res.groups if g.value == "low")
    assert low.matched_unconstrained == 0
    assert low.floor == 2 and low.matched >= 2
    assert res.assignment.n_matched == res.unconstrained.n_matched == 4
    assert res.unconstrained.total - res.assignment.total == pytest.approx(res.cost_of_fairness)
    assert res.cost_of_fairness > 0
    # Brute force over every assignment of mentees to the four mentors.
    best = -np.inf
    for chosen in itertools.permutations(range(7), 4):  # the mentee of each mentor
        if sum(team[i] == "low" for i in chosen) >= 2:
            best = max(best, sum(s[i, j] for j, i in enumerate(chosen)))
    assert res.assignment.total == pytest.approx(best, abs=1e-12)
    plain = assign(s, capacity=cap)
    assert res.unconstrained.total == pytest.approx(plain.total, abs=1e-12)


# -- differential: HiGHS on seeded instances ---------------------------------------------------


@pytest.mark.parametrize("integer", [True, False])
def test_one_attribute_matches_highs(integer: bool) -> None:
    rng = np.random.default_rng(2026 + integer)
    checked = infeasible = 0
    for _ in range(70):
        s, cap, dem, ok = _random_instance(rng, integer)
        n = s.shape[0]
        labels = rng.integers(0, 3, n)
        codes = np.unique(labels, return_inverse=True)[1].reshape(-1)
        ng = int(codes.max()) + 1
        gd = np.bincount(codes, weights=dem, minlength=ng)
        share = float(rng.choice([0.3, 0.5, 0.8, 1.0]))
        low = np.array([share_floor(share, int(d)) for d in gd])
        ref = _milp_reference(s, cap, dem, ok, [(codes, low)])
        try:
            res = assign_group_fair(
                s, {"g": labels}, [GroupFloor("g", min_matched_share=share)], cap, dem, ok
            )
        except FloorInfeasibleError:
            assert ref is None
            infeasible += 1
            continue
        assert ref is not None
        check_assignment(res.assignment, s, cap, dem, ok)
        assert res.assignment.n_matched == ref[0]
        assert res.assignment.total == pytest.approx(ref[1], abs=1e-6)
        if res.certificate is not None:
            report = _verify(res, s, cap, dem, ok, codes, low)
            assert report.valid, report.reasons
        checked += 1
    assert checked >= 35 and infeasible >= 5  # both outcomes exercised


def test_two_attributes_match_highs() -> None:
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(40):
        s, cap, dem, ok = _random_instance(rng, True)
        n = s.shape[0]
        a, b = rng.integers(0, 2, n), rng.integers(0, 3, n)
        parts = []
        for lab, share in ((a, 0.5), (b, 0.4)):
            codes = np.unique(lab, return_inverse=True)[1].reshape(-1)
            gd = np.bincount(codes, weights=dem)
            parts.append((codes, np.array([share_floor(share, int(d)) for d in gd])))
        ref = _milp_reference(s, cap, dem, ok, parts)
        rules = [GroupFloor("a", min_matched_share=0.5), GroupFloor("b", min_matched_share=0.4)]
        try:
            res = assign_group_fair(s, {"a": a, "b": b}, rules, cap, dem, ok)
        except InfeasibleError:
            assert ref is None
            continue
        assert ref is not None
        check_assignment(res.assignment, s, cap, dem, ok)
        got = np.bincount(res.assignment.pairs[:, 0], minlength=n)
        for codes, low in parts:
            assert (np.bincount(codes, weights=got, minlength=low.size) >= low).all()
        assert (res.assignment.n_matched, res.assignment.total) == pytest.approx(ref, abs=1e-6)
        checked += 1
    assert checked >= 20


# One mentor with three slots. Attribute a: x = {0, 1, 2, 4}, y = {3, 5}; attribute b:
# p = {0, 1, 2, 3}, q = {4, 5}. Share 0.25 asks one slot of every group. By hand: the top
# three (0, 1, 2) are all (x, p); a alone is met best by {0, 1, 3} (2.2) but q gets none;
# b alone by {0, 1, 4} (2.1) but y gets none; together {0, 1, 5} = 1.95 beats
# {0, 3, 4} = 1.5.
CROSS = np.array([[1.0], [0.9], [0.8], [0.3], [0.2], [0.05]])
CROSS_GROUPS = {"a": ["x", "x", "x", "y", "x", "y"], "b": ["p", "p", "p", "p", "q", "q"]}
CROSS_RULES = [GroupFloor("a", min_matched_share=0.25), GroupFloor("b", min_matched_share=0.25)]


def test_milp_path_is_used_and_certified_on_its_cells() -> None:
    res = assign_group_fair(CROSS, CROSS_GROUPS, CROSS_RULES, capacity=3)
    assert res.method == "milp+flow"
    np.testing.assert_array_equal(res.assignment.pairs, [[0, 0], [1, 0], [5, 0]])
    assert res.assignment.total == pytest.approx(1.95)
    assert res.cost_of_fairness == pytest.approx(2.7 - 1.95)
    assert [(g.value, g.floor, g.matched) for g in res.groups] == [
        ("x", 1, 2), ("y", 1, 1), ("p", 1, 2), ("q", 1, 1),
    ]  # fmt: skip
    c = res.certificate
    assert c is not None
    assert verify_floor_certificate(res.assignment, c, c.groups, c.floors, CROSS, 3).valid


@pytest.mark.slow
def test_pricing_path_and_bonus_search_match_the_dense_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Scarce slots and a planted low-scoring group: large shortfalls, so the bonus search
    # runs; a BlockScores source takes the pricing path.
    for seed in range(4):
        rng = np.random.default_rng(seed)
        n, m = 240, 24
        s = rng.random((n, m))
        grp = rng.integers(0, 3, n)
        s[grp == 2] -= 0.25
        rule = [GroupFloor("g", min_matched_share=0.3)]
        dense = assign_group_fair(s, {"g": grp}, rule, capacity=4)
        priced = assign_group_fair(Rows(s), {"g": grp}, rule, capacity=4)
        assert priced.assignment.solver == "pricing+floors"
        assert priced.assignment.n_matched == dense.assignment.n_matched
        assert priced.assignment.total == pytest.approx(dense.assignment.total, abs=1e-9)
        codes = np.unique(grp, return_inverse=True)[1].reshape(-1)
        low = np.array([g.floor for g in dense.groups])
        assert _verify(priced, s, 4, None, None, codes, low).valid
        # Without the search (repair from the unconstrained optimum): the same optimum.
        monkeypatch.setattr(floors_mod, "_MAX_BONUS_SOLVES", 0)
        bare = assign_group_fair(s, {"g": grp}, rule, capacity=4)
        monkeypatch.undo()
        assert bare.assignment.total == pytest.approx(dense.assignment.total, abs=1e-9)
        assert dense.groups[2].matched_unconstrained < dense.groups[2].floor


@pytest.mark.slow
def test_pricing_path_proves_the_same_infeasibility_as_the_dense_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Group 2 ranks ten mentors first and the others rank it last, so the pricing path's
    # candidate graph can miss pairs the floors need: a failed repair must be checked
    # against every pair (closure) and the largest floor computed over every pair to agree
    # with the dense solve. Seed 0 needs the closure to add pairs.
    added = []
    crossing = floors_mod.PartitionSolver._crossing

    def spy(self, *args):  # type: ignore[no-untyped-def]
        out = crossing(self, *args)
        added.append(out)
        return out

    monkeypatch.setattr(floors_mod.PartitionSolver, "_crossing", spy)
    outcomes = set()
    for seed in range(8):
        rng = np.random.default_rng(200 + seed)
        n, m = 120, 40
        s = rng.random((n, m))
        grp = rng.integers(0, 3, n)
        s[grp == 2] *= 0.3
        s[np.ix_(grp == 2, np.arange(10))] += 2.0
        ok = rng.random((n, m)) < 0.5
        share = float(rng.choice([0.2, 0.3, 0.4]))
        rule = [GroupFloor("g", min_matched_share=share)]
        got = []
        for src in (s, Rows(s)):
            try:
                r = assign_group_fair(src, {"g": grp}, rule, capacity=1, allowed=ok)
                got.append(("ok", r.assignment.n_matched, round(r.assignment.total, 9)))
            except FloorInfeasibleError as e:
                got.append(("infeasible", e.group, e.largest_floor))
        assert got[0] == got[1], (seed, got)
        outcomes.add(got[0][0])
    assert outcomes == {"ok", "infeasible"}
    assert any(added)  # the closure had to add pairs at least once


def test_pricing_path_checks_a_failed_repair_against_every_pair() -> None:
    # Group B's one mentee ranks eight mentors without capacity first, so its candidate
    # pairs lead nowhere, and the two mentors with room rank all 22 A mentees above it: the
    # pairs B needs are outside the candidate graph. The repair fails there; the closure
    # over every pair must find them (without it the pricing path reported the floor
    # infeasible). Floors: ceil(0.04 * 22) = 1 for A, ceil(0.04 * 1) = 1 for B.
    rng = np.random.default_rng(0)
    s = np.zeros((23, 10))
    s[:22, 8:] = 0.5 + 0.5 * rng.random((22, 2))
    s[:22, :8] = 0.1 * rng.random((22, 8))
    s[22, :8] = 0.9
    s[22, 8:] = [0.1, 0.05]
    cap = np.array([0] * 8 + [1, 1])
    grp = np.array(["A"] * 22 + ["B"])
    rule = [GroupFloor("g", min_matched_share=0.04)]
    dense = assign_group_fair(s, {"g": grp}, rule, capacity=cap)
    priced = assign_group_fair(Rows(s), {"g": grp}, rule, capacity=cap)
    assert priced.assignment.solver == "pricing+floors"
    np.testing.assert_array_equal(priced.assignment.pairs, dense.assignment.pairs)
    assert dense.assignment.pairs[:, 0].tolist() == [int(np.argmax(s[:22, 9])), 22]


# -- the certificate: one rejection per condition ----------------------------------------------


def _certified() -> tuple[Assignment, FloorCertificate]:
    res = assign_group_fair(HAND, HAND_GROUPS, [GroupFloor("team", min_matched_share=0.5)])
    assert res.certificate is not None
    return res.assignment, res.certificate


def _with(a: Assignment, pairs: list[list[int]]) -> Assignment:
    p = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return Assignment(p, np.zeros(len(p)), 0.0, a.unmatched, a.loads, "x", True, "total")


def _replace(c: FloorCertificate, **kw: object) -> FloorCertificate:
    fields = {f: getattr(c, f) for f in c.__dataclass_fields__}
    fields.update(kw)
    return FloorCertificate(**fields)  # type: ignore[arg-type]


CODES = np.array([0, 0, 1, 1])
FLOORS = np.array([1, 1])


def _reasons(a: Assignment, c: FloorCertificate, **kw: object) -> tuple[str, ...]:
    args: dict[str, object] = {"capacity": 1, "demand": 1, "allowed": None}
    args.update(kw)
    rep = verify_floor_certificate(a, c, CODES, FLOORS, HAND, **args)  # type: ignore[arg-type]
    assert not rep.valid
    return rep.reasons


def test_certificate_accepts_the_solver_result() -> None:
    a, c = _certified()
    assert verify_floor_certificate(a, c, CODES, FLOORS, HAND).valid


def test_rejects_pairs_out_of_range() -> None:
    a, c = _certified()
    assert _reasons(_with(a, [[0, 2]]), c) == ("pairs out of range",)


def test_rejects_duplicate_pairs() -> None:
    a, c = _certified()
    assert "duplicate pairs" in _reasons(_with(a, [[0, 1], [0, 1], [2, 0]]), c)


def test_rejects_demand_exceeded() -> None:
    a, c = _certified()
    assert "a mentee exceeds its demand" in _reasons(_with(a, [[0, 1], [0, 0]]), c)


def test_rejects_capacity_exceeded() -> None:
    a, c = _certified()
    assert "a mentor exceeds its capacity" in _reasons(_with(a, [[0, 1], [2, 1]]), c)


def test_rejects_a_forbidden_pair() -> None:
    a, c = _certified()
    ok = np.ones((4, 2), dtype=bool)
    ok[2, 0] = False
    assert "1 forbidden pairs are matched" in _reasons(a, c, allowed=ok)


def test_rejects_a_floor_below_what_was_asked() -> None:
    a, c = _certified()
    why = _reasons(_with(a, [[0, 1], [1, 0]]), c)
    assert "floor violated: group 1 has 0 slots, floor 1" in why


def test_rejects_negative_reduced_cost_on_a_free_pair() -> None:
    a, c = _certified()
    pe = c.mentee_potential.copy()
    pe[3] -= 10.0  # b1 is unmatched: its free pairs now gain
    why = _reasons(a, _replace(c, mentee_potential=pe))
    assert any("negative reduced cost (dual infeasible)" in r for r in why)


def test_rejects_positive_reduced_cost_on_a_matched_pair() -> None:
    a, c = _certified()
    pe = c.mentee_potential.copy()
    pe[0] += 10.0
    why = _reasons(a, _replace(c, mentee_potential=pe))
    assert any("positive reduced cost (slackness violated)" in r for r in why)


def test_rejects_the_mentee_group_condition() -> None:
    a, c = _certified()
    pg = c.group_potential.copy()
    pg[1] -= 5.0  # b1 (unmet) now above its group's price
    why = _reasons(a, _replace(c, group_potential=pg))
    assert "mentee/group condition violated (an exchange inside a group gains)" in why


def test_rejects_the_group_source_condition() -> None:
    a, c = _certified()
    why = _reasons(a, _replace(c, source_potential=c.source_potential - 5.0))
    assert "group/source condition violated (an exchange between groups gains)" in why


def test_rejects_the_mentor_sink_condition() -> None:
    a, c = _certified()
    why = _reasons(a, _replace(c, sink_potential=c.sink_potential - 5.0))
    assert "mentor/sink condition violated (an exchange of mentors gains)" in why


def test_rejects_an_unmet_mentee_outside_the_cut() -> None:
    a, c = _certified()
    reach = c.reach_mentees.copy()
    reach[3] = False
    why = _reasons(a, _replace(c, reach_mentees=reach))
    assert "cut: a mentee with unmet demand is outside the source side" in why


def test_rejects_a_reachable_mentor_with_spare_capacity() -> None:
    a, c = _certified()
    a2 = _with(a, [[0, 1]])  # mentor 0 now has room
    pe = c.mentee_potential.copy()
    reach_m = np.array([True, True])
    why = _reasons(a2, _replace(c, mentee_potential=pe, reach_mentors=reach_m))
    assert "cut: a mentor with spare capacity is reachable (augmenting path)" in why


def test_rejects_a_pair_crossing_the_cut() -> None:
    a, c = _certified()
    reach_m = np.array([False, False])  # b1 reaches both mentors through free pairs
    why = _reasons(a, _replace(c, reach_mentors=reach_m))
    assert any("cross the cut the wrong way" in r for r in why)


def test_rejects_a_certificate_of_the_wrong_shape() -> None:
    a, c = _certified()
    why = _reasons(a, _replace(c, group_potential=np.zeros(3)))
    assert why == ("certificate has the wrong shape",)


def test_rejects_groups_that_do_not_fit_the_floors() -> None:
    a, c = _certified()
    rep = verify_floor_certificate(a, c, np.array([0, 0, 1, 2]), FLOORS, HAND)
    assert rep.reasons == ("groups and floors do not match",)
    rep = verify_floor_certificate(a, c, np.zeros(3, dtype=int), FLOORS, HAND)
    assert rep.reasons == ("groups must hold one integer per mentee",)


# -- infeasible floors -------------------------------------------------------------------------


def test_infeasible_together_names_the_group_and_the_largest_floor_with_the_others() -> None:
    # Share 1.0 asks all four slots; two exist. B alone could get both (2), but with A's
    # floor of 2 kept, B gets none.
    with pytest.raises(FloorInfeasibleError) as err:
        assign_group_fair(HAND, HAND_GROUPS, [GroupFloor("team", min_matched_share=1.0)])
    e = err.value
    assert (e.attribute, e.group, e.floor, e.largest_floor, e.group_demand) == (
        "team", "B", 2, 0, 2,
    )  # fmt: skip
    assert e.field == "fairness[0].min_matched_share"
    assert "group 'B' of attribute 'team'" in e.message
    assert "at most 0 can be matched while the other groups keep their floors" in e.message
    assert "(2 with no other floor)" in e.message
    assert "lower min_matched_share to at most 0.0000" in e.message


def test_infeasible_alone_reports_the_max_flow_into_the_group() -> None:
    ok = np.ones((4, 2), dtype=bool)
    ok[2:, 1] = False  # B's mentees may only meet mentor 0: at most 1 slot
    with pytest.raises(FloorInfeasibleError) as err:
        assign_group_fair(
            HAND, HAND_GROUPS, [GroupFloor("team", min_matched_share=1.0)], allowed=ok
        )
    e = err.value
    assert (e.group, e.floor, e.largest_floor) == ("B", 2, 1)
    assert "at most 1 can be matched even with no other floor" in e.message
    assert "lower min_matched_share to at most 0.5000" in e.message


def test_infeasible_relative_form_says_which_gap_would_hold() -> None:
    # Overall share 0.5; gap 0.0 asks 1 of 2 for each team; make B unreachable.
    ok = np.ones((4, 2), dtype=bool)
    ok[2:, :] = False
    with pytest.raises(FloorInfeasibleError) as err:
        assign_group_fair(HAND, HAND_GROUPS, [GroupFloor("team", max_share_gap=0.0)], allowed=ok)
    e = err.value
    assert (e.group, e.floor, e.largest_floor) == ("B", 1, 0)
    assert e.field == "fairness[0].max_share_gap"
    assert "raise max_share_gap to at least 0.5000" in e.message


def test_infeasible_across_attributes_names_a_group() -> None:
    # Two one-slot mentors. Mentee 0 (x, p) may take either; mentee 1 (y, p) and mentee 2
    # (x, q) only mentor 0. Share 0.5 asks one slot of x, y, p and q: each attribute alone
    # holds (a: 1 and 0; b: 2 and 0), together y and q both need mentor 0.
    s = np.array([[0.5, 0.5], [0.4, 0.0], [0.3, 0.0]])
    ok = np.array([[True, True], [True, False], [True, False]])
    rules = [GroupFloor("a", min_matched_share=0.5), GroupFloor("b", min_matched_share=0.5)]
    groups = {"a": ["x", "y", "x"], "b": ["p", "p", "q"]}
    with pytest.raises(FloorInfeasibleError) as err:
        assign_group_fair(s, groups, rules, allowed=ok)
    e = err.value
    assert (e.attribute, e.group, e.floor, e.largest_floor) == ("a", "y", 1, 0)
    assert "while every other floor (all attributes) holds" in e.message


def test_several_attributes_beyond_the_limit_are_refused() -> None:
    with pytest.raises(LimitExceededError, match="over 6 allowed pairs") as err:
        assign_group_fair(CROSS, CROSS_GROUPS, CROSS_RULES, capacity=3, milp_limit=5)
    assert err.value.field == "fairness"
    assert "combine the attributes into one (e.g. 'region/gender')" in err.value.message
    # the limit itself is allowed: 6 pairs, milp_limit=6
    res = assign_group_fair(CROSS, CROSS_GROUPS, CROSS_RULES, capacity=3, milp_limit=6)
    assert res.method == "milp+flow"


# -- input validation: one test per branch -----------------------------------------------------


def _call(groups: object, rules: object) -> None:
    assign_group_fair(HAND, groups, rules)  # type: ignore[arg-type]


def test_rejects_groups_that_are_not_a_mapping() -> None:
    with pytest.raises(InvalidInputError, match="groups must map attribute names") as err:
        _call([["A"]], [GroupFloor("team", min_matched_share=0.5)])
    assert err.value.field == "groups"


def test_rejects_a_rule_that_is_not_a_group_floor() -> None:
    with pytest.raises(InvalidInputError, match=r"fairness\[0\] must be a GroupFloor"):
        _call(HAND_GROUPS, [{"attribute": "team"}])


def test_rejects_two_rules_on_one_attribute() -> None:
    rules = [GroupFloor("team", min_matched_share=0.5), GroupFloor("team", max_share_gap=0.1)]
    with pytest.raises(InvalidInputError, match="has two rules") as err:
        _call(HAND_GROUPS, rules)
    assert err.value.field == "fairness[1].attribute"


def test_rejects_an_unknown_attribute() -> None:
    with pytest.raises(InvalidInputError, match=r"attribute 'region' has no values .*'team'"):
        _call(HAND_GROUPS, [GroupFloor("region", min_matched_share=0.5)])


@pytest.mark.parametrize(
    "rule", [GroupFloor("team"), GroupFloor("team", min_matched_share=0.5, max_share_gap=0.1)]
)
def test_rejects_neither_or_both_forms(rule: GroupFloor) -> None:
    with pytest.raises(InvalidInputError, match="set exactly one of"):
        _call(HAND_GROUPS, [rule])


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan"), True, "0.5"])
def test_rejects_a_share_outside_zero_one(value: object) -> None:
    with pytest.raises(InvalidInputError, match="must be a number between 0 and 1") as err:
        _call(HAND_GROUPS, [GroupFloor("team", min_matched_share=value)])  # type: ignore[arg-type]
    assert err.value.field == "fairness[0].min_matched_share"


def test_rejects_labels_of_the_wrong_length() -> None:
    with pytest.raises(InvalidInputError, match="give one value per mentee"):
        _call({"team": ["A", "B"]}, [GroupFloor("team", min_matched_share=0.5)])


def test_rejects_labels_of_mixed_types() -> None:
    labels = np.array(["A", 1, "B", None], dtype=object)
    with pytest.raises(InvalidInputError, match="mixes value types"):
        _call({"team": labels}, [GroupFloor("team", min_matched_share=0.5)])


def test_empty_problems() -> None:
    res = assign_group_fair(np.zeros((0, 3)), {"g": []}, [GroupFloor("g", min_matched_share=1)])
    assert res.assignment.n_matched == 0 and res.groups == ()
    with pytest.raises(FloorInfeasibleError, match="at most 0 can be matched"):
        assign_group_fair(np.zeros((2, 0)), {"g": [1, 1]}, [GroupFloor("g", min_matched_share=1)])


@pytest.mark.parametrize(
    ("groups", "rules", "field", "text"),
    [
        (HAND_GROUPS, [{"attribute": "team"}], "fairness[0]", "got dict"),
        ({}, [GroupFloor("team", min_matched_share=0.5)], "fairness[0].attribute", "(known: none)"),
        (HAND_GROUPS, [GroupFloor("team")], "fairness[0]", "(got 0)"),
        (HAND_GROUPS, [GroupFloor("team", max_share_gap=2.0)], "fairness[0].max_share_gap", "2.0"),
        ({"team": ["A"]}, [GroupFloor("team", min_matched_share=0.5)], "groups.team", "(1,)"),
        (
            {"team": np.array(["A", 1, "B", None], dtype=object)},
            [GroupFloor("team", min_matched_share=0.5)],
            "groups.team",
            "with 'unknown' for a missing value",
        ),
    ],
)
def test_each_refusal_names_its_field(groups: object, rules: object, field: str, text: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        _call(groups, rules)
    assert err.value.field == field
    assert text in err.value.message


def test_floors_respect_min_score() -> None:
    # Without min_score team B gets a slot; with 0.6 none of B's pairs is allowed.
    rule = [GroupFloor("team", min_matched_share=0.5)]
    assert assign_group_fair(HAND, HAND_GROUPS, rule).groups[1].matched == 1
    with pytest.raises(FloorInfeasibleError, match="at most 0 can be matched even with no"):
        assign_group_fair(HAND, HAND_GROUPS, rule, min_score=0.6)


def test_relative_form_refusal_states_the_overall_share() -> None:
    s = np.array([[0.5, 0.5], [0.4, 0.0], [0.3, 0.0]])
    ok = np.array([[True, True], [True, False], [True, False]])
    groups = {"a": ["x", "y", "x"], "b": ["p", "p", "q"]}
    rules = [GroupFloor("a", max_share_gap=0.0), GroupFloor("b", min_matched_share=0.5)]
    with pytest.raises(FloorInfeasibleError) as err:
        assign_group_fair(s, groups, rules, allowed=ok)
    assert "overall share 0.6667" in err.value.message
