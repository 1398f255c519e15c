"""Numba kernels for circles: local search over a partition, and circle pricing.

* :func:`local_search`: improving moves on a partition of people into circles (insert an
  unplaced person, move one person, swap two people, swap a placed and an unplaced person)
  under size bounds, forbidden pairs and fixed circle leaders, until none improves.
* :func:`perturb`: seeded random feasible swaps (the kick of iterated local search).
* :func:`best_circles`: for every person ``i``, the circle ``C`` containing ``i`` of size in
  ``[a, b]`` with all pairs allowed that maximises ``(w(C) - pi(C)) / |C|`` (branch and bound,
  exact over all people, or over each person's ``m`` best candidates).
"""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["best_circles", "local_search", "perturb"]

_EPS = 1e-12


@njit(cache=True)
def _sums(W, forb, use_forb, grp, G):  # type: ignore[no-untyped-def]
    n = W.shape[0]
    A = np.zeros((n, G))
    FB = np.zeros((n, G), dtype=np.int32)
    for i in range(n):
        for j in range(n):
            g = grp[j]
            if j != i and g >= 0:
                A[i, g] += W[i, j]
                if use_forb and forb[i, j]:
                    FB[i, g] += 1
    return A, FB


@njit(cache=True)
def _move(W, forb, use_forb, A, FB, grp, size, x, g_to):  # type: ignore[no-untyped-def]
    """Move person ``x`` to circle ``g_to`` (-1: unplace), updating the sums."""
    n = W.shape[0]
    g_from = grp[x]
    if g_from >= 0:
        size[g_from] -= 1
        for k in range(n):
            A[k, g_from] -= W[k, x]
            if use_forb and forb[k, x]:
                FB[k, g_from] -= 1
        A[x, g_from] += W[x, x]
    if g_to >= 0:
        size[g_to] += 1
        for k in range(n):
            A[k, g_to] += W[k, x]
            if use_forb and forb[k, x]:
                FB[k, g_to] += 1
        A[x, g_to] -= W[x, x]
    grp[x] = g_to


@njit(cache=True)
def local_search(W, forb, use_forb, grp, G, a, b, lf, lforb, max_sweeps):  # type: ignore[no-untyped-def]
    """Improve ``grp`` (circle of each person, -1 unplaced) in place until no move improves.

    Objective, lexicographic: people placed, then the sum over circles of the within-circle
    pair scores ``W`` plus each member's fit ``lf[i, g]`` with circle ``g``'s leader.
    Circles keep between ``a`` and ``b`` members; pairs with ``forb`` (when ``use_forb``) never
    share a circle; ``lforb[i, g]`` forbids ``i`` in circle ``g``. ``W`` has a zero diagonal.
    Deterministic: people are visited in index order, each takes its best move.
    Returns the number of sweeps made.
    """
    n = W.shape[0]
    A, FB = _sums(W, forb, use_forb, grp, G)
    size = np.zeros(G, dtype=np.int64)
    for i in range(n):
        if grp[i] >= 0:
            size[grp[i]] += 1
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        improved = False
        # 1. insert unplaced people where there is room (one more person placed)
        for u in range(n):
            if grp[u] >= 0:
                continue
            best = -np.inf
            bg = -1
            for g in range(G):
                if size[g] >= b or size[g] == 0 or FB[u, g] > 0 or lforb[u, g]:
                    continue
                v = A[u, g] + lf[u, g]
                if v > best:
                    best = v
                    bg = g
            if bg >= 0:
                _move(W, forb, use_forb, A, FB, grp, size, u, bg)
                improved = True
        # 2. moves and swaps that keep the count
        for i in range(n):
            gi = grp[i]
            cur = A[i, gi] + lf[i, gi] if gi >= 0 else 0.0
            best = _EPS
            kind = 0
            bj = -1
            bg = -1
            if gi >= 0 and size[gi] > a:
                for g in range(G):
                    if g == gi or size[g] >= b or size[g] == 0 or FB[i, g] > 0 or lforb[i, g]:
                        continue
                    gain = A[i, g] + lf[i, g] - cur
                    if gain > best:
                        best = gain
                        kind = 1
                        bg = g
            for j in range(n):
                gj = grp[j]
                if gj == gi or (gi < 0 and gj < 0):
                    continue
                fij = 1 if (use_forb and forb[i, j]) else 0
                if gi >= 0 and gj >= 0:
                    if FB[i, gj] - fij > 0 or FB[j, gi] - fij > 0 or lforb[i, gj] or lforb[j, gi]:
                        continue
                    gain = (
                        A[i, gj] - W[i, j] + lf[i, gj] + A[j, gi] - W[i, j] + lf[j, gi]
                        - cur - A[j, gj] - lf[j, gj]
                    )  # fmt: skip
                elif gi >= 0:  # j unplaced takes i's seat
                    if FB[j, gi] - fij > 0 or lforb[j, gi]:
                        continue
                    gain = A[j, gi] - W[i, j] + lf[j, gi] - cur
                else:  # i unplaced takes j's seat
                    if FB[i, gj] - fij > 0 or lforb[i, gj]:
                        continue
                    gain = A[i, gj] - W[i, j] + lf[i, gj] - A[j, gj] - lf[j, gj]
                if gain > best:
                    best = gain
                    kind = 2
                    bj = j
            if kind == 1:
                _move(W, forb, use_forb, A, FB, grp, size, i, bg)
                improved = True
            elif kind == 2:
                gj = grp[bj]
                _move(W, forb, use_forb, A, FB, grp, size, i, -1)
                _move(W, forb, use_forb, A, FB, grp, size, bj, gi)
                _move(W, forb, use_forb, A, FB, grp, size, i, gj)
                improved = True
        if not improved:
            break
    return sweeps


@njit(cache=True)
def perturb(W, forb, use_forb, grp, G, lforb, swaps, seed):  # type: ignore[no-untyped-def]
    """Make ``swaps`` random feasible swaps of two placed people of different circles
    (seeded: the same seed gives the same swaps)."""
    np.random.seed(seed)
    n = W.shape[0]
    placed = np.flatnonzero(grp >= 0)
    if placed.size < 2:
        return
    done = 0
    tries = 0
    while done < swaps and tries < 50 * swaps:
        tries += 1
        i = placed[np.random.randint(placed.size)]
        j = placed[np.random.randint(placed.size)]
        gi = grp[i]
        gj = grp[j]
        if gi == gj or lforb[i, gj] or lforb[j, gi]:
            continue
        ok = True
        if use_forb:
            for k in range(n):
                if k != j and grp[k] == gj and forb[i, k]:
                    ok = False
                    break
                if k != i and grp[k] == gi and forb[j, k]:
                    ok = False
                    break
        if not ok:
            continue
        grp[i] = gj
        grp[j] = gi
        done += 1


@njit(cache=True)
def _node_list(d, cl, cand, gains, smax, M):  # type: ignore[no-untyped-def]
    """Sort level ``d``'s ``cl`` candidates by gain (descending, stable) and fill the suffix
    maxima of their pair-score bounds ``M``."""
    order = np.argsort(-gains[d, :cl], kind="mergesort")
    gs = gains[d, :cl][order]
    cs = cand[d, :cl][order]
    gains[d, :cl] = gs
    cand[d, :cl] = cs
    run = -np.inf
    for t in range(cl - 1, -1, -1):
        mv = M[cand[d, t]]
        if mv > run:
            run = mv
        smax[d, t] = run


@njit(cache=True)
def _best_for(  # type: ignore[no-untyped-def]
    i, W, pi, M, forb, use_forb, a, b, m, cand, gains, smax, lens, qpos, val, chosen, best_set
):
    """Best ``(w(C) - pi(C)) / |C|`` over allowed circles ``C`` containing ``i`` with
    ``a <= |C| <= b``, the other members among the ``m`` people of highest ``W[i, x] - pi[x]``
    (everyone when ``m >= n - 1``: then the value is exact). Writes the members to
    ``best_set`` and returns ``(value, size)``; ``(-inf, 0)`` when no such circle exists.

    Branch and bound over subsets in each node's order. At a node with set ``S`` (value
    ``val``) the remaining candidates are sorted by their gain ``g_x = sum_{y in S} W[x, y] -
    pi[x]``; adding ``r`` of them from position ``q`` on gives at most ``val + (the r largest
    gains from q) + r (r - 1) / 2 * max_{t >= q} M[x_t]`` (``M[x]``: ``x``'s largest pair
    score), which does not grow with ``q``: the first position whose bound cannot beat the
    best ratio for any allowed ``r`` ends the node. A child keeps only the candidates whose
    gain can beat the best ratio with that bound (the other members' gains bounded by the
    largest remaining gain plus the new member's best pair score).
    """
    n = W.shape[0]
    c = np.empty(n)
    for x in range(n):
        c[x] = W[i, x] - pi[x]
    c[i] = -np.inf
    order = np.argsort(-c, kind="mergesort")
    cnt = 0
    for q in range(n):
        x = order[q]
        if x == i or (use_forb and forb[i, x]):
            continue
        cand[0, cnt] = x
        gains[0, cnt] = c[x]
        cnt += 1
        if cnt >= m:
            break
    lens[0] = cnt
    _node_list(0, cnt, cand, gains, smax, M)
    best = -np.inf
    bsize = 0
    if a <= 1:
        best = -pi[i]
        bsize = 1
        best_set[0] = i
    val[0] = -pi[i]
    chosen[0] = i
    qpos[0] = 0
    d = 0  # |S| = d + 1
    while d >= 0:
        s0 = d + 1
        L = lens[d]
        q = qpos[d]
        if q >= L or s0 >= b:
            d -= 1
            if d >= 0:
                qpos[d] += 1
            continue
        if best > -np.inf:
            hope = False
            pref = 0.0
            for r in range(1, b - s0 + 1):
                if q + r - 1 >= L:
                    break
                pref += gains[d, q + r - 1]
                if s0 + r < a:
                    continue
                wm = max(smax[d, q], 0.0)
                if (val[d] + pref + 0.5 * r * (r - 1) * wm) / (s0 + r) > best:
                    hope = True
                    break
            if not hope:
                qpos[d] = L
                continue
        x = cand[d, q]
        nv = val[d] + gains[d, q]
        s1 = s0 + 1
        if s1 >= a and nv / s1 > best:
            best = nv / s1
            bsize = s1
            for t in range(s0):
                best_set[t] = chosen[t]
            best_set[s0] = x
        if s1 < b:
            # Children: the candidates after q that may share a circle with x, kept only if
            # their gain can still lead past the best ratio (same bound as above).
            thr = -np.inf
            if best > -np.inf and q + 1 < L:
                # a child's gain is at most the best remaining gain plus x's best pair score
                gmax = gains[d, q + 1] + max(M[x], 0.0)
                wm = max(smax[d, q + 1], 0.0)
                thr = np.inf
                for r in range(max(1, a - s1), b - s1 + 1):
                    need = best * (s1 + r) - nv - (r - 1) * gmax - 0.5 * r * (r - 1) * wm
                    if need < thr:
                        thr = need
            cl = 0
            for t in range(q + 1, L):
                y = cand[d, t]
                if use_forb and forb[x, y]:
                    continue
                gy = gains[d, t] + W[x, y]
                if gy <= thr:
                    continue
                cand[d + 1, cl] = y
                gains[d + 1, cl] = gy
                cl += 1
            if cl > 0:
                lens[d + 1] = cl
                _node_list(d + 1, cl, cand, gains, smax, M)
                chosen[s0] = x
                val[d + 1] = nv
                qpos[d + 1] = 0
                d += 1
                continue
        qpos[d] += 1
    return best, bsize


@njit(cache=True)
def best_circles(W, pi, forb, use_forb, a, b, m, out_val, out_size, out_members):  # type: ignore[no-untyped-def]
    """:func:`_best_for` for every person: ``out_val[i]`` the best ratio (``-inf``: none),
    ``out_members[i, :out_size[i]]`` the circle."""
    n = W.shape[0]
    M = np.empty(n)
    for x in range(n):
        mv = 0.0
        for y in range(n):
            if y != x and W[x, y] > mv and not (use_forb and forb[x, y]):
                mv = W[x, y]
        M[x] = mv
    mm = min(m, max(n - 1, 1))
    cand = np.empty((b + 1, mm + 1), dtype=np.int64)
    gains = np.empty((b + 1, mm + 1))
    smax = np.empty((b + 1, mm + 1))
    lens = np.zeros(b + 1, dtype=np.int64)
    qpos = np.zeros(b + 1, dtype=np.int64)
    val = np.empty(b + 1)
    chosen = np.empty(b + 1, dtype=np.int64)
    best_set = np.empty(b + 1, dtype=np.int64)
    for i in range(n):
        v, sz = _best_for(
            i, W, pi, M, forb, use_forb, a, b, mm, cand, gains, smax, lens, qpos, val, chosen,
            best_set,
        )  # fmt: skip
        out_val[i] = v
        out_size[i] = sz
        for t in range(sz):
            out_members[i, t] = best_set[t]


@njit(cache=True)
def resplit(W, forb, use_forb, grp, G, a, b, lf, lforb, near, max_passes):  # type: ignore[no-untyped-def]
    """Exact re-split of two circles: for each circle and each of its ``near`` most related
    circles (largest sum of cross scores), try every split of their union into two circles of
    size ``a..b`` (forbidden pairs respected, each keeping or swapping the two leaders'
    terms ``lf``) and take the best if it improves. Repeats up to ``max_passes`` passes while
    something improves; returns the number of re-splits made. Unions above 16 people are
    skipped."""
    n = W.shape[0]
    size = np.zeros(G, dtype=np.int64)
    mem = np.full((G, max(b, 1)), -1, dtype=np.int64)
    for i in range(n):
        g = grp[i]
        if g >= 0:
            mem[g, size[g]] = i
            size[g] += 1
    wsub = np.empty(1 << 16)
    bad = np.empty(1 << 16, dtype=np.bool_)
    l1 = np.empty(1 << 16)
    l2 = np.empty(1 << 16)
    f1 = np.empty(1 << 16, dtype=np.bool_)
    f2 = np.empty(1 << 16, dtype=np.bool_)
    U = np.empty(32, dtype=np.int64)
    made = 0
    for _ in range(max_passes):
        # cross sums between circles
        X = np.zeros((G, G))
        for i in range(n):
            gi = grp[i]
            if gi < 0:
                continue
            for j in range(n):
                gj = grp[j]
                if gj >= 0 and gj != gi:
                    X[gi, gj] += W[i, j]
        improved = False
        for g1 in range(G):
            if size[g1] == 0:
                continue
            order = np.argsort(-X[g1], kind="mergesort")
            tried = 0
            for oo in range(G):
                g2 = order[oo]
                if tried >= near:
                    break
                if g2 == g1 or size[g2] == 0 or size[g1] == 0:
                    continue
                tried += 1
                s1 = size[g1]
                s2 = size[g2]
                k = s1 + s2
                if k > 16:
                    continue
                for t in range(s1):
                    U[t] = mem[g1, t]
                for t in range(s2):
                    U[s1 + t] = mem[g2, t]
                full = (1 << k) - 1
                wsub[0] = 0.0
                bad[0] = False
                l1[0] = 0.0
                l2[0] = 0.0
                f1[0] = False
                f2[0] = False
                for mask in range(1, full + 1):
                    # lowest set bit x: mask = rest | (1 << x)
                    x = 0
                    while not (mask >> x) & 1:
                        x += 1
                    rest = mask & (mask - 1)
                    u = U[x]
                    acc = wsub[rest]
                    bb = bad[rest]
                    r = rest
                    y = 0
                    while r:
                        if r & 1:
                            acc += W[u, U[y]]
                            if use_forb and forb[u, U[y]]:
                                bb = True
                        r >>= 1
                        y += 1
                    wsub[mask] = acc
                    bad[mask] = bb
                    l1[mask] = l1[rest] + lf[u, g1]
                    l2[mask] = l2[rest] + lf[u, g2]
                    f1[mask] = f1[rest] or lforb[u, g1]
                    f2[mask] = f2[rest] or lforb[u, g2]
                m0 = (1 << s1) - 1
                cur = wsub[m0] + wsub[full ^ m0] + l1[m0] + l2[full ^ m0]
                best = cur + 1e-12 * max(1.0, abs(cur))
                bm = -1
                swap = False
                for mask in range(1, full, 2):  # element 0 on the first side: each split once
                    c = full ^ mask
                    pm = 0
                    mm = mask
                    while mm:
                        pm += mm & 1
                        mm >>= 1
                    pc = k - pm
                    if pm < a or pm > b or pc < a or pc > b or bad[mask] or bad[c]:
                        continue
                    if not f1[mask] and not f2[c]:
                        v = wsub[mask] + wsub[c] + l1[mask] + l2[c]
                        if v > best:
                            best = v
                            bm = mask
                            swap = False
                    if not f2[mask] and not f1[c]:
                        v = wsub[mask] + wsub[c] + l2[mask] + l1[c]
                        if v > best:
                            best = v
                            bm = mask
                            swap = True
                if bm < 0:
                    continue
                ga = g2 if swap else g1
                gb = g1 if swap else g2
                size[g1] = 0
                size[g2] = 0
                for t in range(k):
                    u = U[t]
                    if (bm >> t) & 1:
                        grp[u] = ga
                        mem[ga, size[ga]] = u
                        size[ga] += 1
                    else:
                        grp[u] = gb
                        mem[gb, size[gb]] = u
                        size[gb] += 1
                made += 1
                improved = True
        if not improved:
            break
    return made
