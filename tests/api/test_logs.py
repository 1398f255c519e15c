"""JSON logs: one access line per request, and never a word of what the caller sent."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchsvc import service
from matchsvc.api import create_app
from matchsvc.config import Settings
from matchsvc.logs import JsonFormatter, configure_logging
from tests.api.conftest import person
from tests.fakes import FakeEncoder

# Texts no code path would produce by itself: if one shows up in a log, it came from a request.
SECRETS = (
    "zanzibarquokka",
    "xylophonewrangling",
    "telepathicsemaphore",
    "blorptechemployer",
    "klingonsecret",
    "Quentin Zebedee",
)


def _secret_people() -> dict[str, Any]:
    mentee = person(
        "mentee-1",
        ["xylophonewrangling"],
        "become a zanzibarquokka expert, says Quentin Zebedee",
        communication={"style": "telepathicsemaphore"},
        attributes={"employer": "blorptechemployer"},
    )
    mentor = person("mentor-1", ["xylophonewrangling", "python"], "zanzibarquokka coaching")
    return {"mentees": [mentee], "mentors": [mentor]}


def _access(lines: list[str]) -> list[dict[str, Any]]:
    return [
        entry
        for entry in (json.loads(line) for line in lines)
        if entry["logger"] == "matchsvc.access"
    ]


def test_no_submitted_text_reaches_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    people = _secret_people()
    settings = Settings(data_dir=tmp_path, max_text_length=60)
    with TestClient(
        create_app(settings, encoder=FakeEncoder()), raise_server_exceptions=False
    ) as client:
        ok = [
            client.post("/match", json=people),
            client.post("/recommend", json=people),
            client.post("/score", json=people),
        ]
        bad_language = _secret_people()
        bad_language["mentees"][0]["communication"]["languages"] = ["klingonsecret"]
        invalid = client.post("/match", json=bad_language)  # 422 quoting the value
        too_long = _secret_people()
        too_long["mentors"][0]["goals"] = "zanzibarquokka " * 10
        limited = client.post("/match", json=too_long)  # 413

        def explode(*args: Any) -> Any:
            raise KeyError("zanzibarquokka Quentin Zebedee")

        monkeypatch.setattr(service, "run_match", explode)
        crashed = client.post("/match", json=people, headers={"X-Request-ID": "crash-1"})
    assert [r.status_code for r in ok] == [200, 200, 200]
    assert invalid.status_code == 422 and "klingonsecret" in invalid.text  # the caller sees it
    assert limited.status_code == 413 and crashed.status_code == 500

    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    text = "\n".join(lines)  # as the service writes them (caplog.text is pytest's own format)
    for secret in SECRETS:
        assert secret not in text
        assert secret.lower() not in text.lower()

    access = _access(lines)
    assert [(a["route"], a["status"]) for a in access] == [
        ("/match", 200),
        ("/recommend", 200),
        ("/score", 200),
        ("/match", 422),
        ("/match", 413),
        ("/match", 500),
    ]
    assert access[3]["problem"] == "invalid-input" and access[4]["problem"] == "limit-exceeded"
    crash = [json.loads(line) for line in lines if '"unhandled error"' in line]
    assert len(crash) == 1
    assert crash[0]["exc_type"] == "builtins.KeyError" and crash[0]["request_id"] == "crash-1"
    assert any("test_logs.py" in frame for frame in crash[0]["exc_frames"])


def test_one_access_line_per_request_with_sizes_and_timing(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = client.post("/match", json=_secret_people(), headers={"X-Request-ID": "r-1"})
    client.get("/healthz")
    client.post("/assign", json={"scores": [[0.5, 0.2], [0.1, 0.9], [0.3, 0.3]]})
    lines = [JsonFormatter().format(record) for record in caplog.records]
    access = _access(lines)
    assert len(access) == 3
    first = access[0]
    assert first["request_id"] == "r-1" == response.headers["x-request-id"]
    assert first["method"] == "POST" and first["route"] == "/match" and first["status"] == 200
    assert first["mentees"] == 1 and first["mentors"] == 1
    assert first["body_bytes"] == len(response.request.content)
    assert first["response_bytes"] == len(response.content)
    assert first["duration_ms"] > 0
    assert first["level"] == "INFO" and first["msg"] == "request"
    assert access[1]["route"] == "/healthz" and len(access[1]["request_id"]) == 32
    assert access[2]["mentees"] == 3 and access[2]["mentors"] == 2


def test_configure_logging_writes_json_lines_and_silences_uvicorn_access() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("INFO", stream)
    try:
        logging.getLogger("matchsvc.test").info("hello", extra={"count": 3})
        logging.getLogger("uvicorn.access").info("GET / 200")
        logging.getLogger("uvicorn.error").info("Started server process")
        assert configure_logging("INFO", stream) is not handler  # idempotent: replaced
        assert sum(h.get_name() == "matchsvc-json" for h in root.handlers) == 1
    finally:
        for h in list(root.handlers):
            if h.get_name() == "matchsvc-json":
                root.removeHandler(h)
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["logger"], e["msg"]) for e in entries] == [
        ("matchsvc.test", "hello"),
        ("uvicorn.error", "Started server process"),
    ]
    assert entries[0]["count"] == 3 and entries[0]["level"] == "INFO"
