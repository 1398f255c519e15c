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
