"""Numba kernel of mentee-proposing deferred acceptance with mentor capacities."""
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["deferred_acceptance"]


@njit(cache=True)
def deferred_acceptance(n, m, ptr, pref, pref_score, capacity):  # type: ignore[no-untyped-def]
    """``pref[ptr[i]:ptr[i+1]]``: mentee i's mentors, best first, with scores ``pref_score``.
    Mentors rank mentees by the same score (ties: smaller mentee index is better).
    Returns the mentor of every mentee (-1 when unmatched)."""
    nxt = ptr[:-1].copy()
    match = np.full(n, -1, dtype=np.int64)
    match_score = np.zeros(n, dtype=np.float64)
    slot_ptr = np.zeros(m + 1, dtype=np.int64)
    for j in range(m):
        slot_ptr[j + 1] = slot_ptr[j] + capacity[j]
    held = np.empty(max(slot_ptr[m], 1), dtype=np.int64)
    load = np.zeros(m, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for i in range(n - 1, -1, -1):
        stack[top] = i
        top += 1
    while top > 0:
        top -= 1
        i = stack[top]
        while nxt[i] < ptr[i + 1]:
            k = nxt[i]
            nxt[i] += 1
            j = pref[k]
            sc = pref_score[k]
            if capacity[j] == 0:
                continue
            if load[j] < capacity[j]:
                held[slot_ptr[j] + load[j]] = i
                load[j] += 1
                match[i] = j
                match_score[i] = sc
                break
            worst = -1
            for p in range(slot_ptr[j], slot_ptr[j] + load[j]):
                h = held[p]
                if worst < 0:
                    worst = p
                else:
                    w = held[worst]
                    if match_score[h] < match_score[w] or (
                        match_score[h] == match_score[w] and h > w
                    ):
                        worst = p
            w = held[worst]
            if sc > match_score[w] or (sc == match_score[w] and i < w):
                held[worst] = i
                match[i] = j
                match_score[i] = sc
                match[w] = -1
                stack[top] = w
                top += 1
                break
    return match
