"""Numba kernel: repair a min-cost flow so that every group of mentees meets its floor.

The network (mentee orientation, cost = -score)::

    source s -> group G_k  [lower L_k, upper U_k]   cost 0
    G_k -> mentee i        [0, demand_i]            cost 0    (i in group k)
    mentee i -> mentor j   [0, 1]                   cost -s_ij (allowed pairs of the graph)
    mentor j -> sink t     [0, capacity_j]          cost 0

Node ids: mentees ``0..n-1``, mentors ``n..n+m-1``, sink ``t = n+m``, groups
``n+m+1 .. n+m+ng``, source ``s = n+m+1+ng``. ``pi`` holds one potential per node; the reduced
cost of a residual arc ``u -> v`` is ``c(u, v) + pi[u] - pi[v]`` (the convention of
:mod:`matchsvc.assignment._ssp` and of :class:`~matchsvc.assignment.Certificate`).

:func:`floors_run` ``mode=0`` (repair) starts from a flow and potentials under which every
residual arc has a non-negative reduced cost, every group node at or below the source's
potential and a group below it at or under its floor (e.g. the unconstrained optimum, its
certificate and group nodes at the source's potential; or an optimum with group bonuses, see
:class:`~matchsvc.assignment._floors.PartitionSolver`). It raises the flow on ``s -> G_k`` of every group below its floor to ``L_k``;
the group node then holds an excess of ``L_k - f_k`` units and the source the matching
deficit. Each excess unit travels on a shortest path (Dijkstra on reduced costs) from ``G_k``
to ``s``; such a path ends with ``G_b -> s`` for a group ``b`` above its floor, so one mentee
of ``b`` gives up a slot, possibly through a chain of exchanges. Potentials of the settled
nodes move by ``dist - D*`` after each path, which keeps every residual reduced cost
non-negative: successive shortest paths from an excess node to a deficit node (Ahuja,
Magnanti & Orlin, *Network Flows*, 1993, sec. 9.7). When no excess is left the flow is
feasible for the floors and min-cost among flows of its value that respect them; its value
never changes, so the matched count stays the unconstrained maximum. No big-M constant is
used: the floors are lower bounds, met first because they are routed as excess, not bought
with a large reward.

If some excess unit finds no path, the nodes the failed search reached (``reach_*``) form a
set that no residual arc leaves while it holds an excess: no flow meets all the floors on
this graph (Hoffman's circulation theorem). The caller checks that set against every pair
before it believes it.

``mode=1`` (max flow into group ``target``) ignores costs: it pushes units
``s -> G_target -> ... -> G_b -> s`` (``b`` above its floor) by breadth-first search until
none is left or the group is full, and reports the reached set of the last search. It starts
from a flow that meets the floors and leaves them met.

All arrays are int64/float64 so numba compiles one signature.
"""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

from matchsvc.assignment._ssp import _pop, _push

__all__ = ["floors_run"]

_INF = np.inf


@njit(cache=True)
def _relax(w, nd, v, a, dist, predn, preda, done, touched, ntouch, hk, hv, size):  # type: ignore[no-untyped-def]
    """Lower ``dist[w]`` to ``nd`` (from ``v`` over arc ``a``); returns ``(ntouch, size)``."""
    if not done[w] and nd < dist[w]:
        if dist[w] == _INF:
            touched[ntouch] = w
            ntouch += 1
        dist[w] = nd
        predn[w] = v
        preda[w] = a
        size = _push(hk, hv, size, nd, w)
    return ntouch, size


@njit(cache=True)
def _search(  # type: ignore[no-untyped-def]
    k, use_cost, n, m, ptr, col, score, flow, arc_row, rowflow, demand, load, capacity,
    group, gptr, gmem, gflow, lower, slot_ptr, slot_arc, pi, dist, predn, preda, done, popped,
    touched, hk, hv,
):  # fmt: skip
    """Dijkstra from group node ``G_k`` to the source; with ``use_cost`` False every arc has
    length 0 (a breadth-first search in node order). Returns ``(found, npop, ntouch)``."""
    t = n + m
    g0 = n + m + 1
    s = g0 + gflow.shape[0]
    src = g0 + k
    ntouch = 0
    npop = 0
    size = 0
    dist[src] = 0.0
    predn[src] = -1
    touched[ntouch] = src
    ntouch += 1
    size = _push(hk, hv, size, 0.0, src)
    found = False
    while size > 0:
        d, v, size = _pop(hk, hv, size)
        if done[v] or d > dist[v]:
            continue
        done[v] = True
        popped[npop] = v
        npop += 1
        if v == s:
            found = True
            break
        pv = pi[v]
        if v < n:
            for a in range(ptr[v], ptr[v + 1]):
                if flow[a] == 0:
                    w = n + col[a]
                    r = -score[a] + pv - pi[w] if use_cost else 0.0
                    ntouch, size = _relax(
                        w, d + max(r, 0.0), v, a, dist, predn, preda, done, touched, ntouch,
                        hk, hv, size,
                    )  # fmt: skip
            if rowflow[v] > 0:
                w = g0 + group[v]
                r = pv - pi[w] if use_cost else 0.0
                ntouch, size = _relax(
                    w, d + max(r, 0.0), v, -1, dist, predn, preda, done, touched, ntouch, hk,
                    hv, size,
                )  # fmt: skip
        elif v < t:
            j = v - n
            for q in range(slot_ptr[j], slot_ptr[j] + load[j]):
                a = slot_arc[q]
                w = arc_row[a]
                r = score[a] + pv - pi[w] if use_cost else 0.0
                ntouch, size = _relax(
                    w, d + max(r, 0.0), v, a, dist, predn, preda, done, touched, ntouch, hk, hv,
                    size,
                )  # fmt: skip
            if load[j] < capacity[j]:
                r = pv - pi[t] if use_cost else 0.0
                ntouch, size = _relax(
                    t, d + max(r, 0.0), v, -1, dist, predn, preda, done, touched, ntouch, hk,
                    hv, size,
                )  # fmt: skip
        elif v == t:
            for j in range(m):
                if load[j] > 0:
                    w = n + j
                    r = pv - pi[w] if use_cost else 0.0
                    ntouch, size = _relax(
                        w, d + max(r, 0.0), v, -1, dist, predn, preda, done, touched, ntouch,
                        hk, hv, size,
                    )  # fmt: skip
        else:
            b = v - g0
            for q in range(gptr[b], gptr[b + 1]):
                i = gmem[q]
                if rowflow[i] < demand[i] and ptr[i + 1] > ptr[i]:
                    r = pv - pi[i] if use_cost else 0.0
                    ntouch, size = _relax(
                        i, d + max(r, 0.0), v, -1, dist, predn, preda, done, touched, ntouch,
                        hk, hv, size,
                    )  # fmt: skip
            if b != k and gflow[b] > lower[b]:
                r = pv - pi[s] if use_cost else 0.0
                ntouch, size = _relax(
                    s, d + max(r, 0.0), v, -1, dist, predn, preda, done, touched, ntouch, hk,
                    hv, size,
                )  # fmt: skip
    return found, npop, ntouch


@njit(cache=True)
def _augment(  # type: ignore[no-untyped-def]
    k, n, m, col, flow, rowflow, gout, gflow, slot_ptr, slot_arc, slot_pos, load, predn, preda
):
    """Push one unit along the predecessor path ``G_k -> ... -> G_b -> s``, walking back from
    the source (so at a mentor the arc leaving it is undone before the arc entering it)."""
    t = n + m
    g0 = n + m + 1
    s = g0 + gflow.shape[0]
    v = s
    while v != g0 + k:
        u = predn[v]
        a = preda[v]
        if v == s:
            gflow[u - g0] -= 1
        elif v >= g0:  # mentee u gives up a slot of its group
            rowflow[u] -= 1
            gout[v - g0] -= 1
        elif v < n:
            if u >= g0:  # the group hands mentee v a slot
                rowflow[v] += 1
                gout[u - g0] += 1
            else:  # mentor u loses mentee v
                j = u - n
                flow[a] = 0
                p = slot_pos[a]
                last = slot_ptr[j] + load[j] - 1
                b = slot_arc[last]
                slot_arc[p] = b
                slot_pos[b] = p
                load[j] -= 1
        elif v < t and u < n:  # mentee u takes mentor v
            j = v - n
            flow[a] = 1
            p = slot_ptr[j] + load[j]
            slot_arc[p] = a
            slot_pos[a] = p
            load[j] += 1
        v = u


@njit(cache=True)
def floors_run(  # type: ignore[no-untyped-def]
    mode, target, n, m, ptr, col, score, flow, demand, capacity, group, lower, upper, pi,
    reach_rows, reach_cols,
):  # fmt: skip
    """Repair (``mode`` 0) or maximise the flow into group ``target`` (``mode`` 1); see the
    module docstring.

    ``flow`` (0/1 per arc of the mentee-major CSR ``ptr/col/score``) and ``pi`` (length
    ``n + m + 2 + ng``) are updated in place; ``group`` gives each mentee's group (``0..ng-1``),
    ``lower``/``upper`` the bounds of each group's flow. Returns ``(status, group, units)``:
    status 0 when done, 1 when the excess of ``group`` found no path (``reach_rows`` and
    ``reach_cols`` then mark the mentees and mentors the failed search reached); ``units`` is
    the number of paths pushed.
    """
    ng = lower.shape[0]
    n_arcs = col.shape[0]
    nn = n + m + 2 + ng
    arc_row = np.empty(n_arcs, dtype=np.int64)
    rowflow = np.zeros(n, dtype=np.int64)
    for i in range(n):
        for a in range(ptr[i], ptr[i + 1]):
            arc_row[a] = i
            if flow[a] != 0:
                rowflow[i] += 1
    deg = np.zeros(m, dtype=np.int64)
    for a in range(n_arcs):
        deg[col[a]] += 1
    slot_ptr = np.zeros(m + 1, dtype=np.int64)
    for j in range(m):
        slot_ptr[j + 1] = slot_ptr[j] + min(capacity[j], deg[j])
    slot_arc = np.empty(max(slot_ptr[m], 1), dtype=np.int64)
    slot_pos = np.zeros(n_arcs, dtype=np.int64)
    load = np.zeros(m, dtype=np.int64)
    for a in range(n_arcs):
        if flow[a] != 0:
            j = col[a]
            p = slot_ptr[j] + load[j]
            slot_arc[p] = a
            slot_pos[a] = p
            load[j] += 1
    gptr = np.zeros(ng + 1, dtype=np.int64)
    for i in range(n):
        gptr[group[i] + 1] += 1
    for b in range(ng):
        gptr[b + 1] += gptr[b]
    gmem = np.empty(n, dtype=np.int64)
    fill = gptr[:ng].copy()
    gout = np.zeros(ng, dtype=np.int64)
    for i in range(n):
        b = group[i]
        gmem[fill[b]] = i
        fill[b] += 1
        gout[b] += rowflow[i]
    gflow = gout.copy()
    dist = np.full(nn, _INF)
    predn = np.full(nn, -1, dtype=np.int64)
    preda = np.full(nn, -1, dtype=np.int64)
    done = np.zeros(nn, dtype=np.bool_)
    popped = np.empty(nn, dtype=np.int64)
    touched = np.empty(nn, dtype=np.int64)
    hsize = n_arcs + 4 * nn + 4
    hk = np.empty(hsize, dtype=np.float64)
    hv = np.empty(hsize, dtype=np.int64)
    units = 0
    if mode == 0:
        for b in range(ng):
            if gflow[b] < lower[b]:
                gflow[b] = lower[b]
        for b in range(ng):
            while gflow[b] > gout[b]:
                found, npop, ntouch = _search(
                    b, True, n, m, ptr, col, score, flow, arc_row, rowflow, demand, load,
                    capacity, group, gptr, gmem, gflow, lower, slot_ptr, slot_arc, pi, dist,
                    predn, preda, done, popped, touched, hk, hv,
                )  # fmt: skip
                if not found:
                    for q in range(ntouch):
                        v = touched[q]
                        if done[v]:
                            if v < n:
                                reach_rows[v] = True
                            elif v < n + m:
                                reach_cols[v - n] = True
                    return 1, b, units
                _augment(
                    b, n, m, col, flow, rowflow, gout, gflow, slot_ptr, slot_arc, slot_pos,
                    load, predn, preda,
                )  # fmt: skip
                units += 1
                dstar = dist[n + m + 1 + ng]
                for q in range(npop):
                    v = popped[q]
                    if dist[v] < dstar:
                        pi[v] += dist[v] - dstar
                for q in range(ntouch):
                    v = touched[q]
                    dist[v] = _INF
                    done[v] = False
        return 0, -1, units
    # mode 1: as many units as possible into group ``target``
    while gflow[target] < upper[target]:
        gflow[target] += 1
        found, npop, ntouch = _search(
            target, False, n, m, ptr, col, score, flow, arc_row, rowflow, demand, load,
            capacity, group, gptr, gmem, gflow, lower, slot_ptr, slot_arc, pi, dist, predn,
            preda, done, popped, touched, hk, hv,
        )  # fmt: skip
        if not found:
            gflow[target] -= 1
            for q in range(ntouch):
                v = touched[q]
                if done[v]:
                    if v < n:
                        reach_rows[v] = True
                    elif v < n + m:
                        reach_cols[v - n] = True
            return 0, target, units
        _augment(
            target, n, m, col, flow, rowflow, gout, gflow, slot_ptr, slot_arc, slot_pos, load,
            predn, preda,
        )  # fmt: skip
        units += 1
        for q in range(ntouch):
            v = touched[q]
            dist[v] = _INF
            done[v] = False
    return 0, target, units
