"""verify_certificate: one test per condition, each fed a result that breaks only that one.

Two kinds of input:

* ``tight``: a hand-made 2 x 2 instance whose certificate is tight everywhere (every reduced
  cost and node condition holds with equality, all values multiples of 1/16, so float64 is
  exact). Moving one price by exactly the tolerance is still valid; by twice the tolerance it
  fails with that condition's code and no other.
* ``grouped``: a solver's certificate on an instance with every kind of node (mentees left
  out, mentors with spare room, a reachable and an unreachable side of the cut), dense
  (14 mentees) and as a block source of 2,100 mentees, so the violation sits in the second
  block of rows that ``verify_certificate`` reads (it reads 2,048 rows at a time).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from matchsvc.assignment import (
    Assignment,
    Certificate,
    CertificateCode,
    CertificateReport,
    assign,
    verify_certificate,
)
from matchsvc.errors import InvalidInputError

C = CertificateCode
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
BLOCK_ROWS = 2048  # rows per block read by verify_certificate


class Rows:
    """A :class:`BlockScores` over an in-memory matrix; records the blocks read."""

    def __init__(self, s: FloatArray) -> None:
        self._s = s
        self.calls: list[tuple[int, int]] = []

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self._s.shape[0]), int(self._s.shape[1]))

    def block(self, i0: int, i1: int) -> FloatArray:
        self.calls.append((i0, i1))
        return self._s[i0:i1]


def source(s: FloatArray, kind: str) -> Any:
    return s if kind == "dense" else Rows(s)


def expect(report: CertificateReport, *codes: CertificateCode) -> None:
    """``report`` fails with exactly ``codes`` (in the checker's order), one reason each."""
    assert report.codes == codes, report.reasons
    assert len(report.reasons) == len(codes)
    assert report.valid == (not codes)


# -- the tight 2 x 2 instance ----------------------------------------------------------------
#
# Mentee 0 is matched to mentor 0 (score 1); mentee 1 can only use mentor 0 too, so it is left
# out; mentor 1 is allowed for no one, so it keeps its spare place. In the flow convention the
# conditions are: (0, 0) matched: pe0 - pr0 - 1 <= 0; (1, 0) free: pe1 - pr0 >= 0; mentee 1
# unmet: pe1 <= ps; mentee 0 matched: pe0 >= ps; mentor 0 used: pr0 <= pt; mentor 1 spare:
# pr1 >= pt. They cannot all be tight at once (a matched pair is worth 1), so there are two
# certificates: "unmet" makes pe1 <= ps tight, "matched" makes pe0 >= ps tight; every other
# condition is tight in both. Prices lie in [-0.5, 0.5], so the scale
# max(1, |scores|, |prices|) stays exactly 1 while a price moves by a few sixteenths.
TIGHT_S = np.array([[1.0, 0.0], [0.0, 0.0]])
TIGHT_OK = np.array([[True, False], [True, False]])
TIGHT_CAP = np.array([1, 1])
TOL = 1.0 / 16  # verify_certificate(tol=TOL): absolute tolerance TOL * 1
SOURCE_LEVEL = {"unmet": -0.5, "matched": 0.5}


def tight(base: str = "unmet") -> tuple[Assignment, Certificate]:
    cert = Certificate(
        mentee_potential=np.array([0.5, -0.5]),
        mentor_potential=np.array([-0.5, -0.5]),
        source_potential=SOURCE_LEVEL[base],
        sink_potential=-0.5,
        reach_mentees=np.array([True, True]),
        reach_mentors=np.array([True, False]),
    )
    a = Assignment(
        pairs=np.array([[0, 0]], dtype=np.int64),
        scores=np.array([1.0]),
        total=1.0,
        unmatched=np.array([0, 1], dtype=np.int64),
        loads=np.array([1, 0], dtype=np.int64),
        solver="hand",
        optimal=True,
        objective="total",
        certificate=cert,
    )
    return a, cert


def check_tight(cert: Certificate, kind: str = "dense") -> CertificateReport:
    a, _ = tight()
    return verify_certificate(
        a, source(TIGHT_S, kind), TIGHT_CAP, None, TIGHT_OK, certificate=cert, tol=TOL
    )


def moved(cert: Certificate, moves: list[tuple[str, int | None, float]]) -> Certificate:
    """``cert`` with each ``(field, index, delta)`` price moved by ``delta``."""
    for field, index, delta in moves:
        if index is None:
            cert = dataclasses.replace(cert, **{field: getattr(cert, field) + delta})
        else:
            arr = getattr(cert, field).copy()
            arr[index] += delta
            cert = dataclasses.replace(cert, **{field: arr})
    return cert


@pytest.mark.parametrize("base", ["unmet", "matched"])
def test_tight_certificates_are_valid_for_the_solvers_optimum(base: str) -> None:
    a, cert = tight(base)
    for kind in ("dense", "blocks"):
        report = check_tight(cert, kind)
        expect(report)
        assert report.tolerance == TOL
    ref = assign(TIGHT_S, capacity=TIGHT_CAP, allowed=TIGHT_OK, solver="flow")
    assert ref.pairs.tolist() == a.pairs.tolist() and ref.total == a.total


# (base, moves as (field, index, sign), code): moving by sign * d breaks only that condition
# once d is beyond the tolerance.
TIGHT_MOVES = [
    # matched pair (0, 0): mentee 0 priced up -> reduced cost d > 0
    ("unmet", [("mentee_potential", 0, +1)], C.POSITIVE_REDUCED_COST),
    # free pair (1, 0): mentee 1 priced down -> reduced cost -d < 0
    ("unmet", [("mentee_potential", 1, -1)], C.NEGATIVE_REDUCED_COST),
    # source down: mentee 1 (unmet demand) is then priced above the source
    ("unmet", [("source_potential", None, -1)], C.SOURCE_CONDITION),
    # mentee 1 priced up (its free pair only gains slack): above the source
    ("unmet", [("mentee_potential", 1, +1)], C.SOURCE_CONDITION),
    # source up: mentee 0 (matched) is then priced below the source
    ("matched", [("source_potential", None, +1)], C.SOURCE_CONDITION),
    # mentee 0 priced down (its matched pair only gains slack): below the source
    ("matched", [("mentee_potential", 0, -1)], C.SOURCE_CONDITION),
    # sink up: mentor 1 (spare room) is then priced below the sink
    ("unmet", [("sink_potential", None, +1)], C.SINK_CONDITION),
    # mentor 1 priced down: below the sink (it has no pair, nothing else moves)
    ("unmet", [("mentor_potential", 1, -1)], C.SINK_CONDITION),
    # sink down: mentor 0 (has a mentee) is then priced above the sink
    ("unmet", [("sink_potential", None, -1)], C.SINK_CONDITION),
    # mentor 0 priced up with mentee 1 (keeps (1, 0) tight; mentee 1 stays below the source
    # of the "matched" certificate): above the sink
    ("matched", [("mentor_potential", 0, +1), ("mentee_potential", 1, +1)], C.SINK_CONDITION),
]


REASONS = {
    C.SOURCE_CONDITION: "source condition violated (a cheaper exchange of mentees exists)",
    C.SINK_CONDITION: "sink condition violated (a cheaper exchange of mentors exists)",
    C.POSITIVE_REDUCED_COST: "1 matched pairs have positive reduced cost (slackness violated)",
    C.NEGATIVE_REDUCED_COST: "1 unmatched pairs have negative reduced cost (dual infeasible)",
}


@pytest.mark.parametrize("kind", ["dense", "blocks"])
@pytest.mark.parametrize(("base", "moves", "code"), TIGHT_MOVES)
def test_tight_condition_holds_at_the_tolerance_and_fails_beyond(
    kind: str, base: str, moves: list[tuple[str, int | None, int]], code: CertificateCode
) -> None:
    _, cert = tight(base)
    at_tol = check_tight(moved(cert, [(f, i, sign * TOL) for f, i, sign in moves]), kind)
    expect(at_tol)  # "beyond tol" is strict: equal to it still holds
    beyond = check_tight(moved(cert, [(f, i, sign * 2 * TOL) for f, i, sign in moves]), kind)
    expect(beyond, code)
    assert beyond.reasons[0] == REASONS.get(code, beyond.reasons[0])


def test_cut_conditions_on_the_tight_instance() -> None:
    _, cert = tight()
    out = dataclasses.replace(cert, reach_mentees=np.array([True, False]))
    report = check_tight(out)
    expect(report, C.CUT_UNMET_MENTEE_OUTSIDE)
    assert report.reasons == ("cut: a mentee with unmet demand is outside the source side",)
    spare = dataclasses.replace(cert, reach_mentors=np.array([True, True]))
    report = check_tight(spare)
    expect(report, C.CUT_SPARE_MENTOR_REACHABLE)
    assert report.reasons == ("cut: a mentor with spare capacity is reachable (augmenting path)",)
    # mentor 0 off the source side: the free pair (1, 0) leaves it (a longer matching is
    # not ruled out); mentee 0 off it: its matched pair (0, 0) enters it
    free_arc = dataclasses.replace(cert, reach_mentors=np.array([False, False]))
    report = check_tight(free_arc)
    expect(report, C.CUT_ARC)
    assert report.reasons[0].startswith("1 arcs cross the cut")
    matched_arc = dataclasses.replace(cert, reach_mentees=np.array([False, True]))
    report = check_tight(matched_arc)
    expect(report, C.CUT_ARC)
    assert report.reasons[0].startswith("1 arcs cross the cut")


def test_tolerance_scales_with_the_largest_score_and_price() -> None:
    a, cert = tight()
    big = dataclasses.replace(cert, mentor_potential=np.array([-0.5, -3.0]))
    report = verify_certificate(a, TIGHT_S, TIGHT_CAP, None, TIGHT_OK, certificate=big)
    assert report.tolerance == 1e-9 * 3.0
    a7 = dataclasses.replace(a, scores=np.array([-7.0]))
    report = verify_certificate(a7, TIGHT_S, TIGHT_CAP, None, TIGHT_OK)
    assert report.tolerance == 1e-9 * 7.0
    pe = dataclasses.replace(cert, mentee_potential=np.array([0.5, -5.0]))
    report = verify_certificate(a, TIGHT_S, TIGHT_CAP, None, TIGHT_OK, certificate=pe)
    assert report.tolerance == 1e-9 * 5.0
    report = verify_certificate(a, TIGHT_S, TIGHT_CAP, None, TIGHT_OK)
    assert report.tolerance == 1.0e-9 and report.valid
    small = dataclasses.replace(a, scores=np.array([0.25]))
    report = verify_certificate(small, TIGHT_S, TIGHT_CAP, None, TIGHT_OK)
    assert report.tolerance == 1.0e-9  # every value below 1 (0.25, 0.5): the scale stays 1


# -- the grouped instance, solved by the flow solver ------------------------------------------


@dataclasses.dataclass
class Case:
    """A solved instance and its arrays; ``check`` re-verifies with any part replaced."""

    kind: str
    s: FloatArray
    cap: IntArray
    dem: IntArray
    ok: BoolArray
    a: Assignment
    cert: Certificate

    @property
    def matched(self) -> BoolArray:
        out = np.zeros(self.s.shape, dtype=np.bool_)
        out[self.a.pairs[:, 0], self.a.pairs[:, 1]] = True
        return out

    @property
    def got_d(self) -> IntArray:
        return np.bincount(self.a.pairs[:, 0], minlength=self.s.shape[0])

    @property
    def first_row(self) -> int:
        """Violations in rows from here on: the last block for a block source."""
        return BLOCK_ROWS if self.kind == "blocks" else 0

    def check(self, **kw: Any) -> CertificateReport:
        a = kw.pop("a", self.a)
        s = kw.pop("s", self.s)
        args = {"capacity": self.cap, "demand": self.dem, "allowed": self.ok} | kw
        return verify_certificate(a, source(s, self.kind), **args)


def grouped(n: int, seed: int = 0) -> tuple[FloatArray, IntArray, IntArray, BoolArray]:
    """Group A (mentees i % 4 != 3) may only use mentors 0-2, which have 3 places fewer than
    A has mentees; the 3 left out are A's last (lowest-scoring) mentees. Group B (i % 4 == 3,
    every other one wanting 2 mentors) may only use mentors 3-5, which have room to spare;
    mentor 5 scores lowest and gets no one."""
    rng = np.random.default_rng(seed)
    m = 6
    group_a = np.arange(n) % 4 != 3
    ok = np.zeros((n, m), dtype=np.bool_)
    ok[group_a, :3] = True
    ok[~group_a, 3:] = True
    # Later mentees score lower, by more than the noise: A's last three are left out.
    level = np.linspace(2.0, 1.0, n)
    s = level[:, None] + rng.uniform(0.0, 0.1 / (n - 1), (n, m))
    s[:, 5] = -1.0
    na, nb = int(group_a.sum()), int((~group_a).sum())
    places = na - 3
    cap = np.array(
        [places // 3, places // 3, places - 2 * (places // 3), nb + 1, nb + 1, nb], np.int64
    )
    dem = np.ones(n, dtype=np.int64)
    dem[np.flatnonzero(~group_a)[1::2]] = 2
    return s, cap, dem, ok


@pytest.fixture(params=["dense", "blocks"])
def case(request: pytest.FixtureRequest) -> Case:
    kind = str(request.param)
    n = 14 if kind == "dense" else BLOCK_ROWS + 52
    s, cap, dem, ok = grouped(n)
    a = assign(s, capacity=cap, demand=dem, allowed=ok, solver="flow")
    assert a.certificate is not None
    return Case(kind, s, cap, dem, ok, a, a.certificate)


def test_grouped_instance_has_every_kind_of_node(case: Case) -> None:
    report = case.check()
    expect(report)
    c, n = case.cert, case.s.shape[0]
    unmet = case.dem - case.got_d
    left_out = np.flatnonzero(unmet > 0)
    assert left_out.tolist() == [i for i in range(n) if i % 4 != 3][-3:]
    assert left_out.min() >= case.first_row
    assert case.a.loads[:3].tolist() == case.cap[:3].tolist()  # A's mentors are full
    assert case.a.loads[5] == 0 and (case.a.loads[3:] < case.cap[3:]).all()
    np.testing.assert_array_equal(c.reach_mentees, np.arange(n) % 4 != 3)
    assert c.reach_mentors.tolist() == [True] * 3 + [False] * 3
    if case.kind == "blocks":
        assert isinstance(case.s, np.ndarray)
        rows = Rows(case.s)
        verify_certificate(case.a, rows, case.cap, case.dem, case.ok)
        assert rows.calls == [(0, BLOCK_ROWS), (BLOCK_ROWS, case.s.shape[0])]


def test_matched_pair_with_positive_reduced_cost(case: Case) -> None:
    i, j = case.a.pairs[-1]
    assert i >= case.first_row
    s = case.s.copy()
    s[i, j] -= 1.0  # the pair is worth less than its prices say: slackness fails
    s[tuple(case.a.pairs[0])] -= 1.0  # and one in the first block
    report = case.check(s=s)
    expect(report, C.POSITIVE_REDUCED_COST)
    assert report.reasons[0].startswith("2 matched pairs have positive reduced cost")


def test_unmatched_pairs_with_negative_reduced_cost(case: Case) -> None:
    free = case.ok & ~case.matched
    rows = np.flatnonzero(free.any(axis=1))[-2:]
    assert rows.min() >= case.first_row
    rows = np.concatenate([np.flatnonzero(free.any(axis=1))[:1], rows])  # one in block one
    s = case.s.copy()
    for i in rows:
        j = np.flatnonzero(free[i])[0]
        s[i, j] += 10.0  # a free pair now beats its prices: dual infeasible
    report = case.check(s=s)
    expect(report, C.NEGATIVE_REDUCED_COST)
    assert report.reasons[0].startswith("3 unmatched pairs have negative reduced cost")


def test_forbidding_a_matched_pair(case: Case) -> None:
    ok = case.ok.copy()
    for i, j in [*case.a.pairs[:1], *case.a.pairs[-3:]]:  # in both blocks of a block source
        ok[i, j] = False
    report = case.check(allowed=ok)
    expect(report, C.FORBIDDEN_PAIR)
    assert report.reasons[0] == "4 forbidden pairs are matched"


def test_min_score_forbids_the_matched_pairs_below_it(case: Case) -> None:
    low = float(np.sort(case.a.scores)[1])
    below = int((case.a.scores < low).sum())
    assert below >= 1
    report = case.check(min_score=low)
    expect(report, C.FORBIDDEN_PAIR)
    assert report.reasons[0] == f"{below} forbidden pairs are matched"
    expect(case.check(min_score=float(case.a.scores.min())))


def test_source_condition_unmet_mentee_priced_above_the_source(case: Case) -> None:
    unmet = case.dem - case.got_d > 0
    ps = float(case.cert.mentee_potential[unmet].min()) - 1.0
    expect(case.check(certificate=dataclasses.replace(case.cert, source_potential=ps)),
           C.SOURCE_CONDITION)  # fmt: skip


def test_source_condition_matched_mentee_priced_below_the_source(case: Case) -> None:
    ps = float(case.cert.mentee_potential[case.got_d > 0].max()) + 1.0
    expect(case.check(certificate=dataclasses.replace(case.cert, source_potential=ps)),
           C.SOURCE_CONDITION)  # fmt: skip


def test_source_condition_one_unmet_mentee_in_the_last_block(case: Case) -> None:
    i = int(np.flatnonzero(case.dem - case.got_d > 0)[-1])
    pe = case.cert.mentee_potential.copy()
    pe[i] = case.cert.source_potential + 1.0  # it has no matched pair: no reduced cost moves up
    expect(case.check(certificate=dataclasses.replace(case.cert, mentee_potential=pe)),
           C.SOURCE_CONDITION)  # fmt: skip


def test_sink_condition_spare_mentor_priced_below_the_sink(case: Case) -> None:
    spare = case.a.loads < case.cap
    pt = float(case.cert.mentor_potential[spare].min()) + 1.0
    expect(case.check(certificate=dataclasses.replace(case.cert, sink_potential=pt)),
           C.SINK_CONDITION)  # fmt: skip


def test_sink_condition_used_mentor_priced_above_the_sink(case: Case) -> None:
    pt = float(case.cert.mentor_potential[case.a.loads > 0].max()) - 1.0
    expect(case.check(certificate=dataclasses.replace(case.cert, sink_potential=pt)),
           C.SINK_CONDITION)  # fmt: skip


def test_cut_unmet_mentee_outside_the_source_side(case: Case) -> None:
    i = int(np.flatnonzero(case.dem - case.got_d > 0)[-1])
    assert i >= case.first_row and case.got_d[i] == 0
    reach = case.cert.reach_mentees.copy()
    reach[i] = False
    expect(case.check(certificate=dataclasses.replace(case.cert, reach_mentees=reach)),
           C.CUT_UNMET_MENTEE_OUTSIDE)  # fmt: skip


def test_cut_spare_mentor_reachable(case: Case) -> None:
    assert case.a.loads[5] == 0 < case.cap[5]
    reach = case.cert.reach_mentors.copy()
    reach[5] = True  # no mentee reaches mentor 5 and no pair uses it: only the cut fails
    expect(case.check(certificate=dataclasses.replace(case.cert, reach_mentors=reach)),
           C.CUT_SPARE_MENTOR_REACHABLE)  # fmt: skip


@pytest.mark.parametrize("j", [0, 2])
def test_cut_arc_free_pair_leaves_the_source_side(case: Case, j: int) -> None:
    reach = case.cert.reach_mentors.copy()
    reach[j] = False  # mentor j is full, so only the free pairs into it now cross the cut
    crossing = int((case.ok[:, j] & ~case.matched[:, j] & case.cert.reach_mentees).sum())
    assert crossing >= 3
    report = case.check(certificate=dataclasses.replace(case.cert, reach_mentors=reach))
    expect(report, C.CUT_ARC)
    assert report.reasons[0].startswith(f"{crossing} arcs cross the cut")


def test_cut_arc_matched_pair_enters_the_source_side(case: Case) -> None:
    rows = np.flatnonzero((case.got_d > 0) & (case.dem == case.got_d) & case.cert.reach_mentees)
    picked = rows[-2:]
    assert picked.min() >= case.first_row
    reach = case.cert.reach_mentees.copy()
    reach[picked] = False  # matched to a reachable mentor: two matched pairs cross
    report = case.check(certificate=dataclasses.replace(case.cert, reach_mentees=reach))
    expect(report, C.CUT_ARC)
    assert report.reasons[0].startswith("2 arcs cross the cut")


def test_mentee_over_its_demand(case: Case) -> None:
    dem = case.dem.copy()
    i = int(case.a.pairs[-1, 0])
    dem[i] -= 1
    report = case.check(demand=dem)
    expect(report, C.DEMAND_EXCEEDED)
    assert report.reasons == ("a mentee exceeds its demand",)


def test_mentor_over_its_capacity(case: Case) -> None:
    cap = case.cap.copy()
    cap[1] -= 1  # mentor 1 is full: one place fewer than it has mentees
    report = case.check(capacity=cap)
    expect(report, C.CAPACITY_EXCEEDED)
    assert report.reasons == ("a mentor exceeds its capacity",)


def test_duplicate_pair(case: Case) -> None:
    k = int(np.flatnonzero(case.a.pairs[:, 1] >= 3)[-1])  # a group-B pair: its mentor has room
    i, j = case.a.pairs[k]
    pairs = np.insert(case.a.pairs, k, case.a.pairs[k], axis=0)
    a = dataclasses.replace(case.a, pairs=pairs, scores=np.insert(case.a.scores, k, case.s[i, j]))
    dem, cap = case.dem.copy(), case.cap.copy()
    dem[i] += 1  # room for the copy: only the duplicate itself is wrong
    cap[j] += 1
    report = case.check(a=a, demand=dem, capacity=cap)
    expect(report, C.DUPLICATE_PAIRS)
    assert report.reasons == ("duplicate pairs",)


@pytest.mark.parametrize(
    "bad",
    ["mentee_n", "mentor_m", "mentee_negative", "mentor_negative", "scores_short"],
)
def test_pairs_out_of_range(case: Case, bad: str) -> None:
    n, m = case.s.shape
    pairs, scores = case.a.pairs.copy(), case.a.scores
    if bad == "mentee_n":
        pairs[-1, 0] = n
    elif bad == "mentor_m":
        pairs[-1, 1] = m
    elif bad == "mentee_negative":
        pairs[0, 0] = -1
    elif bad == "mentor_negative":
        pairs[0, 1] = -1
    else:
        scores = scores[:-1]
    a = dataclasses.replace(case.a, pairs=pairs, scores=scores)
    report = case.check(a=a)
    expect(report, C.PAIRS_OUT_OF_RANGE)
    assert report.reasons == ("pairs out of range",)


@pytest.mark.parametrize(
    "field", ["mentee_potential", "mentor_potential", "reach_mentees", "reach_mentors"]
)
def test_certificate_of_the_wrong_shape(case: Case, field: str) -> None:
    short = dataclasses.replace(case.cert, **{field: getattr(case.cert, field)[:-1]})
    report = case.check(certificate=short)
    expect(report, C.CERTIFICATE_SHAPE)
    # the feasibility checks before it still report
    cap = case.cap.copy()
    cap[0] -= 1
    expect(case.check(certificate=short, capacity=cap), C.CAPACITY_EXCEEDED, C.CERTIFICATE_SHAPE)


@pytest.mark.parametrize(
    ("field", "index", "value"),
    [
        ("mentee_potential", -1, np.nan),
        ("mentee_potential", 0, np.inf),
        ("mentor_potential", 5, -np.inf),
        ("mentor_potential", 0, np.nan),
        ("source_potential", None, np.nan),
        ("sink_potential", None, np.inf),
    ],
)
def test_non_finite_prices_are_rejected(
    case: Case, field: str, index: int | None, value: float
) -> None:
    if index is None:
        bad = dataclasses.replace(case.cert, **{field: value})
    else:
        arr = getattr(case.cert, field).copy()
        arr[index] = value
        bad = dataclasses.replace(case.cert, **{field: arr})
    report = case.check(certificate=bad)
    expect(report, C.NON_FINITE_POTENTIAL)
    assert report.reasons == ("certificate has non-finite potentials",)


def test_no_certificate(case: Case) -> None:
    bare = dataclasses.replace(case.a, certificate=None)
    report = case.check(a=bare, tol=1e-7)
    expect(report, C.NO_CERTIFICATE)
    assert report.tolerance == 1e-7 and report.reasons == ("no certificate",)
    expect(case.check(a=bare, certificate=case.cert))  # passed separately, it is used


def test_an_explicit_certificate_overrides_the_assignments_own(case: Case) -> None:
    other = dataclasses.replace(case.cert, sink_potential=case.cert.sink_potential - 1.0)
    wrong = dataclasses.replace(case.a, certificate=other)
    expect(case.check(a=wrong), C.SINK_CONDITION)
    expect(case.check(a=wrong, certificate=case.cert))


def test_inputs_are_validated_like_assign(case: Case) -> None:
    with pytest.raises(InvalidInputError, match="capacity has 5 entries") as err:
        case.check(capacity=case.cap[:-1])
    assert err.value.field == "capacity"


def test_several_conditions_are_reported_together(case: Case) -> None:
    s = case.s.copy()
    i, j = case.a.pairs[-1]
    s[i, j] -= 1.0
    cap = case.cap.copy()
    cap[1] -= 1
    cert = dataclasses.replace(case.cert, sink_potential=case.cert.sink_potential - 1.0)
    expect(
        case.check(s=s, capacity=cap, certificate=cert),
        C.CAPACITY_EXCEEDED,
        C.SINK_CONDITION,
        C.POSITIVE_REDUCED_COST,
    )


def test_certificates_of_both_exact_solvers_pass_on_both_sources(case: Case) -> None:
    got = assign(source(case.s, case.kind), case.cap, case.dem, case.ok, solver="pricing")
    assert (got.n_matched, got.total) == (case.a.n_matched, pytest.approx(case.a.total))
    expect(case.check(a=got))
