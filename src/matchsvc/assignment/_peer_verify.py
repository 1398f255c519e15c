"""Independent check of a peer matching's certificate over every allowed pair, block by block.

Nothing here reuses the solver: the pairs, the duals and the Tutte set are read from the
:class:`~matchsvc.assignment.PeerAssignment`, the scores again from the source, and every
condition is recomputed from scratch (its own block loop, its own union-find).
"""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from matchsvc.assignment._peer import PeerAssignment, PeerCertificate, validate_peer

__all__ = ["PeerCertificateReport", "PeerReason", "verify_peer_certificate"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TOL = 1e-9
_BLOCK_CELLS = 1 << 22


class PeerReason:
    """Machine-readable codes of :class:`PeerCertificateReport` (one per failed condition)."""

    NO_CERTIFICATE = "no_certificate"
    SHAPE = "certificate_shape"
    NOT_A_MATCHING = "not_a_matching"
    FORBIDDEN_PAIR = "forbidden_pair"
    SCORES_MISMATCH = "scores_mismatch"
    DUAL_INFEASIBLE = "dual_infeasible"
    NOT_TIGHT = "not_tight"
    BLOSSOM_INVALID = "blossom_invalid"
    BLOSSOM_NEGATIVE = "blossom_dual_negative"
    BLOSSOM_NOT_ODD = "blossom_not_odd"
    BLOSSOM_NOT_FULL = "blossom_not_full"
    UNMATCHED_DUAL = "unmatched_dual_not_lowest"
    BARRIER_INVALID = "barrier_invalid"
    CARDINALITY = "cardinality_not_proven"


@dataclass(frozen=True)
class PeerCertificateReport:
    """Outcome of :func:`verify_peer_certificate`: ``valid`` and, if not, one code and one
    message per failed condition (``codes[k]`` explains ``reasons[k]``)."""

    valid: bool
    tolerance: float
    codes: tuple[str, ...]
    reasons: tuple[str, ...]


@njit(cache=True)
def _find(parent, x):  # type: ignore[no-untyped-def]
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True)
def _check_rows(  # type: ignore[no-untyped-def]
    S, i0, u, Z, use_z, partner, in_a, parent, mask, use_mask, min_score, tol, got
):  # fmt: skip
    """Rows ``i0:`` of the upper triangle: counts ``(negative reduced cost, loose matched pair,
    forbidden matched pair)``; merges allowed pairs outside the Tutte set in ``parent``;
    ``got[i]`` receives the score of ``i``'s matched pair."""
    nb, n = S.shape
    neg = 0
    loose = 0
    forbidden = 0
    for ii in range(nb):
        i = i0 + ii
        ui = u[i]
        pi = partner[i]
        ai = in_a[i]
        for j in range(i + 1, n):
            s = np.float64(S[ii, j])
            matched = pi == j
            if matched:
                got[i] = s
            if s < min_score or (use_mask and not mask[ii, j]):
                if matched:
                    forbidden += 1
                continue
            red = ui + u[j] - s
            if use_z:
                red += Z[ii, j]
            if red < -tol:
                neg += 1
            if matched and red > tol:
                loose += 1
            if not ai and not in_a[j]:
                ri = _find(parent, i)
                rj = _find(parent, j)
                if ri != rj:
                    if ri < rj:
                        parent[rj] = ri
                    else:
                        parent[ri] = rj
    return neg, loose, forbidden


@njit(cache=True)
def _roots(parent):  # type: ignore[no-untyped-def]
    out = np.empty(parent.shape[0], dtype=np.int64)
    for v in range(parent.shape[0]):
        out[v] = _find(parent, v)
    return out


@njit(cache=True)
def _add_sets(Z, i0, rows, owner, bptr, bmem, z):  # type: ignore[no-untyped-def]
    """``Z[r - i0, j] += z_b`` for every listed row ``r`` of set ``b = owner`` and every member
    ``j`` of ``b``."""
    for q in range(rows.shape[0]):
        r = rows[q] - i0
        b = owner[q]
        zb = z[b]
        for p in range(bptr[b], bptr[b + 1]):
            Z[r, bmem[p]] += zb


def _read(src: Any, i0: int, i1: int, n: int) -> npt.NDArray[np.floating]:
    if isinstance(src, np.ndarray):
        return src[i0:i1]
    s = np.asarray(src.block(i0, i1))
    if s.dtype not in (np.float32, np.float64):
        s = s.astype(np.float64)
    if s.shape != (i1 - i0, n):
        raise ValueError(f"scores.block({i0}, {i1}) returned shape {s.shape}")
    return np.ascontiguousarray(s)


def verify_peer_certificate(
    result: PeerAssignment,
    scores: Any,
    allowed: Any = None,
    min_score: float | None = None,
    certificate: PeerCertificate | None = None,
    tol: float = TOL,
) -> PeerCertificateReport:
    """Check that ``result`` is a matching of allowed pairs with the most pairs and, among
    those, the largest total, using only its certificate and the scores.

    ``scores``/``allowed``/``min_score`` must be those given to
    :func:`~matchsvc.assignment.assign_peers` (a block source is read block by block; the pair
    ``{i, j}`` weighs ``w_ij = scores[min(i, j), max(i, j)]``). ``certificate`` overrides
    ``result.certificate``. Every failed condition adds its code (:class:`PeerReason`):

    1. ``not_a_matching`` / ``forbidden_pair`` / ``scores_mismatch``: pairs in range, ``i < j``,
       nobody twice; every pair allowed; ``result.scores``/``total`` are the pairs' weights.
    2. ``dual_infeasible``: some allowed pair has ``u_i + u_j + sum_{B ni i,j} z_B - w_ij < -tol``.
    3. ``not_tight``: some matched pair has that reduced cost ``> tol``.
    4. ``blossom_invalid`` (members out of range or repeated), ``blossom_dual_negative``
       (``z_B < 0``), ``blossom_not_odd`` / ``blossom_not_full``: a set with ``z_B > 0`` has an
       even size, or not exactly ``(|B| - 1) / 2`` matched pairs inside.
    5. ``unmatched_dual_not_lowest``: an unmatched person's ``u`` exceeds a matched one's
       by more than ``tol``.
    6. ``barrier_invalid`` / ``cardinality_not_proven``: the Tutte set ``A`` is out of range
       or repeats someone, or ``2 |M| != n + |A| - odd(G - A)``.

    Proof sketch. For any matching ``M'`` of allowed pairs, dual feasibility (2), ``z >= 0``
    and ``|M' cap E(B)| <= (|B| - 1) / 2`` for odd ``B`` give
    ``w(M') <= sum_{v covered by M'} u_v + sum_B z_B (|B| - 1) / 2``; for ``M`` itself every
    step is an equality by (3) and (4). Subtracting,
    ``w(M') - w(M) <= sum_{v in V(M') - V(M)} u_v - sum_{v in V(M) - V(M')} u_v``. (6) is the
    Tutte-Berge formula: every matching has at most ``(n + |A| - odd(G - A)) / 2`` pairs (each
    odd component of ``G - A`` leaves a vertex unmatched unless it is matched into ``A``), so
    ``|M|`` is the maximum and any ``M'`` with as many pairs covers as many people: the two
    sums run over equally many people, the first over people ``M`` leaves unmatched, so by (5)
    the difference is ``<= 0``. Hence ``M`` has the most pairs and the largest total among
    those. (The duals alone cannot prove the cardinality: with one edge of weight 1 and
    ``u = (0.5, 0.5)`` the empty matching meets (2)-(5); that is why (6) is checked.) With
    rounding, violations up to ``tol * scale`` pass, where ``scale = max(1, max |u|, max z,
    max |pair score|)``; the total is then within ``(n + sum_B (|B|-1)/2) * tol * scale`` of
    the optimum.

    The pass costs one read of every block plus ``O(sum_B |B|^2)`` for the odd sets.
    """
    problem = validate_peer(scores, allowed, min_score)
    n = problem.n
    cert = certificate if certificate is not None else result.certificate
    codes: list[str] = []
    why: list[str] = []

    def fail(code: str, msg: str) -> None:
        codes.append(code)
        why.append(msg)

    if cert is None:
        fail(PeerReason.NO_CERTIFICATE, "the result carries no certificate")
        return PeerCertificateReport(False, tol, tuple(codes), tuple(why))
    u = np.asarray(cert.vertex_dual, dtype=np.float64)
    z = np.asarray(cert.blossom_dual, dtype=np.float64)
    bptr = np.asarray(cert.blossom_ptr, dtype=np.int64)
    bmem = np.asarray(cert.blossom_members, dtype=np.int64)
    barrier = np.asarray(cert.barrier, dtype=np.int64)
    if (
        u.shape != (n,)
        or z.ndim != 1
        or bptr.shape != (z.shape[0] + 1,)
        or (bptr.size and (bptr[0] != 0 or bptr[-1] != bmem.size or (np.diff(bptr) < 0).any()))
        or barrier.ndim != 1
        or not np.isfinite(u).all()
        or not np.isfinite(z).all()
    ):
        fail(PeerReason.SHAPE, f"certificate arrays do not describe a pool of {n} people")
        return PeerCertificateReport(False, tol, tuple(codes), tuple(why))

    pairs = np.asarray(result.pairs)
    pscores = np.asarray(result.scores, dtype=np.float64)
    k = int(pairs.shape[0]) if pairs.ndim == 2 else -1
    partner = np.full(n, -1, dtype=np.int64)
    if (
        k < 0
        or pairs.shape[1:] != (2,)
        or pscores.shape != (k,)
        or (k and (pairs.min() < 0 or pairs.max() >= n or (pairs[:, 0] >= pairs[:, 1]).any()))
        or np.bincount(pairs.ravel().astype(np.int64), minlength=n).max(initial=0) > 1
    ):
        fail(PeerReason.NOT_A_MATCHING, "pairs are not a matching of the pool (range, i < j, "
             "each person at most once)")  # fmt: skip
        return PeerCertificateReport(False, tol, tuple(codes), tuple(why))
    pairs = pairs.astype(np.int64)
    partner[pairs[:, 0]] = pairs[:, 1]
    partner[pairs[:, 1]] = pairs[:, 0]
    matched = partner >= 0

    scale = max(
        1.0,
        float(np.abs(u).max(initial=0.0)),
        float(np.abs(z).max(initial=0.0)),
        float(np.abs(pscores).max(initial=0.0)),
    )
    atol = tol * scale

    # (4) the odd sets
    keep = np.zeros(z.shape[0], dtype=np.bool_)
    mark = np.full(n, -1, dtype=np.int64)
    for b in range(z.shape[0]):
        mem = bmem[bptr[b] : bptr[b + 1]]
        if mem.size == 0 or mem.min() < 0 or mem.max() >= n:
            fail(PeerReason.BLOSSOM_INVALID, f"odd set {b} has members out of range")
            continue
        if (mark[mem] == b).any() or np.unique(mem).size != mem.size:
            fail(PeerReason.BLOSSOM_INVALID, f"odd set {b} repeats a member")
            continue
        mark[mem] = b
        zb = float(z[b])
        if zb < 0.0:
            fail(PeerReason.BLOSSOM_NEGATIVE, f"odd set {b} has a negative dual {zb!r}")
            continue
        if zb == 0.0:
            continue
        if mem.size % 2 == 0:
            fail(PeerReason.BLOSSOM_NOT_ODD, f"odd set {b} with dual {zb!r} has {mem.size} "
                 "members (even)")  # fmt: skip
        else:
            pm = partner[mem]
            pin = int(((pm >= 0) & (mark[np.maximum(pm, 0)] == b)).sum()) // 2
            if pin != (mem.size - 1) // 2:
                fail(PeerReason.BLOSSOM_NOT_FULL, f"odd set {b} of {mem.size} people holds "
                     f"{pin} pairs, not {(mem.size - 1) // 2}")  # fmt: skip
        keep[b] = True
    # (row, set) memberships of the sets with a dual, sorted by row, for the block pass
    kept = np.flatnonzero(keep)
    sizes = (bptr[kept + 1] - bptr[kept]).astype(np.int64)
    memb_row = (
        np.concatenate([bmem[bptr[b] : bptr[b + 1]] for b in kept]) if kept.size else
        np.zeros(0, np.int64)
    )  # fmt: skip
    memb_set = np.repeat(kept, sizes).astype(np.int64)
    order = np.argsort(memb_row, kind="stable")
    memb_row, memb_set = memb_row[order], memb_set[order]

    # (5) unmatched people have the lowest duals
    if matched.any() and (~matched).any():
        hi = float(u[~matched].max())
        lo = float(u[matched].min())
        if hi > lo + atol:
            fail(PeerReason.UNMATCHED_DUAL, f"an unmatched person has dual {hi!r} above a "
                 f"matched person's {lo!r}")  # fmt: skip

    # (6) the Tutte set
    in_a = np.zeros(n, dtype=np.bool_)
    barrier_ok = not (barrier.size and (barrier.min() < 0 or barrier.max() >= n)) and (
        np.unique(barrier).size == barrier.size
    )
    if barrier_ok:
        in_a[barrier] = True
    if not barrier_ok:
        fail(PeerReason.BARRIER_INVALID, "the Tutte set has people out of range or repeated")

    # (1)-(3) and the components, block by block
    src = problem.scores
    mask = problem.allowed
    ms = -np.inf if problem.min_score is None else float(problem.min_score)
    parent = np.arange(n, dtype=np.int64)
    got = np.full(n, np.nan)
    neg = loose = forbidden = 0
    step = max(1, _BLOCK_CELLS // max(n, 1))
    no_mask = np.zeros((1, 1), dtype=np.bool_)
    for i0 in range(0, n, step):
        i1 = min(i0 + step, n)
        S = _read(src, i0, i1, n)
        lo, hi = np.searchsorted(memb_row, [i0, i1])
        use_z = bool(hi > lo)
        Z = np.zeros((i1 - i0, n) if use_z else (1, 1))
        if use_z:
            _add_sets(Z, i0, memb_row[lo:hi], memb_set[lo:hi], bptr, bmem, z)
        blk_mask = no_mask if mask is None else mask[i0:i1]
        a, b, c = _check_rows(
            S, i0, u, Z, use_z, partner, in_a, parent, blk_mask, mask is not None, ms, atol, got
        )
        neg += int(a)
        loose += int(b)
        forbidden += int(c)
    if forbidden:
        fail(PeerReason.FORBIDDEN_PAIR, f"{forbidden} matched pairs are not allowed")
    if k:
        real = got[pairs[:, 0]]
        if (np.abs(real - pscores) > atol).any() or abs(float(pscores.sum()) - result.total) > atol * max(1, k):  # fmt: skip
            fail(PeerReason.SCORES_MISMATCH, "result.scores or total differ from the pairs' scores")
    elif result.total != 0.0:
        fail(PeerReason.SCORES_MISMATCH, "an empty matching must total 0")
    if neg:
        fail(PeerReason.DUAL_INFEASIBLE, f"{neg} allowed pairs have a negative reduced cost "
             "(dual infeasible)")  # fmt: skip
    if loose:
        fail(PeerReason.NOT_TIGHT, f"{loose} matched pairs have a positive reduced cost "
             "(complementary slackness violated)")  # fmt: skip
    if barrier_ok:
        roots = _roots(parent)
        sizes = np.bincount(roots[~in_a], minlength=n)
        odd = int((sizes % 2 == 1).sum())
        bound = n + int(in_a.sum()) - odd
        if 2 * k != bound:
            fail(PeerReason.CARDINALITY, f"{k} pairs, but the Tutte set of {int(in_a.sum())} "
                 f"people with {odd} odd components only bounds the maximum by "
                 f"{bound // 2}")  # fmt: skip
    return PeerCertificateReport(not codes, atol, tuple(codes), tuple(why))
