"""Every error branch: problem+json with a stable type, the field path and a fix; never 500."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.config import Settings
from matchsvc.engine import Engine
from tests.api.conftest import person
from tests.fakes import FakeEncoder

PEOPLE = {"mentees": [person("a", ["python"])], "mentors": [person("m", ["python"])]}


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:matchsvc:problem:{code}"
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"mentees": [person("a", ["x"]), person("a", ["y"])]},
            "mentees[1].id",
            "duplicate id 'a'",
        ),
        (
            {"mentees": [person("a", ["x"], exclude=["ghost"])]},
            "mentees[0].exclude[0]",
            "excludes 'ghost'",
        ),
        (
            {"mentees": [person("a", ["x"], communication={"timezone": "Mars/Olympus"})]},
            "mentees[0].communication.timezone",
            "Mars/Olympus",
        ),
        (
            {"mentees": [person("a", ["x"], communication={"languages": ["english"]})]},
            "mentees[0].communication.languages[0]",
            "english",
        ),
        (
            {"options": {"weights": {"goals": -1}}},
            "options.weights.goals",
            "greater than or equal to 0",
        ),
        (
            {"options": {"weights": {"goals": 1e7}}},
            "options.weights.goals",
            "less than or equal to 1000000",
        ),
        (
            {"options": {"weights": {"skills": 0, "goals": 0, "communication": 0}}},
            "options.weights",
            "all weights are zero",
        ),
        ({"options": {"weights": {"charisma": 1}}}, "options.weights.charisma", "unknown weight"),
        ({"options": {"min_score": 1.5}}, "options.min_score", "min_score"),
    ],
)
def test_invalid_match_input_is_a_422_naming_the_field(
    client: TestClient, change: dict[str, Any], field: str, message: str
) -> None:
    body = _problem(client.post("/match", json=PEOPLE | change), 422, "invalid-input")
    assert body["errors"][0]["field"] == field
    assert message in body["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (PEOPLE | {"mentors": [person("m", ["x"], capacity=-1)]}, "mentors[0].capacity"),
        (PEOPLE | {"options": {"objective": "cheapest"}}, "options.objective"),
        (PEOPLE | {"surprise": 1}, "surprise"),
        ({"mentees": []}, "mentors"),
        (PEOPLE | {"mentees": [{"skills": ["x"]}]}, "mentees[0].id"),
    ],
)
def test_schema_errors_name_the_field_path(
    client: TestClient, payload: dict[str, Any], field: str
) -> None:
    body = _problem(client.post("/match", json=payload), 422, "invalid-input")
    assert field in [e["field"] for e in body["errors"]]


def test_malformed_json_is_a_422(client: TestClient) -> None:
    response = client.post(
        "/match", content=b"{not json", headers={"content-type": "application/json"}
    )
    _problem(response, 422, "invalid-input")


@pytest.fixture
def small_limits(tmp_path: Path) -> TestClient:
    settings = Settings(
        data_dir=tmp_path, max_mentees=2, max_mentors=2, max_skills=3, max_text_length=20
    )
    return TestClient(create_app(settings, encoder=FakeEncoder()))


@pytest.mark.parametrize(
    ("payload", "field", "variable"),
    [
        (
            PEOPLE | {"mentees": [person(f"e{k}", ["x"]) for k in range(3)]},
            "mentees",
            "MATCHSVC_MAX_MENTEES",
        ),
        (
            PEOPLE | {"mentors": [person(f"m{k}", ["x"]) for k in range(3)]},
            "mentors",
            "MATCHSVC_MAX_MENTORS",
        ),
        (
            PEOPLE | {"mentees": [person("a", ["a", "b", "c", "d"])]},
            "mentees[0].skills",
            "MATCHSVC_MAX_SKILLS",
        ),
        (
            PEOPLE | {"mentors": [person("m", ["x"], "g" * 21)]},
            "mentors[0].goals",
            "MATCHSVC_MAX_TEXT_LENGTH",
        ),
    ],
)
def test_requests_over_the_limits_are_413_before_any_embedding(
    small_limits: TestClient, payload: dict[str, Any], field: str, variable: str
) -> None:
    with small_limits as client:
        encoder = client.app.state.engine.encoder  # type: ignore[attr-defined]
        body = _problem(client.post("/match", json=payload), 413, "limit-exceeded")
        assert encoder.calls == 0
    assert body["errors"][0]["field"] == field
    assert variable in body["detail"]


def test_api_key_guards_everything_but_health_checks(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key="s3cret")  # type: ignore[arg-type]
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        _problem(client.post("/match", json=PEOPLE), 401, "unauthorized")
        _problem(
            client.post("/match", json=PEOPLE, headers={"X-API-Key": "wrong"}), 401, "unauthorized"
        )
        ok = client.post("/match", json=PEOPLE, headers={"X-API-Key": "s3cret"})
        assert ok.status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200


def test_match_before_the_model_is_ready_is_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    monkeypatch.setattr(Engine, "load", lambda self: release.wait(10))
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        response = client.post("/match", json=PEOPLE)
        release.set()
    body = _problem(response, 503, "config-error")
    assert "loading" in body["detail"]
    assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"scores": [[1, 2], [3]]}, "scores[1]", "row 1 has 1 entries"),
        ({"scores": [[1, 2]], "capacity": [1]}, "capacity", "capacity has 1 entries"),
        ({"scores": [[1, 2]], "demand": [1, 1]}, "demand", "demand has 2 entries"),
        ({"scores": [[1, 2]], "capacity": [1, -1]}, "capacity[1]", "greater than or equal to 0"),
        (
            {"scores": [[1, 2]], "capacity": [1, 10**7]},
            "capacity[1]",
            "less than or equal to 1000000",
        ),
        ({"scores": [[1e10, 2]]}, "scores[0][0]", "less than or equal to 1000000000"),
    ],
)
def test_assign_errors(
    client: TestClient, payload: dict[str, Any], field: str, message: str
) -> None:
    body = _problem(client.post("/assign", json=payload), 422, "invalid-input")
    assert body["errors"][0]["field"] == field
    assert message in body["detail"]


def test_assign_rejects_nan(client: TestClient) -> None:
    response = client.post(
        "/assign", content=b'{"scores": [[NaN, 1.0]]}', headers={"content-type": "application/json"}
    )
    body = _problem(response, 422, "invalid-input")
    assert body["errors"][0] == {
        "field": "scores[0][0]",
        "message": "Input should be a finite number",
    }


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    _problem(client.get("/nope"), 404, "not-found")


def test_openapi_declares_the_api_key_only_when_one_is_required(tmp_path: Path) -> None:
    open_app = create_app(Settings(data_dir=tmp_path), encoder=FakeEncoder())
    assert "securitySchemes" not in open_app.openapi().get("components", {})
    settings = Settings(data_dir=tmp_path, api_key="k")  # type: ignore[arg-type]
    doc = create_app(settings, encoder=FakeEncoder()).openapi()
    assert doc["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"
    assert doc["paths"]["/match"]["post"]["security"] == [{"ApiKey": []}]
    assert "security" not in doc["paths"]["/healthz"]["get"]


def test_a_body_that_is_not_utf8_is_a_400_problem(client: TestClient) -> None:
    response = client.post(
        "/match", content=b"\xff\xfe{", headers={"content-type": "application/json"}
    )
    _problem(response, 400, "http-400")
