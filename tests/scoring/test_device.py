"""MATCHSVC_DEVICE: the GPU when present (auto), a clear error when cuda is impossible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matchsvc.errors import ConfigError
from matchsvc.scoring import GPU_TOLERANCE, place_encoder
from matchsvc.scoring import _device as device_module
from matchsvc.scoring._device import cuda_device_count

HAS_GPU = cuda_device_count() > 0
needs_gpu = pytest.mark.skipif(not HAS_GPU, reason="needs a CUDA GPU (none visible here)")


def _probes(gpus: int, onnx: bool, torch: bool) -> dict[str, Any]:
    def never() -> bool:
        raise AssertionError("probed a runtime although no GPU is visible")

    return {
        "gpus": lambda: gpus,
        "onnx_cuda": (lambda: onnx) if gpus else never,
        "torch_cuda": (lambda: torch) if gpus else never,
    }


class TestPlacement:
    def test_cpu_is_always_the_cpu_without_probing(self) -> None:
        def no_probe() -> int:
            raise AssertionError("probed the GPU for device=cpu")

        placed = place_encoder("onnx", "cpu", gpus=no_probe)
        assert (placed.backend, placed.device) == ("onnx", "cpu")

    def test_auto_without_a_gpu_is_the_cpu_and_probes_no_runtime(self) -> None:
        placed = place_encoder("onnx", "auto", **_probes(0, True, True))
        assert (placed.backend, placed.device) == ("onnx", "cpu")
        assert placed.reason == "no CUDA GPU visible"

    def test_auto_with_a_gpu_prefers_onnxruntime_cuda(self) -> None:
        placed = place_encoder("onnx", "auto", **_probes(1, True, True))
        assert (placed.backend, placed.device) == ("onnx", "cuda")

    def test_auto_falls_back_to_torch_cuda_when_onnxruntime_has_no_cuda(self) -> None:
        placed = place_encoder("onnx", "auto", **_probes(2, False, True))
        assert (placed.backend, placed.device) == ("torch", "cuda")
        assert "onnxruntime has no CUDA provider" in placed.reason

    def test_auto_with_a_gpu_nothing_can_use_stays_on_the_cpu(self) -> None:
        placed = place_encoder("onnx", "auto", **_probes(1, False, False))
        assert (placed.backend, placed.device) == ("onnx", "cpu")

    def test_torch_backend_uses_torch_cuda(self) -> None:
        placed = place_encoder("torch", "cuda", **_probes(1, True, True))
        assert (placed.backend, placed.device) == ("torch", "cuda")

    def test_int8_stays_on_the_cpu_under_auto(self) -> None:
        placed = place_encoder("onnx-int8", "auto", **_probes(1, True, True))
        assert (placed.backend, placed.device) == ("onnx-int8", "cpu")

    def test_cuda_without_a_gpu_is_a_start_up_error(self) -> None:
        with pytest.raises(ConfigError, match=r"no CUDA GPU is visible.*MATCHSVC_DEVICE=cpu") as e:
            place_encoder("onnx", "cuda", **_probes(0, True, True))
        assert e.value.field == "MATCHSVC_DEVICE"

    def test_cuda_with_a_gpu_but_no_cuda_runtime_says_what_to_install(self) -> None:
        with pytest.raises(ConfigError, match=r"install onnxruntime-gpu .* CUDA build of torch"):
            place_encoder("onnx", "cuda", **_probes(1, False, False))

    def test_cuda_with_int8_is_refused(self) -> None:
        with pytest.raises(ConfigError, match="onnx-int8 runs on the CPU only"):
            place_encoder("onnx-int8", "cuda", **_probes(1, True, True))

    def test_an_unknown_device_is_refused(self) -> None:
        with pytest.raises(ConfigError, match="MATCHSVC_DEVICE is 'tpu'"):
            place_encoder("onnx", "tpu", **_probes(0, False, False))  # type: ignore[arg-type]


class _FakeCuda:
    def __init__(self, init: int, count: int) -> None:
        self._init, self._count = init, count

    def cuInit(self, flags: int) -> int:
        return self._init

    def cuDeviceGetCount(self, out: Any) -> int:
        out._obj.value = self._count
        return 0


class TestGpuCount:
    def test_no_driver_means_no_gpu(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def missing(name: str) -> object:
            raise OSError(f"{name}: cannot open shared object file")

        monkeypatch.setattr(device_module.ctypes, "CDLL", missing)
        assert cuda_device_count() == 0

    def test_a_driver_that_fails_to_start_means_no_gpu(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(device_module.ctypes, "CDLL", lambda name: _FakeCuda(100, 4))
        assert cuda_device_count() == 0

    def test_the_drivers_count_is_returned(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(device_module.ctypes, "CDLL", lambda name: _FakeCuda(0, 3))
        assert cuda_device_count() == 3


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")
def test_cuda_requested_on_this_gpu_less_machine_stops_the_service(tmp_path: Path) -> None:
    from matchsvc.api import create_app
    from matchsvc.config import Settings

    with pytest.raises(ConfigError, match="MATCHSVC_DEVICE=cuda but no CUDA GPU") as info:
        create_app(Settings(data_dir=tmp_path, device="cuda"))
    assert info.value.field == "MATCHSVC_DEVICE"


@pytest.mark.model
@needs_gpu
def test_gpu_vectors_agree_with_the_cpus(onnx_cache: Path) -> None:  # pragma: no cover - GPU
    from matchsvc.scoring.encoder import load_encoder

    texts = [f"mentoring in {w}, {k} years of experience" for k, w in enumerate(["ml"] * 40)]
    cpu = load_encoder(cache_dir=onnx_cache, device="cpu")
    gpu = load_encoder(cache_dir=onnx_cache, device="cuda")
    assert gpu.model_id == cpu.model_id + "+cuda"
    a, b = cpu.encode(texts), gpu.encode(texts)
    assert float(np.abs(a - b).max()) <= GPU_TOLERANCE
    assert float(np.min(np.sum(a * b, axis=1))) > 0.99999
