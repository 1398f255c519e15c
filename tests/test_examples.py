"""The example files the README uses: HTTP bodies agree with the CLI files and are accepted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.config import Settings
from tests.fakes import FakeEncoder

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def test_http_bodies_hold_the_same_people_as_the_cli_files() -> None:
    for name in ("match", "recommend", "score", "rematch", "audit"):
        body = _load(f"http/{name}.json")
        assert body["mentees"] == _load("mentees.json"), name
        assert body["mentors"] == _load("mentors.json"), name
    rematch = _load("http/rematch.json")
    assert rematch["current"] == _load("current.json")
    assert rematch["history"] == _load("history.json")
    assert rematch["policy"] == _load("policy.json")
    assert _load("http/match.json")["options"] == _load("options.json")
    assert _load("http/audit.json")["options"] == _load("options.json")


@pytest.mark.parametrize("name", ["match", "recommend", "score", "rematch", "assign", "audit"])
def test_every_http_example_is_answered(tmp_path: Path, name: str) -> None:
    app = create_app(Settings(data_dir=tmp_path), encoder=FakeEncoder())
    with TestClient(app) as client:
        response = client.post(f"/{name}", json=_load(f"http/{name}.json"))
    assert response.status_code == 200, response.text
