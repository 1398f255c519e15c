"""Small deterministic stand-ins for the embedding model, for fast tests."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


class FakeEncoder:
    """Hashed bag-of-words vectors: texts that share words are similar; counts ``encode`` calls.

    Deterministic and instant. Not a language model: "python" and "py" are unrelated here.
    """

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.model_id = f"fake-bow-{dim}"
        self.calls = 0
        self.texts_encoded = 0

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()) or ["<empty>"]:
                h = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm == 0:
                out[row, 0] = 1.0
                norm = 1.0
            out[row] /= norm
        return out


class TokenEncoder:
    """Texts "k0".."k63" map to orthogonal unit vectors e_0..e_63: exact, hand-made scores.

    With ``weights={"skills": 1}`` a mentee wanting skills ``["k0", "k1"]`` and a mentor
    offering ``["k0"]`` score exactly 0.5 (coverage of the mentee's skills).
    """

    dim = 64
    model_id = "token-onehot-64"

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, int(text.strip().lstrip("k"))] = 1.0
        return out


class WindowEncoder(FakeEncoder):
    """A :class:`FakeEncoder` that reads at most ``max_tokens`` words of a text, as the real
    model reads at most 256 tokens, and records every text it was sent (``sent``).

    One word is one token, so it is a :class:`~matchsvc.scoring.encoder.TokenCounter`: the
    embedding cache encodes a longer text in pieces and pools them.
    """

    def __init__(self, dim: int = 64, max_tokens: int = 10) -> None:
        super().__init__(dim)
        self.model_id = f"fake-window-{dim}-{max_tokens}"
        self.max_tokens = max_tokens
        self.sent: list[str] = []

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.sent.extend(texts)
        return super().encode([" ".join(t.split()[: self.max_tokens]) for t in texts])


class Blind:
    """An encoder wrapper that hides the token counter: texts go to the model whole."""

    def __init__(self, inner: FakeEncoder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self.inner.encode(texts)
