"""The peer certificate check, branch by branch (issue #21: mutation testing of the new modes).

``test_peer_certificate.py`` breaks each condition once and reads the code. Here every
branch of each condition is broken alone (each shape rule, each matching rule, each odd-set
rule), the reports' messages and counts are compared with counts made independently, the
tolerance's scale is pinned term by term, the documented boundaries (``<= tol * scale``
passes) are hit exactly with dyadic numbers, and the block loop is run with blocks of two
rows and through a block source.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import matchsvc.assignment._peer_verify as pv
from matchsvc.assignment import (
    PeerAssignment,
    PeerCertificate,
    PeerReason,
    assign_peers,
    verify_peer_certificate,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TOL = 1e-9


def _pool(n: int, seed: int) -> FloatArray:
    """Clustered cosines (every value and dual below 1, several odd sets with a dual)."""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(3, 6))
    v = c[rng.integers(0, 3, n)] + 0.8 * rng.normal(size=(n, 6))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    s: FloatArray = v @ v.T
    return s


def _cert(r: PeerAssignment) -> PeerCertificate:
    assert r.certificate is not None
    return r.certificate


@pytest.fixture(scope="module")
def even() -> tuple[FloatArray, PeerAssignment]:
    s = _pool(30, 0)
    r = assign_peers(s, candidates=3)
    c = _cert(r)
    # the premises the tests below rely on
    assert c.n_blossoms >= 2 and r.n_pairs == 15 and c.barrier.size == 0
    assert max(np.abs(c.vertex_dual).max(), c.blossom_dual.max(), r.scores.max()) < 1.0
    return s, r


@pytest.fixture(scope="module")
def odd() -> tuple[FloatArray, PeerAssignment]:
    s = _pool(31, 1)
    return s, assign_peers(s, candidates=3)


def _with_sets(c: PeerCertificate, sets: list[list[int]], z: list[float]) -> PeerCertificate:
    mem = [c.blossom_members] + [np.array(m, dtype=np.int64) for m in sets]
    ptr = np.concatenate([c.blossom_ptr, c.blossom_ptr[-1] + np.cumsum([len(m) for m in sets])])
    return dataclasses.replace(
        c,
        blossom_dual=np.concatenate([c.blossom_dual, np.asarray(z, dtype=np.float64)]),
        blossom_ptr=ptr.astype(np.int64),
        blossom_members=np.concatenate(mem).astype(np.int64),
    )


def _reduced(s: FloatArray, c: PeerCertificate) -> FloatArray:
    """``u_i + u_j + sum_{B ni i, j} z_B - s_ij`` for every pair, computed densely."""
    u = c.vertex_dual
    red = u[:, None] + u[None, :] - s
    for b in range(c.n_blossoms):
        mem = c.members(b)
        red[np.ix_(mem, mem)] += c.blossom_dual[b]
    out: FloatArray = red
    return out


# ---- early refusals: invalid, the caller's tolerance, one message ----------------------------


def test_no_certificate_report(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    rep = verify_peer_certificate(dataclasses.replace(r, certificate=None), s, tol=1e-7)
    assert (rep.valid, rep.tolerance) == (False, 1e-7)
    assert rep.codes == (PeerReason.NO_CERTIFICATE,)
    assert rep.reasons == ("the result carries no certificate",)


def _shape_cases(c: PeerCertificate) -> dict[str, PeerCertificate]:
    """One certificate per shape rule, each breaking only that rule."""
    two_more = _with_sets(c, [[0, 1, 2], [3, 4, 5]], [0.0, 0.0])
    p = two_more.blossom_ptr.copy()
    p[-2], p[-3] = p[-3], p[-2]  # one decrease; first 0, last the member count
    bad_u = c.vertex_dual.copy()
    bad_u[3] = np.nan
    bad_z = c.blossom_dual.copy()
    bad_z[0] = np.inf
    ptr0 = c.blossom_ptr.copy()
    ptr0[0] = 1
    return {
        "vertex_dual_length": dataclasses.replace(c, vertex_dual=c.vertex_dual[:-1]),
        "blossom_dual_2d": dataclasses.replace(c, blossom_dual=c.blossom_dual[:, None]),
        "ptr_length": dataclasses.replace(
            c, blossom_ptr=np.append(c.blossom_ptr, c.blossom_ptr[-1])
        ),
        "ptr_not_from_0": dataclasses.replace(c, blossom_ptr=ptr0),
        "ptr_not_to_the_end": dataclasses.replace(
            c, blossom_members=np.append(c.blossom_members, 7).astype(np.int64)
        ),
        "ptr_decreasing": dataclasses.replace(two_more, blossom_ptr=p),
        "barrier_2d": dataclasses.replace(c, barrier=np.zeros((1, 1), dtype=np.int64)),
        "vertex_dual_nan": dataclasses.replace(c, vertex_dual=bad_u),
        "blossom_dual_inf": dataclasses.replace(c, blossom_dual=bad_z),
    }


SHAPE_CASES = [
    "vertex_dual_length",
    "blossom_dual_2d",
    "ptr_length",
    "ptr_not_from_0",
    "ptr_not_to_the_end",
    "ptr_decreasing",
    "barrier_2d",
    "vertex_dual_nan",
    "blossom_dual_inf",
]


@pytest.mark.parametrize("case", SHAPE_CASES)
def test_each_shape_rule_alone(case: str, even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    rep = verify_peer_certificate(r, s, certificate=_shape_cases(_cert(r))[case], tol=1e-7)
    assert (rep.valid, rep.tolerance, rep.codes) == (False, 1e-7, (PeerReason.SHAPE,))
    assert rep.reasons == ("certificate arrays do not describe a pool of 30 people",)


def test_an_empty_odd_set_is_an_invalid_set_not_a_shape_error(
    even: tuple[FloatArray, PeerAssignment],
) -> None:
    """A repeated pointer is a well-formed empty set; the set rule, not the shape, refuses it."""
    s, r = even
    c = _cert(r)
    ptr = np.append(c.blossom_ptr, c.blossom_ptr[-1]).astype(np.int64)
    c = dataclasses.replace(c, blossom_dual=np.append(c.blossom_dual, 0.5), blossom_ptr=ptr)
    rep = verify_peer_certificate(r, s, certificate=c)
    assert rep.codes == (PeerReason.BLOSSOM_INVALID,)
    assert rep.reasons == (f"odd set {c.n_blossoms - 1} has members out of range",)


def test_integer_arrays_given_as_floats_are_read_as_integers(
    even: tuple[FloatArray, PeerAssignment],
) -> None:
    """Pointers, members and the Tutte set read back as floats (e.g. from JSON numbers)."""
    s, r = even
    c = _cert(r)
    as_float = dataclasses.replace(
        c,
        blossom_ptr=c.blossom_ptr.astype(np.float64),
        blossom_members=c.blossom_members.astype(np.float64),
        barrier=np.zeros(0),  # type: ignore[arg-type]  # floats on purpose
    )
    assert verify_peer_certificate(r, s, certificate=as_float).valid
    bad = dataclasses.replace(as_float, barrier=np.array([0.0, 1.0]))  # bound 16, not 15
    assert verify_peer_certificate(r, s, certificate=bad).codes == (PeerReason.CARDINALITY,)


def _matching_cases(r: PeerAssignment, n: int) -> dict[str, tuple[Any, Any]]:
    """(pairs, scores) per matching rule, each breaking only that rule."""
    p, sc = r.pairs, r.scores
    # five pairs with a third column of five other people: in range, i < j, nobody twice
    three = np.column_stack([p[:5], p[5:10, 0]])
    neg = p.copy()
    neg[0, 0] = -1
    top = p.copy()
    top[-1, 1] = n
    rev = p.copy()
    rev[0] = rev[0, ::-1]
    twice = p.copy()
    twice[1, 0] = twice[0, 0]
    return {
        "scalar": (np.int64(0), sc),
        "flat": (p.ravel(), sc),
        "three_columns": (three, sc[:5]),
        "scores_length": (p, sc[:-1]),
        "negative_person": (neg, sc),
        "person_n": (top, sc),
        "i_above_j": (rev, sc),
        "person_twice": (twice, sc),
    }


@pytest.mark.parametrize(
    "case",
    [
        "scalar",
        "flat",
        "three_columns",
        "scores_length",
        "negative_person",
        "person_n",
        "i_above_j",
        "person_twice",
    ],
)
def test_each_matching_rule_alone(case: str, even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    pairs, scores = _matching_cases(r, 30)[case]
    bad = dataclasses.replace(r, pairs=pairs, scores=scores)
    rep = verify_peer_certificate(bad, s, tol=1e-7)
    assert (rep.valid, rep.tolerance, rep.codes) == (False, 1e-7, (PeerReason.NOT_A_MATCHING,))
    assert rep.reasons == (
        "pairs are not a matching of the pool (range, i < j, each person at most once)",
    )


# ---- odd sets --------------------------------------------------------------------------------


def _set_codes(
    r: PeerAssignment, s: FloatArray, sets: list[list[int]], z: list[float]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    c = _with_sets(_cert(r), sets, z)
    rep = verify_peer_certificate(r, s, certificate=c)
    k = _cert(r).n_blossoms  # index of the first added set
    return rep.codes, tuple(x.replace(f"odd set {k + 1}", "SET1").replace(f"odd set {k}", "SET0")
                            for x in rep.reasons)  # fmt: skip


def test_odd_set_member_out_of_range(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    for bad in ([0, 1, 30], [-1, 1, 2]):  # n itself, and a negative index alone
        codes, why = _set_codes(r, s, [bad], [1e-300])
        assert codes == (PeerReason.BLOSSOM_INVALID,)
        assert why == ("SET0 has members out of range",)


def test_odd_set_repeating_a_member(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    codes, why = _set_codes(r, s, [[4, 4, 5]], [1e-300])
    assert codes == (PeerReason.BLOSSOM_INVALID,)
    assert why == ("SET0 repeats a member",)


@pytest.mark.parametrize(
    ("first", "code"),
    [
        ([0, 1, 999], PeerReason.BLOSSOM_INVALID),
        ([4, 4, 5], PeerReason.BLOSSOM_INVALID),
        ("negative", PeerReason.BLOSSOM_NEGATIVE),
        ("zero", None),
    ],
)
def test_every_set_is_checked_after_a_bad_or_idle_one(
    first: object, code: str | None, even: tuple[FloatArray, PeerAssignment]
) -> None:
    """A set that is refused (or has dual 0) does not end the scan: the next set is checked."""
    s, r = even
    p = r.pairs
    even_set = [int(p[0, 0]), int(p[0, 1])]
    if first == "negative":
        sets, z = [[0, 1, 2], even_set], [-1e-300, 1e-300]
    elif first == "zero":
        sets, z = [[0, 1, 2, 3], even_set], [0.0, 1e-300]
    else:
        sets, z = [list(first), even_set], [1e-300, 1e-300]  # type: ignore[call-overload]
    codes, _ = _set_codes(r, s, sets, z)
    assert codes == ((code,) if code else ()) + (PeerReason.BLOSSOM_NOT_ODD,)


def test_a_set_with_dual_zero_may_be_anything(even: tuple[FloatArray, PeerAssignment]) -> None:
    """Only sets with a positive dual enter the bound: an even, empty-of-pairs set at z = 0
    is accepted."""
    s, r = even
    c = _with_sets(_cert(r), [[0, 1, 2, 3], [int(r.pairs[0, 0]), int(r.pairs[1, 0])]], [0.0, 0.0])
    rep = verify_peer_certificate(r, s, certificate=c)
    assert rep.valid and rep.codes == ()


def test_odd_set_messages(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    p = r.pairs
    codes, why = _set_codes(r, s, [[0, 1, 2]], [-0.25])
    assert (codes, why) == ((PeerReason.BLOSSOM_NEGATIVE,), ("SET0 has a negative dual -0.25",))
    codes, why = _set_codes(r, s, [[int(p[0, 0]), int(p[0, 1])]], [1e-300])
    assert codes == (PeerReason.BLOSSOM_NOT_ODD,)
    assert why == ("SET0 with dual 1e-300 has 2 members (even)",)
    codes, why = _set_codes(r, s, [[int(x) for x in p[:5, 0]]], [1e-300])
    assert codes == (PeerReason.BLOSSOM_NOT_FULL,)
    assert why == ("SET0 of 5 people holds 0 pairs, not 2",)


def test_set_not_full_when_its_members_are_the_higher_ends_of_their_pairs(
    even: tuple[FloatArray, PeerAssignment],
) -> None:
    """Members matched outside the set count as outside, whichever end of the pair they are."""
    s, r = even
    p = r.pairs
    for col in (0, 1):
        codes, why = _set_codes(r, s, [[int(x) for x in p[:3, col]]], [1e-300])
        assert codes == (PeerReason.BLOSSOM_NOT_FULL,)
        assert why == ("SET0 of 3 people holds 0 pairs, not 1",)
    # one pair inside, the third member matched outside: full
    full = [int(p[0, 0]), int(p[0, 1]), int(p[1, 1])]
    assert _set_codes(r, s, [full], [1e-300])[0] == ()


# ---- the tolerance: tol * max(1, max |u|, max z, max |pair score|) ---------------------------


def test_tolerance_is_tol_when_every_value_is_below_one(
    even: tuple[FloatArray, PeerAssignment],
) -> None:
    s, r = even
    rep = verify_peer_certificate(r, s, tol=1e-7)
    assert rep.valid and rep.tolerance == 1e-7


def test_tolerance_scales_with_each_term(
    even: tuple[FloatArray, PeerAssignment], odd: tuple[FloatArray, PeerAssignment]
) -> None:
    s, r = odd
    u = _cert(r).vertex_dual.copy()
    u[r.unmatched[0]] = -5e5  # the largest |u|, and still the lowest dual
    rep = verify_peer_certificate(r, s, certificate=dataclasses.replace(_cert(r), vertex_dual=u))
    assert rep.tolerance == TOL * 5e5
    s, r = even
    c = _with_sets(_cert(r), [[0, 1, 2]], [7e5])
    assert verify_peer_certificate(r, s, certificate=c).tolerance == TOL * 7e5
    sc = r.scores.copy()
    sc[0] = -3e5
    assert verify_peer_certificate(dataclasses.replace(r, scores=sc), s).tolerance == TOL * 3e5


def test_rounding_within_the_scaled_tolerance_passes(
    even: tuple[FloatArray, PeerAssignment],
) -> None:
    """Scores times 1e6: a dual off by 1e-4 (< 1e-9 * 1e6) passes, off by 1e-2 fails."""
    s = even[0] * 1e6
    r = assign_peers(s, candidates=3)
    assert verify_peer_certificate(r, s).valid
    for eps, codes in ((1e-4, ()), (1e-2, (PeerReason.NOT_TIGHT,))):
        u = _cert(r).vertex_dual.copy()
        u[r.pairs[0, 0]] += eps
        c = dataclasses.replace(_cert(r), vertex_dual=u)
        assert verify_peer_certificate(r, s, certificate=c).codes == codes


# ---- the documented boundaries, hit exactly (dyadic numbers, tol = 2**-20, scale 1) ----------

ATOL = 2.0**-20


def _hand(
    s: FloatArray, pairs: list[list[int]], u: list[float], scores: list[float], total: float
) -> PeerAssignment:
    n = s.shape[0]
    p = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    un = np.setdiff1d(np.arange(n), p.ravel()).astype(np.int64)
    return PeerAssignment(
        pairs=p,
        scores=np.array(scores, dtype=np.float64),
        total=total,
        unmatched=un,
        unmatched_reasons=("no_partner_left",) * un.size,
        n_people=n,
        optimal=True,
        certificate=PeerCertificate(
            vertex_dual=np.array(u, dtype=np.float64),
            blossom_dual=np.zeros(0),
            blossom_ptr=np.zeros(1, dtype=np.int64),
            blossom_members=np.zeros(0, dtype=np.int64),
            barrier=np.zeros(0, dtype=np.int64),
        ),
    )


FOUR = np.full((4, 4), 0.125)
FOUR[0, 1] = FOUR[1, 0] = 0.5
FOUR[2, 3] = FOUR[3, 2] = 0.25
U4 = [0.25, 0.25, 0.125, 0.125]


def test_hand_instance_is_valid() -> None:
    r = _hand(FOUR, [[0, 1], [2, 3]], U4, [0.5, 0.25], 0.75)
    rep = verify_peer_certificate(r, FOUR, tol=ATOL)
    assert (rep.valid, rep.tolerance) == (True, ATOL)


def test_pair_score_off_by_exactly_the_tolerance_passes() -> None:
    ok = _hand(FOUR, [[0, 1], [2, 3]], U4, [0.5 + ATOL, 0.25], 0.75 + ATOL)
    assert verify_peer_certificate(ok, FOUR, tol=ATOL).valid
    bad = _hand(FOUR, [[0, 1], [2, 3]], U4, [0.5 + 2 * ATOL, 0.25], 0.75 + 2 * ATOL)
    rep = verify_peer_certificate(bad, FOUR, tol=ATOL)
    assert rep.codes == (PeerReason.SCORES_MISMATCH,)
    assert rep.reasons == ("result.scores or total differ from the pairs' scores",)


def test_total_may_be_off_by_the_tolerance_per_pair() -> None:
    ok = _hand(FOUR, [[0, 1], [2, 3]], U4, [0.5, 0.25], 0.75 + 2 * ATOL)  # k = 2
    assert verify_peer_certificate(ok, FOUR, tol=ATOL).valid
    bad = _hand(FOUR, [[0, 1], [2, 3]], U4, [0.5, 0.25], 0.75 + 3 * ATOL)
    assert verify_peer_certificate(bad, FOUR, tol=ATOL).codes == (PeerReason.SCORES_MISMATCH,)
    two = np.array([[0.0, 0.5], [0.5, 0.0]])  # k = 1: one tolerance, not two
    one = _hand(two, [[0, 1]], [0.25, 0.25], [0.5], 0.5 + 1.5 * ATOL)
    assert verify_peer_certificate(one, two, tol=ATOL).codes == (PeerReason.SCORES_MISMATCH,)
    one = _hand(two, [[0, 1]], [0.25, 0.25], [0.5], 0.5 + ATOL)
    assert verify_peer_certificate(one, two, tol=ATOL).valid


def test_unmatched_dual_may_exceed_a_matched_one_by_exactly_the_tolerance() -> None:
    three = np.full((3, 3), 0.125)
    three[0, 1] = three[1, 0] = 0.5
    ok = _hand(three, [[0, 1]], [0.25, 0.25, 0.25 + ATOL], [0.5], 0.5)
    assert verify_peer_certificate(ok, three, tol=ATOL).valid
    bad = _hand(three, [[0, 1]], [0.25, 0.25, 0.25 + 2 * ATOL], [0.5], 0.5)
    rep = verify_peer_certificate(bad, three, tol=ATOL)
    assert rep.codes == (PeerReason.UNMATCHED_DUAL,)
    assert rep.reasons == (
        f"an unmatched person has dual {0.25 + 2 * ATOL!r} above a matched person's 0.25",
    )


def test_an_empty_matching_must_total_zero() -> None:
    s = np.array([[0.0, 0.5], [0.5, 0.0]])
    none = np.zeros((2, 2), dtype=bool)  # no allowed pair: the empty matching is the maximum
    r = _hand(s, [], [0.0, 0.0], [], 0.0)
    assert verify_peer_certificate(r, s, allowed=none).valid
    rep = verify_peer_certificate(dataclasses.replace(r, total=0.5), s, allowed=none)
    assert rep.codes == (PeerReason.SCORES_MISMATCH,)
    assert rep.reasons == ("an empty matching must total 0",)


# ---- counts in the messages, one block and blocks of two rows --------------------------------


@pytest.fixture(params=["one block", "blocks of two rows"])
def blocks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param != "one block":
        monkeypatch.setattr(pv, "_BLOCK_CELLS", 60)  # n = 30: two rows per block
    return str(request.param)


def test_dual_infeasible_count(blocks: str, even: tuple[FloatArray, PeerAssignment]) -> None:
    """Lowering person 0's dual: every violating pair lies in the first block (row 0)."""
    s, r = even
    u = _cert(r).vertex_dual.copy()
    u[0] -= 0.1
    c = dataclasses.replace(_cert(r), vertex_dual=u)
    red = _reduced(s, c)
    want = int((red[np.triu_indices(30, 1)] < -TOL).sum())
    assert want >= 2 and (red[1:, 1:][np.triu_indices(29, 1)] >= -TOL).all()
    rep = verify_peer_certificate(r, s, certificate=c)
    assert rep.codes == (PeerReason.DUAL_INFEASIBLE,)
    assert rep.reasons == (f"{want} allowed pairs have a negative reduced cost (dual infeasible)",)


def test_not_tight_count(blocks: str, even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    u = _cert(r).vertex_dual.copy()
    u[r.pairs[:3].ravel()] += 0.05  # three pairs loosened: rows 0, 2, 3 (the first blocks)
    c = dataclasses.replace(_cert(r), vertex_dual=u)
    rep = verify_peer_certificate(r, s, certificate=c)
    assert rep.codes == (PeerReason.NOT_TIGHT,)
    assert rep.reasons == (
        "3 matched pairs have a positive reduced cost (complementary slackness violated)",
    )


def test_forbidden_count(blocks: str, even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    ok = np.ones(s.shape, dtype=bool)
    for i, j in r.pairs[:2]:
        ok[i, j] = ok[j, i] = False
    rep = verify_peer_certificate(r, s, allowed=ok)
    assert rep.codes == (PeerReason.FORBIDDEN_PAIR,)
    assert rep.reasons == ("2 matched pairs are not allowed",)


def test_forbidden_by_min_score(blocks: str, even: tuple[FloatArray, PeerAssignment]) -> None:
    """A matched pair below ``min_score`` is not allowed either."""
    s, r = even
    lowest = float(r.scores.min())
    rep = verify_peer_certificate(r, s, min_score=lowest + 1e-12)
    assert rep.codes[0] == PeerReason.FORBIDDEN_PAIR
    assert rep.reasons[0] == "1 matched pairs are not allowed"


def test_solver_result_accepted_in_blocks(
    blocks: str, even: tuple[FloatArray, PeerAssignment], odd: tuple[FloatArray, PeerAssignment]
) -> None:
    for s, r in (even, odd):
        rep = verify_peer_certificate(r, s)
        assert (rep.valid, rep.codes, rep.reasons, rep.tolerance) == (True, (), (), TOL)


# ---- block sources -----------------------------------------------------------------------------


class RowBlocks:
    """A block source over a matrix (any dtype), as a caller holding rows elsewhere would be."""

    def __init__(self, s: npt.NDArray[np.generic]) -> None:
        self.s = s

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.s.shape[0]), int(self.s.shape[1]))

    def block(self, i0: int, i1: int) -> npt.NDArray[np.generic]:
        return self.s[i0:i1]


def test_block_source_in_many_blocks_is_read_like_the_matrix(
    monkeypatch: pytest.MonkeyPatch, even: tuple[FloatArray, PeerAssignment]
) -> None:
    s, r = even
    monkeypatch.setattr(pv, "_BLOCK_CELLS", 90)  # three rows per block
    assert verify_peer_certificate(r, RowBlocks(s)).valid
    u = _cert(r).vertex_dual.copy()
    u[0] -= 0.1
    c = dataclasses.replace(_cert(r), vertex_dual=u)
    assert (
        verify_peer_certificate(r, RowBlocks(s), certificate=c).reasons
        == verify_peer_certificate(r, s, certificate=c).reasons
    )


def test_integer_block_source() -> None:
    """Integer ratings from a block source are read as floats."""
    rng = np.random.default_rng(5)
    a = rng.integers(0, 6, size=(12, 12))
    ratings = np.triu(a, 1) + np.triu(a, 1).T
    r = assign_peers(ratings.astype(np.float64))
    assert verify_peer_certificate(r, RowBlocks(ratings)).valid
    assert verify_peer_certificate(r, RowBlocks(ratings.astype(np.float32))).valid


def test_block_source_returning_the_wrong_shape(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even

    class Short(RowBlocks):
        def block(self, i0: int, i1: int) -> npt.NDArray[np.generic]:
            return self.s[i0:i1, :-1]

    with pytest.raises(ValueError, match=r"^scores\.block\(0, 30\) returned shape \(30, 29\)$"):
        verify_peer_certificate(r, Short(s))


# ---- the Tutte set -----------------------------------------------------------------------------


@pytest.mark.parametrize("barrier", [[-1], [30], [2, 2]])
def test_each_tutte_set_rule_alone(
    barrier: list[int], even: tuple[FloatArray, PeerAssignment]
) -> None:
    s, r = even
    c = dataclasses.replace(_cert(r), barrier=np.array(barrier, dtype=np.int64))
    rep = verify_peer_certificate(r, s, certificate=c)
    assert rep.codes == (PeerReason.BARRIER_INVALID,)
    assert rep.reasons == ("the Tutte set has people out of range or repeated",)


def test_cardinality_message_states_the_bound(odd: tuple[FloatArray, PeerAssignment]) -> None:
    """31 people, everyone allowed with everyone: ``A = {0}`` leaves one even component, so
    the bound is (31 + 1 - 0) / 2 = 16 for 15 pairs."""
    s, r = odd
    c = dataclasses.replace(_cert(r), barrier=np.array([0], dtype=np.int64))
    rep = verify_peer_certificate(r, s, certificate=c)
    assert rep.codes == (PeerReason.CARDINALITY,)
    assert rep.reasons == (
        "15 pairs, but the Tutte set of 1 people with 0 odd components only bounds the maximum "
        "by 16",
    )
