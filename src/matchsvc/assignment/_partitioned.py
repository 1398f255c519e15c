"""The ``pricing`` solver's full passes cut into row spans: tasks for a :class:`BlockExecutor`.

Each span is a whole number of the solver's blocks (:class:`RowBlocks`), so a score source is
asked for exactly the blocks of an in-process pass. Results are merged in span order and are
**byte-identical** to the in-process pass:

* **pricing pass** (:func:`price_pass`): the in-process kernel :func:`price_scan` is row-local
  (each row's kept pairs and violation counts depend on that row and the shared potentials),
  so each task runs it on its span and the driver concatenates.
* **candidate pass** (:func:`candidate_pass`): each mentee's top ``k`` is row-local too, but
  each mentor keeps its ``r`` best mentees in a min-heap fed in row order, and which of equal
  values stay depends on the heap's history. A task therefore runs the same heap on its own
  span from empty and *records every insertion* ``(i, j, s)`` in order. An element the global
  heap would insert is inserted by the span's heap too (the span's heap has seen a subset of
  what the global heap has, so its root is no higher), and an element the global heap would
  reject changes nothing; so replaying the recorded insertions of all spans, in span order,
  through the same heap code gives the in-process heaps exactly, ties included.
  The driver also drops, before they travel, records that cannot enter the global heap: once
  an earlier span alone has seen ``r`` elements of mentor ``j``, the global heap is full from
  then on and its root is at least that span's ``r``-th largest value; an element not above
  the largest such value of the earlier spans is never inserted. Each span reports only that
  one value per mentor (``m`` floats); its records stay with the task that made them (a
  handle) until that filter has run where they are. (The exact floor, the ``r``-th largest of
  all earlier spans together, keeps about a third fewer records but needs each span's whole
  heap, ``r`` times the bytes: measured on 20,000 x 2,000, 0.49-0.74 million records kept of
  2.6-3.1 million for 8-32 spans, against 0.49 million with exact floors.)

Why only the passes: they are what touches all ``n x m`` scores; the flow on the candidate
graph and the certificate are small and stay with the caller.
"""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from matchsvc.assignment._blocks import RowBlocks
from matchsvc.assignment._executor import BlockRunner
from matchsvc.assignment._scan import _heap_push, _heap_replace_min, price_scan
from matchsvc.assignment._types import Problem

__all__ = ["SPANS_PER_SLOT", "CandidateScan", "candidate_pass", "price_pass", "row_spans"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SPANS_PER_SLOT = 2
"""Spans per parallel slot: more than one, so a slow task does not hold the pass alone."""


def row_spans(n: int, step: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` (at most one per block) consecutive row ranges covering ``0:n``, each
    starting at a multiple of ``step``, as even in blocks as possible."""
    blocks = max(1, -(-n // step))
    parts = max(1, min(parts, blocks))
    edges = [min(n, (blocks * p // parts) * step) for p in range(parts + 1)]
    return [(edges[p], edges[p + 1]) for p in range(parts) if edges[p + 1] > edges[p]]


# -- kernels ------------------------------------------------------------------------------


@njit(cache=True)
def _top_scan_span(  # type: ignore[no-untyped-def]
    S, i0, r0, rowshift, colshift, k, row_val, row_col, row_s, col_val, col_row, col_s,
    col_cnt, mask, use_mask, min_score, rec_key, rec_s, n_rec,
):  # fmt: skip
    """:func:`~matchsvc.assignment._scan.top_scan` on rows ``i0:`` of a span starting at row
    ``r0`` (row arrays indexed from ``r0``), recording each heap insertion as ``(key = i * m +
    j, s)`` from ``rec_*[n_rec]``; returns the new ``n_rec``."""
    nb, m = S.shape
    r = col_val.shape[1]
    for ii in range(nb):
        i = i0 + ii
        rv = row_val[i - r0]
        rc = row_col[i - r0]
        rsv = row_s[i - r0]
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
                else:
                    continue
                rec_key[n_rec] = i * m + j
                rec_s[n_rec] = s
                n_rec += 1
    return n_rec


@njit(cache=True)
def _replay(keys, svals, m, rowshift, col_val, col_row, col_s, col_cnt):  # type: ignore[no-untyped-def]
    """Feed recorded ``(key, s)`` insertions, in order, through the mentor heaps exactly as
    :func:`~matchsvc.assignment._scan.top_scan` feeds its elements."""
    r = col_val.shape[1]
    for q in range(keys.size):
        key = keys[q]
        i = key // m
        j = key - i * m
        s = svals[q]
        w = s + rowshift[i]
        cnt = col_cnt[j]
        if cnt < r:
            _heap_push(col_val[j], col_row[j], col_s[j], cnt, w, i, s)
            col_cnt[j] = cnt + 1
        elif w > col_val[j, 0]:
            _heap_replace_min(col_val[j], col_row[j], col_s[j], r, w, i, s)


# -- tasks (module-level: a cluster ships them by reference) -------------------------------


def _top_task(
    problem: Problem, r0: int, r1: int, shared: tuple[Any, ...], seed_keys: IntArray
) -> tuple[tuple[Any, ...], tuple[IntArray, FloatArray]]:
    """One span of the candidate pass: ``(summary, records)``; see the module docstring."""
    step, k, r, rowshift, colshift = shared
    blocks = RowBlocks(problem, step)
    m = problem.shape[1]
    rows = r1 - r0
    row_val = np.full((rows, k), -np.inf)
    row_col = np.zeros((rows, k), dtype=np.int64)
    row_s = np.zeros((rows, k))
    col_val = np.empty((m, r))
    col_row = np.zeros((m, r), dtype=np.int64)
    col_s = np.empty((m, r))
    col_cnt = np.zeros(m, dtype=np.int64)
    # Room for every cell of a block: untouched pages of np.empty cost no memory.
    cap = min(blocks.step, rows) * m if r > 0 else 0
    buf_key = np.empty(cap, dtype=np.int64)
    buf_s = np.empty(cap)
    keys: list[IntArray] = []
    vals: list[FloatArray] = []
    seed_s = np.empty(seed_keys.size)
    seed_starts = np.searchsorted(seed_keys, np.arange(r0, r1 + blocks.step, blocks.step) * m)
    scale = 1.0
    for b, (i0, S, mask, use_mask) in enumerate(blocks.span(r0, r1)):
        n_rec = _top_scan_span(
            S, i0, r0, rowshift, colshift, k, row_val, row_col, row_s, col_val, col_row,
            col_s, col_cnt, mask, use_mask, blocks.min_score, buf_key, buf_s, 0,
        )  # fmt: skip
        if n_rec:
            keys.append(buf_key[:n_rec].copy())
            vals.append(buf_s[:n_rec].copy())
        if S.size:
            scale = max(scale, float(np.abs(S).max()))
        lo, hi = int(seed_starts[b]), int(seed_starts[b + 1])
        if hi > lo:
            sk = seed_keys[lo:hi]
            seed_s[lo:hi] = S[sk // m - i0, sk % m]
    # The heap's root (its r-th largest value) where the span filled the heap, else -inf.
    kth = np.where(col_cnt >= r, col_val[:, 0], -np.inf) if r > 0 else np.full(m, -np.inf)
    records = (
        np.concatenate(keys) if keys else np.zeros(0, np.int64),
        np.concatenate(vals) if vals else np.zeros(0),
    )
    return (row_val, row_col, row_s, kth, seed_s, scale), records


def _keep_insertable(
    records: tuple[IntArray, FloatArray], shared: tuple[Any, ...], floor: FloatArray
) -> tuple[IntArray, FloatArray]:
    """The records whose value ``s + rowshift[i]`` is above their mentor's ``floor``."""
    keys, svals = records
    rowshift = shared[3]
    m = floor.shape[0]
    keep = svals + rowshift[keys // m] > floor[keys % m]
    return keys[keep], svals[keep]


def _price_task(problem: Problem, r0: int, r1: int, shared: tuple[Any, ...]) -> tuple[Any, ...]:
    """One span of a pricing pass: its kept pairs (keys, scores) and violation counts."""
    step, pe, pr, tol, reach_e, reach_r, use_cut, mptr, mcol, kadd = shared
    blocks = RowBlocks(problem, step)
    m = problem.shape[1]
    cap = min(blocks.step, r1 - r0) * kadd
    oi = np.empty(cap, dtype=np.int64)
    oj = np.empty(cap, dtype=np.int64)
    os_ = np.empty(cap)
    keys: list[IntArray] = []
    scores: list[FloatArray] = []
    n_neg = n_cut = 0
    for i0, S, mask, use_mask in blocks.span(r0, r1):
        cnt, a, c = price_scan(
            S, i0, pe, pr, tol, reach_e, reach_r, use_cut, mptr, mcol, kadd, mask, use_mask,
            blocks.min_score, oi, oj, os_, 0,
        )  # fmt: skip
        n_neg += int(a)
        n_cut += int(c)
        if cnt:
            keys.append(oi[:cnt] * m + oj[:cnt])
            scores.append(os_[:cnt].copy())
    return keys, scores, n_neg, n_cut


# -- the passes, driven from the caller ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class CandidateScan:
    """What the candidate pass leaves, as :func:`~matchsvc.assignment._scan.top_scan` would."""

    row_val: FloatArray
    row_col: IntArray
    row_s: FloatArray
    col_val: FloatArray
    col_row: IntArray
    col_s: FloatArray
    col_cnt: IntArray
    seed_s: FloatArray
    scale: float


def candidate_pass(
    runner: BlockRunner,
    blocks: RowBlocks,
    k: int,
    r: int,
    rowshift: FloatArray,
    colshift: FloatArray,
    seed_keys: IntArray,
) -> CandidateScan:
    """The candidate pass over all rows as tasks of ``runner`` (module docstring)."""
    n, m = blocks.problem.shape
    spans = row_spans(n, blocks.step, runner.parallelism * SPANS_PER_SLOT)
    shared = runner.put((blocks.step, k, r, rowshift, colshift))
    cuts = np.searchsorted(seed_keys, np.array([a for a, _ in spans] + [n]) * m)
    handles = []
    for t, (r0, r1) in enumerate(spans):
        seed_part = seed_keys[cuts[t] : cuts[t + 1]]
        handles.append(
            runner.submit(_top_task, runner.problem, r0, r1, shared, seed_part, num_returns=2)
        )
    summaries = runner.get([h[0] for h in handles])
    # Each span's records, less those the spans before it make impossible.
    floor = np.full(m, -np.inf)
    kept = []
    for t, summary in enumerate(summaries):
        kept.append(runner.submit(_keep_insertable, handles[t][1], shared, floor.copy()))
        floor = np.maximum(floor, summary[3])
    records = runner.get(kept)
    col_val = np.empty((m, r))
    col_row = np.zeros((m, r), dtype=np.int64)
    col_s = np.empty((m, r))
    col_cnt = np.zeros(m, dtype=np.int64)
    if records:
        keys = np.concatenate([rec[0] for rec in records])
        svals = np.concatenate([rec[1] for rec in records])
        _replay(keys, svals, m, rowshift, col_val, col_row, col_s, col_cnt)
    return CandidateScan(
        row_val=np.concatenate([s[0] for s in summaries]),
        row_col=np.concatenate([s[1] for s in summaries]),
        row_s=np.concatenate([s[2] for s in summaries]),
        col_val=col_val,
        col_row=col_row,
        col_s=col_s,
        col_cnt=col_cnt,
        seed_s=np.concatenate([s[4] for s in summaries]),
        scale=max([1.0, *(float(s[5]) for s in summaries)]),
    )


def price_pass(
    runner: BlockRunner, blocks: RowBlocks, shared: tuple[Any, ...]
) -> tuple[list[IntArray], list[FloatArray], int, int]:
    """A pricing pass over all rows as tasks of ``runner``: the kept pairs' keys and scores
    in row order, and the violation counts (``shared``: :func:`_price_task`'s arguments)."""
    n = blocks.problem.shape[0]
    spans = row_spans(n, blocks.step, runner.parallelism * SPANS_PER_SLOT)
    ref = runner.put((blocks.step, *shared))
    parts = runner.get([runner.submit(_price_task, runner.problem, a, b, ref) for a, b in spans])
    keys = [k for part in parts for k in part[0]]
    scores = [s for part in parts for s in part[1]]
    return keys, scores, sum(p[2] for p in parts), sum(p[3] for p in parts)
