"""Numba kernels that stream over score blocks for the ``pricing`` solver.

A block is rows ``i0:i0+len(S)`` of the score matrix, float32 or float64 as the source gives
it; every value is widened to float64 before any arithmetic, so the float32 case sees exactly
the values ``Problem.block`` would. ``mask`` is the allowed block (ignored unless ``use_mask``)
and pairs scoring below ``min_score`` are forbidden.

* :func:`top_scan`: per mentee the ``k`` best mentors by ``s + colshift[j]`` and per mentor the
  ``r`` best mentees by ``s + rowshift[i]`` (a running min-heap per mentor), in one pass.
* :func:`price_scan`: per mentee the ``kadd`` best unmatched pairs by reduced value (pairs
  crossing the minimum cut first), plus the counts of pairs that violate the certificate.
"""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["first_out_of_range", "price_scan", "top_scan"]


@njit(cache=True)
def first_out_of_range(S, limit):  # type: ignore[no-untyped-def]
    """Flat index of the first entry of ``S`` that is NaN or has ``abs > limit``, or -1."""
    r, c = S.shape
    for i in range(r):
        for j in range(c):
            x = np.float64(S[i, j])
            if not (abs(x) <= limit):
                return i * c + j
    return -1


@njit(cache=True)
def _heap_replace_min(vals, idx, raw, size, v, w, x):  # type: ignore[no-untyped-def]
    """Replace the root of the min-heap ``vals[:size]`` by ``(v, w, x)`` and sift down."""
    p = 0
    while True:
        c = 2 * p + 1
        if c >= size:
            break
        if c + 1 < size and vals[c + 1] < vals[c]:
            c += 1
        if vals[c] < v:
            vals[p] = vals[c]
            idx[p] = idx[c]
            raw[p] = raw[c]
            p = c
        else:
            break
    vals[p] = v
    idx[p] = w
    raw[p] = x


@njit(cache=True)
def _heap_push(vals, idx, raw, size, v, w, x):  # type: ignore[no-untyped-def]
    p = size
    while p > 0:
        q = (p - 1) >> 1
        if vals[q] <= v:
            break
        vals[p] = vals[q]
        idx[p] = idx[q]
        raw[p] = raw[q]
        p = q
    vals[p] = v
    idx[p] = w
    raw[p] = x


@njit(cache=True)
def top_scan(  # type: ignore[no-untyped-def]
    S, i0, rowshift, colshift, k, row_val, row_col, row_s, col_val, col_row, col_s, col_cnt,
    mask, use_mask, min_score,
):  # fmt: skip
    """Update the per-mentee top ``k`` (``row_val/row_col/row_s``: key, mentor, score; rows
    ``i0:``, unsorted, -inf padded) and the per-mentor min-heaps (``col_val/col_row/col_s``,
    ``r = col_val.shape[1]``)."""
    nb, m = S.shape
    r = col_val.shape[1]
    for ii in range(nb):
        i = i0 + ii
        rv = row_val[i]
        rc = row_col[i]
        rsv = row_s[i]
        # Row top-k kept unsorted with a tracked minimum position.
        kmin = 0
        for q in range(1, k):
            if rv[q] < rv[kmin]:
                kmin = q
        rthr = rv[kmin]
        rs = rowshift[i]
        for j in range(m):
            s = np.float64(S[ii, j])
            if s < min_score or (use_mask and not mask[ii, j]):
                continue
            v = s + colshift[j]
            if v > rthr:
                rv[kmin] = v
                rc[kmin] = j
                rsv[kmin] = s
                kmin = 0
                for q in range(1, k):
                    if rv[q] < rv[kmin]:
                        kmin = q
                rthr = rv[kmin]
            if r > 0:
                w = s + rs
                cnt = col_cnt[j]
                if cnt < r:
                    _heap_push(col_val[j], col_row[j], col_s[j], cnt, w, i, s)
                    col_cnt[j] = cnt + 1
                elif w > col_val[j, 0]:
                    _heap_replace_min(col_val[j], col_row[j], col_s[j], r, w, i, s)


@njit(cache=True)
def price_scan(  # type: ignore[no-untyped-def]
    S, i0, pe, pr, tol, reach_e, reach_r, use_cut, mptr, mcol, kadd, mask, use_mask, min_score,
    out_i, out_j, out_s, n_out,
):  # fmt: skip
    """Append each row's ``kadd`` best unmatched allowed pairs of rows ``i0:`` to ``out_*``
    (from ``n_out``; the arrays must hold ``kadd`` more per row; ``out_s`` gets the score),
    and count the violations of the certificate.

    Unmatched allowed pairs with ``s + pr[j] - pe[i] > tol`` are dual violations; the kept
    pairs are ranked by that reduced value, violating or not (a cache for the next rounds).
    While ``use_cut``, unmatched allowed pairs from a reachable mentee to an unreachable mentor
    cross the cut: such a row keeps only those, ranked by score. Matched pairs come from the
    mentee-major CSR ``mptr/mcol``. Returns ``(n_out, n_neg, n_cut)`` (all violations, not
    only those kept).
    """
    nb, m = S.shape
    n_neg = 0
    n_cut = 0
    bv = np.empty(kadd, dtype=np.float64)
    bj = np.empty(kadd, dtype=np.int64)
    bs = np.empty(kadd, dtype=np.float64)
    for ii in range(nb):
        i = i0 + ii
        pei = pe[i]
        cut_row = use_cut and reach_e[i]
        cnt = 0
        bmin = 0
        got_cut = False
        # Pairs with a reduced value <= lim can neither violate nor enter the kept set of a
        # row off the cut (rows on it take the full path): most pairs stop at one compare.
        lim = -np.inf
        for j in range(m):
            s = np.float64(S[ii, j])
            v = s + pr[j] - pei
            if v <= lim:
                continue
            if s < min_score or (use_mask and not mask[ii, j]):
                continue
            is_neg = v > tol
            is_cut = cut_row and not reach_r[j]
            matched = False
            for q in range(mptr[i], mptr[i + 1]):
                if mcol[q] == j:
                    matched = True
                    break
            if matched:
                continue
            if is_neg:
                n_neg += 1
            if is_cut:
                n_cut += 1
                if not got_cut:
                    got_cut = True
                    cnt = 0
                prio = s
            elif got_cut:
                continue
            else:
                prio = v
            if cnt < kadd:
                bv[cnt] = prio
                bj[cnt] = j
                bs[cnt] = s
                cnt += 1
                if cnt < kadd:
                    continue
            elif prio > bv[bmin]:
                bv[bmin] = prio
                bj[bmin] = j
                bs[bmin] = s
            else:
                continue
            bmin = 0
            for q in range(1, kadd):
                if bv[q] < bv[bmin]:
                    bmin = q
            if not cut_row:
                lim = min(tol, bv[bmin])
        for q in range(cnt):
            out_i[n_out] = i
            out_j[n_out] = bj[q]
            out_s[n_out] = bs[q]
            n_out += 1
    return n_out, n_neg, n_cut
