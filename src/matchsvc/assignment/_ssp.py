"""Numba kernel: successive shortest paths for the bipartite transportation problem.

Rows (the side processed one unit at a time) have integer ``supply``, columns integer ``cap``;
every arc ``row -> col`` has capacity 1 and float64 ``cost`` (``-score``). The kernel returns a
flow of maximum value whose cost is minimal among all maximum flows, and node potentials ``pi``
(rows ``0..n-1``, columns ``n..n+m-1``, sink ``n+m``) plus a source potential under which every
residual arc has a non-negative reduced cost ``c(u, v) + pi[u] - pi[v]``.

Phase 1 (Jonker-Volgenant style): every row unit in index order runs Dijkstra on reduced costs to
the nearest column with spare capacity and augments; potentials of the nodes settled before the
target drop by ``D* - dist``. A unit that reaches no free column is skipped for good (the sets of
routable supplies form a polymatroid, so greedy skipping keeps the count maximal). The flow is
then min-cost for its supply vector. Phase 2 makes it min-cost over all maximum flows: a
multi-source Dijkstra from the rows with unmet supply finds the cheapest exchange cycle
``source -> B -> ... -> A -> source`` (row B takes over a unit of row A); negative cycles are
cancelled until none is left, which is the optimality condition (no negative residual cycle).
No big-M constant is involved anywhere.

All inputs are int64/float64 arrays so numba compiles one signature.
"""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["ssp_solve"]

_INF = np.inf


@njit(cache=True)
def _push(hk, hv, size, key, val):  # type: ignore[no-untyped-def]
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] < key or (hk[p] == key and hv[p] < val):
            break
        hk[i] = hk[p]
        hv[i] = hv[p]
        i = p
    hk[i] = key
    hv[i] = val
    return size + 1


@njit(cache=True)
def _pop(hk, hv, size):  # type: ignore[no-untyped-def]
    key = hk[0]
    val = hv[0]
    size -= 1
    if size > 0:
        k = hk[size]
        v = hv[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and (hk[c + 1] < hk[c] or (hk[c + 1] == hk[c] and hv[c + 1] < hv[c])):
                c += 1
            if hk[c] < k or (hk[c] == k and hv[c] < v):
                hk[i] = hk[c]
                hv[i] = hv[c]
                i = c
            else:
                break
        hk[i] = k
        hv[i] = v
    return key, val, size


@njit(cache=True)
def _add_slot(j, a, slot_ptr, slot_arc, slot_pos, load):  # type: ignore[no-untyped-def]
    p = slot_ptr[j] + load[j]
    slot_arc[p] = a
    slot_pos[a] = p
    load[j] += 1


@njit(cache=True)
def _remove_slot(j, a, slot_ptr, slot_arc, slot_pos, load):  # type: ignore[no-untyped-def]
    p = slot_pos[a]
    last = slot_ptr[j] + load[j] - 1
    b = slot_arc[last]
    slot_arc[p] = b
    slot_pos[b] = p
    load[j] -= 1


@njit(cache=True)
def _search(  # type: ignore[no-untyped-def]
    mode,
    src,
    n,
    m,
    row_ptr,
    col_idx,
    cost,
    arc_row,
    flow,
    rowflow,
    supply,
    load,
    cap,
    slot_ptr,
    slot_arc,
    pi,
    pi_r,
    pi_sin,
    dist,
    pred,
    done,
    popped,
    touched,
    hk,
    hv,
):
    """Dijkstra on reduced costs. mode 1: from row ``src`` to the sink (returns the free column).
    mode 2: from every row with unmet supply to a row with flow (returns that row)."""
    t = n + m
    size = 0
    ntouch = 0
    npop = 0
    if mode == 1:
        dist[src] = 0.0
        pred[src] = -1
        touched[ntouch] = src
        ntouch += 1
        size = _push(hk, hv, size, 0.0, src)
    else:
        for i in range(n):
            if rowflow[i] < supply[i] and row_ptr[i + 1] > row_ptr[i]:
                d0 = pi_r - pi[i]
                dist[i] = d0
                pred[i] = -1
                touched[ntouch] = i
                ntouch += 1
                size = _push(hk, hv, size, d0, i)
    best = _INF
    best_node = -1
    while size > 0:
        d, v, size = _pop(hk, hv, size)
        if done[v] or d > dist[v]:
            continue
        if d >= best:
            break
        done[v] = True
        popped[npop] = v
        npop += 1
        if v < n:
            if mode == 2 and rowflow[v] > 0:
                cand = d + pi[v] - pi_sin
                if cand < best:
                    best = cand
                    best_node = v
            pv = pi[v]
            for a in range(row_ptr[v], row_ptr[v + 1]):
                if flow[a] == 0:
                    w = n + col_idx[a]
                    if not done[w]:
                        nd = d + cost[a] + pv - pi[w]
                        if nd < dist[w]:
                            if dist[w] == _INF:
                                touched[ntouch] = w
                                ntouch += 1
                            dist[w] = nd
                            pred[w] = a
                            size = _push(hk, hv, size, nd, w)
        elif v < t:
            j = v - n
            pv = pi[v]
            if load[j] < cap[j]:
                cand = d + pv - pi[t]
                if mode == 1:
                    if cand < best:
                        best = cand
                        best_node = j
                elif cand < dist[t] and not done[t]:
                    if dist[t] == _INF:
                        touched[ntouch] = t
                        ntouch += 1
                    dist[t] = cand
                    pred[t] = j
                    size = _push(hk, hv, size, cand, t)
            for s in range(slot_ptr[j], slot_ptr[j] + load[j]):
                a = slot_arc[s]
                i = arc_row[a]
                if not done[i]:
                    nd = d - cost[a] + pv - pi[i]
                    if nd < dist[i]:
                        if dist[i] == _INF:
                            touched[ntouch] = i
                            ntouch += 1
                        dist[i] = nd
                        pred[i] = a
                        size = _push(hk, hv, size, nd, i)
        else:
            for j in range(m):
                w = n + j
                if load[j] > 0 and not done[w]:
                    nd = d + pi[t] - pi[w]
                    if nd < dist[w]:
                        if dist[w] == _INF:
                            touched[ntouch] = w
                            ntouch += 1
                        dist[w] = nd
                        pred[w] = -2
                        size = _push(hk, hv, size, nd, w)
    return best, best_node, npop, ntouch


@njit(cache=True)
def _update_and_reset(pi, dist, done, popped, npop, touched, ntouch, dstar):  # type: ignore[no-untyped-def]
    for k in range(npop):
        v = popped[k]
        if dist[v] < dstar:
            pi[v] += dist[v] - dstar
    for k in range(ntouch):
        v = touched[k]
        dist[v] = _INF
        done[v] = False


@njit(cache=True)
def ssp_solve(n, m, row_ptr, col_idx, cost, supply, cap, eps):  # type: ignore[no-untyped-def]
    """Max-flow min-cost on the bipartite graph; see the module docstring.

    Returns ``(flow, pi, pi_source)``: ``flow`` int64 per arc (0/1), ``pi`` float64 of length
    ``n + m + 1`` (rows, columns, sink). ``eps`` (>= 0) is the smallest cycle gain phase 2
    acts on (guards against cycling on rounding noise).
    """
    n_arcs = col_idx.shape[0]
    t = n + m
    nn = n + m + 1
    arc_row = np.empty(n_arcs, dtype=np.int64)
    for i in range(n):
        for a in range(row_ptr[i], row_ptr[i + 1]):
            arc_row[a] = i
    slot_ptr = np.zeros(m + 1, dtype=np.int64)
    for j in range(m):
        slot_ptr[j + 1] = slot_ptr[j] + cap[j]
    slot_arc = np.empty(max(slot_ptr[m], 1), dtype=np.int64)
    slot_pos = np.zeros(n_arcs, dtype=np.int64)
    load = np.zeros(m, dtype=np.int64)
    flow = np.zeros(n_arcs, dtype=np.int64)
    rowflow = np.zeros(n, dtype=np.int64)
    pi = np.zeros(nn, dtype=np.float64)
    dist = np.full(nn, _INF)
    pred = np.full(nn, -1, dtype=np.int64)
    done = np.zeros(nn, dtype=np.bool_)
    popped = np.empty(nn, dtype=np.int64)
    touched = np.empty(nn, dtype=np.int64)
    hsize = n_arcs + 2 * nn + 4
    hk = np.empty(hsize, dtype=np.float64)
    hv = np.empty(hsize, dtype=np.int64)

    # Phase 1: one Dijkstra per row unit, rows in index order.
    for i in range(n):
        lo = row_ptr[i]
        hi = row_ptr[i + 1]
        if hi == lo or supply[i] == 0:
            continue
        best_p = -_INF
        for a in range(lo, hi):
            val = pi[n + col_idx[a]] - cost[a]
            if val > best_p:
                best_p = val
        pi[i] = best_p
        for _unit in range(supply[i]):
            # Fast path: the cheapest residual arc leads to a free column at sink level.
            rmin = _INF
            amin = -1
            for a in range(lo, hi):
                if flow[a] == 0:
                    r = cost[a] + pi[i] - pi[n + col_idx[a]]
                    if r < rmin:
                        rmin = r
                        amin = a
            if amin < 0:
                break
            jm = col_idx[amin]
            if load[jm] < cap[jm] and pi[n + jm] - pi[t] <= 0.0:
                flow[amin] = 1
                _add_slot(jm, amin, slot_ptr, slot_arc, slot_pos, load)
                rowflow[i] += 1
                pi[i] -= rmin
                continue
            best, jt, npop, ntouch = _search(
                1, i, n, m, row_ptr, col_idx, cost, arc_row, flow, rowflow, supply, load, cap,
                slot_ptr, slot_arc, pi, 0.0, 0.0, dist, pred, done, popped, touched, hk, hv,
            )  # fmt: skip
            if jt < 0:
                _update_and_reset(pi, dist, done, popped, 0, touched, ntouch, 0.0)
                break
            j = jt
            while True:
                a = pred[n + j]
                flow[a] = 1
                _add_slot(j, a, slot_ptr, slot_arc, slot_pos, load)
                r = arc_row[a]
                if r == i:
                    break
                a2 = pred[r]
                flow[a2] = 0
                j = col_idx[a2]
                _remove_slot(j, a2, slot_ptr, slot_arc, slot_pos, load)
            rowflow[i] += 1
            _update_and_reset(pi, dist, done, popped, npop, touched, ntouch, best)

    # Phase 2: cancel negative exchange cycles through the source.
    pi_s = 0.0
    while True:
        pi_r = -_INF
        pi_sin = _INF
        for i in range(n):
            if row_ptr[i + 1] > row_ptr[i]:
                if rowflow[i] < supply[i] and pi[i] > pi_r:
                    pi_r = pi[i]
                if rowflow[i] > 0 and pi[i] < pi_sin:
                    pi_sin = pi[i]
        if pi_r == -_INF or pi_sin == _INF:
            pi_s = pi_r if pi_r != -_INF else (pi_sin if pi_sin != _INF else 0.0)
            break
        if pi_r <= pi_sin:
            pi_s = pi_r
            break
        best, target, npop, ntouch = _search(
            2, -1, n, m, row_ptr, col_idx, cost, arc_row, flow, rowflow, supply, load, cap,
            slot_ptr, slot_arc, pi, pi_r, pi_sin, dist, pred, done, popped, touched, hk, hv,
        )  # fmt: skip
        if target >= 0 and best - pi_r + pi_sin < -eps:
            rowflow[target] -= 1
            v = target
            while True:
                a = pred[v]
                if a == -1:
                    rowflow[v] += 1
                    break
                flow[a] = 0
                j = col_idx[a]
                _remove_slot(j, a, slot_ptr, slot_arc, slot_pos, load)
                pa = pred[n + j]
                if pa == -2:
                    j = pred[t]
                    pa = pred[n + j]
                flow[pa] = 1
                _add_slot(j, pa, slot_ptr, slot_arc, slot_pos, load)
                v = arc_row[pa]
            _update_and_reset(pi, dist, done, popped, npop, touched, ntouch, best)
            continue
        dstar = best
        if target < 0:
            dstar = pi_r - pi_sin
            for k in range(npop):
                if dist[popped[k]] > dstar:
                    dstar = dist[popped[k]]
        _update_and_reset(pi, dist, done, popped, npop, touched, ntouch, dstar)
        pi_s = pi_r - dstar
        break
    return flow, pi, pi_s
