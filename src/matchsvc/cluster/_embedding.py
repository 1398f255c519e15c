"""Embedding on a Ray cluster: Ray Data ``map_batches`` over an actor pool of encoders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from matchsvc.cluster._ray import configure_data, import_ray, raise_task_error
from matchsvc.errors import ConfigError
from matchsvc.scoring.encoder import Backend, Encoder, load_encoder

__all__ = ["EncoderSpec", "RayEncoder"]

_GROUPS_PER_CALL = 8
"""Groups of texts (each one in-process batch) handed to an actor per ``map_batches`` call."""


@dataclass(frozen=True, slots=True)
class EncoderSpec:
    """How an actor builds its encoder: :func:`~matchsvc.scoring.encoder.load_encoder`'s
    arguments, with the device already decided on the driver (``cpu`` or ``cuda``).

    ``cache_dir`` should be absolute: an actor on another node exports the graph there once
    (under the export lock) if its node does not have it yet.
    """

    model: Path | None
    backend: Backend
    cache_dir: Path
    threads: int | None
    device: Literal["cpu", "cuda"]

    def load(self) -> Encoder:
        """The encoder this spec describes (loads the model)."""
        return load_encoder(
            self.model,
            backend=self.backend,
            cache_dir=self.cache_dir,
            threads=self.threads,
            device=self.device,
        )


class _EncodeGroups:
    """A Ray Data callable class: one encoder per actor, loaded once in ``__init__``.

    A model that is not the driver's is reported by the first call, not by ``__init__``: Ray
    passes an error raised in a call back to the driver as it was raised, while one raised in
    an actor's ``__init__`` reaches it only as text.
    """

    def __init__(self, spec: EncoderSpec, model_id: str) -> None:
        self._encoder = spec.load()
        self._mismatch: str | None = None
        if self._encoder.model_id != model_id:
            self._mismatch = (
                f"an encoder actor loaded {self._encoder.model_id!r} but the driver runs "
                f"{model_id!r}: install the same matchsvc and model on every Ray node"
            )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        if self._mismatch is not None:
            raise ConfigError(self._mismatch, field="MATCHSVC_RAY_ADDRESS")
        index: list[NDArray[np.int64]] = []
        vectors: list[NDArray[np.float32]] = []
        for rows, texts in zip(batch["index"], batch["texts"], strict=True):
            index.append(np.asarray(rows, dtype=np.int64))
            vectors.append(self._encoder.encode([str(t) for t in texts]))
        return {"index": np.concatenate(index), "vector": np.concatenate(vectors)}


class RayEncoder:
    """An :class:`~matchsvc.scoring.encoder.Encoder` that encodes on a Ray cluster.

    ``encode(texts)`` asks ``local`` which texts it would run together
    (:meth:`~matchsvc.scoring.onnx_encoder.OnnxEncoder.batches`), makes one dataset row per
    group, and runs ``Dataset.map_batches`` with a pool of ``workers`` actors, each loading the
    model of ``spec`` once (``num_cpus`` = its threads). Each group is encoded by one
    ``encode`` call on an actor, which gives the bits the in-process call gives; rows come back
    in any order and are put in place by index. An encoder without ``batches`` (torch) is
    sent groups of ``batch_size`` texts in input order: equal within float rounding, not
    bit-identical. Calls with fewer than ``min_texts`` texts run on ``local``: the same
    vectors, without the cost of starting a dataset and its actors (a second or two).

    Args:
        local: the encoder of this process (model id, dimension, grouping, small calls).
        spec: how the actors build the same encoder.
        workers: actors in the pool.
        min_texts: smallest call sent to the cluster.
        batch_size: group size for encoders without ``batches``.
    """

    def __init__(
        self,
        local: Encoder,
        spec: EncoderSpec,
        *,
        workers: int,
        min_texts: int = 256,
        batch_size: int = 32,
    ) -> None:
        if workers < 1:
            raise ConfigError(f"workers is {workers}; use 1 or more", field="MATCHSVC_RAY_WORKERS")
        self._local = local
        self._spec = spec
        self._workers = workers
        self._min_texts = min_texts
        self._batch_size = batch_size

    @property
    def model_id(self) -> str:
        """The local encoder's (the actors check theirs is the same)."""
        return self._local.model_id

    @property
    def dim(self) -> int:
        """Vector length."""
        return self._local.dim

    @property
    def workers(self) -> int:
        """Encoder actors per call."""
        return self._workers

    def groups(self, texts: Sequence[str]) -> list[list[int]]:
        """Index groups, one ``encode`` call each (see the class docstring)."""
        batches = getattr(self._local, "batches", None)
        if callable(batches):
            planned: list[list[int]] = batches(texts)
            return planned
        size = self._batch_size
        return [list(range(s, min(s + size, len(texts)))) for s in range(0, len(texts), size)]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit float32 rows for ``texts`` in input order (encoded on the cluster when there
        are at least ``min_texts``)."""
        if len(texts) < self._min_texts:
            return self._local.encode(texts)
        ray = import_ray()
        configure_data()
        groups = self.groups(texts)
        items = [{"index": g, "texts": [texts[i] for i in g]} for g in groups]
        dataset = ray.data.from_items(
            items, override_num_blocks=min(len(items), self._workers * _GROUPS_PER_CALL)
        )
        threads = self._spec.threads or 1
        encoded = dataset.map_batches(
            _EncodeGroups,
            fn_constructor_kwargs={"spec": self._spec, "model_id": self.model_id},
            batch_size=_GROUPS_PER_CALL,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self._workers),
            num_cpus=threads,
            num_gpus=1 if self._spec.device == "cuda" else None,
        )
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        filled = np.zeros(len(texts), dtype=np.bool_)
        try:
            for batch in encoded.iter_batches(batch_format="numpy", batch_size=None):
                out[batch["index"]] = batch["vector"]
                filled[batch["index"]] = True
        except ray.exceptions.RayError as exc:
            raise_task_error(exc)
            raise
        if not filled.all():  # pragma: no cover - Ray lost rows without raising
            raise RuntimeError(f"Ray returned {int(filled.sum())} of {len(texts)} vectors")
        return out
