"""The same bad input through every door: HTTP, jobs, CLI files and the Python API.

Each case breaks one rule and names the field; every door must refuse it with that field (the
jobs prefix ``payload.``), never a server error, a traceback or a half-written file.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matchsvc import profiles
from matchsvc.api import create_app
from matchsvc.assignment import GroupFloor
from matchsvc.cli import create_cli
from matchsvc.config import Settings
from matchsvc.errors import FloorInfeasibleError, InvalidInputError
from matchsvc.pipelines import MatchOptions, match
from matchsvc.scoring import Criterion, EmbeddingCache, ScoringOptions
from tests.fakes import FakeEncoder

BASE: dict[str, Any] = {
    "mentees": [
        {
            "id": "ana",
            "skills": ["python"],
            "goals": "data engineering",
            "communication": {
                "timezone": "UTC",
                "availability": [{"day": "mon", "start": "09:00", "end": "12:00"}],
            },
            "attributes": {"years": 2, "tags": ["ml"]},
        },
        {"id": "ben", "skills": ["sql"]},
    ],
    "mentors": [{"id": "m1", "skills": ["python", "sql"], "capacity": 2}],
}


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with the dotted ``path`` (``mentees.0.goals``) set to ``value``."""
    out = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return out


SURROGATE = "x\ud800y"
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("surrogate in goals", _set(BASE, "mentees.0.goals", SURROGATE), "mentees[0].goals"),
    ("surrogate in a skill", _set(BASE, "mentees.0.skills.0", SURROGATE), "mentees[0].skills[0]"),
    (
        "surrogate in the style",
        _set(BASE, "mentees.0.communication.style", SURROGATE),
        "mentees[0].communication.style",
    ),
    ("surrogate in an id", _set(BASE, "mentees.1.id", SURROGATE), "mentees[1].id"),
    (
        "time zone that is a folder",
        _set(BASE, "mentees.0.communication.timezone", "Europe"),
        "mentees[0].communication.timezone",
    ),
    (
        "time zone of 300 characters",
        _set(BASE, "mentees.0.communication.timezone", "A" * 300),
        "mentees[0].communication.timezone",
    ),
    ("capacity too large", _set(BASE, "mentors.0.capacity", 10**23), "mentors[0].capacity"),
    ("demand beyond int64", _set(BASE, "mentees.0.demand", 2**63), "mentees[0].demand"),
    (
        "NaN attribute",
        _set(BASE, "mentees.0.attributes.years", math.nan),
        "mentees[0].attributes.years",
    ),
    (
        "huge attribute",
        _set(BASE, "mentees.0.attributes.years", 1e300),
        "mentees[0].attributes.years",
    ),
    (
        "list attribute of 201 items",
        _set(BASE, "mentees.0.attributes.tags", [f"t{k}" for k in range(201)]),
        "mentees[0].attributes.tags",
    ),
    (
        "Arabic-Indic digits in a time",
        _set(BASE, "mentees.0.communication.availability.0.start", "\u0660\u0669:\u0660\u0660"),
        "mentees[0].communication.availability[0].start",
    ),
    (
        "an empty availability window",
        _set(BASE, "mentees.0.communication.availability.0.end", "09:00"),
        "mentees[0].communication.availability[0].end",
    ),
    (
        "two spellings of one id",
        _set(_set(BASE, "mentees.0.id", "Jos\u00e9"), "mentees.1.id", "Jose\u0301"),
        "mentees[1].id",
    ),
    (
        "weight too large",
        {**BASE, "options": {"weights": {"skills": 1e300}}},
        "options.weights.skills",
    ),
    (
        "too many criteria",
        {
            **BASE,
            "options": {
                "criteria": [
                    {"name": f"c{k}", "attribute": "years", "kind": "same", "hard": True}
                    for k in range(33)
                ]
            },
        },
        "options.criteria",
    ),
    ("min_score above 1", {**BASE, "options": {"min_score": 1.5}}, "options.min_score"),
    (
        "fairness on an attribute no mentee has",
        {**BASE, "options": {"fairness": [{"attribute": "region", "min_matched_share": 0.5}]}},
        "options.fairness[0].attribute",
    ),
    (
        "fairness on a list attribute",
        {**BASE, "options": {"fairness": [{"attribute": "tags", "min_matched_share": 0.5}]}},
        "options.fairness[0].attribute",
    ),
    (
        "fairness share above 1",
        {**BASE, "options": {"fairness": [{"attribute": "years", "min_matched_share": 1.5}]}},
        "options.fairness[0].min_matched_share",
    ),
    (
        "fairness rule with both forms",
        {
            **BASE,
            "options": {
                "fairness": [{"attribute": "years", "min_matched_share": 0.5, "max_share_gap": 0.1}]
            },
        },
        "options.fairness[0]",
    ),
]
IDS = [name for name, _, _ in CASES]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("doors"))
    with TestClient(create_app(settings, encoder=FakeEncoder())) as test_client:
        yield test_client


def _post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    # allow_nan: the JSON literal NaN, which Python's json (and so Starlette) reads
    content = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
    return client.post(path, content=content, headers={"content-type": "application/json"})


@pytest.mark.parametrize(("name", "body", "field"), CASES, ids=IDS)
def test_http(client: TestClient, name: str, body: dict[str, Any], field: str) -> None:
    response = _post(client, "/match", body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(("name", "body", "field"), CASES, ids=IDS)
def test_jobs(client: TestClient, name: str, body: dict[str, Any], field: str) -> None:
    response = _post(client, "/jobs", {"kind": "match", "payload": body})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == f"payload.{field}"


@pytest.mark.parametrize(("name", "body", "field"), CASES, ids=IDS)
def test_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: dict[str, Any], field: str
) -> None:
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    files = {}
    for key in ("mentees", "mentors", "options"):
        if key in body:
            files[key] = tmp_path / f"{key}.json"
            files[key].write_bytes(
                json.dumps(body[key], allow_nan=True).encode("utf-8", "surrogatepass")
            )
    out = tmp_path / "out.json"
    args = [f"--{key}={path}" for key, path in files.items()]
    result = CliRunner().invoke(create_cli(encoder=FakeEncoder()), ["match", *args, f"--out={out}"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"({field})" in result.stderr
    assert not out.exists()


def _core_profile(person: dict[str, Any]) -> profiles.Profile:
    """A core Profile straight from a body dict: no schema in between (a library caller)."""
    comm = person.get("communication", {})
    return profiles.Profile(
        id=person["id"],
        skills=tuple(person.get("skills", ())),
        goals=person.get("goals", ""),
        communication=profiles.Communication(
            style=comm.get("style", ""),
            timezone=comm.get("timezone"),
            availability=tuple(profiles.Availability(**w) for w in comm.get("availability", ())),
        ),
        attributes=MappingProxyType(
            {
                k: tuple(v) if isinstance(v, list) else v
                for k, v in person.get("attributes", {}).items()
            }
        ),
        capacity=person.get("capacity", 1),
        demand=person.get("demand", 1),
    )


def _core_options(options: dict[str, Any]) -> MatchOptions:
    scoring = ScoringOptions(
        weights=options.get("weights", {"skills": 0.5, "goals": 0.3, "communication": 0.2}),
        criteria=tuple(Criterion(**c) for c in options.get("criteria", ())),
    )
    return MatchOptions(
        scoring=scoring,
        min_score=options.get("min_score"),
        fairness=tuple(GroupFloor(**rule) for rule in options.get("fairness", ())),
    )


@pytest.mark.parametrize(("name", "body", "field"), CASES, ids=IDS)
def test_python_api(name: str, body: dict[str, Any], field: str) -> None:
    mentees = [_core_profile(p) for p in body["mentees"]]
    mentors = [_core_profile(p) for p in body["mentors"]]
    with pytest.raises(InvalidInputError) as info:
        match(
            mentees, mentors, _core_options(body.get("options", {})), EmbeddingCache(FakeEncoder())
        )
    assert info.value.field == field


# ---------------------------------------------------------------- /recommend assigned


@pytest.mark.parametrize("count", [-5, 2, 10**30])
def test_assigned_must_lie_between_zero_and_capacity(client: TestClient, count: int) -> None:
    body = {**BASE, "mentors": [{"id": "m1", "skills": ["python"], "capacity": 1}]}
    response = _post(client, "/recommend", {**body, "assigned": {"m1": count}})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "assigned.m1"


# ---------------------------------------------------------------- /rematch times


def test_waiting_times_with_and_without_a_zone_compare_as_utc(client: TestClient) -> None:
    mentees = [{"id": "early", "skills": ["python"]}, {"id": "late", "skills": ["python"]}]
    policy = {
        "waiting_since": {"early": "2026-01-01T00:00:00", "late": "2026-01-01T05:00:00+02:00"},
        "wait_bonus": 0.5,
    }
    mentors = [{"id": "m1", "skills": ["python"], "capacity": 1}]
    body = {"mentees": mentees, "mentors": mentors, "policy": policy}
    response = _post(client, "/rematch", body)
    assert response.status_code == 200, response.text
    new = [a for a in response.json()["actions"] if a["action"] == "new"]
    assert [a["mentee_id"] for a in new] == ["early"]  # 00:00 UTC waits longer than 03:00 UTC


# ---------------------------------------------------------------- /assign magnitudes


@pytest.mark.parametrize("value", [1e308, -1e10])
def test_assign_refuses_scores_beyond_the_magnitude_limit(client: TestClient, value: float) -> None:
    response = _post(client, "/assign", {"scores": [[value, 1.0]]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scores[0][0]"


def test_assign_totals_are_never_null(client: TestClient) -> None:
    response = _post(client, "/assign", {"scores": [[1e9, -1e9], [1e9, 1e9]], "capacity": [2, 2]})
    assert response.status_code == 200
    assert response.json()["total_score"] == 2e9


# ---------------------------------------------------------------- fairness floors that cannot hold

# Two regions of one mentee each, one slot: a floor of the whole demand cannot hold for both.
INFEASIBLE: dict[str, Any] = {
    "mentees": [
        {"id": "ana", "skills": ["python"], "attributes": {"region": "north"}},
        {"id": "ben", "skills": ["sql"], "attributes": {"region": "south"}},
    ],
    "mentors": [{"id": "m1", "skills": ["python", "sql"], "capacity": 1}],
    "options": {"fairness": [{"attribute": "region", "min_matched_share": 1.0}]},
}
FLOOR_FIELD = "options.fairness[0].min_matched_share"


def _names_the_group_and_largest_floor(message: str) -> None:
    assert "fairness floor cannot hold for group" in message
    assert "of attribute 'region'" in message and "at most 0 can be matched" in message
    assert "lower min_matched_share to at most 0.0000" in message


def test_infeasible_floors_http(client: TestClient) -> None:
    response = _post(client, "/match", INFEASIBLE)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:matchsvc:problem:infeasible"
    assert problem["errors"][0]["field"] == FLOOR_FIELD
    _names_the_group_and_largest_floor(problem["detail"])


def test_infeasible_floors_jobs(client: TestClient) -> None:
    submitted = _post(client, "/jobs", {"kind": "match", "payload": INFEASIBLE})
    assert submitted.status_code == 202  # known only once the pairs are scored
    job_id = submitted.json()["id"]
    for _ in range(400):
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.025)
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "infeasible"
    assert job["error"]["field"] == f"payload.{FLOOR_FIELD}"
    _names_the_group_and_largest_floor(job["error"]["message"])


def test_infeasible_floors_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    args = []
    for key in ("mentees", "mentors", "options"):
        path = tmp_path / f"{key}.json"
        path.write_text(json.dumps(INFEASIBLE[key]))
        args.append(f"--{key}={path}")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(create_cli(encoder=FakeEncoder()), ["match", *args, f"--out={out}"])
    assert result.exit_code == 2, result.output
    assert f"options.json ({FLOOR_FIELD})" in result.stderr
    _names_the_group_and_largest_floor(result.stderr)
    assert not out.exists()


def test_infeasible_floors_python_api() -> None:
    with pytest.raises(FloorInfeasibleError) as info:
        match(
            [_core_profile(p) for p in INFEASIBLE["mentees"]],
            [_core_profile(p) for p in INFEASIBLE["mentors"]],
            _core_options(INFEASIBLE["options"]),
            EmbeddingCache(FakeEncoder()),
        )
    err = info.value
    assert err.field == FLOOR_FIELD and err.attribute == "region"
    assert (err.floor, err.largest_floor, err.group_demand) == (1, 0, 1)
    assert err.group in ("north", "south")
    _names_the_group_and_largest_floor(err.message)
