"""/jobs: submit, poll, result equal to the synchronous body, cancel, idempotency, expiry."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.config import Settings
from tests.api.conftest import person
from tests.fakes import FakeEncoder

MATCH = {
    "mentees": [
        person("alice", ["python", "data pipelines"], "become a data engineer"),
        person("bob", ["public speaking"], "lead a team"),
        person("cara", ["python", "machine learning"], "become a data scientist"),
    ],
    "mentors": [
        person("m-data", ["python", "data pipelines"], "help data engineers", capacity=1),
        person("m-lead", ["public speaking", "leadership"], "coach team leads", capacity=2),
    ],
    "options": {"objective": "total"},
}


def submit(
    client: TestClient, payload: Any = MATCH, key: str | None = None, kind: str = "match"
) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    response = client.post("/jobs", json={"kind": kind, "payload": payload}, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


def wait(client: TestClient, job_id: str, *statuses: str, timeout: float = 60.0) -> Any:
    """Poll until the job's status is one of ``statuses`` ("running" means: in debug_delay)."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in statuses and (
            job["status"] != "running" or job["progress"]["stage"] == "debug_delay"
        ):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}: {job}"
        time.sleep(0.01)


def without_timings(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "summary": {**body["summary"], "timings_ms": None}}


@pytest.fixture
def slow_client(tmp_path: Path) -> Iterator[TestClient]:
    """One worker whose jobs wait 30 s (cancellable) before they run."""
    settings = Settings(data_dir=tmp_path, job_debug_delay_seconds=30)
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        yield client


def test_lifecycle_submit_poll_result_equals_the_synchronous_body(client: TestClient) -> None:
    response = client.post("/jobs", json={"kind": "match", "payload": MATCH})
    assert response.status_code == 202
    accepted = response.json()
    job_id = accepted["id"]
    assert accepted["status_url"] == f"/jobs/{job_id}"
    assert response.headers["Location"] == f"/jobs/{job_id}"
    assert accepted["status"] in ("queued", "running", "succeeded")

    job = wait(client, job_id, "succeeded", "failed")
    assert job["status"] == "succeeded", job
    assert job["kind"] == "match" and job["attempts"] == 1 and job["error"] is None
    assert job["progress"] == {"stage": "done", "fraction": 1.0}
    assert job["created_at"] <= job["started_at"] <= job["finished_at"] < job["expires_at"]
    assert job["result_url"] == f"/jobs/{job_id}/result"

    result = client.get(job["result_url"])
    assert result.status_code == 200
    assert result.headers["content-type"] == "application/json"
    synchronous = client.post("/match", json=MATCH).json()
    assert without_timings(result.json()) == without_timings(synchronous)
    assert set(result.json()["summary"]["timings_ms"]) == {"embed", "score", "solve", "explain"}

    kept = client.get(job["input_url"])
    assert kept.status_code == 200
    assert kept.json() == {"kind": "match", "payload": MATCH}


REMATCH = {
    "mentees": MATCH["mentees"],
    "mentors": MATCH["mentors"],
    "current": [{"mentee_id": "bob", "mentor_id": "m-data", "mentee_rating": 1}],
    "policy": {"min_rating_to_keep": 3},
}


def test_a_rematch_job_gives_the_body_of_post_rematch(client: TestClient) -> None:
    response = client.post("/jobs", json={"kind": "rematch", "payload": REMATCH})
    assert response.status_code == 202, response.text
    job = wait(client, response.json()["id"], "succeeded", "failed")
    assert (job["kind"], job["status"]) == ("rematch", "succeeded")
    result = client.get(job["result_url"]).json()
    synchronous = client.post("/rematch", json=REMATCH).json()
    assert without_timings(result) == without_timings(synchronous)
    assert client.get(job["input_url"]).json() == {"kind": "rematch", "payload": REMATCH}


def test_a_rematch_payload_is_validated_with_the_rematch_model(client: TestClient) -> None:
    payload = {**REMATCH, "policy": {"min_rating_to_keep": 9}}
    response = client.post("/jobs", json={"kind": "rematch", "payload": payload})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["payload.policy.min_rating_to_keep"]


def test_a_failing_job_reports_the_error_and_has_no_result(client: TestClient) -> None:
    # Pairs naming unknown people pass the submit checks (they need the scored problem).
    payload = {**REMATCH, "current": [{"mentee_id": "nobody", "mentor_id": "m-data"}]}
    response = client.post("/jobs", json={"kind": "rematch", "payload": payload})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    job = wait(client, job_id, "failed", "succeeded")
    assert job["status"] == "failed"
    assert job["error"]["code"] == "invalid-input"
    assert job["error"]["field"] == "payload.current[0].mentee_id"
    assert "names mentee 'nobody', who is not in this request" in job["error"]["message"]
    assert job["progress"] == {"stage": "done", "fraction": None}
    result = client.get(f"/jobs/{job_id}/result")
    assert result.status_code == 409
    assert result.json()["type"] == "urn:matchsvc:problem:job-no-result"


def test_the_result_of_an_unfinished_job_is_a_conflict(slow_client: TestClient) -> None:
    job_id = submit(slow_client)["id"]
    response = slow_client.get(f"/jobs/{job_id}/result")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:matchsvc:problem:job-not-finished"
    assert f"poll GET /jobs/{job_id}" in response.json()["detail"]


def test_cancel_a_queued_job_and_a_running_one(slow_client: TestClient) -> None:
    running = submit(slow_client)["id"]
    queued = submit(slow_client)["id"]  # one worker, busy with the first
    job = wait(slow_client, running, "running")
    assert job["progress"] == {"stage": "debug_delay", "fraction": None}
    assert slow_client.get(f"/jobs/{queued}").json()["status"] == "queued"

    response = slow_client.delete(f"/jobs/{queued}")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["finished_at"] is not None
    assert response.json()["progress"] == {"stage": "done", "fraction": None}

    response = slow_client.delete(f"/jobs/{running}")
    assert response.status_code == 202
    assert response.json()["status"] == "running"
    assert response.json()["cancel_requested"] is True
    job = wait(slow_client, running, "cancelled", timeout=5)
    assert job["progress"] == {"stage": "done", "fraction": None}  # as when cancelled queued
    assert slow_client.get(f"/jobs/{running}/result").status_code == 409
    assert slow_client.get(f"/jobs/{running}/input").json()["payload"] == MATCH
    response = slow_client.delete(f"/jobs/{running}")  # now finished: erased
    assert (response.status_code, response.content) == (204, b"")
    assert slow_client.get(f"/jobs/{running}").status_code == 404


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_deleting_a_finished_job_erases_it_at_once(client: TestClient, outcome: str) -> None:
    # A pair naming an unknown mentee passes the submit checks (they need no model) and
    # fails when the job runs.
    bad_pair = [{"mentee_id": "nobody", "mentor_id": "m-data"}]
    payload = REMATCH if outcome == "succeeded" else {**REMATCH, "current": bad_pair}
    response = client.post(
        "/jobs", json={"kind": "rematch", "payload": payload}, headers={"Idempotency-Key": "k"}
    )
    job_id = response.json()["id"]
    assert wait(client, job_id, "succeeded", "failed")["status"] == outcome
    store_path = client.app.state.jobs.store.path  # type: ignore[attr-defined]
    files = sorted(store_path.parent.glob("jobs.sqlite3*"))  # the database and its log
    assert b"become a data engineer" in b"".join(f.read_bytes() for f in files)
    response = client.delete(f"/jobs/{job_id}")
    assert (response.status_code, response.content) == (204, b"")
    assert b"become a data engineer" not in b"".join(f.read_bytes() for f in files if f.exists())
    for path in ("", "/result", "/input"):
        assert client.get(f"/jobs/{job_id}{path}").status_code == 404
    assert client.delete(f"/jobs/{job_id}").status_code == 404
    again = client.post(
        "/jobs", json={"kind": "match", "payload": MATCH}, headers={"Idempotency-Key": "k"}
    )
    assert again.status_code == 202  # the key went with the job


def test_same_idempotency_key_and_body_gives_one_job(client: TestClient) -> None:
    first = submit(client, key="order-42")
    reordered = {"options": MATCH["options"], "mentors": MATCH["mentors"], **MATCH}
    again = client.post(
        "/jobs",
        json={"payload": reordered, "kind": "match"},
        headers={"Idempotency-Key": "order-42"},
    )
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == f"/jobs/{first['id']}"
    assert again.json()["id"] == first["id"]
    assert submit(client)["id"] != first["id"]


def test_same_idempotency_key_with_another_body_is_refused(client: TestClient) -> None:
    first = submit(client, key="order-42")
    other = {**MATCH, "options": {"objective": "fair"}}
    response = client.post(
        "/jobs", json={"kind": "match", "payload": other}, headers={"Idempotency-Key": "order-42"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:matchsvc:problem:idempotency-key-reused"
    assert (
        f"already used for job {first['id']} with a different kind or payload"
        in (problem["detail"])
    )


@pytest.mark.parametrize("path", ["/jobs/nope", "/jobs/nope/result", "/jobs/nope/input"])
def test_unknown_job_is_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["type"] == "urn:matchsvc:problem:not-found"
    assert "no job 'nope'" in response.json()["detail"]


def test_cancelling_an_unknown_job_is_404(client: TestClient) -> None:
    assert client.delete("/jobs/nope").status_code == 404


def test_an_invalid_payload_is_refused_before_anything_is_stored(
    client: TestClient, tmp_path: Path
) -> None:
    mentees = [*MATCH["mentees"], {"id": "", "capacity": -1}]
    response = client.post(
        "/jobs", json={"kind": "match", "payload": {**MATCH, "mentees": mentees}}
    )
    assert response.status_code == 422
    problem = response.json()
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"payload.mentees[3].id", "payload.mentees[3].capacity"}
    assert problem["detail"].startswith("payload.mentees[3].")
    jobs = client.app.state.jobs.store  # type: ignore[attr-defined]
    assert jobs._db.execute("SELECT count(*) FROM jobs").fetchone() == (0,)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "reticulate", "payload": MATCH}, "kind"),
        ({"kind": "match"}, "payload"),
        ({"kind": "match", "payload": {"mentees": [], "mentors": [], "typo": 1}}, "payload.typo"),
        ({"kind": "match", "payload": MATCH, "extra": 1}, "extra"),
    ],
)
def test_envelope_errors_name_the_field(client: TestClient, body: Any, field: str) -> None:
    response = client.post("/jobs", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_an_empty_idempotency_key_is_refused(client: TestClient) -> None:
    response = client.post(
        "/jobs", json={"kind": "match", "payload": MATCH}, headers={"Idempotency-Key": ""}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_finished_jobs_expire_after_the_ttl(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, job_result_ttl_seconds=60)
    app = create_app(settings, encoder=FakeEncoder())
    now = [1_000_000.0]
    app.state.jobs.store.clock = lambda: now[0]
    with TestClient(app) as client:
        done = submit(client)["id"]
        wait(client, done, "succeeded")
        slow = app.state.jobs.store.submit("match", MATCH).job.id  # stays queued below
        app.state.jobs.stop()  # no worker takes it: it must survive the purge
        assert client.get(f"/jobs/{done}").json()["expires_at"] == "1970-01-12T13:47:40Z"
        now[0] += 59
        assert app.state.jobs.purge() == 0
        assert client.get(f"/jobs/{done}/result").status_code == 200
        now[0] += 1
        assert app.state.jobs.purge() == 1
        for path in ("", "/result", "/input"):
            assert client.get(f"/jobs/{done}{path}").status_code == 404
        assert client.get(f"/jobs/{slow}").json()["status"] == "queued"


def test_a_job_left_running_by_a_shutdown_runs_at_the_next_start(tmp_path: Path) -> None:
    slow = Settings(data_dir=tmp_path, job_debug_delay_seconds=30)
    with TestClient(create_app(slow, encoder=FakeEncoder())) as client:
        job_id = submit(client)["id"]
        wait(client, job_id, "running")
    with TestClient(create_app(Settings(data_dir=tmp_path), encoder=FakeEncoder())) as client:
        job = wait(client, job_id, "succeeded")
        assert job["attempts"] == 1  # stopped at a stage boundary: not an interruption
        assert client.get(f"/jobs/{job_id}/result").status_code == 200


def test_a_job_a_crash_left_running_is_rerun_at_start(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), encoder=FakeEncoder())) as client:
        store = client.app.state.jobs.store  # type: ignore[attr-defined]
        client.app.state.jobs.stop()  # type: ignore[attr-defined]
        job_id = store.submit("match", MATCH).job.id
        store.claim()  # as if a worker started it and the process then died
    with TestClient(create_app(Settings(data_dir=tmp_path), encoder=FakeEncoder())) as client:
        job = wait(client, job_id, "succeeded")
        assert job["attempts"] == 2


def test_jobs_need_the_api_key_when_one_is_set(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key="s3cret")  # type: ignore[arg-type]
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        body = {"kind": "match", "payload": MATCH}
        assert client.post("/jobs", json=body).status_code == 401
        assert client.get("/jobs/x").status_code == 401
        response = client.post("/jobs", json=body, headers={"X-API-Key": "s3cret"})
        assert response.status_code == 202


def test_the_openapi_document_describes_the_job_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/jobs"]) == {"post"}
    assert set(paths["/jobs/{job_id}"]) == {"get", "delete"}
    result = paths["/jobs/{job_id}/result"]["get"]["responses"]["200"]
    assert result["content"]["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/MatchResponse"},
        {"$ref": "#/components/schemas/RematchResponse"},
        {"$ref": "#/components/schemas/LearnResponse"},
        {"$ref": "#/components/schemas/AuditResponse"},
        {"$ref": "#/components/schemas/PeerMatchResponse"},
        {"$ref": "#/components/schemas/PeerCirclesResponse"},
    ]
    kinds = client.get("/openapi.json").json()["components"]["schemas"]["JobSubmission"]
    assert kinds["properties"]["kind"]["enum"] == [
        "match", "rematch", "learn", "audit", "peer_match", "peer_circles",
    ]  # fmt: skip
    report = paths["/jobs/{job_id}/report"]["get"]["responses"]["200"]
    assert set(report["content"]) == {"text/html"}


def test_a_wrong_method_lists_every_allowed_method(client: TestClient) -> None:
    response = client.put("/jobs/some-id")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET"
    assert response.json()["type"] == "urn:matchsvc:problem:method-not-allowed"


def _metric(client: TestClient, line_start: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_job_queue_depth_and_outcomes_are_metrics(slow_client: TestClient) -> None:
    waiting = [submit(slow_client, MATCH, key=f"k{k}")["id"] for k in range(3)]
    wait(slow_client, waiting[0], "running")  # the one worker holds the first; two queue
    assert _metric(slow_client, "matchsvc_jobs_queued ") == 2
    for job_id in waiting:
        slow_client.delete(f"/jobs/{job_id}")
    for job_id in waiting:
        wait(slow_client, job_id, "cancelled")
    cancelled = 'matchsvc_jobs_finished_total{kind="match",outcome="cancelled"}'
    assert _metric(slow_client, cancelled) == 3
    assert _metric(slow_client, "matchsvc_jobs_queued ") == 0


def test_a_finished_job_counts_as_succeeded(client: TestClient) -> None:
    job = submit(client)
    wait(client, job["id"], "succeeded")
    succeeded = 'matchsvc_jobs_finished_total{kind="match",outcome="succeeded"}'
    assert _metric(client, succeeded) == 1
