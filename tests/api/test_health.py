from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.config import Settings
from matchsvc.engine import Engine
from tests.fakes import FakeEncoder


def test_ready_with_model_name_and_dimension(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), encoder=FakeEncoder(dim=32))
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "model": "fake-bow-32", "dimension": 32}


def test_not_ready_while_the_model_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    monkeypatch.setattr(Engine, "load", lambda self: release.wait(10))
    app = create_app(Settings(data_dir=tmp_path))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        loading = client.get("/readyz")
        release.set()
    assert loading.status_code == 503
    assert loading.json() == {"status": "loading"}


def test_openapi_is_served(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), encoder=FakeEncoder())
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 200
        assert "/readyz" in client.get("/openapi.json").json()["paths"]
