"""Numba kernel of :mod:`matchsvc.learning`: ranking metrics under bootstrap multiplicities."""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["LEVELS", "MID", "ranking_metrics"]

LEVELS = 9
"""Target levels 0..8 (the target in eighths)."""
MID = 4
"""The level of target 0.5: above it a pair ended well, below it badly."""


@njit(cache=True)
def ranking_metrics(counts, item_cluster, level, block_start):  # type: ignore[no-untyped-def]
    """Spearman, AUC and discordant share of one score for each row of ``counts``.

    Args:
        counts: ``(B, G)`` int64, how many copies of cluster ``g`` resample ``b`` holds (all 1
            for the sample itself).
        item_cluster: ``(k,)`` int64 cluster of each item, items sorted by score ascending.
        level: ``(k,)`` int64 target level 0..8 of each item, same order.
        block_start: ``(U + 1,)`` int64 offsets of the runs of equal score (tie blocks) in
            that order, ending with ``k``.

    Returns:
        ``(B, 3)`` float64: Spearman correlation of score and level (midranks), AUC of the items
        above ``MID`` against those below (score ties half), and the share of pairs of items
        with different levels that the score orders against the levels (score ties half).
        NaN where undefined (no variance, no pair of the kinds compared).

    One pass over the items per resample, O(B * (k + 9 U)).
    """
    n_boot = counts.shape[0]
    k = level.shape[0]
    n_blocks = block_start.shape[0] - 1
    out = np.full((n_boot, 3), np.nan)
    wl = np.zeros(LEVELS)
    rt = np.zeros(LEVELS)
    blk = np.zeros(LEVELS)
    below = np.zeros(LEVELS)
    for b in range(n_boot):
        wl[:] = 0.0
        for i in range(k):
            wl[level[i]] += counts[b, item_cluster[i]]
        w = 0.0
        s_t = 0.0
        s_tt = 0.0
        same = 0.0
        n_bad = 0.0
        n_good = 0.0
        for lv in range(LEVELS):
            rt[lv] = w + 0.5 * (wl[lv] + 1.0)  # midrank of the level's tie block
            w += wl[lv]
            s_t += wl[lv] * rt[lv]
            s_tt += wl[lv] * rt[lv] * rt[lv]
            same += wl[lv] * wl[lv]
            if lv < MID:
                n_bad += wl[lv]
            elif lv > MID:
                n_good += wl[lv]
        below[:] = 0.0
        below_total = 0.0
        s_s = 0.0
        s_ss = 0.0
        s_st = 0.0
        wins = 0.0
        conc = 0.0
        for u in range(n_blocks):
            blk[:] = 0.0
            for i in range(block_start[u], block_start[u + 1]):
                blk[level[i]] += counts[b, item_cluster[i]]
            tot = 0.0
            st = 0.0
            for lv in range(LEVELS):
                tot += blk[lv]
                st += blk[lv] * rt[lv]
            if tot == 0.0:
                continue
            mid = below_total + 0.5 * (tot + 1.0)
            s_s += tot * mid
            s_ss += tot * mid * mid
            s_st += mid * st
            lower_below = 0.0  # lower levels at strictly lower scores
            lower_here = 0.0  # lower levels in this tie block
            bad_below = 0.0
            bad_here = 0.0
            for lv in range(LEVELS):
                if blk[lv] > 0.0:
                    conc += blk[lv] * (lower_below + 0.5 * lower_here)
                    if lv > MID:
                        wins += blk[lv] * (bad_below + 0.5 * bad_here)
                lower_below += below[lv]
                lower_here += blk[lv]
                if lv < MID:
                    bad_below += below[lv]
                    bad_here += blk[lv]
            for lv in range(LEVELS):
                below[lv] += blk[lv]
            below_total += tot
        var = (s_ss - s_s * s_s / w) * (s_tt - s_t * s_t / w)
        if var > 0.0:
            out[b, 0] = (s_st - s_s * s_t / w) / np.sqrt(var)
        if n_good > 0.0 and n_bad > 0.0:
            out[b, 1] = wins / (n_good * n_bad)
        comparable = 0.5 * (w * w - same)
        if comparable > 0.0:
            out[b, 2] = 1.0 - conc / comparable
    return out
