"""Where the encoder runs: the CPU, or a CUDA GPU when one is present (``MATCHSVC_DEVICE``).

:func:`place_encoder` turns the requested backend and device into the pair that will run:

* ``cpu``: the requested backend on the CPU, always.
* ``cuda``: the GPU or a start-up error. ``onnx`` runs on onnxruntime's CUDA execution provider
  when the installed onnxruntime has it (``onnxruntime-gpu``), else the same model runs with
  sentence-transformers on torch's CUDA device; ``torch`` needs a CUDA build of torch;
  ``onnx-int8`` is CPU-only (dynamic int8 kernels), so it is refused.
* ``auto`` (default): what ``cuda`` would pick when a GPU is visible and usable, else the CPU;
  never an error.

The GPU count comes from the NVIDIA driver (``libcuda``, through ctypes), so deciding on a
machine without a GPU imports neither torch nor onnxruntime and costs nothing.

Vectors on the GPU are not bit-identical to the CPU's (other kernels, other summation order; the
ONNX session is opened with TF32 off so both stay fp32): they agree within
:data:`GPU_TOLERANCE` (max absolute difference per component; what the GPU test asserts). The
model id carries a ``+cuda`` suffix, so an embedding cache never mixes CPU and GPU vectors.
"""

from __future__ import annotations

import ctypes
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from matchsvc.errors import ConfigError
from matchsvc.scoring._model import Backend

__all__ = [
    "GPU_TOLERANCE",
    "Device",
    "Placement",
    "cuda_device_count",
    "onnxruntime_has_cuda",
    "place_encoder",
    "torch_has_cuda",
]

Device = Literal["auto", "cpu", "cuda"]
"""Valid values of ``MATCHSVC_DEVICE``."""

GPU_TOLERANCE = 1e-4
"""Largest absolute difference per vector component allowed between GPU and CPU vectors."""

_CUDA_HINT = "set MATCHSVC_DEVICE=cpu (or auto) to run the encoder on the CPU"


@dataclass(frozen=True, slots=True)
class Placement:
    """What will run: ``backend`` on ``device`` (``cpu`` or ``cuda``), and why."""

    backend: Backend
    device: Literal["cpu", "cuda"]
    reason: str


def cuda_device_count() -> int:
    """CUDA GPUs visible to this process according to the NVIDIA driver; 0 without a driver.

    Asks ``libcuda`` directly (``cuInit``, ``cuDeviceGetCount``), honouring
    ``CUDA_VISIBLE_DEVICES``; imports neither torch nor onnxruntime.
    """
    try:
        lib: Any = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    if lib.cuInit(0) != 0:
        return 0
    count = ctypes.c_int(0)
    if lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return int(count.value)


def onnxruntime_has_cuda() -> bool:
    """True when the installed onnxruntime was built with the CUDA execution provider."""
    try:
        ort: Any = importlib.import_module("onnxruntime")
    except ImportError:
        return False
    return "CUDAExecutionProvider" in ort.get_available_providers()


def torch_has_cuda() -> bool:
    """True when the installed torch is a CUDA build and sees a GPU (imports torch)."""
    try:
        torch: Any = importlib.import_module("torch")
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def place_encoder(
    backend: Backend,
    device: Device,
    *,
    gpus: Callable[[], int] = cuda_device_count,
    onnx_cuda: Callable[[], bool] = onnxruntime_has_cuda,
    torch_cuda: Callable[[], bool] = torch_has_cuda,
) -> Placement:
    """The backend and device that will run for the requested ``backend`` and ``device``.

    Args:
        backend: ``MATCHSVC_ENCODER_BACKEND``.
        device: ``MATCHSVC_DEVICE``: ``auto``, ``cpu`` or ``cuda`` (rules in the module doc).
        gpus, onnx_cuda, torch_cuda: the probes (replaced in tests); ``onnx_cuda`` and
            ``torch_cuda`` are called only when a GPU is visible.

    Raises:
        ConfigError: ``device`` is ``cuda`` and no GPU is visible, or no installed runtime can
            use it, or the backend is CPU-only (``field`` is ``MATCHSVC_DEVICE``).
    """
    if device not in ("auto", "cpu", "cuda"):
        raise ConfigError(
            f"MATCHSVC_DEVICE is {device!r}; use auto, cpu or cuda", field="MATCHSVC_DEVICE"
        )
    if device == "cpu":
        return Placement(backend, "cpu", "MATCHSVC_DEVICE=cpu")
    count = gpus()
    if count == 0:
        if device == "cuda":
            raise ConfigError(
                "MATCHSVC_DEVICE=cuda but no CUDA GPU is visible to this process (no NVIDIA "
                f"driver, or CUDA_VISIBLE_DEVICES hides them): {_CUDA_HINT}",
                field="MATCHSVC_DEVICE",
            )
        return Placement(backend, "cpu", "no CUDA GPU visible")
    if backend == "onnx-int8":
        if device == "cuda":
            raise ConfigError(
                "MATCHSVC_ENCODER_BACKEND=onnx-int8 runs on the CPU only: use "
                f"MATCHSVC_ENCODER_BACKEND=onnx for the GPU, or {_CUDA_HINT}",
                field="MATCHSVC_DEVICE",
            )
        return Placement(backend, "cpu", "the int8 graph is CPU-only")
    if backend == "onnx" and onnx_cuda():
        return Placement("onnx", "cuda", f"{count} GPU(s), onnxruntime CUDA execution provider")
    if torch_cuda():
        why = "onnxruntime has no CUDA provider; " if backend == "onnx" else ""
        return Placement("torch", "cuda", f"{count} GPU(s), {why}torch CUDA")
    if device == "cuda":
        raise ConfigError(
            f"MATCHSVC_DEVICE=cuda and {count} GPU(s) are visible, but neither onnxruntime nor "
            "torch can use them: install onnxruntime-gpu (in place of onnxruntime) or a CUDA "
            f"build of torch, or {_CUDA_HINT}",
            field="MATCHSVC_DEVICE",
        )
    return Placement(backend, "cpu", f"{count} GPU(s), but no CUDA build of onnxruntime or torch")
