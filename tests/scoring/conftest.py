"""Fixtures for the scoring tests: a deterministic fake encoder that records its batches.

The real model fixture (``real_encoder``) lives in ``tests/conftest.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from matchsvc.scoring import EmbeddingCache


class FakeEncoder:
    """Hashed bag of words, L2-normalised: texts sharing words have positive cosine.

    Counts its calls and the texts it was sent, so tests can check batching and caching.
    """

    def __init__(self, dim: int = 64, model_id: str = "fake-bow@1") -> None:
        self._dim = dim
        self._model_id = model_id
        self.calls: list[list[str]] = []

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def texts_encoded(self) -> int:
        return sum(len(c) for c in self.calls)

    def vector(self, text: str) -> NDArray[np.float32]:
        out = np.zeros(self._dim, dtype=np.float32)
        for word in text.lower().split():
            digest = hashlib.sha256(word.encode()).digest()
            out[int.from_bytes(digest[:4], "little") % self._dim] += 1.0
            out[int.from_bytes(digest[4:8], "little") % self._dim] += 0.5
        norm = np.linalg.norm(out)
        if norm == 0:
            out[0] = 1.0
            return out
        return (out / norm).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls.append(list(texts))
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.stack([self.vector(t) for t in texts])


@pytest.fixture
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def embedder(encoder: FakeEncoder) -> EmbeddingCache:
    """A memory-only cache over the fake encoder."""
    return EmbeddingCache(encoder, None)
