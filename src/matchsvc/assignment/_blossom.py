"""Numba kernel: maximum-weight matching of maximum cardinality in a general graph.

Edmonds' primal-dual blossom algorithm in the maximum-cardinality form (the vertex duals of free
vertices are never stopped at zero), driven by one event queue over a global "time" ``t``.

State
-----
* Vertices ``0..n-1`` are the trivial blossoms; non-trivial blossoms take the ids ``n..2n-1``.
  A non-trivial blossom is an odd cycle of sub-blossoms ``c_0 (base child), c_1, ..., c_{k-1}``
  kept as a circular doubly linked list (``CNEXT``/``CPREV``); ``CEV[c]``/``CEW[c]`` are the
  endpoints (in ``c``, in ``CNEXT[c]``) of the cycle edge from ``c`` to its successor. The edges
  ``c_1c_2, c_3c_4, ...`` are matched, the two edges at the base child are not.
* Top-level blossoms carry a label: 1 (S, outer), 2 (T, inner) or 0 (free of the forest).
  Every exposed vertex is the base of an S root; a tree is the doubly linked list of its labelled
  top-level blossoms (``THEAD[root]``). ``LFROM``/``LTO`` is the edge that labelled a blossom
  (vertex in the parent, vertex in the blossom).
* Duals are lazy: ``u_v(t) = ubase[v] + r (t - utime[v])`` with ``r = -1`` for S, ``+1`` for T,
  ``0`` otherwise; a top-level blossom's ``z(t) = zbase + 2 r' (t - ztime)`` with ``r' = +1`` for
  S and ``-1`` for T. A blossom is "frozen" (its values materialised) before its rate changes.

Events (a binary heap keyed by the time they happen, lazily invalidated): an edge between an S
blossom and a free-of-forest blossom becomes tight at ``t + slack``; an edge between two S
blossoms at ``t + slack / 2``; a T blossom's dual reaches zero at ``t + z / 2``. An edge event is
pushed whenever one endpoint becomes S, or becomes free of the forest while the other is S, so
every live event has a key at or before its true time: popping in key order never passes an
event. A popped edge event is re-validated (current labels and slack) and re-queued if early.

Processing a tight edge ``(i, j)`` with ``i`` in an S blossom: grow the tree (``j``'s blossom
becomes T, its mate's S), shrink a new blossom (same tree), or augment (two trees), after which
both trees are dissolved (their blossoms of zero dual are expanded) and their vertices rescanned;
the other trees stay. A T blossom whose dual reaches zero is expanded. With every vertex
starting at ``u = max w / 2`` and all exposed vertices S from the start, exposed vertices always
share the lowest dual. The queue empties when no dual change can create a tight edge: then the
S blossoms, T vertices and the rest are the Gallai-Edmonds decomposition of the graph, and the
matching has maximum cardinality and, among those, maximum weight.

References: J. Edmonds, "Paths, trees, and flowers" (1965) and "Maximum matching and a polyhedron
with 0,1-vertices" (1965); Z. Galil, "Efficient algorithms for finding maximum matching in
graphs", ACM Computing Surveys 18 (1986); the event-queue formulation follows the priority-queue
variants of H. N. Gabow (1990) and V. Kolmogorov, "Blossom V" (2009).
"""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["solve_blossom"]

# Fields of the int64 blossom table ``B`` (one column per blossom id 0..2n-1).
BPAR = 0  # parent blossom, -1 at top level
BBASE = 1  # base vertex
BFIRST = 2  # base child (non-trivial blossoms)
CNEXT = 3  # next child in the parent's cycle
CPREV = 4  # previous child in the parent's cycle
CEV = 5  # endpoint in this child of the edge to CNEXT
CEW = 6  # endpoint in CNEXT of that edge
BSIZE = 7  # number of children (0: trivial or unused id)
LABEL = 8  # 0 free of the forest, 1 S, 2 T (top-level blossoms)
LFROM = 9  # labelling edge: vertex in the parent blossom (-1 for a root)
LTO = 10  # labelling edge: vertex in this blossom
BROOT = 11  # root vertex of the tree
TNEXT = 12  # tree list
TPREV = 13
BSTAMP = 14  # version, bumped whenever a pending expiry event must die
BMARK = 15  # scratch mark for the lowest common ancestor
NFIELDS = 16

# Relative tolerance for "tight" (times the larger of the weight scale and |t|).
_TIGHT = 1e-12


@njit(cache=True)
def _dual(v, t, inb, B, ubase, utime):  # type: ignore[no-untyped-def]
    lab = B[LABEL, inb[v]]
    if lab == 1:
        return ubase[v] - (t - utime[v])
    if lab == 2:
        return ubase[v] + (t - utime[v])
    return ubase[v]


@njit(cache=True)
def _zval(b, t, B, zbase, ztime):  # type: ignore[no-untyped-def]
    if B[BPAR, b] != -1:
        return zbase[b]
    lab = B[LABEL, b]
    if lab == 1:
        return zbase[b] + 2.0 * (t - ztime[b])
    if lab == 2:
        return zbase[b] - 2.0 * (t - ztime[b])
    return zbase[b]


@njit(cache=True)
def _leaves(b, n, B, out, pos, stack):  # type: ignore[no-untyped-def]
    """Append the vertices of blossom ``b`` to ``out[pos:]``; returns the new end."""
    stack[0] = b
    sp = 1
    while sp > 0:
        sp -= 1
        x = stack[sp]
        if x < n:
            out[pos] = x
            pos += 1
        else:
            first = B[BFIRST, x]
            c = first
            while True:
                stack[sp] = c
                sp += 1
                c = B[CNEXT, c]
                if c == first:
                    break
    return pos


@njit(cache=True)
def _freeze(b, t, n, inb, B, ubase, utime, zbase, ztime, buf, stack):  # type: ignore[no-untyped-def]
    """Materialise the duals of top-level blossom ``b`` at time ``t`` (before a rate change)."""
    cnt = _leaves(b, n, B, buf, 0, stack)
    for q in range(cnt):
        v = buf[q]
        ubase[v] = _dual(v, t, inb, B, ubase, utime)
        utime[v] = t
    if b >= n:
        zbase[b] = _zval(b, t, B, zbase, ztime)
        ztime[b] = t


@njit(cache=True)
def _tree_add(b, r, B, thead):  # type: ignore[no-untyped-def]
    h = thead[r]
    B[TNEXT, b] = h
    B[TPREV, b] = -1
    if h != -1:
        B[TPREV, h] = b
    thead[r] = b


@njit(cache=True)
def _tree_remove(b, r, B, thead):  # type: ignore[no-untyped-def]
    p = B[TPREV, b]
    q = B[TNEXT, b]
    if p != -1:
        B[TNEXT, p] = q
    else:
        thead[r] = q
    if q != -1:
        B[TPREV, q] = p
    B[TNEXT, b] = -1
    B[TPREV, b] = -1


@njit(cache=True)
def _hpush(hk, hv, hs, size, key, val, stamp):  # type: ignore[no-untyped-def]
    p = size
    while p > 0:
        q = (p - 1) >> 1
        if hk[q] < key or (hk[q] == key and hv[q] <= val):
            break
        hk[p] = hk[q]
        hv[p] = hv[q]
        hs[p] = hs[q]
        p = q
    hk[p] = key
    hv[p] = val
    hs[p] = stamp
    return size + 1


@njit(cache=True)
def _hsift_down(hk, hv, hs, size, p):  # type: ignore[no-untyped-def]
    key = hk[p]
    val = hv[p]
    st = hs[p]
    while True:
        c = 2 * p + 1
        if c >= size:
            break
        if c + 1 < size and (hk[c + 1] < hk[c] or (hk[c + 1] == hk[c] and hv[c + 1] < hv[c])):
            c += 1
        if hk[c] < key or (hk[c] == key and hv[c] < val):
            hk[p] = hk[c]
            hv[p] = hv[c]
            hs[p] = hs[c]
            p = c
        else:
            break
    hk[p] = key
    hv[p] = val
    hs[p] = st


@njit(cache=True)
def _hpop(hk, hv, hs, size):  # type: ignore[no-untyped-def]
    """Remove the root (read it first); returns the new size."""
    size -= 1
    if size > 0:
        hk[0] = hk[size]
        hv[0] = hv[size]
        hs[0] = hs[size]
        _hsift_down(hk, hv, hs, size, 0)
    return size


@njit(cache=True)
def _edge_key(e, t, ea, eb, w, inb, B, ubase, utime):  # type: ignore[no-untyped-def]
    """Time at which edge ``e`` becomes tight under the current labels (inf: never)."""
    i = ea[e]
    j = eb[e]
    bi = inb[i]
    bj = inb[j]
    if bi == bj:
        return np.inf
    li = B[LABEL, bi]
    lj = B[LABEL, bj]
    if li != 1:
        li, lj = lj, li
    if li != 1 or lj == 2:
        return np.inf
    s = _dual(i, t, inb, B, ubase, utime) + _dual(j, t, inb, B, ubase, utime) - w[e]
    if s < 0.0:
        s = 0.0
    if lj == 1:
        return t + 0.5 * s
    return t + s


@njit(cache=True)
def _scan(v, t, ptr, eid, ea, eb, w, inb, B, ubase, utime, hk, hv, hs, hsize):  # type: ignore[no-untyped-def]
    """Queue the events of every edge at ``v`` that can become tight under the current labels."""
    for q in range(ptr[v], ptr[v + 1]):
        e = eid[q]
        key = _edge_key(e, t, ea, eb, w, inb, B, ubase, utime)
        if key < np.inf:
            hsize = _hpush(hk, hv, hs, hsize, key, e, 0)
    return hsize


@njit(cache=True)
def _rotate(b0, v0, n, B, mate, sb, sv):  # type: ignore[no-untyped-def]
    """Make vertex ``v0`` the base of blossom ``b0`` by flipping the matching along the even
    path from its child to the base child, recursively (iterative, stack ``sb/sv``)."""
    sb[0] = b0
    sv[0] = v0
    sp = 1
    while sp > 0:
        sp -= 1
        b = sb[sp]
        v = sv[sp]
        if b < n:
            continue
        c = v
        while B[BPAR, c] != b:
            c = B[BPAR, c]
        sb[sp] = c
        sv[sp] = v
        sp += 1
        first = B[BFIRST, b]
        j = 0
        x = first
        while x != c:
            x = B[CNEXT, x]
            j += 1
        if j & 1:
            x = B[CNEXT, c]
            while True:
                y = B[CNEXT, x]
                p = B[CEV, x]
                q = B[CEW, x]
                sb[sp] = x
                sv[sp] = p
                sb[sp + 1] = y
                sv[sp + 1] = q
                sp += 2
                mate[p] = q
                mate[q] = p
                if y == first:
                    break
                x = B[CNEXT, y]
        elif j > 0:
            x = B[CPREV, c]
            while True:
                y = B[CPREV, x]
                p = B[CEV, y]
                q = B[CEW, y]
                sb[sp] = y
                sv[sp] = p
                sb[sp + 1] = x
                sv[sp + 1] = q
                sp += 2
                mate[p] = q
                mate[q] = p
                if y == first:
                    break
                x = B[CPREV, y]
        B[BFIRST, b] = c
        B[BBASE, b] = v


@njit(cache=True)
def solve_blossom(n, ptr, eid, ea, eb, w, target, u0):  # type: ignore[no-untyped-def]
    """Maximum-cardinality maximum-weight matching of the graph ``(ea[e], eb[e], w[e])``.

    ``ptr/eid`` is the vertex-major incidence list (edge ids of vertex ``v`` in
    ``eid[ptr[v]:ptr[v+1]]``); no self-loops; parallel edges are allowed (the best one wins).
    ``target >= 0`` stops as soon as the matching has that many pairs (the caller knows it is
    the maximum): the duals are valid at every step, only the final forest is then partial.
    ``u0`` (length ``n``, or empty for ``max w / 2`` everywhere) are the starting vertex duals;
    they must be feasible (``u0[i] + u0[j] >= w`` on every edge). With unequal starting duals
    the exposed vertices no longer share the lowest dual by construction: the caller checks
    that condition if some stay exposed (a warm start).

    Returns ``(mate, u, bl_id, bl_parent, bl_z, bl_ptr, bl_members, top_label, top_id, t)``:
    the mate of each vertex (-1 exposed), the vertex duals, the non-trivial blossoms
    (``bl_parent`` indexes ``bl_id`` or is -1; ``bl_z`` their duals; members in
    ``bl_members[bl_ptr[k]:bl_ptr[k+1]]``), each vertex's top-level label (1 S, 2 T, 0 none)
    and top-level blossom id at the end, and the final time.
    """
    m = ea.shape[0]
    n2 = max(2 * n, 1)
    B = np.full((NFIELDS, n2), -1, dtype=np.int64)
    B[BSIZE, :] = 0
    B[LABEL, :] = 0
    B[BSTAMP, :] = 0
    B[BMARK, :] = 0
    mate = np.full(n, -1, dtype=np.int64)
    inb = np.arange(n, dtype=np.int64)
    thead = np.full(n, -1, dtype=np.int64)
    wmax = 0.0
    scale = 0.0
    for e in range(m):
        if e == 0 or w[e] > wmax:
            wmax = w[e]
        if abs(w[e]) > scale:
            scale = abs(w[e])
    if scale == 0.0:
        scale = 1.0
    ubase = np.full(n, 0.5 * wmax)
    if u0.shape[0] == n and n > 0:
        ubase[:] = u0
    utime = np.zeros(n)
    zbase = np.zeros(n2)
    ztime = np.zeros(n2)
    for v in range(n):
        B[BBASE, v] = v
        B[LABEL, v] = 1
        B[BROOT, v] = v
        thead[v] = v
    freeids = np.empty(n, dtype=np.int64)
    nfree = 0
    for b in range(2 * n - 1, n - 1, -1):
        freeids[nfree] = b
        nfree += 1
    stack = np.empty(2 * n2 + 2, dtype=np.int64)
    sb = np.empty(2 * n2 + 2, dtype=np.int64)
    sv = np.empty(2 * n2 + 2, dtype=np.int64)
    buf = np.empty(max(n, 1), dtype=np.int64)
    buf2 = np.empty(max(n, 1), dtype=np.int64)
    pa = np.empty(n2, dtype=np.int64)
    pb = np.empty(n2, dtype=np.int64)
    cyc = np.empty(n2, dtype=np.int64)
    consumed = np.empty(n2, dtype=np.int64)
    room = 2 * m + 2 * n + 8
    cap = max(2 * room, 1024)
    hk = np.empty(cap)
    hv = np.empty(cap, dtype=np.int64)
    hs = np.empty(cap, dtype=np.int64)
    hsize = 0
    for e in range(m):
        hk[hsize] = max(0.5 * (ubase[ea[e]] + ubase[eb[e]] - w[e]), 0.0)
        hv[hsize] = e
        hs[hsize] = 0
        hsize += 1
    for p in range(hsize // 2 - 1, -1, -1):
        _hsift_down(hk, hv, hs, hsize, p)
    markc = 0
    t = 0.0
    npairs = 0

    while hsize > 0 and npairs != target:
        if hsize + room > cap:
            # Drop dead events first; grow only if the live ones still do not leave room.
            live = 0
            for q in range(hsize):
                val = hv[q]
                if val < 0:
                    b = -val - 1
                    if hs[q] == B[BSTAMP, b] and B[BPAR, b] == -1 and B[LABEL, b] == 2:
                        hk[live] = hk[q]
                        hv[live] = val
                        hs[live] = hs[q]
                        live += 1
                else:
                    key = _edge_key(val, t, ea, eb, w, inb, B, ubase, utime)
                    if key < np.inf:
                        hk[live] = key
                        hv[live] = val
                        hs[live] = 0
                        live += 1
            hsize = live
            for p in range(hsize // 2 - 1, -1, -1):
                _hsift_down(hk, hv, hs, hsize, p)
            if hsize + room > cap // 2:
                cap = 2 * (hsize + room)
                gk = np.empty(cap)
                gv = np.empty(cap, dtype=np.int64)
                gs = np.empty(cap, dtype=np.int64)
                gk[:hsize] = hk[:hsize]
                gv[:hsize] = hv[:hsize]
                gs[:hsize] = hs[:hsize]
                hk, hv, hs = gk, gv, gs
            continue
        key = hk[0]
        val = hv[0]
        st = hs[0]
        hsize = _hpop(hk, hv, hs, hsize)
        if key > t:
            t = key
        tol = _TIGHT * max(scale, abs(t))

        if val < 0:
            # ---- a T blossom's dual reached zero: expand it ------------------------------
            b = -val - 1
            if st != B[BSTAMP, b] or B[BPAR, b] != -1 or B[LABEL, b] != 2:
                continue
            r = B[BROOT, b]
            fromv = B[LFROM, b]
            tov = B[LTO, b]
            _freeze(b, t, n, inb, B, ubase, utime, zbase, ztime, buf, stack)
            _tree_remove(b, r, B, thead)
            first = B[BFIRST, b]
            c = first
            while True:
                B[BPAR, c] = -1
                B[LABEL, c] = 0
                B[BSTAMP, c] += 1
                if c >= n:
                    ztime[c] = t
                cnt = _leaves(c, n, B, buf, 0, stack)
                for q in range(cnt):
                    inb[buf[q]] = c
                c = B[CNEXT, c]
                if c == first:
                    break
            cj = tov
            while B[BPAR, cj] != -1:
                cj = B[BPAR, cj]
            jpos = 0
            x = first
            while x != cj:
                x = B[CNEXT, x]
                jpos += 1
            B[LABEL, cj] = 2
            B[LFROM, cj] = fromv
            B[LTO, cj] = tov
            B[BROOT, cj] = r
            _tree_add(cj, r, B, thead)
            cur = cj
            lab = 2
            while cur != first:
                if jpos & 1:
                    nxt = B[CNEXT, cur]
                    fv = B[CEV, cur]
                    tv = B[CEW, cur]
                else:
                    nxt = B[CPREV, cur]
                    fv = B[CEW, nxt]
                    tv = B[CEV, nxt]
                lab = 3 - lab
                B[LABEL, nxt] = lab
                B[LFROM, nxt] = fv
                B[LTO, nxt] = tv
                B[BROOT, nxt] = r
                _tree_add(nxt, r, B, thead)
                cur = nxt
            # Queue events: S children and children left free of the forest.
            c = first
            while True:
                lc = B[LABEL, c]
                if lc == 2:
                    if c >= n:
                        hsize = _hpush(
                            hk, hv, hs, hsize, t + 0.5 * max(zbase[c], 0.0), -(c + 1), B[BSTAMP, c]
                        )
                else:
                    cnt = _leaves(c, n, B, buf, 0, stack)
                    for q in range(cnt):
                        hsize = _scan(
                            buf[q], t, ptr, eid, ea, eb, w, inb, B, ubase, utime, hk, hv, hs, hsize
                        )
                c = B[CNEXT, c]
                if c == first:
                    break
            B[BSIZE, b] = 0
            B[LABEL, b] = 0
            B[BSTAMP, b] += 1
            B[BPAR, b] = -1
            zbase[b] = 0.0
            freeids[nfree] = b
            nfree += 1
            continue

        # ---- an edge event ----------------------------------------------------------------
        e = val
        i = ea[e]
        j = eb[e]
        bi = inb[i]
        bj = inb[j]
        if bi == bj:
            continue
        li = B[LABEL, bi]
        lj = B[LABEL, bj]
        if li != 1:
            i, j = j, i
            bi, bj = bj, bi
            li, lj = lj, li
        if li != 1 or lj == 2:
            continue
        s = _dual(i, t, inb, B, ubase, utime) + _dual(j, t, inb, B, ubase, utime) - w[e]
        if s > tol:
            hsize = _hpush(hk, hv, hs, hsize, t + (0.5 * s if lj == 1 else s), e, 0)
            continue

        if lj == 0:
            # ---- grow: j's blossom becomes T, its mate's S ---------------------------------
            r = B[BROOT, bi]
            base = B[BBASE, bj]
            mv = mate[base]
            bm = inb[mv]
            _freeze(bj, t, n, inb, B, ubase, utime, zbase, ztime, buf, stack)
            _freeze(bm, t, n, inb, B, ubase, utime, zbase, ztime, buf, stack)
            B[LABEL, bj] = 2
            B[LFROM, bj] = i
            B[LTO, bj] = j
            B[BROOT, bj] = r
            B[BSTAMP, bj] += 1
            _tree_add(bj, r, B, thead)
            B[LABEL, bm] = 1
            B[LFROM, bm] = base
            B[LTO, bm] = mv
            B[BROOT, bm] = r
            B[BSTAMP, bm] += 1
            _tree_add(bm, r, B, thead)
            if bj >= n:
                hsize = _hpush(
                    hk, hv, hs, hsize, t + 0.5 * max(zbase[bj], 0.0), -(bj + 1), B[BSTAMP, bj]
                )
            cnt = _leaves(bm, n, B, buf, 0, stack)
            for q in range(cnt):
                hsize = _scan(
                    buf[q], t, ptr, eid, ea, eb, w, inb, B, ubase, utime, hk, hv, hs, hsize
                )
            continue

        if B[BROOT, bi] != B[BROOT, bj]:
            # ---- augment between two trees, then dissolve both -----------------------------
            r1 = B[BROOT, bi]
            r2 = B[BROOT, bj]
            npairs += 1
            for side in range(2):
                if side == 0:
                    x = i
                    p = j
                else:
                    x = j
                    p = i
                while True:
                    bx = inb[x]
                    _rotate(bx, x, n, B, mate, sb, sv)
                    mate[x] = p
                    if B[LFROM, bx] == -1:
                        break
                    tb = inb[B[LFROM, bx]]
                    fv = B[LFROM, tb]
                    tv = B[LTO, tb]
                    _rotate(tb, tv, n, B, mate, sb, sv)
                    mate[tv] = fv
                    x = fv
                    p = tv
            nc = 0
            for r in (r1, r2):
                b = thead[r]
                while b != -1:
                    nb = B[TNEXT, b]
                    _freeze(b, t, n, inb, B, ubase, utime, zbase, ztime, buf, stack)
                    B[LABEL, b] = 0
                    B[BROOT, b] = -1
                    B[LFROM, b] = -1
                    B[LTO, b] = -1
                    B[TNEXT, b] = -1
                    B[TPREV, b] = -1
                    B[BSTAMP, b] += 1
                    consumed[nc] = b
                    nc += 1
                    b = nb
                thead[r] = -1
            # Expand dissolved blossoms whose dual is zero (they carry no information).
            nv = 0
            for q in range(nc):
                b = consumed[q]
                nv = _leaves(b, n, B, buf2, nv, stack)
                if b < n or zbase[b] > tol:
                    continue
                sp = 0
                sb[0] = b
                sp = 1
                while sp > 0:
                    sp -= 1
                    x = sb[sp]
                    first = B[BFIRST, x]
                    c = first
                    while True:
                        B[BPAR, c] = -1
                        B[LABEL, c] = 0
                        B[BSTAMP, c] += 1
                        if c >= n:
                            ztime[c] = t
                            if zbase[c] <= tol:
                                sb[sp] = c
                                sp += 1
                        cnt = _leaves(c, n, B, buf, 0, stack)
                        for qq in range(cnt):
                            inb[buf[qq]] = c
                        c = B[CNEXT, c]
                        if c == first:
                            break
                    B[BSIZE, x] = 0
                    B[BSTAMP, x] += 1
                    zbase[x] = 0.0
                    freeids[nfree] = x
                    nfree += 1
            for q in range(nv):
                hsize = _scan(
                    buf2[q], t, ptr, eid, ea, eb, w, inb, B, ubase, utime, hk, hv, hs, hsize
                )
            continue

        # ---- shrink a blossom: same tree ---------------------------------------------------
        r = B[BROOT, bi]
        markc += 1
        x = bi
        while True:
            B[BMARK, x] = markc
            if B[LFROM, x] == -1:
                break
            x = inb[B[LFROM, inb[B[LFROM, x]]]]
        y = bj
        while B[BMARK, y] != markc:
            y = inb[B[LFROM, inb[B[LFROM, y]]]]
        top = y
        la = 0
        x = bi
        while True:
            pa[la] = x
            la += 1
            if x == top:
                break
            tb = inb[B[LFROM, x]]
            pa[la] = tb
            la += 1
            x = inb[B[LFROM, tb]]
        lb = 0
        x = bj
        while True:
            pb[lb] = x
            lb += 1
            if x == top:
                break
            tb = inb[B[LFROM, x]]
            pb[lb] = tb
            lb += 1
            x = inb[B[LFROM, tb]]
        k = 0
        for q in range(lb - 1, -1, -1):
            cyc[k] = pb[q]
            k += 1
        for q in range(la - 1):
            cyc[k] = pa[q]
            k += 1
        # Cycle edges, read from the labelling edges before they are cleared.
        for q in range(k):
            c = cyc[q]
            if q < lb - 1:
                ch = cyc[q + 1]
                B[CEV, c] = B[LFROM, ch]
                B[CEW, c] = B[LTO, ch]
            elif q == lb - 1:
                B[CEV, c] = j
                B[CEW, c] = i
            else:
                B[CEV, c] = B[LTO, c]
                B[CEW, c] = B[LFROM, c]
            B[CNEXT, c] = cyc[(q + 1) % k]
            B[CPREV, c] = cyc[(q - 1) % k]
        nf = freeids[nfree - 1]
        nfree -= 1
        nbase = B[BBASE, top]
        nfrom = B[LFROM, top]
        nto = B[LTO, top]
        nt = 0
        for q in range(k):
            c = cyc[q]
            _freeze(c, t, n, inb, B, ubase, utime, zbase, ztime, buf, stack)
            if B[LABEL, c] == 2:
                buf2[nt] = c
                nt += 1
            _tree_remove(c, r, B, thead)
            B[LABEL, c] = 0
            B[LFROM, c] = -1
            B[LTO, c] = -1
            B[BROOT, c] = -1
            B[BSTAMP, c] += 1
            B[BPAR, c] = nf
        B[BPAR, nf] = -1
        B[BBASE, nf] = nbase
        B[BFIRST, nf] = top
        B[BSIZE, nf] = k
        B[LABEL, nf] = 1
        B[LFROM, nf] = nfrom
        B[LTO, nf] = nto
        B[BROOT, nf] = r
        B[BSTAMP, nf] += 1
        zbase[nf] = 0.0
        ztime[nf] = t
        _tree_add(nf, r, B, thead)
        cnt = _leaves(nf, n, B, buf, 0, stack)
        for q in range(cnt):
            inb[buf[q]] = nf
        # Former T children are S now: queue their edges.
        for q in range(nt):
            cnt = _leaves(buf2[q], n, B, buf, 0, stack)
            for qq in range(cnt):
                hsize = _scan(
                    buf[qq], t, ptr, eid, ea, eb, w, inb, B, ubase, utime, hk, hv, hs, hsize
                )

    # ---- read out ---------------------------------------------------------------------------
    u = np.empty(n)
    for v in range(n):
        u[v] = _dual(v, t, inb, B, ubase, utime)
    nbl = 0
    idx = np.full(n2, -1, dtype=np.int64)
    for b in range(n, 2 * n):
        if B[BSIZE, b] > 0:
            idx[b] = nbl
            nbl += 1
    bl_id = np.empty(nbl, dtype=np.int64)
    bl_parent = np.empty(nbl, dtype=np.int64)
    bl_z = np.empty(nbl)
    bl_ptr = np.zeros(nbl + 1, dtype=np.int64)
    total = 0
    for b in range(n, 2 * n):
        if B[BSIZE, b] > 0:
            total += _leaves(b, n, B, buf, 0, stack)
    bl_members = np.empty(total, dtype=np.int64)
    pos = 0
    for b in range(n, 2 * n):
        if B[BSIZE, b] > 0:
            k = idx[b]
            bl_id[k] = b
            par = B[BPAR, b]
            bl_parent[k] = idx[par] if par != -1 else -1
            bl_z[k] = _zval(b, t, B, zbase, ztime)
            pos = _leaves(b, n, B, bl_members, pos, stack)
            bl_ptr[k + 1] = pos
    top_label = np.empty(n, dtype=np.int64)
    top_id = np.empty(n, dtype=np.int64)
    for v in range(n):
        top_id[v] = inb[v]
        top_label[v] = B[LABEL, inb[v]]
    return mate, u, bl_id, bl_parent, bl_z, bl_ptr, bl_members, top_label, top_id, t
