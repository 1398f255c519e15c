"""``matchsvc prepare`` (run by ``make install``): export and warm once, so serve starts fast."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchsvc.cli import app
from matchsvc.scoring import onnx_encoder as onnx_module
from matchsvc.scoring._device import cuda_device_count
from tests.conftest import seed_onnx


@pytest.mark.model
def test_prepare_loads_the_default_encoder_from_the_data_directory(
    onnx_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_onnx(onnx_cache, tmp_path)
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MATCHSVC_ENCODER_BACKEND", raising=False)
    monkeypatch.delenv("MATCHSVC_RAY_ADDRESS", raising=False)

    def no_export(*args: object) -> None:
        raise AssertionError("the seeded graph was not used")

    monkeypatch.setattr(onnx_module, "export_onnx", no_export)
    result = CliRunner().invoke(app, ["prepare"])
    assert result.exit_code == 0, result.output
    assert "matchsvc: prepared all-MiniLM-L6-v2@" in result.output
    assert "+onnx in " in result.output


@pytest.mark.skipif(cuda_device_count() > 0, reason="this machine has a GPU")
def test_prepare_fails_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MATCHSVC_DEVICE", "cuda")
    result = CliRunner().invoke(app, ["prepare"])
    assert result.exit_code == 2
    assert "matchsvc: MATCHSVC_DEVICE=cuda but no CUDA GPU is visible" in result.output
