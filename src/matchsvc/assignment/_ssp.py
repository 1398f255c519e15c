"""Numba kernel: successive shortest paths for the bipartite transportation problem.

Rows (the side processed one unit at a time) have integer ``supply``, columns integer ``cap``;
every arc ``row -> col`` has capacity 1 and float64 ``cost`` (``-score``). The kernel returns a
flow of maximum value whose cost is minimal among all maximum flows, and node potentials ``pi``
(rows ``0..n-1``, columns ``n..n+m-1``, sink ``n+m``) plus a source potential under which every
residual arc has a non-negative reduced cost ``c(u, v) + pi[u] - pi[v]``.

Phase 1 (Jonker-Volgenant style): every row unit runs Dijkstra on reduced costs to the nearest
column that can take it and augments; potentials of the nodes settled before the target drop by
``D* - dist``. A unit that reaches no column is skipped for good (the sets of routable supplies
form a polymatroid, so greedy skipping keeps the count maximal). The flow is then min-cost for
its supply vector. Phase 2 makes it min-cost over all maximum flows: a multi-source Dijkstra from
the rows with unmet supply finds the cheapest exchange cycle ``source -> B -> ... -> A -> source``
(row B takes over a unit of row A); negative cycles are cancelled until none is left, which is
the optimality condition (no negative residual cycle). No big-M constant is involved anywhere.

Warm start (:func:`ssp_run`): the kernel can resume from any 0/1 flow and potentials, e.g. the
previous pricing round's solution on a graph that has since gained arcs. It first restores the
invariant "every residual arc has a non-negative reduced cost": columns with spare room are
lifted to the sink level, and every row with a violated arc (a new arc with negative reduced
cost, or a matched arc that lost complementary slackness) is *freed*: its flow is removed and its
potential set to ``max(pi[col] - cost)`` over its arcs. Freeing keeps the column's sink flow
(``sinkflow``, a pseudoflow), so the column gets a *deficit* instead of spare room and no sink
arc changes; deficits are targets of the Dijkstra searches at distance ``dist`` (no sink arc),
spare room at ``dist + pi[col] - pi[sink]``. Only the freed rows are re-augmented, from the
current potentials, so a round costs about as many short searches as there were violators.
If a deficit cannot be filled, the kernel reports it and the caller solves from scratch.

All inputs are int64/float64 arrays so numba compiles one signature.
"""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["ssp_run", "ssp_solve"]

_INF = np.inf


@njit(cache=True)
def _push(hk, hv, size, key, val):  # type: ignore[no-untyped-def]
    """Push ``(key, val)`` on the 4-ary min-heap ``hk/hv[:size]`` (ordered by key, then val)."""
    i = size
    while i > 0:
        p = (i - 1) >> 2
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
    """Pop the smallest ``(key, val)`` of the 4-ary min-heap; returns it and the new size."""
    key = hk[0]
    val = hv[0]
    size -= 1
    if size > 0:
        k = hk[size]
        v = hv[size]
        i = 0
        while True:
            c = 4 * i + 1
            if c >= size:
                break
            # The smallest of up to four children.
            end = min(c + 4, size)
            b = c
            for q in range(c + 1, end):
                if hk[q] < hk[b] or (hk[q] == hk[b] and hv[q] < hv[b]):
                    b = q
            if hk[b] < k or (hk[b] == k and hv[b] < v):
                hk[i] = hk[b]
                hv[i] = hv[b]
                i = b
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
    sinkflow,
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
    """Dijkstra on reduced costs. mode 1: from row ``src`` to a column with a deficit (at
    ``dist``) or spare room (via the sink arc); returns that column. mode 2: from every row with
    unmet supply to a row with flow (returns that row); needs no deficits."""
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
            if mode == 1 and sinkflow[j] > load[j]:
                if d < best:
                    best = d
                    best_node = j
                break  # d is the smallest key left: nothing can beat it
            if sinkflow[j] < cap[j]:
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
                if sinkflow[j] > 0 and not done[w]:
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
def _row_units(  # type: ignore[no-untyped-def]
    i, n, m, row_ptr, col_idx, cost, arc_row, flow, rowflow, supply, load, sinkflow, cap,
    slot_ptr, slot_arc, slot_pos, pi, dist, pred, done, popped, touched, hk, hv, stats,
):  # fmt: skip
    """Route the unmet units of row ``i`` one by one; returns False if one found no column."""
    t = n + m
    lo = row_ptr[i]
    hi = row_ptr[i + 1]
    while rowflow[i] < supply[i]:
        # Fast path: the cheapest residual arc leads to a column with a deficit, or with spare
        # room at sink level (no path can be cheaper).
        rmin = _INF
        amin = -1
        for a in range(lo, hi):
            if flow[a] == 0:
                r = cost[a] + pi[i] - pi[n + col_idx[a]]
                if r < rmin:
                    rmin = r
                    amin = a
        if amin < 0:
            return False
        jm = col_idx[amin]
        if sinkflow[jm] > load[jm] or (sinkflow[jm] < cap[jm] and pi[n + jm] - pi[t] <= 0.0):
            if sinkflow[jm] == load[jm]:
                sinkflow[jm] += 1
            flow[amin] = 1
            _add_slot(jm, amin, slot_ptr, slot_arc, slot_pos, load)
            rowflow[i] += 1
            pi[i] -= rmin
            stats[0] += 1
            continue
        best, jt, npop, ntouch = _search(
            1, i, n, m, row_ptr, col_idx, cost, arc_row, flow, rowflow, supply, load, sinkflow,
            cap, slot_ptr, slot_arc, pi, 0.0, 0.0, dist, pred, done, popped, touched, hk, hv,
        )  # fmt: skip
        stats[1] += 1
        stats[2] += npop
        if jt < 0:
            _update_and_reset(pi, dist, done, popped, 0, touched, ntouch, 0.0)
            return False
        j = jt
        if sinkflow[j] == load[j]:
            sinkflow[j] += 1
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
    return True


@njit(cache=True)
def _reset_row_potential(i, n, row_ptr, col_idx, cost, pi):  # type: ignore[no-untyped-def]
    best_p = -_INF
    for a in range(row_ptr[i], row_ptr[i + 1]):
        val = pi[n + col_idx[a]] - cost[a]
        if val > best_p:
            best_p = val
    if best_p > -_INF:
        pi[i] = best_p


@njit(cache=True)
def ssp_run(  # type: ignore[no-untyped-def]
    n, m, row_ptr, col_idx, cost, supply, cap, eps, flow, pi, retry_all, tol, phase2
):
    """Max-flow min-cost on the bipartite graph, resuming from ``flow`` and ``pi``.

    ``flow`` (int64 0/1 per arc) and ``pi`` (float64, rows, columns, sink) are updated in place;
    the start flow must respect ``supply`` and ``cap``. ``retry_all``: route the unmet units of
    every row (else only of the freed rows, and of the rest only while a deficit is left).
    ``tol`` (>= 0): reduced costs below ``-tol`` (or matched ones above ``tol``) free their row.
    ``eps`` (>= 0) is the smallest cycle gain phase 2 acts on (guards against cycling on
    rounding noise). Without ``phase2`` the flow is min-cost for its own row supplies only
    (every residual arc but the source arcs has a non-negative reduced cost) and the returned
    source potential is meaningless: enough while pricing still adds arcs that cross the cut.

    Returns ``(pi_source, status, stats)``; status 0: optimal; 1: a deficit could not be filled
    (solve again from an empty flow); 2: phase 2 was needed but not asked for. ``stats``: fast-path units, searches, settled nodes,
    freed rows, cancelled cycles, nodes settled in phase 2.
    """
    n_arcs = col_idx.shape[0]
    t = n + m
    nn = n + m + 1
    stats = np.zeros(6, dtype=np.int64)
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
    rowflow = np.zeros(n, dtype=np.int64)
    for a in range(n_arcs):
        if flow[a] != 0:
            _add_slot(col_idx[a], a, slot_ptr, slot_arc, slot_pos, load)
            rowflow[arc_row[a]] += 1
    sinkflow = load.copy()
    dist = np.full(nn, _INF)
    pred = np.full(nn, -1, dtype=np.int64)
    done = np.zeros(nn, dtype=np.bool_)
    popped = np.empty(nn, dtype=np.int64)
    touched = np.empty(nn, dtype=np.int64)
    hsize = n_arcs + 2 * nn + 4
    hk = np.empty(hsize, dtype=np.float64)
    hv = np.empty(hsize, dtype=np.int64)

    # Repair: sink arcs first (columns with room at sink level, loaded ones at most there),
    # then free every row with a violated arc.
    for j in range(m):
        low = sinkflow[j] < cap[j] and pi[n + j] < pi[t]
        if low or (sinkflow[j] > 0 and pi[n + j] > pi[t]):
            pi[n + j] = pi[t]
    tried = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        lo = row_ptr[i]
        hi = row_ptr[i + 1]
        bad = False
        for a in range(lo, hi):
            r = cost[a] + pi[i] - pi[n + col_idx[a]]
            if (flow[a] == 0 and r < -tol) or (flow[a] != 0 and r > tol):
                bad = True
                break
        if bad:
            for a in range(lo, hi):
                if flow[a] != 0:
                    flow[a] = 0
                    _remove_slot(col_idx[a], a, slot_ptr, slot_arc, slot_pos, load)
            rowflow[i] = 0
            stats[3] += 1
        if rowflow[i] == 0:
            _reset_row_potential(i, n, row_ptr, col_idx, cost, pi)
        if bad or (retry_all and rowflow[i] < supply[i]):
            tried[i] = True

    # Phase 1: freed rows (all unmet rows when retry_all) in index order, then the others
    # while a deficit is left.
    for sweep in range(2):
        if sweep == 1:
            deficit = 0
            for j in range(m):
                deficit += sinkflow[j] - load[j]
            if deficit == 0:
                break
        for i in range(n):
            if tried[i] == (sweep == 1) or rowflow[i] >= supply[i] or row_ptr[i + 1] == row_ptr[i]:
                continue
            _row_units(
                i, n, m, row_ptr, col_idx, cost, arc_row, flow, rowflow, supply, load, sinkflow,
                cap, slot_ptr, slot_arc, slot_pos, pi, dist, pred, done, popped, touched, hk, hv,
                stats,
            )  # fmt: skip
    for j in range(m):
        if sinkflow[j] != load[j]:
            return 0.0, 1, stats
    if not phase2:
        for i in range(n):
            if rowflow[i] < supply[i] and row_ptr[i + 1] > row_ptr[i]:
                return 0.0, 2, stats

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
            2, -1, n, m, row_ptr, col_idx, cost, arc_row, flow, rowflow, supply, load, sinkflow,
            cap, slot_ptr, slot_arc, pi, pi_r, pi_sin, dist, pred, done, popped, touched, hk, hv,
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
                    sinkflow[j] -= 1
                    j = pred[t]
                    sinkflow[j] += 1
                    pa = pred[n + j]
                flow[pa] = 1
                _add_slot(j, pa, slot_ptr, slot_arc, slot_pos, load)
                v = arc_row[pa]
            _update_and_reset(pi, dist, done, popped, npop, touched, ntouch, best)
            stats[4] += 1
            stats[5] += npop
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
    return pi_s, 0, stats


@njit(cache=True)
def ssp_solve(n, m, row_ptr, col_idx, cost, supply, cap, eps):  # type: ignore[no-untyped-def]
    """Max-flow min-cost from an empty flow; see the module docstring.

    Returns ``(flow, pi, pi_source)``: ``flow`` int64 per arc (0/1), ``pi`` float64 of length
    ``n + m + 1`` (rows, columns, sink).
    """
    flow = np.zeros(col_idx.shape[0], dtype=np.int64)
    pi = np.zeros(n + m + 1, dtype=np.float64)
    pi_s, _, _ = ssp_run(n, m, row_ptr, col_idx, cost, supply, cap, eps, flow, pi, True, 0.0, True)
    return flow, pi, pi_s
