"""Peer matching: exact against networkx, block sources, validation, reasons, determinism."""

from __future__ import annotations

import logging
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pytest

from matchsvc.assignment import (
    NO_ALLOWED_PARTNER,
    NO_PARTNER_LEFT,
    PeerAssignment,
    assign_peers,
    verify_peer_certificate,
)
from matchsvc.assignment._blossom import solve_blossom
from matchsvc.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

KINDS = ["normal", "ties", "zeros", "negative", "sparse", "min_score"]


def _instance(seed: int, kind: str) -> tuple[FloatArray, BoolArray | None, float | None]:
    """A random symmetric instance; odd and even sizes, 0 and 1 people included."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    n = int(rng.integers(0, 26))
    if kind == "ties":
        s = rng.integers(0, 4, (n, n)).astype(np.float64)
    elif kind == "zeros":
        s = np.where(rng.random((n, n)) < 0.7, 0.0, rng.integers(1, 3, (n, n)).astype(float))
    elif kind == "negative":
        s = rng.normal(-1.0, 1.0, (n, n))
    else:
        s = rng.normal(size=(n, n))
    s = np.triu(s, 1)
    s = s + s.T
    ok: BoolArray | None = None
    if kind in ("sparse", "ties", "negative") or rng.random() < 0.3:
        ok = np.triu(rng.random((n, n)) < rng.uniform(0.05, 0.9), 1)
        ok = ok | ok.T
    ms = float(np.median(s)) if kind == "min_score" and n else None
    return s, ok, ms


def _networkx(s: FloatArray, ok: BoolArray | None, ms: float | None) -> tuple[int, float]:
    n = s.shape[0]
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for i in range(n):
        for j in range(i + 1, n):
            if (ok is None or ok[i, j]) and (ms is None or s[i, j] >= ms):
                g.add_edge(i, j, weight=float(s[i, j]))
    m = nx.max_weight_matching(g, maxcardinality=True)
    return len(m), float(sum(g[a][b]["weight"] for a, b in m))


def check_peer(r: PeerAssignment, s: FloatArray, ok: BoolArray | None, ms: float | None) -> None:
    """Every invariant of :class:`PeerAssignment`."""
    n = s.shape[0]
    p = r.pairs
    assert p.dtype == np.int64 and p.shape == (r.n_pairs, 2)
    if p.size:
        assert (p[:, 0] < p[:, 1]).all()
        assert (np.diff(p[:, 0]) > 0).all(), "pairs sorted by their first person"
        assert np.bincount(p.ravel(), minlength=n).max() == 1
        if ok is not None:
            assert ok[p[:, 0], p[:, 1]].all()
        if ms is not None:
            assert (s[p[:, 0], p[:, 1]] >= ms).all()
    np.testing.assert_array_equal(r.scores, s[p[:, 0], p[:, 1]])
    assert r.total == float(r.scores.sum())
    covered = np.zeros(n, dtype=bool)
    covered[p.ravel()] = True
    np.testing.assert_array_equal(r.unmatched, np.flatnonzero(~covered))
    assert len(r.unmatched_reasons) == r.unmatched.size
    assert r.optimal and r.n_people == n


@pytest.mark.parametrize("kind", KINDS)
def test_matches_networkx(kind: str) -> None:
    """>= 200 graphs in all: same number of pairs and the same total as networkx."""
    for seed in range(40):
        s, ok, ms = _instance(seed, kind)
        cand = 1 + seed % 4  # small candidate graphs force pricing rounds
        r = assign_peers(s, allowed=ok, min_score=ms, candidates=cand, cache=1 + seed % 3)
        check_peer(r, s, ok, ms)
        count, total = _networkx(s, ok, ms)
        assert r.n_pairs == count, (kind, seed)
        assert r.total == pytest.approx(total, rel=1e-9, abs=1e-9), (kind, seed)
        rep = verify_peer_certificate(r, s, ok, ms)
        assert rep.valid, (kind, seed, rep.reasons)


def test_kernel_alone_matches_networkx_on_dense_graphs() -> None:
    """The blossom kernel on complete graphs with clustered weights (many blossoms)."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(5, 30))
        c = rng.integers(0, 3, n)
        s = 3.0 * (c[:, None] == c[None, :]) + rng.integers(0, 3, (n, n))
        s = np.triu(s, 1)
        s = s + s.T
        r = assign_peers(s, candidates=n)
        assert (r.n_pairs, r.total) == _networkx(s, None, None)


def test_blossom_kernel_target_stops_early() -> None:
    # A triangle plus a pendant: with target 1 the kernel stops at the first pair.
    ea = np.array([0, 1, 0, 2], dtype=np.int64)
    eb = np.array([1, 2, 2, 3], dtype=np.int64)
    w = np.array([5.0, 4.0, 3.0, 1.0])
    inc = np.concatenate([ea, eb])
    order = np.argsort(inc, kind="stable")
    eid = np.concatenate([np.arange(4), np.arange(4)]).astype(np.int64)[order]
    ptr = np.zeros(5, dtype=np.int64)
    np.cumsum(np.bincount(inc, minlength=4), out=ptr[1:])
    full = solve_blossom(4, ptr, eid, ea, eb, w, -1, np.zeros(0))
    assert sorted(full[0].tolist()) == [0, 1, 2, 3]  # both pairs: (0,1)+(2,3) or (0,2)...
    early = solve_blossom(4, ptr, eid, ea, eb, w, 1, np.zeros(0))
    assert int((early[0] >= 0).sum()) == 2


def test_empty_and_single_person_pools() -> None:
    r = assign_peers(np.zeros((0, 0)))
    assert r.n_pairs == 0 and r.total == 0.0 and r.unmatched.size == 0
    assert verify_peer_certificate(r, np.zeros((0, 0))).valid
    r = assign_peers(np.array([[7.0]]))
    assert r.n_pairs == 0 and r.unmatched.tolist() == [0]
    assert r.unmatched_reasons == (NO_ALLOWED_PARTNER,)
    assert verify_peer_certificate(r, np.array([[7.0]])).valid


def test_unmatched_reasons() -> None:
    s = np.array([[0, 3, 2, 1], [3, 0, 1, 1], [2, 1, 0, 1], [1, 1, 1, 0]], dtype=float)
    ok = np.ones((4, 4), dtype=bool)
    ok[3, :] = ok[:, 3] = False  # 3 has no allowed partner
    ok[1, 2] = ok[2, 1] = False
    r = assign_peers(s, allowed=ok)
    # 0 pairs with 1 or 2; the other of 1, 2 has only 0 as partner -> no partner left
    assert r.n_pairs == 1 and r.pairs.tolist() == [[0, 1]]
    assert dict(zip(r.unmatched.tolist(), r.unmatched_reasons, strict=True)) == {
        2: NO_PARTNER_LEFT,
        3: NO_ALLOWED_PARTNER,
    }


def test_odd_pool_leaves_exactly_one_person() -> None:
    rng = np.random.default_rng(3)
    v = rng.normal(size=(41, 8))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    s = v @ v.T
    r = assign_peers(s, candidates=3)
    assert r.n_pairs == 20 and r.unmatched_reasons == (NO_PARTNER_LEFT,)
    assert r.certificate is not None and r.certificate.barrier.size == 0
    assert (r.n_pairs, r.total) == pytest.approx(_networkx(s, None, None))


class RowBlocks:
    """A block source over a dense matrix, counting the rows it was asked for."""

    def __init__(self, s: npt.NDArray[np.floating]) -> None:
        self.s = s
        self.rows = 0

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.s.shape[0]), int(self.s.shape[1]))

    def block(self, i0: int, i1: int) -> npt.NDArray[np.floating]:
        self.rows += i1 - i0
        return self.s[i0:i1]


def test_block_source_gives_the_dense_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import matchsvc.assignment._peer as peer

    monkeypatch.setattr(peer, "_BLOCK_CELLS", 64)  # many blocks of a few rows
    rng = np.random.default_rng(11)
    v = rng.normal(size=(90, 6)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    s32 = v @ v.T  # float32, exactly symmetric
    ok = np.triu(rng.random((90, 90)) < 0.8, 1)
    ok = ok | ok.T
    dense = assign_peers(s32.astype(np.float64), allowed=ok, candidates=3)
    src = RowBlocks(s32)
    block = assign_peers(src, allowed=ok, candidates=3)
    np.testing.assert_array_equal(block.pairs, dense.pairs)
    np.testing.assert_array_equal(block.scores, dense.scores)
    assert block.total == dense.total
    assert src.rows >= 2 * 90  # read in passes, block by block
    assert verify_peer_certificate(block, src, ok).valid
    assert verify_peer_certificate(dense, s32.astype(np.float64), ok).valid


def test_deterministic() -> None:
    rng = np.random.default_rng(5)
    s = rng.integers(0, 3, (60, 60)).astype(float)  # many ties
    s = np.triu(s, 1)
    s = s + s.T
    a = assign_peers(s, candidates=4)
    b = assign_peers(s.copy(), candidates=4)
    np.testing.assert_array_equal(a.pairs, b.pairs)
    assert a.certificate is not None and b.certificate is not None
    np.testing.assert_array_equal(a.certificate.vertex_dual, b.certificate.vertex_dual)


def test_float32_rounding_asymmetry_is_accepted() -> None:
    s = np.array([[0, 0.3, 0.1], [0.3, 0, 0.2], [0.1, 0.2, 0]], dtype=np.float32)
    s[0, 1] = np.nextafter(np.float32(0.3), np.float32(1))
    r = assign_peers(s)
    assert r.pairs.tolist() == [[0, 1]]
    assert r.scores[0] == np.float64(s[0, 1])  # the upper triangle is read


# ---- validation: one test per branch ---------------------------------------------------------


def test_rejects_non_square() -> None:
    with pytest.raises(InvalidInputError, match=r"square n x n") as e:
        assign_peers(np.zeros((2, 3)))
    assert e.value.field == "scores"


def test_rejects_non_real() -> None:
    with pytest.raises(InvalidInputError, match="real numbers"):
        assign_peers(np.array([["a", "b"], ["c", "d"]]))


def test_rejects_nan_off_diagonal_but_ignores_diagonal() -> None:
    s = np.array([[np.nan, 1.0], [1.0, np.inf]])
    assert assign_peers(s).n_pairs == 1
    s[0, 1] = np.nan
    with pytest.raises(InvalidInputError, match=r"nan at \(0, 1\).*allowed=False"):
        assign_peers(s)


def test_rejects_asymmetric_scores() -> None:
    s = np.array([[0, 1.0], [2.0, 0]])
    with pytest.raises(InvalidInputError, match=r"symmetric.*\(S \+ S.T\) / 2"):
        assign_peers(s)


def test_rejects_non_bool_allowed() -> None:
    with pytest.raises(InvalidInputError, match="bool array") as e:
        assign_peers(np.zeros((2, 2)), allowed=np.ones((2, 2)))
    assert e.value.field == "allowed"


def test_rejects_allowed_of_another_shape() -> None:
    with pytest.raises(InvalidInputError, match=r"shape \(3, 3\).*2 people"):
        assign_peers(np.zeros((2, 2)), allowed=np.ones((3, 3), dtype=bool))


def test_rejects_asymmetric_allowed() -> None:
    ok = np.array([[False, True], [False, False]])
    with pytest.raises(InvalidInputError, match=r"allowed & allowed.T"):
        assign_peers(np.zeros((2, 2)), allowed=ok)


def test_rejects_bad_min_score() -> None:
    with pytest.raises(InvalidInputError, match="min_score") as e:
        assign_peers(np.zeros((2, 2)), min_score=float("nan"))
    assert e.value.field == "min_score"


@pytest.mark.parametrize("name", ["candidates", "cache", "max_rounds"])
def test_rejects_bad_tuning(name: str) -> None:
    with pytest.raises(InvalidInputError, match=rf"{name} must be an integer >= 1"):
        assign_peers(np.zeros((2, 2)), **{name: 0})  # type: ignore[arg-type]


class BadShape(RowBlocks):
    def block(self, i0: int, i1: int) -> npt.NDArray[np.floating]:
        return self.s[i0:i1, :-1]


def test_rejects_block_source_of_wrong_shape() -> None:
    with pytest.raises(InvalidInputError, match=r"returned shape"):
        assign_peers(BadShape(np.zeros((4, 4))))


def test_rejects_non_square_block_source() -> None:
    with pytest.raises(InvalidInputError, match=r"\(n, n\)"):
        assign_peers(RowBlocks(np.zeros((3, 4))))


def test_rejects_non_finite_block_source() -> None:
    s = np.zeros((4, 4))
    s[1, 3] = s[3, 1] = np.inf
    with pytest.raises(InvalidInputError, match=r"inf at \(1, 3\)"):
        assign_peers(RowBlocks(s))


def test_rejects_asymmetric_block_source() -> None:
    s = np.zeros((4, 4))
    s[1, 2] = 1.0
    with pytest.raises(InvalidInputError, match=r"symmetric: block rows give"):
        assign_peers(RowBlocks(s))


def test_warm_starts_and_their_cold_fallback_are_exercised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Re-solves start from the previous duals; when that leaves an exposed person's dual
    above a matched one, the round is solved cold. Both paths still give the optimum."""
    caplog.set_level(logging.DEBUG, logger="matchsvc.assignment._peer")
    rounds = cold = 0
    for seed in range(60):
        s, ok, ms = _instance(seed, "normal")
        r = assign_peers(s, allowed=ok, min_score=ms, candidates=1, cache=1)
        assert (r.n_pairs, r.total) == pytest.approx(_networkx(s, ok, ms))
        assert verify_peer_certificate(r, s, ok, ms).valid
        rounds += r.stats.rounds - 1
    cold = sum("cold" in rec.getMessage() for rec in caplog.records)
    assert rounds > 20 and cold > 0


def _asym(value: float, scale: float = 1.0, dtype: type = np.float64) -> npt.NDArray[np.floating]:
    return np.array([[0.0, scale], [scale + value, 0.0]], dtype=dtype)


@pytest.mark.parametrize(
    ("call", "field", "text"),
    [
        (lambda: assign_peers(np.array([["a", "b"], ["c", "d"]])), "scores", "got dtype <U1"),
        (lambda: assign_peers(np.array([[0, 1j], [1j, 0]])), "scores", "real numbers"),
        (lambda: assign_peers(np.array([[0, np.inf], [np.inf, 0]])), "scores", "inf at (0, 1)"),
        (
            lambda: assign_peers(_asym(1.0)),
            "scores",
            "scores[0, 1] = 1.0 but scores[1, 0] = 2.0; pass (S + S.T) / 2 or combine both "
            "directions first",
        ),
        (
            lambda: assign_peers(np.zeros((2, 2)), allowed=np.array([[0, 1], [0, 0]], bool)),
            "allowed",
            "allowed[0, 1] = True but allowed[1, 0] = False; pass allowed & allowed.T",
        ),
        (
            lambda: assign_peers(np.zeros((2, 2)), allowed=np.ones((2, 2))),
            "allowed",
            "pass e.g. np.asarray(allowed, dtype=bool)",
        ),
        (
            lambda: assign_peers(np.zeros((2, 2)), allowed=np.ones((3, 3), bool)),
            "allowed",
            "pass an (2, 2) mask",
        ),
        (lambda: assign_peers(np.zeros((2, 2)), min_score=True), "min_score", "got True"),
        (lambda: assign_peers(RowBlocks(np.zeros((3, 4)))), "scores", "got (3, 4)"),
        (lambda: assign_peers(BadShape(np.zeros((4, 4)))), "scores", "expected (4, 4)"),
    ],
)
def test_each_refusal_names_its_field(call: Any, field: str, text: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        call()
    assert e.value.field == field
    assert text in e.value.message


def test_symmetry_tolerance_scales_with_the_largest_score_and_the_dtype() -> None:
    assert assign_peers(_asym(0.5e-9)).n_pairs == 1  # within 1e-9 of the largest |score| (1)
    with pytest.raises(InvalidInputError, match="symmetric"):
        assign_peers(_asym(1.5e-9))
    assert assign_peers(_asym(0.5e-6, scale=1000.0)).n_pairs == 1  # 1e-9 x 1000
    with pytest.raises(InvalidInputError, match="symmetric"):
        assign_peers(_asym(1.5e-6, scale=1000.0))
    assert assign_peers(_asym(2.4e-7, dtype=np.float32)).n_pairs == 1  # float32: 1e-6


def test_scores_beyond_the_magnitude_limit_are_refused_as_for_assign() -> None:
    s = np.array([[0.0, 2e9], [2e9, 0.0]])
    with pytest.raises(InvalidInputError, match="beyond the magnitude limit") as e:
        assign_peers(s)
    assert e.value.field == "scores"
