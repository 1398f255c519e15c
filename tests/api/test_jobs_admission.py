"""POST /jobs refuses at once what its endpoint would refuse before embedding, bounds the queue,
the stored bytes and concurrent submissions, and never answers 500 for a body /match accepts or
refuses: the same body gets the same status at both doors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.config import Settings
from tests.api.conftest import person
from tests.api.test_jobs import MATCH, submit, wait
from tests.fakes import FakeEncoder

JSON = {"content-type": "application/json"}


def as_job(body: str) -> str:
    """The raw text of a POST /jobs body whose payload is the raw ``body``."""
    return '{"kind":"match","payload":' + body + "}"


def stored_jobs(client: TestClient) -> int:
    store = client.app.state.jobs.store  # type: ignore[attr-defined]
    (count,) = store._db.execute("SELECT COUNT(*) FROM jobs").fetchone()
    return int(count)


def gate_in_use(client: TestClient) -> int:
    return int(client.app.state.jobs.submissions.in_use)  # type: ignore[attr-defined]


@pytest.fixture
def small(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, max_mentees=3)
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        yield client


def with_people(mentees: list[Any] | None = None, mentors: list[Any] | None = None) -> Any:
    return {
        **MATCH,
        "mentees": mentees if mentees is not None else MATCH["mentees"],
        "mentors": mentors if mentors is not None else MATCH["mentors"],
    }


REFUSED = {
    "too many mentees": (with_people([person(f"p{k}", ["python"]) for k in range(4)]), 413),
    "duplicate id": (with_people([person("a", ["x"]), person("a", ["y"])]), 422),
    "bad time zone": (
        with_people([person("a", ["x"], communication={"timezone": "Europe/Nowhere"})]),
        422,
    ),
    "unknown exclude": (
        with_people(mentors=[person("m", ["x"], exclude=["ghost"], capacity=1)]),
        422,
    ),
    "bad weight": ({**MATCH, "options": {"weights": {"skills": -2}}}, 422),
    "min_score over 1": ({**MATCH, "options": {"min_score": 2.0}}, 422),
    "criterion named like a facet": (
        {
            **MATCH,
            "options": {"criteria": [{"name": "skills", "attribute": "x", "kind": "same"}]},
        },
        422,
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_jobs_refuse_at_submit_what_match_refuses_before_embedding(
    small: TestClient, case: str
) -> None:
    payload, status = REFUSED[case]
    direct = small.post("/match", json=payload)
    job = small.post("/jobs", json={"kind": "match", "payload": payload})
    assert (direct.status_code, job.status_code) == (status, status), job.text
    assert job.headers["content-type"] == "application/problem+json"
    assert job.json()["type"] == direct.json()["type"]
    assert [e["field"] for e in job.json()["errors"]] == [
        f"payload.{e['field']}" for e in direct.json()["errors"]
    ]
    assert stored_jobs(small) == 0
    assert gate_in_use(small) == 0


def test_a_rematch_job_with_duplicate_people_is_refused_at_submit(small: TestClient) -> None:
    payload = {"mentees": [person("a", ["x"]), person("a", ["x"])], "mentors": [person("m", [])]}
    response = small.post("/jobs", json={"kind": "rematch", "payload": payload})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "payload.mentees[1].id"
    assert stored_jobs(small) == 0


BODY = (
    '{"mentees":[{"id":"a","skills":["py"],"communication":{"languages":["en"]}%s}],'
    '"mentors":[{"id":"m","skills":["py"],"communication":{"languages":["en"]}}]%s}'
)
NON_FINITE_PLACES = {
    "attribute": (',"attributes":{"x":%s}', ""),
    "attribute list": (',"attributes":{"x":[%s]}', ""),
    "weight": ("", ',"options":{"weights":{"skills":%s}}'),
    "min_score": ("", ',"options":{"min_score":%s}'),
    "criterion bound": (
        "",
        ',"options":{"criteria":[{"name":"g","attribute":"y","kind":"gap","min":%s}]}',
    ),
    "overlap hours": ("", ',"options":{"constraints":{"min_overlap_hours":%s}}'),
}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("place", list(NON_FINITE_PLACES))
def test_non_finite_numbers_get_the_same_422_at_both_doors(
    client: TestClient, place: str, literal: str
) -> None:
    person_part, body_part = NON_FINITE_PLACES[place]
    body = BODY % (person_part.replace("%s", literal), body_part.replace("%s", literal))
    direct = client.post("/match", content=body, headers=JSON)
    job = client.post("/jobs", content=as_job(body), headers=JSON)
    assert (direct.status_code, job.status_code) == (422, 422), job.text
    assert job.json()["errors"][0]["field"] == "payload." + direct.json()["errors"][0]["field"]
    assert stored_jobs(client) == 0


def test_the_same_finite_body_is_accepted_at_both_doors(client: TestClient) -> None:
    body = BODY % (',"attributes":{"x":1e11}', "")
    assert client.post("/match", content=body, headers=JSON).status_code == 200
    job = client.post("/jobs", content=as_job(body), headers=JSON)
    assert job.status_code == 202
    assert wait(client, job.json()["id"], "succeeded", "failed")["status"] == "succeeded"


def test_text_utf8_cannot_hold_is_a_422_naming_the_field_not_a_500(client: TestClient) -> None:
    body = BODY % (',"goals":"x\\ud800y"', "")
    job = client.post("/jobs", content=as_job(body), headers=JSON)
    assert job.status_code == 422, job.text
    (error,) = job.json()["errors"]
    assert error["field"] == "payload.mentees[0].goals"
    assert error["message"].startswith("contains a lone surrogate (U+D800) at character 1")
    assert stored_jobs(client) == 0


def test_a_full_queue_is_a_429_with_retry_after(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, job_max_queued=1, job_debug_delay_seconds=30)
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        running = submit(client)["id"]
        wait(client, running, "running")
        submit(client, key="queued")  # the one allowed to wait
        response = client.post("/jobs", json={"kind": "match", "payload": MATCH})
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "10"
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:matchsvc:problem:job-queue-full"
        assert "MATCHSVC_JOB_MAX_QUEUED=1" in problem["detail"]
        replay = client.post(
            "/jobs",
            json={"kind": "match", "payload": MATCH},
            headers={"Idempotency-Key": "queued"},
        )
        assert replay.status_code == 200  # a replay stores nothing: never refused
        assert stored_jobs(client) == 2


def test_a_full_store_is_a_507_until_finished_jobs_are_deleted(tmp_path: Path) -> None:
    size = len(json.dumps(MATCH, separators=(",", ":"), ensure_ascii=False).encode())
    settings = Settings(data_dir=tmp_path, job_max_stored_bytes=2 * size + 100)
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        first = submit(client)["id"]
        wait(client, first, "succeeded")  # its result (kilobytes, > 100 bytes) counts too
        response = client.post("/jobs", json={"kind": "match", "payload": MATCH})
        assert response.status_code == 507
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:matchsvc:problem:job-store-full"
        assert problem["title"] == "Insufficient storage"
        assert "MATCHSVC_JOB_MAX_STORED_BYTES" in problem["detail"]
        assert client.delete(f"/jobs/{first}").status_code == 204
        assert submit(client)["status"] in ("queued", "running", "succeeded")


def test_submissions_beyond_the_slots_are_a_429_before_the_body_is_read(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, job_max_concurrent_submissions=1)
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        gate = client.app.state.jobs.submissions  # type: ignore[attr-defined]
        gate.enter()  # another submission is being received
        response = client.post("/jobs", content=b"{not even json", headers=JSON)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "1"
        assert response.json()["type"] == "urn:matchsvc:problem:busy"
        assert "MATCHSVC_JOB_MAX_CONCURRENT_SUBMISSIONS=1" in response.json()["detail"]
        assert client.get("/jobs/unknown").status_code == 404  # other job routes are not gated
        gate.leave()
        assert submit(client)["id"]
        assert client.post("/jobs", content=b"{not even json", headers=JSON).status_code == 422
        assert gate.in_use == 0  # released after success and after a refusal


def test_the_api_key_is_checked_before_the_body_is_read(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key="s3cret")  # type: ignore[arg-type]
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        response = client.post("/jobs", content=b"{not even json", headers=JSON)
        assert response.status_code == 401  # not 422: the body was never parsed
        assert response.headers["WWW-Authenticate"] == "ApiKey"
        assert client.app.state.jobs.submissions.in_use == 0  # type: ignore[attr-defined]
        ok = client.post(
            "/jobs", json={"kind": "match", "payload": MATCH}, headers={"X-API-Key": "s3cret"}
        )
        assert ok.status_code == 202


def test_the_openapi_document_lists_the_new_answers(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"202", "413", "422", "429", "507"} <= set(paths["/jobs"]["post"]["responses"])
    assert {"200", "202", "204", "404"} <= set(paths["/jobs/{job_id}"]["delete"]["responses"])
