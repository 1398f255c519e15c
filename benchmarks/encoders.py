"""A model-free stand-in encoder, so the suite's plumbing can be tested in seconds.

:class:`HashingEncoder` satisfies :class:`matchsvc.scoring.encoder.Encoder` without loading any
model: a text's vector is the normalised sum of pseudo-random unit vectors of its words (seeded
by a hash of each word), so texts sharing words are similar. It is for tests and smoke runs
only: numbers measured with it say nothing about the real model (the suite labels them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["HashingEncoder"]

_WORD = re.compile(r"[a-z0-9]+")


class HashingEncoder:
    """Bag-of-words random projection: deterministic, unit float32 rows, no model.

    Args:
        dim: vector length.
    """

    def __init__(self, dim: int = 64) -> None:
        if dim < 1:
            raise ValueError(f"dim must be at least 1, got {dim}")
        self._dim = dim
        self._words: dict[str, NDArray[np.float32]] = {}

    @property
    def model_id(self) -> str:
        """Names the scheme and its size (embedding caches key on it)."""
        return f"hashing-bow-{self._dim}"

    @property
    def dim(self) -> int:
        """Vector length."""
        return self._dim

    def _word(self, word: str) -> NDArray[np.float32]:
        vec = self._words.get(word)
        if vec is None:
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
            vec = np.random.default_rng(seed).standard_normal(self._dim).astype(np.float32)
            self._words[word] = vec
        return vec

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """``(len(texts), dim)`` float32 unit rows; row ``k`` depends only on ``texts[k]``."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for k, text in enumerate(texts):
            words = _WORD.findall(text.lower()) or ["<empty>"]
            for w in words:
                out[k] += self._word(w)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (out / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit
