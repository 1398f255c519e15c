"""Peers through every door: the same answer from HTTP, jobs, the CLI and the Python API, and
the same bad input refused by each with the same field (the jobs prefix ``payload.``)."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matchsvc.api import create_app
from matchsvc.cli import create_cli
from matchsvc.config import Settings
from matchsvc.engine import Engine
from matchsvc.errors import InvalidInputError
from matchsvc.pipelines import CircleOptions, PeerOptions, peer_circles, peer_match
from matchsvc.profiles import Profile
from matchsvc.scoring import EmbeddingCache
from tests.fakes import FakeEncoder
from tests.test_doors import _post, _set

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PATHS = {"match": "/peer/match", "circles": "/peer/circles"}
KINDS = {"match": "peer_match", "circles": "peer_circles"}

BASE: dict[str, Any] = {
    "people": [
        {"id": "ana", "skills": ["python", "sql"]},
        {"id": "ben", "skills": ["sql"]},
        {"id": "cat", "skills": ["python"]},
        {"id": "dev", "skills": ["design"]},
    ]
}
LED = {**BASE, "leaders": [{"id": "lee", "skills": ["python"], "capacity": 1}]}


CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("duplicate ids", "match", _set(BASE, "people.1.id", "ana"), "people[1].id"),
    ("duplicate ids, circles", "circles", _set(BASE, "people.3.id", "ana"), "people[3].id"),
    ("self-exclusion", "match", _set(BASE, "people.0.exclude", ["ana"]), "people[0].exclude[0]"),
    (
        "self-exclusion, circles",
        "circles",
        _set(BASE, "people.2.exclude", ["ana", "cat"]),
        "people[2].exclude[1]",
    ),
    ("unknown exclude", "match", _set(BASE, "people.0.exclude", ["zoe"]), "people[0].exclude[0]"),
    ("min_size below 2", "circles", _set(BASE, "options.min_size", 1), "options.min_size"),
    ("max_size above 8", "circles", _set(BASE, "options.max_size", 9), "options.max_size"),
    (
        "min_size above max_size",
        "circles",
        _set(_set(BASE, "options.min_size", 5), "options.max_size", 4),
        "options.min_size",
    ),
    ("negative seed", "circles", _set(BASE, "options.seed", -1), "options.seed"),
    ("unknown mutual rule", "match", _set(BASE, "options.mutual", "max"), "options.mutual"),
    ("min_score above 1", "match", _set(BASE, "options.min_score", 1.5), "options.min_score"),
    ("leader also in the pool", "circles", _set(LED, "leaders.0.id", "ana"), "leaders[0].id"),
    (
        "negative leader capacity",
        "circles",
        _set(LED, "leaders.0.capacity", -1),
        "leaders[0].capacity",
    ),
    ("surrogate in a skill", "match", _set(BASE, "people.0.skills.0", "x\ud800y"), "people[0].skills[0]"),
]  # fmt: skip
IDS = [name for name, *_ in CASES]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("peer-doors"))
    with TestClient(create_app(settings, encoder=FakeEncoder())) as test_client:
        yield test_client


@pytest.mark.parametrize(("name", "mode", "body", "field"), CASES, ids=IDS)
def test_http(client: TestClient, name: str, mode: str, body: dict[str, Any], field: str) -> None:
    response = _post(client, PATHS[mode], body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(("name", "mode", "body", "field"), CASES, ids=IDS)
def test_jobs(client: TestClient, name: str, mode: str, body: dict[str, Any], field: str) -> None:
    response = _post(client, "/jobs", {"kind": KINDS[mode], "payload": body})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == f"payload.{field}"


def _cli(tmp_path: Path, mode: str, body: dict[str, Any], out: Path) -> Any:
    args = ["peer", mode]
    for key in ("people", "leaders", "options"):
        if key in body:
            path = tmp_path / f"{key}.json"
            path.write_bytes(json.dumps(body[key]).encode("utf-8", "surrogatepass"))
            args.append(f"--{key}={path}")
    return CliRunner().invoke(create_cli(encoder=FakeEncoder()), [*args, f"--out={out}"])


@pytest.mark.parametrize(("name", "mode", "body", "field"), CASES, ids=IDS)
def test_cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    mode: str,
    body: dict[str, Any],
    field: str,
) -> None:
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "out.json"
    result = _cli(tmp_path, mode, body, out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"({field})" in result.stderr
    assert not out.exists()


def _core(person: dict[str, Any]) -> Profile:
    """A core Profile straight from a body dict: no schema in between (a library caller)."""
    return Profile(
        id=person["id"],
        skills=tuple(person.get("skills", ())),
        exclude=tuple(person.get("exclude", ())),
        capacity=person.get("capacity", 1),
    )


@pytest.mark.parametrize(("name", "mode", "body", "field"), CASES, ids=IDS)
def test_python_api(name: str, mode: str, body: dict[str, Any], field: str) -> None:
    people = [_core(p) for p in body["people"]]
    leaders = [_core(p) for p in body.get("leaders", ())]
    given = body.get("options", {})
    embedder = EmbeddingCache(FakeEncoder())
    with pytest.raises(InvalidInputError) as info:
        if mode == "match":
            peer_match(people, PeerOptions(**given), embedder)
        else:
            peer_circles(people, CircleOptions(**given), embedder, leaders=leaders)
    assert info.value.field == field


# ---------------------------------------------------------------- the same answer


def _no_timings(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "summary": {**body["summary"], "timings_ms": None}}


@pytest.mark.parametrize("mode", ["match", "circles"])
def test_http_jobs_cli_and_python_give_the_same_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: TestClient, mode: str
) -> None:
    body = json.loads((EXAMPLES / f"http/peer_{mode}.json").read_text())
    http = _post(client, PATHS[mode], body)
    assert http.status_code == 200, http.text
    job = _post(client, "/jobs", {"kind": KINDS[mode], "payload": body})
    assert job.status_code == 202, job.text
    for _ in range(400):
        state = client.get(f"/jobs/{job.json()['id']}").json()
        if state["status"] not in ("queued", "running"):
            break
        time.sleep(0.025)
    assert state["status"] == "succeeded", state
    result = client.get(f"/jobs/{job.json()['id']}/result").json()
    assert _no_timings(result) == _no_timings(http.json())
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "out.json"
    ran = _cli(tmp_path, mode, body, out)
    assert ran.exit_code == 0, ran.output
    written = json.loads(out.read_text())
    assert _no_timings(written) == _no_timings(http.json())
    assert set(written["summary"]["timings_ms"]) == set(http.json()["summary"]["timings_ms"])
    # the Python door: the engine the doors share, on core profiles from the same files
    from matchsvc import schemas

    engine = Engine(Settings(data_dir=tmp_path / "py"), FakeEncoder())
    if mode == "match":
        request = schemas.PeerMatchRequest.model_validate(body)
        report: Any = engine.peer([p.to_core() for p in request.people], request.options.to_core())
        got = [(p.person_id, p.partner_id, p.score) for p in report.pairs]
        assert got == [(p["person_id"], p["partner_id"], p["score"]) for p in http.json()["pairs"]]
    else:
        circles = schemas.PeerCirclesRequest.model_validate(body)
        report = engine.peer(
            [p.to_core() for p in circles.people],
            circles.options.to_core(),
            [p.to_core() for p in circles.leaders],
        )
        got_c = [(list(c.members), c.leader_id, c.score) for c in report.circles]
        want = [(c["members"], c["leader_id"], c["score"]) for c in http.json()["circles"]]
        assert got_c == want


def test_the_examples_match_the_cli_files() -> None:
    people = json.loads((EXAMPLES / "peers.json").read_text())
    assert json.loads((EXAMPLES / "http/peer_match.json").read_text())["people"] == people
    circles = json.loads((EXAMPLES / "http/peer_circles.json").read_text())
    assert circles["people"] == people
    assert circles["leaders"] == json.loads((EXAMPLES / "peer_leaders.json").read_text())
    assert circles["options"] == json.loads((EXAMPLES / "peer_options.json").read_text())


def test_the_cli_csv_has_a_row_per_pair_and_per_unmatched_and_safe_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    body = _set(BASE, "people.3.id", "=HYPERLINK(1)")
    body["people"].append({"id": "eve", "skills": ["sql"]})
    out = tmp_path / "pairs.csv"
    ran = _cli(tmp_path, "match", body, out)
    assert ran.exit_code == 0, ran.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 3  # two pairs, then the one left out
    pairs = [r for r in rows if r["partner_id"]]
    alone = [r for r in rows if not r["partner_id"]]
    assert len(pairs) == 2 and len(alone) == 1 and alone[0]["unmatched_reason"]
    cells = {r["person_id"] for r in rows} | {r["partner_id"] for r in pairs}
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells
    for r in pairs:
        assert float(r["score"]) == pytest.approx((float(r["fit"]) + float(r["partner_fit"])) / 2)
    out_c = tmp_path / "circles.csv"
    ran = _cli(tmp_path, "circles", {**LED, "options": {"min_size": 2, "max_size": 3}}, out_c)
    assert ran.exit_code == 0, ran.output
    members = list(csv.DictReader(io.StringIO(out_c.read_text())))
    placed = [r for r in members if r["circle"]]
    assert {r["leader_id"] for r in placed} == {"lee"} and 2 <= len(placed) <= 3
    assert len(members) == 4  # everyone once: a member row or an unmatched row


def test_the_openapi_document_states_the_bounds(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    sizes = schemas["CircleOptionsIn"]["properties"]
    assert (sizes["min_size"]["minimum"], sizes["min_size"]["maximum"]) == (2, 8)
    assert (sizes["max_size"]["minimum"], sizes["max_size"]["maximum"]) == (2, 8)
    assert sizes["seed"]["maximum"] == 2**31 - 1
    assert schemas["PeerOptionsIn"]["properties"]["mutual"]["enum"] == ["mean", "min"]
    assert schemas["PeerOptionsIn"]["properties"]["min_score"]["anyOf"][0]["maximum"] == 1
    paths = client.get("/openapi.json").json()["paths"]
    assert "/peer/match" in paths and "/peer/circles" in paths


@pytest.mark.parametrize(("mode", "people"), [("match", 1000), ("circles", 100)])
def test_a_pool_over_the_time_budget_is_refused_before_any_work(
    tmp_path: Path, mode: str, people: int
) -> None:
    # 1,000 people: 499,500 pairs x 3 us = 1.5 s; 100 in circles: 4,950 x 450 us = 2.2 s
    encoder = FakeEncoder()
    settings = Settings(data_dir=tmp_path, request_timeout_seconds=1, max_mentees=people)
    with TestClient(create_app(settings, encoder=encoder)) as client:
        body = {"people": [{"id": f"p{k}", "skills": ["x"]} for k in range(people)]}
        response = client.post(PATHS[mode], json=body)
        assert response.status_code == 503, response.text
        assert response.json()["type"] == "urn:matchsvc:problem:time-budget-exceeded"
        assert encoder.calls == 0
        smaller = {"people": body["people"][: people // 2]}  # a quarter of the pairs: fits
        assert client.post(PATHS[mode], json=smaller).status_code == 200
