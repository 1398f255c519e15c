"""Long texts: split them into pieces the model reads whole, then pool the pieces' vectors.

The model reads at most ``max_tokens`` tokens of one input (all-MiniLM-L6-v2: 256 with its two
special tokens, so 254 of text) and silently drops the rest. So that everything a person wrote
counts, the embedding cache applies this rule to each (normalised) text:

1. **Short text** (at most ``max_tokens`` tokens): one piece, the text itself. Its vector is the
   model's vector of the text, exactly as without chunking.
2. **Long text**: ``k = ceil(tokens / max_tokens)`` pieces of consecutive words, cut where the
   running token count passes ``1/k, 2/k, ...`` of the total, so the pieces are about equally
   long; no piece exceeds ``max_tokens`` (a piece the tokenizer still finds too long is halved
   again by words; a single word longer than the window is its own piece and is cut by the
   model).
3. **Pooling**: the text's vector is the mean of its pieces' unit vectors, renormalised to unit
   length (:func:`pool`). The pieces are near equal in length, so each part of the text weighs
   about the same, as in the model's own mean pooling over tokens.

Pieces are cached under their own text (see :mod:`matchsvc.scoring.cache`), so a long text's
pooled vector is never stored under, or read from, the key of the whole text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from matchsvc.scoring._model import TokenCounter

__all__ = ["pool", "split_text"]


def _balanced(counts: Sequence[int], limit: int) -> list[tuple[int, int]]:
    """Word ranges ``[lo, hi)`` of about equal token count, each at most ``limit`` tokens
    (except a single word longer than ``limit``)."""
    total = sum(counts)
    k = max(1, math.ceil(total / limit))
    ranges: list[tuple[int, int]] = []
    lo, done, current = 0, 0, 0
    for idx, c in enumerate(counts):
        boundary = total * (len(ranges) + 1) / k
        if idx > lo and (current + c > limit or done + current + c / 2 > boundary):
            ranges.append((lo, idx))
            lo, done, current = idx, done + current, 0
        current += c
    ranges.append((lo, len(counts)))
    return ranges


def split_text(text: str, counter: TokenCounter) -> list[str]:
    """The pieces of a normalised ``text`` (single spaces), by the rule of the module docstring.

    Returns ``[text]`` when it fits the window (always for fewer than ``max_tokens`` bytes,
    without asking the tokenizer).
    """
    limit = counter.max_tokens
    if len(text.encode("utf-8")) < limit or counter.count_tokens([text])[0] <= limit:
        return [text]
    words = text.split(" ")
    counts = counter.count_tokens(words)
    pieces = [" ".join(words[lo:hi]) for lo, hi in _balanced(counts, limit)]
    out: list[str] = []
    while pieces:
        piece = pieces.pop(0)
        parts = piece.split(" ")
        if len(parts) > 1 and counter.count_tokens([piece])[0] > limit:
            half = len(parts) // 2  # the tokenizer disagrees with the per-word counts: halve
            pieces[:0] = [" ".join(parts[:half]), " ".join(parts[half:])]
        else:
            out.append(piece)
    return out


def pool(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Mean of unit rows, renormalised: one unit float32 vector. One row is returned as is;
    a zero mean (pieces that cancel out) gives the first row."""
    first: NDArray[np.float32] = vectors[0]
    if vectors.shape[0] == 1:
        return first
    mean = vectors.astype(np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm < 1e-12:
        return first
    out: NDArray[np.float32] = (mean / norm).astype(np.float32)
    return out
