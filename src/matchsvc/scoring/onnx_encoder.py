"""The default :class:`~matchsvc.scoring.encoder.Encoder`: the model run by onnxruntime.

The sentence-transformers model directory (default: the bundled all-MiniLM-L6-v2) is exported
**once** to ONNX with ``torch.onnx.export`` at first use, into a cache directory the caller
chooses (the service: ``MATCHSVC_DATA_DIR/onnx``), and re-used afterwards; nothing is ever
downloaded. At run time only onnxruntime, the ``tokenizers`` fast tokenizer of the model
directory and numpy are used (torch is imported for the export only).

The export is safe when several processes start together on one cache directory: it runs
under an exclusive lock on ``<graph dir>/.lock`` (``fcntl.flock``; released by the kernel if
the process dies), the graph is written to a temporary file and renamed into place, and a
process that waited for the lock finds the graph and uses it instead of exporting again
(:func:`ensure_graph`).

The pipeline reproduces sentence-transformers' ``Transformer -> Pooling(mean) -> Normalize``:

1. tokenise with ``tokenizer.json``, truncated to the model's ``max_seq_length`` (256 for
   all-MiniLM-L6-v2), **dynamic** padding per batch (the bundled file declares fixed padding
   to 128; it is switched off, as sentence-transformers does);
2. sort texts by token count, run batches of ``batch_size`` (less padding), restore the order;
3. mean of the last hidden states over the attention mask, L2 normalisation, float32.

Measured on the bundled model (``tests/scoring/test_onnx_encoder.py``): the vectors equal the
torch ones within 1e-6 (max abs difference), not bit for bit, so the model id carries a
``+onnx`` suffix and an embedding cache never mixes the two backends (byte-identical output for
the same input stays true whichever backend filled the cache). On a CUDA GPU (``device="cuda"``:
onnxruntime's CUDA execution provider, TF32 off) the model id ends in ``+onnx+cuda``.

:meth:`OnnxEncoder.batches` tells which texts :meth:`~OnnxEncoder.encode` runs together, so
a distributed encoder (:mod:`matchsvc.cluster`) can send exactly those groups to its workers
and get exactly the vectors of an in-process call.

Optional, opt-in only: ``quantized=True`` runs a dynamically int8-quantised copy
(``onnxruntime.quantization.quantize_dynamic``, MatMul weights only). Its vectors differ
from fp32 (cosine to the fp32 vector 0.98-1.0) and dynamic quantisation scales activations per *call*, so this
variant encodes one text per call to keep a text's vector independent of its neighbours; its
model id ends in ``+onnx-int8``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from matchsvc.errors import ConfigError
from matchsvc.scoring._model import weights_digest

__all__ = [
    "EXPORT_VERSION",
    "OnnxEncoder",
    "default_threads",
    "ensure_graph",
    "export_onnx",
    "onnx_model_path",
]

EXPORT_VERSION = "v1"
"""Part of the cache directory name; bump it when the export itself changes."""

_OPSET = 17
_SUPPORTED_MODULES = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)
_GRAPH_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_TORCH_HINT = "set MATCHSVC_ENCODER_BACKEND=torch to run the model with sentence-transformers"


def default_threads() -> int:
    """Cores this process may run on (its CPU affinity), at least 1.

    onnxruntime's intra-op pool is sized to this by default: on the 2-core service machine
    that is 2 threads, so one encode call uses the whole machine and no more.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def onnx_model_path(cache_dir: Path, digest: str, *, quantized: bool = False) -> Path:
    """Where the exported graph for the weights with ``digest`` lives under ``cache_dir``.

    ``<cache_dir>/<digest>-<EXPORT_VERSION>/model.onnx`` (``model.int8.onnx`` when quantised).
    """
    name = "model.int8.onnx" if quantized else "model.onnx"
    return cache_dir / f"{digest}-{EXPORT_VERSION}" / name


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", field="MATCHSVC_MODEL") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object", field="MATCHSVC_MODEL")
    return data


def _check_architecture(path: Path) -> None:
    """Refuse model directories this encoder would not reproduce (extra layers, other pooling)."""
    modules_file = path / "modules.json"
    if modules_file.is_file():
        with modules_file.open(encoding="utf-8") as fh:
            modules = json.load(fh)
        unsupported = [m.get("type") for m in modules if m.get("type") not in _SUPPORTED_MODULES]
        if unsupported:
            raise ConfigError(
                f"the model at {path} has modules {unsupported} that the ONNX encoder does not "
                "implement (it supports Transformer, mean Pooling, Normalize); use the torch "
                "backend for this model",
                field="MATCHSVC_MODEL",
            )
    pooling_file = path / "1_Pooling" / "config.json"
    if pooling_file.is_file():
        pooling = _read_json(pooling_file)
        modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode") and v)
        if modes != ["pooling_mode_mean_tokens"]:
            raise ConfigError(
                f"the model at {path} pools with {modes}; the ONNX encoder implements "
                "pooling_mode_mean_tokens only: use the torch backend for this model",
                field="MATCHSVC_MODEL",
            )


def _max_seq_length(path: Path, config: dict[str, Any]) -> int:
    """sentence-transformers' rule: ``max_seq_length`` from sentence_bert_config.json, else the
    tokenizer's ``model_max_length``, never beyond the position embeddings."""
    limit = int(config.get("max_position_embeddings", 512))
    st_file = path / "sentence_bert_config.json"
    if st_file.is_file():
        value = _read_json(st_file).get("max_seq_length")
        if value:
            return min(int(value), limit)
    tok_file = path / "tokenizer_config.json"
    if tok_file.is_file():
        value = _read_json(tok_file).get("model_max_length")
        if isinstance(value, int) and value > 0:
            return min(value, limit)
    return limit


class ModelTokens:
    """The token counting of the model at ``path``, from its ``tokenizer.json`` alone (no weights,
    no session): a :class:`~matchsvc.scoring._model.TokenCounter` for work that must split long
    texts as the encoders do without loading a model (erasing a person's cached pieces).

    Counts as :meth:`OnnxEncoder.count_tokens` does (same tokenizer, lowercasing and window).
    """

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from tokenizers import Tokenizer

        config = _read_json(path / "config.json")
        st_config = path / "sentence_bert_config.json"
        self._lowercase = bool(
            st_config.is_file() and _read_json(st_config).get("do_lower_case", False)
        )
        self._counter = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._counter.no_padding()
        self._counter.no_truncation()
        special = len(self._counter.encode("", add_special_tokens=True).ids)
        self._max_tokens = max(1, _max_seq_length(path, config) - special)

    @property
    def max_tokens(self) -> int:
        """Text tokens the model reads of one input."""
        return self._max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, without special tokens or truncation."""
        inputs = [t.lower() for t in texts] if self._lowercase else list(texts)
        return [len(e.ids) for e in self._counter.encode_batch(inputs, add_special_tokens=False)]


def _atomic_target(target: Path) -> Path:
    """A fresh temporary file next to ``target`` (same filesystem, so ``os.replace`` is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(tmp)


def _commit(tmp: Path, target: Path) -> None:
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def export_onnx(model_dir: Path, target: Path) -> None:
    """Export the transformer of ``model_dir`` to ``target`` (written atomically).

    The graph maps ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64, shape
    ``(batch, sequence)``, both axes dynamic) to ``last_hidden_state`` (float32,
    ``(batch, sequence, hidden)``). The trace uses a padded example so the attention mask is
    part of the graph. Needs torch, transformers and onnx; reads local files only.

    Raises:
        ConfigError: a package is missing or the export failed.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it; fail with a clear message)
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise ConfigError(
            f"exporting the model to ONNX needs torch, transformers and onnx ({exc}): "
            f"reinstall matchsvc, or {_TORCH_HINT}",
            field="MATCHSVC_ENCODER_BACKEND",
        ) from exc

    class _LastHiddenState(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    transformers_logging.disable_progress_bar()  # "Loading weights" on stderr
    tmp = _atomic_target(target)
    try:
        model = AutoModel.from_pretrained(
            str(model_dir), local_files_only=True, attn_implementation="eager"
        ).eval()
        ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0]])
        mask = (ids != 0).to(torch.long)
        types = torch.zeros_like(ids)
        outputs = ("last_hidden_state",)
        dynamic = {name: {0: "batch", 1: "sequence"} for name in (*_GRAPH_INPUTS, *outputs)}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # legacy-exporter deprecation, tracer warnings
            torch.onnx.export(
                _LastHiddenState(model),
                (ids, mask, types),
                str(tmp),
                input_names=list(_GRAPH_INPUTS),
                output_names=list(outputs),
                dynamic_axes=dynamic,
                opset_version=_OPSET,
                do_constant_folding=True,
                dynamo=False,  # the torch.export-based exporter would also need onnxscript
            )
        _commit(tmp, target)
    except Exception as exc:  # torch raises many types; all mean "no usable graph"
        tmp.unlink(missing_ok=True)
        raise ConfigError(
            f"exporting {model_dir} to ONNX at {target} failed: {exc}; {_TORCH_HINT}",
            field="MATCHSVC_ENCODER_BACKEND",
        ) from exc


def quantize_onnx(source: Path, target: Path) -> None:
    """Write a dynamically int8-quantised copy of ``source`` to ``target`` (atomically).

    Only the MatMul weights are quantised, per output channel, as unsigned 8-bit: on AVX2
    without VNNI the signed-weight kernels saturate (measured on the 50 test texts: cosine to
    fp32 min 0.90 with onnxruntime's defaults, 0.98 with these settings). Activations are
    quantised at run time with a scale computed from each call's whole activation tensor, so a
    vector depends on its batch; :class:`OnnxEncoder` therefore runs one text per call.

    Raises:
        ConfigError: the quantiser is unavailable or failed.
    """
    tmp = _atomic_target(target)
    try:
        # onnxruntime ships no type information: reach it through an Any-typed module.
        quantization: Any = importlib.import_module("onnxruntime.quantization")
        quantization.quantize_dynamic(
            str(source),
            str(tmp),
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=quantization.QuantType.QUInt8,
        )
        _commit(tmp, target)
    except Exception as exc:  # ImportError (onnx missing) or the quantiser's own errors
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"quantising {source} to int8 at {target} failed: {exc}") from exc


@contextlib.contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory/.lock`` (blocks until it is free).

    ``fcntl.flock`` locks belong to the open file: the kernel releases them when the process
    exits, so a crashed exporter never leaves the directory locked. Without ``fcntl`` (not
    POSIX) there is no lock; the temporary-file-and-rename write still keeps the graph whole.
    """
    directory.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with (directory / ".lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def ensure_graph(model_dir: Path, cache_dir: Path, *, quantized: bool = False) -> Path:
    """The exported graph of ``model_dir`` under ``cache_dir``, exported now if missing.

    Safe when several processes call it together on the same ``cache_dir``: the first to take
    the directory's lock exports (temporary file, then an atomic rename), the others wait and
    then find the graph. Temporary files a killed exporter left behind are removed under the
    lock. The int8 graph is quantised from the fp32 one the same way.

    Returns:
        :func:`onnx_model_path` of the weights' digest (the int8 file when ``quantized``).

    Raises:
        ConfigError: the export or the quantisation failed (the message names the setting
            that selects the torch backend instead).
    """
    digest = weights_digest(model_dir)
    fp32 = onnx_model_path(cache_dir, digest)
    target = onnx_model_path(cache_dir, digest, quantized=True) if quantized else fp32
    if target.is_file():
        return target
    with _exclusive(fp32.parent):
        for stale in fp32.parent.glob(".model*.tmp"):
            stale.unlink(missing_ok=True)
        if not fp32.is_file():
            export_onnx(model_dir, fp32)
        if quantized and not target.is_file():
            quantize_onnx(fp32, target)
    return target


class OnnxEncoder:
    """A sentence-transformers model run by onnxruntime on the CPU (see the module docstring).

    Args:
        path: local sentence-transformers directory (``tokenizer.json``, ``config.json``,
            weights; Transformer + mean Pooling (+ Normalize) only).
        cache_dir: where exported graphs are kept, e.g. ``<data_dir>/onnx``; the graph lives at
            :func:`onnx_model_path` and is exported there on first use (a few seconds, needs
            torch/transformers/onnx), then only read.
        name: model name for :attr:`model_id`; default the directory name.
        batch_size: texts per onnxruntime call after length sorting (fp32 only; the int8
            variant always runs one text per call).
        threads: onnxruntime intra-op threads; default :func:`default_threads`.
        quantized: run the dynamically int8-quantised graph (opt-in; different vectors and a
            different :attr:`model_id`).
        device: ``cpu``, or ``cuda``: onnxruntime's CUDA execution provider on GPU 0 (needs
            ``onnxruntime-gpu`` and a GPU; TF32 off; :attr:`model_id` ends in ``+cuda``).
            Choose it with :func:`matchsvc.scoring.place_encoder`.

    Contract: :meth:`encode` returns ``(len(texts), dim)`` float32 rows of unit length; row
    ``k`` depends only on ``texts[k]`` (fp32: up to float rounding of about 1e-7 from the
    padded length of its batch; int8: exactly). Calls are serialised by a lock, so concurrent
    callers never oversubscribe the thread pool.

    Raises:
        ConfigError: the directory is not a supported model, the export failed, the cached
            graph cannot be opened (delete it to re-export), or ``cuda`` is not usable.
    """

    def __init__(
        self,
        path: Path,
        cache_dir: Path,
        *,
        name: str | None = None,
        batch_size: int = 32,
        threads: int | None = None,
        quantized: bool = False,
        device: Literal["cpu", "cuda"] = "cpu",
    ) -> None:
        if device not in ("cpu", "cuda"):
            raise ConfigError(f"device is {device!r}; use 'cpu' or 'cuda'")
        if device == "cuda" and quantized:
            raise ConfigError("the int8 graph runs on the CPU only; use quantized=False on cuda")
        if batch_size < 1:
            raise ConfigError(f"batch_size is {batch_size}; use 1 or more")
        if threads is not None and threads < 1:
            raise ConfigError(f"threads is {threads}; use 1 or more, or None for the cores")
        missing = [f for f in ("tokenizer.json", "config.json") if not (path / f).is_file()]
        if missing:
            raise ConfigError(
                f"no usable model at {path} for the ONNX encoder: missing {missing}; unset "
                "MATCHSVC_MODEL to use the bundled model",
                field="MATCHSVC_MODEL",
            )
        _check_architecture(path)
        config = _read_json(path / "config.json")
        self._dim = int(config.get("hidden_size", 0))
        if self._dim < 1:
            raise ConfigError(f"{path / 'config.json'} has no hidden_size", field="MATCHSVC_MODEL")
        self._max_length = _max_seq_length(path, config)
        st_config = path / "sentence_bert_config.json"
        self._lowercase = bool(
            st_config.is_file() and _read_json(st_config).get("do_lower_case", False)
        )
        self._batch_size = 1 if quantized else batch_size
        self._threads = threads or default_threads()
        self._quantized = quantized
        self._device = device

        digest = weights_digest(path)
        self.name = name or path.name
        suffix = ("+onnx-int8" if quantized else "+onnx") + ("+cuda" if device == "cuda" else "")
        self._model_id = f"{self.name}@{digest}{suffix}"
        self.graph_path = ensure_graph(path, cache_dir, quantized=quantized)

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self._max_length)
        self._counter = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._counter.no_padding()
        self._counter.no_truncation()
        special = len(self._counter.encode("", add_special_tokens=True).ids)
        self._max_tokens = max(1, self._max_length - special)
        self._session = self._open_session()
        self._feeds = [i.name for i in self._session.get_inputs()]
        unknown = sorted(set(self._feeds) - set(_GRAPH_INPUTS))
        if unknown or "input_ids" not in self._feeds or "attention_mask" not in self._feeds:
            raise ConfigError(
                f"the ONNX graph at {self.graph_path} has inputs {self._feeds}; expected "
                f"{list(_GRAPH_INPUTS)}: delete {self.graph_path.parent} to re-export it"
            )
        self._lock = threading.Lock()

    def _open_session(self) -> Any:
        try:
            ort: Any = importlib.import_module("onnxruntime")  # untyped: used through Any
        except ImportError as exc:
            raise ConfigError(
                "the ONNX encoder needs onnxruntime: run `pip install onnxruntime` or use the "
                "torch encoder backend"
            ) from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        # Idle pool threads sleep instead of spinning: the service shares its cores with the
        # solvers and other requests. Measured on the 2-core machine under load: 1.87 CPU-s
        # for 300 texts on 2 threads instead of 2.79 s, and less wall time, same vectors.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        providers: list[Any] = ["CPUExecutionProvider"]
        if self._device == "cuda":
            providers.insert(0, ("CUDAExecutionProvider", {"device_id": 0, "use_tf32": 0}))
        try:
            session = ort.InferenceSession(
                str(self.graph_path), sess_options=options, providers=providers
            )
        except Exception as exc:  # onnxruntime raises its own untyped failures
            raise ConfigError(
                f"cannot open the ONNX graph at {self.graph_path}: {exc}; delete "
                f"{self.graph_path.parent} to re-export it"
            ) from exc
        if self._device == "cuda" and session.get_providers()[0] != "CUDAExecutionProvider":
            raise ConfigError(
                "onnxruntime could not start its CUDA execution provider (providers in use: "
                f"{session.get_providers()}): check the CUDA and cuDNN libraries, or set "
                "MATCHSVC_DEVICE=cpu",
                field="MATCHSVC_DEVICE",
            )
        return session

    @property
    def model_id(self) -> str:
        """``<name>@<weights digest>+onnx`` (``+onnx-int8`` when quantised, then ``+cuda`` on
        the GPU)."""
        return self._model_id

    @property
    def device(self) -> Literal["cpu", "cuda"]:
        """Where the graph runs."""
        return self._device

    @property
    def dim(self) -> int:
        """Vector length (the transformer's hidden size)."""
        return self._dim

    @property
    def threads(self) -> int:
        """onnxruntime intra-op threads in use."""
        return self._threads

    @property
    def max_seq_length(self) -> int:
        """Tokens per text after truncation (special tokens included)."""
        return self._max_length

    @property
    def max_tokens(self) -> int:
        """Text tokens read of one input (``max_seq_length`` less special tokens): a
        :class:`~matchsvc.scoring.encoder.TokenCounter`, so long texts are encoded in pieces."""
        return self._max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, without special tokens or truncation."""
        if len(texts) == 0:
            return []
        inputs = [t.lower() for t in texts] if self._lowercase else list(texts)
        return [len(e.ids) for e in self._counter.encode_batch(inputs, add_special_tokens=False)]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit float32 rows for ``texts``, shape ``(len(texts), dim)``, in input order."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        if len(texts) == 0:
            return out
        with self._lock:
            encodings = self._tokenize(texts)
            for rows in self._plan(encodings):
                out[rows] = self._run([encodings[k] for k in rows])
        return out

    def batches(self, texts: Sequence[str]) -> list[list[int]]:
        """The groups of indices of ``texts`` that :meth:`encode` runs together, in run order.

        Each group is in ascending token count (ties by index) and holds at most
        ``batch_size`` indices; together they cover ``range(len(texts))`` once. Encoding the
        texts of each group in a separate :meth:`encode` call gives the same bits as one call
        on all of them (same padded batches, same rows): what a distributed encoder relies on.
        """
        if len(texts) == 0:
            return []
        with self._lock:
            return self._plan(self._tokenize(texts))

    def _tokenize(self, texts: Sequence[str]) -> list[Any]:
        inputs = [t.lower() for t in texts] if self._lowercase else list(texts)
        encodings: list[Any] = self._tokenizer.encode_batch(inputs)
        return encodings

    def _plan(self, encodings: list[Any]) -> list[list[int]]:
        order = sorted(range(len(encodings)), key=lambda k: (len(encodings[k].ids), k))
        return [order[s : s + self._batch_size] for s in range(0, len(order), self._batch_size)]

    def _run(self, encodings: list[Any]) -> NDArray[np.float32]:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for k, e in enumerate(encodings):
            n = len(e.ids)
            ids[k, :n] = e.ids
            mask[k, :n] = 1
            types[k, :n] = e.type_ids
        arrays = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (hidden,) = self._session.run(
            ["last_hidden_state"], {name: arrays[name] for name in self._feeds}
        )
        weights = mask.astype(np.float32)[:, :, None]
        summed = (np.asarray(hidden, dtype=np.float32) * weights).sum(axis=1)
        mean = summed / np.maximum(weights.sum(axis=1), np.float32(1e-9))
        norms = np.linalg.norm(mean, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (mean / np.maximum(norms, np.float32(1e-12))).astype(np.float32)
        return unit
