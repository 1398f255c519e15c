"""Facet kernels: arrays in, ``(n, m)`` float32 arrays in [0, 1] (or NaN) out. No profiles, no ids.

**Cosine map.** A cosine ``c`` of two unit vectors is put on [0, 1] by :func:`cosine_to_unit`,
a piecewise-linear map with a small floor ``eps = 0.05`` (:data:`COSINE_FLOOR`)::

    f(c) = eps * (1 + c)        for c < 0    ([-1, 0) -> [0, 0.05))
    f(c) = c + eps * (1 - c)    for c >= 0   ([0, 1]  -> [0.05, 1])

It is continuous and strictly increasing on [-1, 1], so opposite texts still rank below
unrelated ones instead of tying with them at 0 as the former ``clip(c, 0, 1)`` did, and any real
comparison (``c > -1``) scores above a missing one (0). Every cosine the service reports goes
through this one function: the goals and style facets, each skill term of the skills facet, the
mentor side's topics, and the explanations' skill pairs and focus areas, so the same two texts
show the same number everywhere.

Why not ``(1 + c) / 2``: it halves the spread of every cosine facet while the structured parts
(channel Jaccard, frequency, availability, criteria) keep theirs, so the caller's weights stop
meaning what they say. Measured on the benchmark suite's planted programmes (1,000 mentees x
400 mentors, four seeds, exact ``total`` assignment): ``(1 + c) / 2`` lowered the share of pairs
within the mentee's latent cluster by 0.3-1.2 percentage points (seed 2026: 82.9% -> 81.8%) and
planted top-5 recovery in three of four seeds, against ``clip``; this map stays within 0.2
points of ``clip`` on every seed (82.7%) while keeping the order of negative cosines.

**Missing data.** Where either side gave no text, a kernel returns :data:`MISSING` (NaN): nothing
was compared. The compatibility score counts a missing facet as 0 (see
:func:`matchsvc.scoring.build_compatibility`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = [
    "COSINE_FLOOR",
    "MISSING",
    "cosine_facet",
    "cosine_to_unit",
    "jaccard_from_counts",
    "overlap_slots",
    "skills_facet",
]

COSINE_FLOOR = 0.05
"""``eps`` of :func:`cosine_to_unit`: what an unrelated pair of texts (cosine 0) scores."""

MISSING = np.float32(np.nan)
"""Value of a facet (or part of one) when either person left the field empty: NaN, "not compared"."""

_SMALL = 4096  # arrays up to this size are mapped by np.interp (a float64 temporary)
_BLOCK_ELEMENTS = 1 << 23  # temporaries of about 32 MB float32 in the skills kernel


def cosine_to_unit(cos: NDArray[np.float32]) -> NDArray[np.float32]:
    """The cosine map of the module docstring, in place: ``eps * (1 + c)`` below 0,
    ``c + eps * (1 - c)`` from 0 (``eps`` = :data:`COSINE_FLOOR`), clipped to [0, 1] against
    rounding. Exact at the ends: -1 -> 0, 1 -> 1. Returns its argument, changed.
    """
    if cos.size <= _SMALL:  # explanations' few skills: one call instead of five
        cos[...] = np.interp(cos, (-1.0, 0.0, 1.0), (0.0, COSINE_FLOOR, 1.0))
        return cos
    eps = np.float32(COSINE_FLOOR)
    cos *= np.float32(1.0) - eps  # the c >= 0 branch, c + eps (1 - c), on every cell ...
    cos += eps
    negative = cos < eps  # ... then the few cells with c < 0 (MiniLM rarely gives them)
    if negative.any():
        c = (cos[negative] - eps) / (np.float32(1.0) - eps)
        cos[negative] = eps * (np.float32(1.0) + c)
    np.clip(cos, 0.0, 1.0, out=cos)
    return cos


def cosine_facet(
    rows: NDArray[np.float32],
    cols: NDArray[np.float32],
    row_known: NDArray[np.bool_],
    col_known: NDArray[np.bool_],
) -> NDArray[np.float32]:
    """``cosine_to_unit(rows @ cols.T)``, with :data:`MISSING` where either side is unknown.

    Args:
        rows: ``(n, d)`` unit vectors (any value where ``row_known`` is False).
        cols: ``(m, d)`` unit vectors.
        row_known, col_known: which people gave the text.
    """
    out = cosine_to_unit(rows @ cols.T)
    out[~row_known, :] = MISSING
    out[:, ~col_known] = MISSING
    return out


def skills_facet(
    vectors: NDArray[np.float32],
    mentee_skills: Sequence[Sequence[int]],
    mentor_skills: Sequence[Sequence[int]],
) -> NDArray[np.float32]:
    """Skill coverage: for each mentee skill, the best mentor skill; the mean over the former.

    ``facet[i, j] = mean_{s in S_i} max_{t in T_j} cosine_to_unit(cos(v_s, v_t))``, and
    :data:`MISSING` when ``S_i`` or ``T_j`` is empty.

    Works on distinct skills: for a chunk of the distinct mentee skills, cosines against the
    distinct mentor skills, expanded to every mentor's skill list (a row gather) and reduced
    per mentor by a max over a reshaped axis (mentors grouped by skill count); then averaged
    per mentee by a sparse
    ``(mentees, skills)`` matrix holding ``1 / |S_i|``. Temporaries stay near 32 MB: with a
    taxonomy of a few hundred skills there is a single chunk; free-text skills take several,
    each adding only to the mentees that have a skill in it.

    Args:
        vectors: ``(k, d)`` unit vectors; skill lists index its rows.
        mentee_skills: per mentee, distinct row indices into ``vectors``.
        mentor_skills: per mentor, distinct row indices into ``vectors``.
    """
    n, m = len(mentee_skills), len(mentor_skills)
    e_counts = np.fromiter(map(len, mentee_skills), dtype=np.int64, count=n)
    r_counts = np.fromiter(map(len, mentor_skills), dtype=np.int64, count=m)
    out = np.zeros((n, m), dtype=np.float32)
    if e_counts.any() and r_counts.any():
        e_flat = np.fromiter(chain.from_iterable(mentee_skills), dtype=np.int64)
        r_flat = np.fromiter(chain.from_iterable(mentor_skills), dtype=np.int64)
        e_vocab, e_local = np.unique(e_flat, return_inverse=True)
        r_vocab, r_local = np.unique(r_flat, return_inverse=True)
        # Mentors grouped by skill count: each group's skill rows form an (m_c, c) index
        # matrix, so "max over the mentor's skills" is a gather plus max over a reshaped axis
        # (about 10x faster than np.maximum.reduceat over ragged segments).
        starts = np.concatenate(([0], np.cumsum(r_counts)[:-1]))
        groups = []
        for count in np.unique(r_counts[r_counts > 0]).tolist():
            cols = np.flatnonzero(r_counts == count)
            index = r_local[starts[cols][:, None] + np.arange(count)[None, :]]
            groups.append((cols, index.ravel(), count))
        average = sp.csc_array(
            (
                np.repeat(1.0 / np.maximum(e_counts, 1), e_counts).astype(np.float32),
                (np.repeat(np.arange(n), e_counts), e_local),
            ),
            shape=(n, e_vocab.size),
        )
        r_vectors = vectors[r_vocab]
        chunk = max(1, _BLOCK_ELEMENTS // max(r_local.size, r_vocab.size))
        max_group = max(index.size for _, index, _ in groups)
        chunk = max(1, min(chunk, _BLOCK_ELEMENTS // max_group))
        best = np.zeros((m, min(chunk, e_vocab.size)), dtype=np.float32)
        for lo in range(0, e_vocab.size, chunk):
            hi = min(e_vocab.size, lo + chunk)
            sims = r_vectors @ vectors[e_vocab[lo:hi]].T  # (distinct mentor skills, chunk)
            part = best[:, : hi - lo]
            for cols, index, count in groups:
                part[cols] = sims[index].reshape(cols.size, count, hi - lo).max(axis=1)
            cosine_to_unit(part)
            weights = average[:, lo:hi].tocsr()
            if hi - lo == e_vocab.size:
                out[...] = weights @ part.T
            else:
                rows = np.unique(weights.nonzero()[0])
                out[rows] += weights[rows] @ part.T
    out[e_counts == 0, :] = MISSING
    out[:, r_counts == 0] = MISSING
    return out


def overlap_slots(
    mentee_slots: NDArray[np.bool_], mentor_slots: NDArray[np.bool_]
) -> NDArray[np.float32]:
    """Shared slots per pair: ``(n, S) x (m, S) -> (n, m)`` counts, exact in float32.

    Consecutive slot columns that are identical for everybody are merged into one column
    weighted by their length before the matrix product, so hour-aligned windows cost 1/4 of
    quarter-hour ones. Counts stay below 2**24, so float32 sums are exact.
    """
    n, m = mentee_slots.shape[0], mentor_slots.shape[0]
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=np.float32)
    both = np.concatenate([mentee_slots, mentor_slots], axis=0)
    changes = np.flatnonzero(np.any(both[:, 1:] != both[:, :-1], axis=0)) + 1
    starts = np.concatenate(([0], changes))
    lengths = np.diff(np.concatenate((starts, [both.shape[1]]))).astype(np.float32)
    used = mentee_slots[:, starts].any(axis=0) & mentor_slots[:, starts].any(axis=0)
    starts, lengths = starts[used], lengths[used]
    left = mentee_slots[:, starts].astype(np.float32) * lengths
    right = mentor_slots[:, starts].astype(np.float32)
    counts: NDArray[np.float32] = np.matmul(left, right.T, dtype=np.float32)
    return counts


def jaccard_from_counts(
    left: NDArray[np.float32] | sp.csr_array, right: NDArray[np.float32] | sp.csr_array
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Jaccard index and intersection size of multi-hot set rows.

    Args:
        left: ``(n, k)`` 0/1 rows; right: ``(m, k)`` 0/1 rows; dense, or sparse (CSR) when
            the vocabulary is large (tags): memory then grows with the set sizes, not ``k``.

    Returns:
        ``(jaccard, intersection)``, each ``(n, m)`` dense; ``jaccard`` is 0 where both sets
        are empty.
    """
    if sp.issparse(left) or sp.issparse(right):
        product = sp.csr_array(left) @ sp.csr_array(right).T
        inter = np.asarray(product.toarray(), dtype=np.float32)
        left_size = np.asarray(left.sum(axis=1), dtype=np.float32).ravel()
        right_size = np.asarray(right.sum(axis=1), dtype=np.float32).ravel()
    else:
        inter = np.matmul(left, right.T, dtype=np.float32)
        left_size, right_size = left.sum(axis=1), right.sum(axis=1)
    union = left_size[:, None] + right_size[None, :] - inter
    jaccard = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return jaccard, inter
