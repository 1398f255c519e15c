"""Numba kernels that stream over row blocks of a symmetric score matrix (peer matching).

A block is rows ``i0:i0+len(S)`` of the ``n x n`` matrix, float32 or float64 as the source gives
it (widened to float64 value by value). Only the strict upper triangle is read: the weight of the
pair ``{i, j}`` is ``S[min(i, j), max(i, j)]``, so every pair is seen exactly once per pass, from
the row of its smaller index. ``mask`` is the allowed block (ignored unless ``use_mask``); pairs
scoring below ``min_score`` are forbidden too.

* :func:`peer_top_scan`: each person's ``k`` best allowed partners (both directions of every
  pair), allowed-degree counts, the components of the allowed graph (union-find), the largest
  ``|score|``, and the first non-finite value.
* :func:`peer_price_scan`: reduced costs of every allowed pair under the matching duals; each
  row keeps its ``kcache`` lowest-reduced-cost pairs outside the candidate graph, and the pairs
  that break the Gallai-Edmonds structure of the candidate solution (needed only when that
  structure must prove the cardinality).
"""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["pair_reduced", "peer_price_scan", "peer_top_scan", "uf_find"]


@njit(cache=True)
def uf_find(parent, x):  # type: ignore[no-untyped-def]
    """Root of ``x`` with path halving."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True)
def _top_insert(v, s, j, top_s, top_j, cnt, kmin, thr, k):  # type: ignore[no-untyped-def]
    """Insert ``(s, j)`` into ``v``'s top ``k``; ``thr[v]`` is the score to beat (-inf until
    full), so callers test ``s > thr[v]`` before calling."""
    c = cnt[v]
    if c < k:
        top_s[v, c] = s
        top_j[v, c] = j
        cnt[v] = c + 1
        if c + 1 == k:
            q0 = 0
            for q in range(1, k):
                if top_s[v, q] < top_s[v, q0]:
                    q0 = q
            kmin[v] = q0
            thr[v] = top_s[v, q0]
        return
    q0 = kmin[v]
    top_s[v, q0] = s
    top_j[v, q0] = j
    q0 = 0
    for q in range(1, k):
        if top_s[v, q] < top_s[v, q0]:
            q0 = q
    kmin[v] = q0
    thr[v] = top_s[v, q0]


@njit(cache=True)
def peer_top_scan(  # type: ignore[no-untyped-def]
    S, i0, k, top_s, top_j, cnt, kmin, thr, deg, uf, ncomp, mask, use_mask, min_score
):
    """Update the per-person top ``k`` (``top_s/top_j``, ``cnt`` filled, ``kmin`` the slot of
    the smallest once full, ``thr`` its score or -inf; ties keep the earlier pair), ``deg``
    and the union-find ``uf`` of the allowed pairs for rows ``i0:`` (merging stops once
    ``ncomp[0]``, the number of
    components left, is 1).

    Returns ``(bad, absmax)``: the flat index (in the block) of the first non-finite upper-
    triangle value or -1, and the largest ``|score|`` of an allowed pair.
    """
    nb, n = S.shape
    absmax = 0.0
    for ii in range(nb):
        i = i0 + ii
        for j in range(i + 1, n):
            s = np.float64(S[ii, j])
            if not (abs(s) < np.inf):
                return ii * n + j, absmax
            if s < min_score or (use_mask and not mask[ii, j]):
                continue
            deg[i] += 1
            deg[j] += 1
            if ncomp[0] > 1:
                ri = uf_find(uf, i)
                rj = uf_find(uf, j)
                if ri != rj:
                    if ri < rj:
                        uf[rj] = ri
                    else:
                        uf[ri] = rj
                    ncomp[0] -= 1
            if abs(s) > absmax:
                absmax = abs(s)
            if k > 0:
                if s > thr[i]:
                    _top_insert(i, s, j, top_s, top_j, cnt, kmin, thr, k)
                if s > thr[j]:
                    _top_insert(j, s, i, top_s, top_j, cnt, kmin, thr, k)
    return -1, absmax


@njit(cache=True)
def _zsum(i, j, vb, bpar, bdepth, cz):  # type: ignore[no-untyped-def]
    """Sum of the blossom duals over the blossoms containing both ``i`` and ``j`` (laminar
    family: the cumulative dual of their lowest common blossom)."""
    x = vb[i]
    y = vb[j]
    if x < 0 or y < 0:
        return 0.0
    while bdepth[x] > bdepth[y]:
        x = bpar[x]
    while bdepth[y] > bdepth[x]:
        y = bpar[y]
    while x != y:
        x = bpar[x]
        y = bpar[y]
        if x < 0 or y < 0:
            return 0.0
    return cz[x]


@njit(cache=True)
def pair_reduced(pi, pj, ps, u, vb, bpar, bdepth, cz):  # type: ignore[no-untyped-def]
    """Reduced costs ``u_i + u_j + sum z - s`` of the listed pairs."""
    out = np.empty(pi.shape[0])
    for q in range(pi.shape[0]):
        i = pi[q]
        j = pj[q]
        out[q] = u[i] + u[j] + _zsum(i, j, vb, bpar, bdepth, cz) - ps[q]
    return out


@njit(cache=True)
def _in_graph(i, j, hptr, hnb):  # type: ignore[no-untyped-def]
    lo = hptr[i]
    hi = hptr[i + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if hnb[mid] < j:
            lo = mid + 1
        else:
            hi = mid
    return lo < hptr[i + 1] and hnb[lo] == j


@njit(cache=True)
def peer_price_scan(  # type: ignore[no-untyped-def]
    S, i0, u, vb, bpar, bdepth, cz, hptr, hnb, lab, top, want_card, kcache, tol,
    mask, use_mask, min_score, out_i, out_j, out_s, n_out, card_i, card_j, card_s, n_card_out,
    ov_i, ov_j, ov_s,
):  # fmt: skip
    """Price every allowed upper-triangle pair of rows ``i0:``.

    Appends each row's ``kcache`` lowest-reduced-cost pairs that are not candidate edges
    (``hptr/hnb``: sorted neighbours) to ``out_*`` from ``n_out``, and, when ``want_card``, up
    to ``kcache`` best-scoring pairs per row that join an S blossom (``lab == 1``, outer id
    ``top``) to anything but a T vertex or its own blossom to ``card_*`` (the candidate graph
    has none of those when the solver ran to its end).
    Violators pushed out of a full row cache go to ``ov_*`` (while it has room), so a pass
    keeps every violator it finds. Returns ``(n_out, n_card_out, n_ov, n_neg, n_cardviol)``:
    counts over all pairs (the last one only when ``want_card``).

    The inner loop only compares ``u_i + u_j - s`` with the row's current cut-off (blossom
    duals only raise a reduced cost); masks, blossom duals and graph membership are looked at
    for the few pairs below it.
    """
    nb, n = S.shape
    n_neg = 0
    n_cv = 0
    n_ov = 0
    bv = np.empty(kcache)
    bj = np.empty(kcache, dtype=np.int64)
    bs = np.empty(kcache)
    cv = np.empty(kcache)
    cj = np.empty(kcache, dtype=np.int64)
    for ii in range(nb):
        i = i0 + ii
        ui = u[i]
        cnt = 0
        lim = np.inf  # pairs with reduced cost >= lim neither violate nor enter the cache
        for j in range(i + 1, n):
            s = np.float64(S[ii, j])
            red = ui + u[j] - s
            if red >= lim:
                continue
            if s < min_score or (use_mask and not mask[ii, j]):
                continue
            if vb[i] >= 0 and vb[j] >= 0:
                red += _zsum(i, j, vb, bpar, bdepth, cz)
                if red >= lim:
                    continue
            if _in_graph(i, j, hptr, hnb):
                continue
            if red < -tol:
                n_neg += 1
            # The row's cache is a max-heap on the reduced cost (root: the worst kept pair).
            if cnt < kcache:
                p = cnt
                cnt += 1
                while p > 0:
                    q = (p - 1) >> 1
                    if bv[q] >= red:
                        break
                    bv[p] = bv[q]
                    bj[p] = bj[q]
                    bs[p] = bs[q]
                    p = q
                bv[p] = red
                bj[p] = j
                bs[p] = s
                if cnt == kcache:
                    lim = max(bv[0], -tol)
                continue
            if bv[0] < -tol and n_ov < ov_i.shape[0]:
                # A violator leaves the heap: keep it anyway.
                ov_i[n_ov] = i
                ov_j[n_ov] = bj[0]
                ov_s[n_ov] = bs[0]
                n_ov += 1
            p = 0
            while True:
                c = 2 * p + 1
                if c >= kcache:
                    break
                if c + 1 < kcache and bv[c + 1] > bv[c]:
                    c += 1
                if bv[c] <= red:
                    break
                bv[p] = bv[c]
                bj[p] = bj[c]
                bs[p] = bs[c]
                p = c
            bv[p] = red
            bj[p] = j
            bs[p] = s
            lim = max(bv[0], -tol)
        for q in range(cnt):
            out_i[n_out] = i
            out_j[n_out] = bj[q]
            out_s[n_out] = bs[q]
            n_out += 1
        if not want_card:
            continue
        # Pairs that break the alternating forest's structure (S to non-T, other blossom).
        li = lab[i]
        ti = top[i]
        ccnt = 0
        cmin = 0
        for j in range(i + 1, n):
            lj = lab[j]
            if not (
                (li == 1 and lj != 2 and (lj == 0 or top[j] != ti))
                or (lj == 1 and li != 2 and (li == 0 or top[j] != ti))
            ):
                continue
            s = np.float64(S[ii, j])
            if s < min_score or (use_mask and not mask[ii, j]):
                continue
            n_cv += 1
            if ccnt < kcache:
                cv[ccnt] = s
                cj[ccnt] = j
                ccnt += 1
                if ccnt == kcache:
                    cmin = 0
                    for q in range(1, kcache):
                        if cv[q] < cv[cmin]:
                            cmin = q
            elif s > cv[cmin]:
                cv[cmin] = s
                cj[cmin] = j
                cmin = 0
                for q in range(1, kcache):
                    if cv[q] < cv[cmin]:
                        cmin = q
        for q in range(ccnt):
            card_i[n_card_out] = i
            card_j[n_card_out] = cj[q]
            card_s[n_card_out] = cv[q]
            n_card_out += 1
    return n_out, n_card_out, n_ov, n_neg, n_cv
