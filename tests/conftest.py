"""Shared fixtures. The real model is loaded at most once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.fakes import FakeEncoder

os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def real_encoder():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2 on sentence-transformers (torch), loaded once for the
    whole session (~10 s): the reference the ONNX encoder is compared with."""
    from matchsvc.scoring.encoder import load_encoder

    return load_encoder(backend="torch", device="cpu")


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache directory holding the bundled model's ONNX export, exported once per session
    (~10 s); :func:`seed_onnx` copies it into a data directory."""
    from matchsvc.scoring.encoder import bundled_model_path
    from matchsvc.scoring.onnx_encoder import ensure_graph

    cache = tmp_path_factory.mktemp("onnx")
    ensure_graph(bundled_model_path(), cache)
    return cache


def seed_onnx(onnx_cache: Path, data_dir: Path) -> Path:
    """Put the session's ONNX export into ``data_dir/onnx`` (hard links where possible), so a
    service started on ``data_dir`` with the default backend does not export again."""
    target = data_dir / "onnx"
    shutil.copytree(onnx_cache, target, copy_function=_link_or_copy, dirs_exist_ok=True)
    return target


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()
