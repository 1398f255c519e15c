"""An app per test with the fast fake encoder and a private data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.config import Settings
from tests.fakes import FakeEncoder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, encoder=FakeEncoder())) as test_client:
        yield test_client


def person(pid: str, skills: list[str], goals: str = "", **extra: Any) -> dict[str, Any]:
    """A request profile with English as its language."""
    body: dict[str, Any] = {
        "id": pid,
        "skills": skills,
        "goals": goals,
        "communication": {"languages": ["en"], **extra.pop("communication", {})},
    }
    body.update(extra)
    return body
