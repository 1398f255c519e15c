"""The peer certificate check: it accepts the solver's certificates and rejects each broken
condition with that condition's own code (one test per condition)."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest

from matchsvc.assignment import (
    PeerAssignment,
    PeerCertificate,
    PeerReason,
    assign_peers,
    verify_peer_certificate,
)

FloatArray = npt.NDArray[np.float64]


def _pool(n: int, seed: int = 0) -> FloatArray:
    """Clustered cosines: the solver's certificate has odd sets with positive duals."""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(3, 6))
    v = c[rng.integers(0, 3, n)] + 0.8 * rng.normal(size=(n, 6))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    s: FloatArray = v @ v.T
    return s


def _cert(r: PeerAssignment) -> PeerCertificate:
    assert r.certificate is not None
    return r.certificate


def _codes(r: PeerAssignment, s: FloatArray, **kw: object) -> tuple[str, ...]:
    return verify_peer_certificate(r, s, **kw).codes  # type: ignore[arg-type]


def _with_sets(c: PeerCertificate, sets: list[list[int]], z: float) -> PeerCertificate:
    """``c`` plus extra odd sets of dual ``z`` (tiny: reduced costs move far below tol)."""
    mem = [c.blossom_members] + [np.array(m, dtype=np.int64) for m in sets]
    ptr = np.concatenate([c.blossom_ptr, c.blossom_ptr[-1] + np.cumsum([len(m) for m in sets])])
    return dataclasses.replace(
        c,
        blossom_dual=np.concatenate([c.blossom_dual, np.full(len(sets), z)]),
        blossom_ptr=ptr.astype(np.int64),
        blossom_members=np.concatenate(mem),
    )


@pytest.fixture(scope="module")
def even() -> tuple[FloatArray, PeerAssignment]:
    s = _pool(30)
    return s, assign_peers(s, candidates=3)


@pytest.fixture(scope="module")
def odd() -> tuple[FloatArray, PeerAssignment]:
    s = _pool(31, seed=1)
    return s, assign_peers(s, candidates=3)


def test_solver_certificates_are_accepted(
    even: tuple[FloatArray, PeerAssignment], odd: tuple[FloatArray, PeerAssignment]
) -> None:
    for s, r in (even, odd):
        rep = verify_peer_certificate(r, s)
        assert rep.valid and rep.codes == () and rep.reasons == ()
        assert _cert(r).n_blossoms > 0  # the sets are exercised, not vacuous


def test_no_certificate(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    assert _codes(dataclasses.replace(r, certificate=None), s) == (PeerReason.NO_CERTIFICATE,)


def test_certificate_of_the_wrong_shape(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    c = dataclasses.replace(_cert(r), vertex_dual=_cert(r).vertex_dual[:-1])
    assert _codes(r, s, certificate=c) == (PeerReason.SHAPE,)


def test_not_a_matching(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    p = r.pairs.copy()
    p[1, 0] = p[0, 0]  # one person in two pairs
    assert _codes(dataclasses.replace(r, pairs=p), s) == (PeerReason.NOT_A_MATCHING,)


def test_forbidden_pair(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    ok = np.ones(s.shape, dtype=bool)
    i, j = r.pairs[0]
    ok[i, j] = ok[j, i] = False  # forbid a matched pair: only that breaks
    assert _codes(r, s, allowed=ok) == (PeerReason.FORBIDDEN_PAIR,)


def test_scores_that_are_not_the_pairs_scores(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    sc = r.scores.copy()
    sc[0] += 0.5
    bad = dataclasses.replace(r, scores=sc, total=float(sc.sum()))
    assert _codes(bad, s) == (PeerReason.SCORES_MISMATCH,)


def test_dual_infeasible(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    u = _cert(r).vertex_dual.copy()
    u[r.pairs[0, 0]] -= 0.1  # its pair and others now have a negative reduced cost
    c = dataclasses.replace(_cert(r), vertex_dual=u)
    assert _codes(r, s, certificate=c) == (PeerReason.DUAL_INFEASIBLE,)


def test_matched_pair_not_tight(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    u = _cert(r).vertex_dual.copy()
    u[r.pairs[0, 0]] += 0.1  # raising a dual keeps feasibility, loosens its pair
    c = dataclasses.replace(_cert(r), vertex_dual=u)
    assert _codes(r, s, certificate=c) == (PeerReason.NOT_TIGHT,)


def test_negative_set_dual(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    p = r.pairs
    c = _with_sets(_cert(r), [[p[0, 0], p[0, 1], p[1, 0]]], -1e-300)
    assert _codes(r, s, certificate=c) == (PeerReason.BLOSSOM_NEGATIVE,)


def test_even_set(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    p = r.pairs
    c = _with_sets(_cert(r), [[p[0, 0], p[0, 1]]], 1e-300)
    assert _codes(r, s, certificate=c) == (PeerReason.BLOSSOM_NOT_ODD,)


def test_set_not_full(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    p = r.pairs
    c = _with_sets(_cert(r), [[p[0, 0], p[1, 0], p[2, 0]]], 1e-300)  # no pair inside
    assert _codes(r, s, certificate=c) == (PeerReason.BLOSSOM_NOT_FULL,)


def test_set_with_invalid_members(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    c = _with_sets(_cert(r), [[0, 1, 999]], 1e-300)
    assert _codes(r, s, certificate=c) == (PeerReason.BLOSSOM_INVALID,)


def test_unmatched_dual_above_a_matched_one(odd: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = odd
    u = _cert(r).vertex_dual.copy()
    (v,) = r.unmatched
    u[v] = u.max() + 1.0  # raising keeps every pair feasible; the lowest-dual rule breaks
    c = dataclasses.replace(_cert(r), vertex_dual=u)
    assert _codes(r, s, certificate=c) == (PeerReason.UNMATCHED_DUAL,)


def test_invalid_tutte_set(even: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = even
    c = dataclasses.replace(_cert(r), barrier=np.array([0, 0], dtype=np.int64))
    assert _codes(r, s, certificate=c) == (PeerReason.BARRIER_INVALID,)


def test_tutte_set_that_proves_nothing(odd: tuple[FloatArray, PeerAssignment]) -> None:
    s, r = odd
    c = dataclasses.replace(_cert(r), barrier=np.array([0], dtype=np.int64))
    assert _codes(r, s, certificate=c) == (PeerReason.CARDINALITY,)


def test_duals_alone_do_not_prove_the_cardinality() -> None:
    """One pair of weight 1 left unmatched, duals (0.5, 0.5): conditions 1-5 hold, the
    empty matching is not maximum, and only the Tutte-Berge check catches it."""
    s = np.array([[0.0, 1.0], [1.0, 0.0]])
    empty = PeerAssignment(
        pairs=np.zeros((0, 2), dtype=np.int64),
        scores=np.zeros(0),
        total=0.0,
        unmatched=np.array([0, 1], dtype=np.int64),
        unmatched_reasons=("no_partner_left", "no_partner_left"),
        n_people=2,
        optimal=True,
        certificate=PeerCertificate(
            vertex_dual=np.array([0.5, 0.5]),
            blossom_dual=np.zeros(0),
            blossom_ptr=np.zeros(1, dtype=np.int64),
            blossom_members=np.zeros(0, dtype=np.int64),
            barrier=np.zeros(0, dtype=np.int64),
        ),
    )
    assert _codes(empty, s) == (PeerReason.CARDINALITY,)


def test_a_valid_tutte_set_with_a_barrier() -> None:
    """A star: the centre is the Tutte set; the leaves are odd components."""
    s = np.zeros((5, 5))
    s[0, 1:] = s[1:, 0] = [4.0, 3.0, 2.0, 1.0]
    ok = s > 0
    r = assign_peers(s, allowed=ok)
    assert r.pairs.tolist() == [[0, 1]] and _cert(r).barrier.tolist() == [0]
    assert verify_peer_certificate(r, s, ok).valid
