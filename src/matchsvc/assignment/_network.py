"""Run the SSP kernel on a mentee-major CSR graph and return pairs plus a certificate.

Shared by the all-arcs ``flow`` solver and the candidate-graph ``pricing`` solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from matchsvc.assignment._ssp import ssp_run
from matchsvc.assignment._types import Certificate

__all__ = ["Graph", "NetworkSolution", "WarmStart", "solve_graph"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Smallest cycle gain (relative to the score scale) that phase 2 of the kernel acts on.
_CYCLE_EPS = 1e-13


@dataclass(frozen=True)
class Graph:
    """Mentee-major CSR arcs: mentee ``i`` has mentors ``col[ptr[i]:ptr[i+1]]`` (sorted,
    distinct) with scores ``score[...]``; all int64/float64."""

    n: int
    m: int
    ptr: IntArray
    col: IntArray
    score: FloatArray

    @property
    def rows(self) -> IntArray:
        """Mentee index of every arc."""
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.ptr))


@dataclass(frozen=True)
class NetworkSolution:
    """Matched arcs (indices into the graph) and the certificate, in mentee orientation."""

    used: npt.NDArray[np.bool_]
    certificate: Certificate
    stats: IntArray
    status: int


def _transpose(g: Graph) -> tuple[IntArray, IntArray, IntArray]:
    """Mentor-major CSR of ``g``: (ptr, mentee index, arc id in ``g``)."""
    order = np.argsort(g.col, kind="stable").astype(np.int64)
    counts = np.bincount(g.col, minlength=g.m)
    ptr = np.zeros(g.m + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, g.rows[order], order


@dataclass(frozen=True)
class WarmStart:
    """A start point for :func:`solve_graph`: matched arcs of the graph and potentials in the
    mentee orientation of :class:`Certificate` (e.g. the previous round's certificate)."""

    used: npt.NDArray[np.bool_]
    mentee_potential: FloatArray
    mentor_potential: FloatArray
    source_potential: float
    sink_potential: float


def solve_graph(
    g: Graph,
    demand: IntArray,
    capacity: IntArray,
    warm: WarmStart | None = None,
    *,
    transposed: bool | None = None,
    retry_all: bool = True,
    tol: float = 0.0,
    phase2: bool = True,
) -> NetworkSolution:
    """Maximum matched count, then minimum cost (= maximum score), on the arcs of ``g``.

    The side with the smaller (degree-clipped) total is processed unit by unit, so phase 2 of
    the kernel is only needed when neither side can be saturated (``transposed`` overrides the
    choice). With ``warm`` the kernel resumes from that flow and those potentials (see
    :func:`ssp_run`; ``retry_all``, ``tol`` and ``phase2`` are passed on); if it reports an
    unfilled deficit the graph is solved again from scratch. Without ``phase2`` the source
    potential (sink, when transposed) of the certificate is not valid.
    """
    n, m = g.n, g.m
    deg_row = np.diff(g.ptr)
    deg_col = np.bincount(g.col, minlength=m).astype(np.int64)
    sup = np.minimum(demand, deg_row).astype(np.int64)
    cap = np.minimum(capacity, deg_col).astype(np.int64)
    scale = max(1.0, float(np.max(np.abs(g.score)))) if g.score.size else 1.0
    eps = _CYCLE_EPS * scale
    if transposed is None:
        transposed = int(sup.sum()) > int(cap.sum())
    retry = retry_all or warm is None
    if transposed:
        tptr, trow, order = _transpose(g)
        tcost = -g.score[order]
        flow_t = np.zeros(g.col.shape[0], dtype=np.int64)
        pi = np.zeros(n + m + 1, dtype=np.float64)
        if warm is not None:
            flow_t[:] = warm.used[order]
            pi[:m] = -warm.mentor_potential
            pi[m : m + n] = -warm.mentee_potential
            pi[-1] = -warm.source_potential
        pi_s, status, stats = ssp_run(
            m, n, tptr, trow, tcost, cap, sup, eps, flow_t, pi, retry, tol, phase2
        )
        if status == 1:
            flow_t[:] = 0
            pi[:] = 0.0
            pi_s, status, stats = ssp_run(
                m, n, tptr, trow, tcost, cap, sup, eps, flow_t, pi, True, 0.0, phase2
            )
        used = np.zeros(g.col.shape[0], dtype=np.bool_)
        used[order] = flow_t.astype(np.bool_)
        p_rows, p_cols, orig_rows, orig_cols = pi[:m], pi[m : m + n], capacity, demand
        full_rows, full_cols = deg_col, deg_row
    else:
        cost = -g.score
        flow = np.zeros(g.col.shape[0], dtype=np.int64)
        pi = np.zeros(n + m + 1, dtype=np.float64)
        if warm is not None:
            flow[:] = warm.used
            pi[:n] = warm.mentee_potential
            pi[n : n + m] = warm.mentor_potential
            pi[-1] = warm.sink_potential
        pi_s, status, stats = ssp_run(
            n, m, g.ptr, g.col, cost, sup, cap, eps, flow, pi, retry, tol, phase2
        )
        if status == 1:
            flow[:] = 0
            pi[:] = 0.0
            pi_s, status, stats = ssp_run(
                n, m, g.ptr, g.col, cost, sup, cap, eps, flow, pi, True, 0.0, phase2
            )
        used = flow.astype(np.bool_)
        p_rows, p_cols, orig_rows, orig_cols = pi[:n], pi[n : n + m], demand, capacity
        full_rows, full_cols = deg_row, deg_col
    pi_t = float(pi[-1])
    p_rows = p_rows.copy()
    p_cols = p_cols.copy()
    rows_all = g.rows
    load_mentee = np.bincount(rows_all[used], minlength=n).astype(np.int64)
    load_mentor = np.bincount(g.col[used], minlength=m).astype(np.int64)
    rflow, cflow = (load_mentor, load_mentee) if transposed else (load_mentee, load_mentor)
    # Nodes whose every arc is used were clipped: move their potential to the source/sink
    # level (safe: such a node has no residual arc that the move could make negative).
    clip_r = (rflow == full_rows) & (rflow < orig_rows)
    p_rows[clip_r] = np.minimum(p_rows[clip_r], pi_s)
    clip_c = (cflow == full_cols) & (cflow < orig_cols)
    p_cols[clip_c] = np.maximum(p_cols[clip_c], pi_t)
    if transposed:
        mentee_pi, mentor_pi, src, snk = -p_cols, -p_rows, -pi_t, -pi_s
    else:
        mentee_pi, mentor_pi, src, snk = p_rows, p_cols, pi_s, pi_t
    # Mentees with demand 0 and mentors with capacity 0 sit on no cycle (no residual arc
    # enters the former or leaves the latter): give their free arcs a zero-slack price.
    idle_r = demand == 0
    if idle_r.any():
        sel = idle_r[rows_all]
        best = np.full(n, -np.inf)
        np.maximum.at(best, rows_all[sel], mentor_pi[g.col[sel]] + g.score[sel])
        mentee_pi = np.where(idle_r & np.isfinite(best), np.maximum(mentee_pi, best), mentee_pi)
    idle_c = capacity == 0
    if idle_c.any():
        sel = idle_c[g.col]
        low = np.full(m, np.inf)
        np.minimum.at(low, g.col[sel], mentee_pi[rows_all[sel]] - g.score[sel])
        mentor_pi = np.where(idle_c & np.isfinite(low), np.minimum(mentor_pi, low), mentor_pi)
    reach_r, reach_c = residual_reach(g, used, demand - load_mentee)
    cert = Certificate(
        mentee_potential=mentee_pi,
        mentor_potential=mentor_pi,
        source_potential=float(src),
        sink_potential=float(snk),
        reach_mentees=reach_r,
        reach_mentors=reach_c,
    )
    return NetworkSolution(used=used, certificate=cert, stats=stats, status=int(status))


def residual_reach(
    g: Graph, used: npt.NDArray[np.bool_], unmet: IntArray
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Mentees and mentors reachable from the source in the residual graph of ``g``."""
    n, m = g.n, g.m
    s = n + m
    rows = g.rows
    free = ~used
    src_rows = np.flatnonzero(unmet > 0)
    if src_rows.size == 0:
        return np.zeros(n, dtype=np.bool_), np.zeros(m, dtype=np.bool_)
    heads = np.concatenate([np.full(src_rows.size, s, dtype=np.int64), rows[free], n + g.col[used]])
    tails = np.concatenate([src_rows, n + g.col[free], rows[used]])
    adj = csr_matrix((np.ones(heads.size, dtype=np.int8), (heads, tails)), shape=(s + 1, s + 1))
    order = breadth_first_order(adj, s, directed=True, return_predecessors=False)
    reach = np.zeros(s + 1, dtype=np.bool_)
    reach[order] = True
    return reach[:n], reach[n:s]
