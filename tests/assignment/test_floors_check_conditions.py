"""The floor certificate check, condition by condition, on a certificate written by hand.

``test_group_fair.py`` rejects a perturbed solver certificate per condition and looks for the
condition's reason among others. Here one small instance has a hand-written certificate in
which every condition of :class:`FloorCertificate` is tight somewhere, all numbers dyadic, so
that each condition can be moved by exactly the tolerance (still valid, as documented) or by
twice it (refused with that reason and no other). Then: every early refusal, the tolerance's
scale term by term, counts across row blocks, empty problems and groups without mentees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import matchsvc.assignment._floors_check as fc
from matchsvc.assignment import (
    Assignment,
    FloorCertificate,
    GroupFloor,
    assign_group_fair,
    verify_floor_certificate,
)
from matchsvc.assignment._certificate import CertificateReport

T = 2.0**-20  # the tolerance; every value below is at most 1 in size, so the scale is 1

# Mentees a, b (group 0, floor 1) and c (group 1, floor 0); mentors X, Y, Z, one slot each.
# a may meet X (1/2) or Z (1/4); b and c only Y (1/8, 3/8). The optimum: a-X and c-Y
# (count 2: Y serves one of b, c), total 7/8; b is unmet, Z has room.
S = np.array([[0.5, 0.0, 0.25], [0.0, 0.125, 0.0], [0.0, 0.375, 0.0]])
OK = np.array([[True, False, True], [False, True, False], [False, True, False]])
GROUPS = np.array([0, 0, 1])
FLOORS = np.array([1, 0])
PAIRS = [[0, 0], [2, 1]]

# Reduced costs: a-X 0, c-Y 0 (matched); a-Z 1/8, b-Y 1/4 (free). Tight: b unmet at its
# group's price, a and c matched at theirs, group 0 (below its demand) and group 1 (above its
# floor) at the source's, Y (full) and Z (room) at the sink's. From the source, the residual
# graph reaches group 0, b, Y, c (back along c-Y), group 1: not a, X, Z.
CERT = FloorCertificate(
    groups=GROUPS,
    floors=FLOORS,
    mentee_potential=np.array([0.0, 0.0, 0.0]),
    mentor_potential=np.array([-0.5, -0.375, -0.375]),
    group_potential=np.array([0.0, 0.0]),
    source_potential=0.0,
    sink_potential=-0.375,
    reach_mentees=np.array([False, True, True]),
    reach_mentors=np.array([False, True, False]),
)


def _assignment(pairs: list[list[int]] = PAIRS, scores: Any = None) -> Assignment:
    p = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    sc = S[p[:, 0], p[:, 1]] if scores is None else np.asarray(scores, dtype=np.float64)
    loads = np.bincount(p[:, 1].clip(0, 2), minlength=3).astype(np.int64)
    un = np.setdiff1d(np.arange(3), p[:, 0]).astype(np.int64)
    return Assignment(p, sc, float(sc.sum()), un, loads, "hand", True, "total")


def _check(
    cert: FloorCertificate = CERT, a: Assignment | None = None, **kw: Any
) -> CertificateReport:
    args: dict[str, Any] = {"capacity": 1, "demand": 1, "allowed": OK, "tol": T}
    args.update(kw)
    groups = args.pop("groups", GROUPS)
    floors = args.pop("floors", FLOORS)
    return verify_floor_certificate(a or _assignment(), cert, groups, floors, S, **args)


def _moved(**kw: Any) -> FloorCertificate:
    return dataclasses.replace(CERT, **kw)


def _vec(name: str, k: int, delta: float) -> npt.NDArray[np.float64]:
    v: npt.NDArray[np.float64] = getattr(CERT, name).copy()
    v[k] += delta
    return v


def test_the_hand_certificate_is_valid() -> None:
    rep = _check()
    assert (rep.valid, rep.tolerance, rep.reasons) == (True, T, ())


# Each condition moved by `d`: at d = T still valid, at d = 2 T refused with its reason only.
MOVES: dict[str, tuple[Callable[[float], FloorCertificate], str]] = {
    "unmet mentee above its group": (
        lambda d: _moved(mentee_potential=_vec("mentee_potential", 1, d)),
        "mentee/group condition violated (an exchange inside a group gains)",
    ),
    "matched mentee below its group": (
        lambda d: _moved(mentee_potential=_vec("mentee_potential", 2, -d)),
        "mentee/group condition violated (an exchange inside a group gains)",
    ),
    "group below its demand above the source": (
        lambda d: _moved(source_potential=-d),
        "group/source condition violated (an exchange between groups gains)",
    ),
    "group above its floor below the source": (
        lambda d: _moved(source_potential=d),
        "group/source condition violated (an exchange between groups gains)",
    ),
    "mentor with room below the sink": (
        lambda d: _moved(sink_potential=-0.375 + d),
        "mentor/sink condition violated (an exchange of mentors gains)",
    ),
    "full mentor above the sink": (
        lambda d: _moved(sink_potential=-0.375 - d),
        "mentor/sink condition violated (an exchange of mentors gains)",
    ),
    "free pair with negative reduced cost": (
        lambda d: _moved(mentor_potential=_vec("mentor_potential", 2, 0.125 + d)),
        "1 unmatched pairs have negative reduced cost (dual infeasible)",
    ),
    "matched pair with positive reduced cost": (
        lambda d: _moved(mentor_potential=_vec("mentor_potential", 0, -d)),
        "1 matched pairs have positive reduced cost (slackness violated)",
    ),
}


@pytest.mark.parametrize("name", list(MOVES))
def test_each_condition_passes_at_the_tolerance_and_fails_alone_beyond_it(name: str) -> None:
    move, reason = MOVES[name]
    at = _check(move(T))
    assert (at.valid, at.reasons) == (True, ())
    beyond = _check(move(2 * T))
    assert (beyond.valid, beyond.reasons) == (False, (reason,))


def test_the_group_source_condition_reads_total_demand_not_head_count() -> None:
    """Two mentees of demand 2, one mentor of capacity 2: each group has one slot of a demand
    of two, so both groups may still grow and their prices must not exceed the source's."""
    s = np.array([[0.5], [0.25]])
    a = Assignment(
        np.array([[0, 0], [1, 0]]), np.array([0.5, 0.25]), 0.75,
        np.zeros(0, dtype=np.int64), np.array([2]), "hand", True, "total",
    )  # fmt: skip
    cert = FloorCertificate(
        groups=np.array([0, 1]),
        floors=np.array([0, 0]),
        mentee_potential=np.zeros(2),
        mentor_potential=np.zeros(1),
        group_potential=np.zeros(2),
        source_potential=0.0,
        sink_potential=0.0,
        reach_mentees=np.array([True, True]),
        reach_mentors=np.array([False]),
    )
    args = (np.array([0, 1]), np.array([0, 0]), s, 2, 2)
    assert verify_floor_certificate(a, cert, *args).valid
    low = dataclasses.replace(cert, source_potential=-0.125)
    assert verify_floor_certificate(a, low, *args).reasons == (
        "group/source condition violated (an exchange between groups gains)",
    )


def test_a_full_group_may_be_priced_above_the_source() -> None:
    """Group 1 has all its demand (c): no residual arc from the source into it, so its price
    may exceed the source's. Shifting c, its group, Y, the sink and Z by 1/16 keeps every
    other condition."""
    d = 1 / 16
    up = _moved(
        mentee_potential=_vec("mentee_potential", 2, d),
        group_potential=_vec("group_potential", 1, d),
        mentor_potential=CERT.mentor_potential + np.array([0.0, d, d]),
        sink_potential=-0.375 + d,
    )
    assert _check(up).valid


def test_min_score_makes_a_matched_pair_forbidden() -> None:
    rep = _check(min_score=0.4)  # c-Y scores 3/8
    assert rep.reasons == ("1 forbidden pairs are matched",)


def test_float_pairs_are_read_as_indices() -> None:
    a = _assignment()
    a = dataclasses.replace(a, pairs=a.pairs.astype(np.float64))
    assert _check(a=a).valid


# ---- the cut, and counts across row blocks ---------------------------------------------------


@pytest.fixture(params=[2048, 1])
def block(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(fc, "_BLOCK", request.param)
    return int(request.param)


def test_valid_in_blocks_of_one_row(block: int) -> None:
    assert _check().valid
    a = _assignment([[2, 1], [0, 0]])  # any pair order
    assert _check(a=a).valid


def test_free_pair_leaving_the_reachable_side(block: int) -> None:
    rep = _check(_moved(reach_mentors=np.array([False, False, False])))
    assert rep.reasons == ("1 pairs cross the cut the wrong way (count not proven maximal)",)


def test_matched_pair_entering_the_reachable_side(block: int) -> None:
    """a-X is matched, a unreachable: X reachable would mean the cut is not closed."""
    rep = _check(_moved(reach_mentors=np.array([True, True, False])))
    assert rep.reasons == ("1 pairs cross the cut the wrong way (count not proven maximal)",)


def test_counts_in_the_first_block_only(block: int) -> None:
    """Every violation below sits in row 0 (mentee a), so the last block adds none."""
    rep = _check(_moved(mentor_potential=_vec("mentor_potential", 2, 0.25)))
    assert rep.reasons == ("1 unmatched pairs have negative reduced cost (dual infeasible)",)
    rep = _check(_moved(mentor_potential=_vec("mentor_potential", 0, -0.125)))
    assert rep.reasons == ("1 matched pairs have positive reduced cost (slackness violated)",)
    ok = OK.copy()
    ok[0, 0] = False
    assert _check(allowed=ok).reasons == ("1 forbidden pairs are matched",)


def test_counts_add_up_across_blocks(block: int) -> None:
    both = _moved(
        reach_mentors=np.array([True, False, False]),  # a-X matched in; b-Y free out
    )
    assert _check(both).reasons == (
        "2 pairs cross the cut the wrong way (count not proven maximal)",
    )
    ok = OK.copy()
    ok[0, 0] = ok[2, 1] = False
    assert _check(allowed=ok).reasons == ("2 forbidden pairs are matched",)


def test_solver_certificate_in_blocks_of_one_row(block: int) -> None:
    """Pairs whose mentor order differs from their mentee order, given in mentor order."""
    hand = np.array([[0.9, 0.8], [0.85, 0.7], [0.5, 0.35], [0.45, 0.3]])
    res = assign_group_fair(
        hand, {"t": ["A", "A", "B", "B"]}, [GroupFloor("t", min_matched_share=0.5)]
    )
    c = res.certificate
    assert c is not None
    a = res.assignment
    assert a.pairs.tolist() == [[0, 1], [2, 0]]
    flipped = dataclasses.replace(a, pairs=a.pairs[::-1].copy(), scores=a.scores[::-1].copy())
    for x in (a, flipped):
        assert verify_floor_certificate(x, c, c.groups, c.floors, hand).valid


# ---- early refusals: invalid, the caller's tolerance, one reason -------------------------------


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"groups": np.array([0, 0])}, "groups must hold one integer per mentee"),
        ({"groups": np.array([0.0, 0.0, 1.0])}, "groups must hold one integer per mentee"),
        ({"groups": np.array([0, 0, 2])}, "groups and floors do not match"),
        ({"groups": np.array([0, -1, 1])}, "groups and floors do not match"),
        ({"floors": np.array([[1], [0]])}, "groups and floors do not match"),
        ({"floors": np.array(1)}, "groups and floors do not match"),
    ],
)
def test_groups_and_floors_refused(kw: dict[str, Any], reason: str) -> None:
    rep = _check(**kw, tol=1e-7)
    assert (rep.valid, rep.tolerance, rep.reasons) == (False, 1e-7, (reason,))


def test_two_dimensional_floors_of_one_group_refused() -> None:
    """``[[1]]`` has one row: as many as the groups, but not a floor per group."""
    one = _moved(group_potential=np.zeros(1))
    rep = _check(one, groups=np.zeros(3, dtype=np.int64), floors=np.array([[1]]), tol=1e-7)
    assert (rep.valid, rep.tolerance, rep.reasons) == (
        False,
        1e-7,
        ("groups and floors do not match",),
    )


@pytest.mark.parametrize(
    "kw",
    [
        {"mentee_potential": np.zeros(2)},
        {"mentor_potential": np.zeros(4)},
        {"group_potential": np.zeros(3)},
        {"reach_mentees": np.zeros(2, dtype=bool)},
    ],
)
def test_certificate_shape_refused(kw: dict[str, Any]) -> None:
    rep = _check(_moved(**kw), tol=1e-7)
    assert (rep.valid, rep.tolerance, rep.reasons) == (
        False,
        1e-7,
        ("certificate has the wrong shape",),
    )


@pytest.mark.parametrize("pair", [[-1, 0], [3, 0], [0, 3], [0, -1]])
def test_pairs_out_of_range_refused(pair: list[int]) -> None:
    rep = _check(a=_assignment([pair, [2, 1]], scores=[0.0, 0.375]))
    assert (rep.valid, rep.tolerance, rep.reasons) == (False, T, ("pairs out of range",))


def test_floor_message_names_the_first_group_below_its_floor() -> None:
    """Group 0 exactly at its floor, group 1 below it: the message names group 1."""
    a = _assignment([[0, 0], [1, 2]], scores=[0.5, 0.0])
    rep = _check(a=a, floors=np.array([2, 1]))
    assert "floor violated: group 1 has 0 slots, floor 1" in rep.reasons
    assert not any("group 0" in r for r in rep.reasons)


# ---- the tolerance: tol * max(1, max |matched score|, max |potential|, |source|, |sink|) -------


def test_tolerance_scales_with_each_term() -> None:
    assert _check(tol=1e-9).tolerance == 1e-9
    cases = [
        (_moved(mentee_potential=_vec("mentee_potential", 0, -4.0)), None, 4.0),
        (_moved(mentor_potential=_vec("mentor_potential", 1, -5.0)), None, 5.375),
        (_moved(group_potential=_vec("group_potential", 1, -6.0)), None, 6.0),
        (_moved(source_potential=8.0), None, 8.0),
        (_moved(sink_potential=-16.0), None, 16.0),
        (CERT, _assignment(scores=[-32.0, 0.375]), 32.0),
    ]
    for cert, a, scale in cases:
        assert _check(cert, a, tol=1e-9).tolerance == 1e-9 * scale


# ---- empty problems and groups without mentees -----------------------------------------------


def test_an_empty_problem_with_an_empty_certificate_is_valid() -> None:
    empty = FloorCertificate(
        groups=np.zeros(0, dtype=np.int64),
        floors=np.zeros(0, dtype=np.int64),
        mentee_potential=np.zeros(0),
        mentor_potential=np.zeros(2),
        group_potential=np.zeros(0),
        source_potential=0.0,
        sink_potential=0.0,
        reach_mentees=np.zeros(0, dtype=bool),
        reach_mentors=np.zeros(2, dtype=bool),
    )
    a = Assignment(
        np.zeros((0, 2), dtype=np.int64), np.zeros(0), 0.0, np.zeros(0, dtype=np.int64),
        np.zeros(2, dtype=np.int64), "hand", True, "total",
    )  # fmt: skip
    rep = verify_floor_certificate(a, empty, empty.groups, empty.floors, np.zeros((0, 2)))
    assert (rep.valid, rep.tolerance) == (True, 1e-9)


def test_no_mentors_and_floors_of_zero() -> None:
    """Nobody can be matched: every mentee unmet, reachable, priced at or below its group."""
    cert = FloorCertificate(
        groups=GROUPS,
        floors=np.zeros(2, dtype=np.int64),
        mentee_potential=np.zeros(3),
        mentor_potential=np.zeros(0),
        group_potential=np.zeros(2),
        source_potential=0.0,
        sink_potential=0.0,
        reach_mentees=np.ones(3, dtype=bool),
        reach_mentors=np.zeros(0, dtype=bool),
    )
    a = Assignment(
        np.zeros((0, 2), dtype=np.int64), np.zeros(0), 0.0, np.arange(3, dtype=np.int64),
        np.zeros(0, dtype=np.int64), "hand", True, "total",
    )  # fmt: skip
    rep = verify_floor_certificate(a, cert, GROUPS, cert.floors, np.zeros((3, 0)))
    assert (rep.valid, rep.reasons) == (True, ())
    reach = np.array([True, False, True])
    rep = verify_floor_certificate(
        a, dataclasses.replace(cert, reach_mentees=reach), GROUPS, cert.floors, np.zeros((3, 0))
    )
    assert rep.reasons == ("cut: a mentee with unmet demand is outside the source side",)


def test_a_group_without_mentees() -> None:
    """A third group nobody belongs to, with floor 0: counted as zero slots, not refused."""
    three = _moved(group_potential=np.zeros(3))
    rep = _check(three, floors=np.array([1, 0, 0]))
    assert (rep.valid, rep.reasons) == (True, ())
    rep = _check(three, floors=np.array([1, 0, 1]))
    assert rep.reasons == ("floor violated: group 2 has 0 slots, floor 1",)
