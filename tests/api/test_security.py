"""Keys, documentation exposure, request syntax messages and response-size limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.config import Settings, load_settings
from matchsvc.errors import ConfigError
from tests.api.conftest import person
from tests.fakes import FakeEncoder

PEOPLE = {"mentees": [person("a", ["python"])], "mentors": [person("m", ["python"])]}


def app(tmp_path: Path, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path, **settings), encoder=FakeEncoder()))  # type: ignore[arg-type]


def test_several_keys_rotate_without_downtime(tmp_path: Path) -> None:
    with app(tmp_path, api_key="old-key,new-key") as client:
        for key, status in (("old-key", 200), ("new-key", 200), ("old", 401), ("", 401)):
            response = client.post("/match", json=PEOPLE, headers={"X-API-Key": key})
            assert response.status_code == status, key
        assert client.post("/match", json=PEOPLE).status_code == 401
        assert client.get("/jobs/nope").status_code == 401


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "set but empty"),
        (" , ", "set but empty"),
        ("p\u00e4ssw\u00f6rd", "printable ASCII"),
        ("good,", "key 2 of 2"),
        ("has space", "printable ASCII"),
    ],
)
def test_unusable_keys_stop_the_service_at_start_up(
    value: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHSVC_API_KEY", value)
    with pytest.raises(ConfigError, match="MATCHSVC_API_KEY") as info:
        load_settings()
    assert why in info.value.message
    assert value.strip(", ") == "" or value not in info.value.message  # never echo a key


def test_docs_are_public_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    with app(tmp_path / "a", api_key="k") as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 200, path
        assert client.get("/openapi.json").json()["components"]["securitySchemes"]
    with app(tmp_path / "b", api_key="k", docs=False) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
        assert client.post("/match", json=PEOPLE, headers={"X-API-Key": "k"}).status_code == 200


def test_broken_json_is_located_by_line_and_column(tmp_path: Path) -> None:
    with app(tmp_path) as client:
        body = b'{\n  "mentees": [],\n  "mentors": [,]\n}'
        response = client.post("/match", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "not valid JSON" in detail and "line 3 column 15" in detail


def test_a_body_that_is_not_json_is_a_415_saying_so(tmp_path: Path) -> None:
    with app(tmp_path) as client:
        response = client.post(
            "/match", content=b"mentees=a", headers={"content-type": "text/plain"}
        )
    assert response.status_code == 415
    problem = response.json()
    assert problem["type"] == "urn:matchsvc:problem:unsupported-media-type"
    assert "Content-Type: application/json" in problem["detail"]


def test_nan_where_a_number_is_due_names_the_rule(tmp_path: Path) -> None:
    body = b'{"mentees": [], "mentors": [], "options": {"constraints": {"min_overlap_hours": NaN}}}'
    with app(tmp_path) as client:
        response = client.post("/match", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "options.constraints.min_overlap_hours",
        "message": "Input should be a finite number",
    }


def test_score_matrices_beyond_the_limit_are_refused_before_work(tmp_path: Path) -> None:
    many = {
        "mentees": [person(f"a{k}", ["python"]) for k in range(3)],
        "mentors": PEOPLE["mentors"] * 1,
    }
    many["mentors"] = [person(f"m{k}", ["python"]) for k in range(2)]
    with app(tmp_path, max_score_pairs=5) as client:
        response = client.post("/score", json=many)
    assert response.status_code == 413
    assert "MATCHSVC_MAX_SCORE_PAIRS" in response.json()["detail"]


def test_the_budget_counts_the_skills_facets_work(tmp_path: Path) -> None:
    # 40 x 40 people with 50 distinct skills each: 2,000 x 2,000 skill pairs = 40 ms, but the
    # pairs alone (1,600) would be estimated at 5 ms
    mentees = [person(f"a{i}", [f"s{i}-{k}" for k in range(50)]) for i in range(40)]
    mentors = [person(f"m{i}", [f"t{i}-{k}" for k in range(50)]) for i in range(40)]
    with app(tmp_path, request_timeout_seconds=0.02) as client:
        response = client.post("/score", json={"mentees": mentees, "mentors": mentors})
    assert response.status_code == 503
    assert response.json()["type"] == "urn:matchsvc:problem:time-budget-exceeded"
