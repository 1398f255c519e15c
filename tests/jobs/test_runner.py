"""JobRunner: one service call per job, failures recorded, cancel and stop at stage boundaries."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from matchsvc import schemas, service
from matchsvc.config import Settings
from matchsvc.engine import Engine
from matchsvc.errors import InvalidInputError
from matchsvc.jobs import Job, JobError, JobKind, JobRunner, JobStore, render
from tests.fakes import FakeEncoder

MATCH = {
    "mentees": [{"id": "a", "skills": ["python"], "communication": {"languages": ["en"]}}],
    "mentors": [{"id": "m", "skills": ["python"], "communication": {"languages": ["en"]}}],
}


class Echo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    fail: str | None = None


def run_echo(engine: Engine, body: Echo) -> Echo:
    if body.fail == "input":
        raise InvalidInputError("text is not allowed", field="text")
    if body.fail == "bug":
        raise RuntimeError("boom")
    return Echo(text=body.text.upper())


KINDS = {"match": JobKind(schemas.MatchRequest, service.run_match), "echo": JobKind(Echo, run_echo)}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(Settings(data_dir=tmp_path), FakeEncoder())


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs.sqlite3")


def runner_for(store: JobStore, engine: Engine, **options: Any) -> JobRunner:
    return JobRunner(store, engine, KINDS, poll_seconds=0.02, **options)


def wait_for(store: JobStore, job_id: str, *statuses: str, timeout: float = 60.0) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = store.get(job_id)
        if job.status in statuses:
            return job
        assert time.monotonic() < deadline, f"job still {job.status} ({job.stage})"
        time.sleep(0.01)


def test_a_match_job_stores_the_service_response(store: JobStore, engine: Engine) -> None:
    job_id = store.submit("match", MATCH).job.id
    done = runner_for(store, engine).run_next()
    assert done is not None
    assert (done.id, done.status, done.stage, done.fraction, done.attempts) == (
        job_id,
        "succeeded",
        "done",
        1.0,
        1,
    )
    expected = service.run_match(engine, schemas.MatchRequest.model_validate(MATCH))
    got = schemas.MatchResponse.model_validate_json(store.result(job_id))
    assert got.model_copy(update={"summary": None}) == expected.model_copy(update={"summary": None})
    assert got.summary.model_copy(update={"timings_ms": {}}) == expected.summary.model_copy(
        update={"timings_ms": {}}
    )


def test_render_is_the_response_models_json(store: JobStore) -> None:
    assert render(Echo(text="x")) == b'{"text":"x","fail":null}'


def test_nothing_is_taken_before_the_model_is_ready(store: JobStore, tmp_path: Path) -> None:
    loading = Engine(Settings(data_dir=tmp_path))  # no encoder and never loaded
    job_id = store.submit("echo", {"text": "hi"}).job.id
    assert runner_for(store, loading).run_next() is None
    assert store.get(job_id).status == "queued" and store.get(job_id).attempts == 0


def test_an_input_error_fails_the_job_with_its_code_and_payload_path(
    store: JobStore, engine: Engine
) -> None:
    store.submit("echo", {"text": "hi", "fail": "input"})
    done = runner_for(store, engine).run_next()
    assert done is not None and done.status == "failed"
    assert done.error == JobError("invalid-input", "text is not allowed", "payload.text")


def test_an_unexpected_error_fails_the_job_without_leaking_it(
    store: JobStore, engine: Engine
) -> None:
    store.submit("echo", {"text": "hi", "fail": "bug"})
    done = runner_for(store, engine).run_next()
    assert done is not None and done.error is not None
    assert done.error.code == "internal-error" and "boom" not in done.error.message


def test_a_stored_payload_that_no_longer_validates_fails(store: JobStore, engine: Engine) -> None:
    store.submit("echo", {"txt": "hi"})
    done = runner_for(store, engine).run_next()
    assert done is not None and done.error is not None
    assert (done.error.code, done.error.field) == ("invalid-input", "payload.text")


def test_an_unknown_kind_fails(store: JobStore, engine: Engine) -> None:
    store.submit("reticulate", {})
    done = runner_for(store, engine).run_next()
    assert done is not None and done.error is not None
    assert done.error.code == "unknown-kind"
    assert "'reticulate' is not run by this version (it runs echo, match)" in done.error.message


def test_workers_run_queued_jobs_and_stop(store: JobStore, engine: Engine) -> None:
    runner = runner_for(store, engine, workers=2)
    runner.start()
    ids = [store.submit("echo", {"text": f"t{n}"}).job.id for n in range(4)]
    runner.wake()
    for n, job_id in enumerate(ids):
        wait_for(store, job_id, "succeeded")
        assert store.result(job_id) == render(Echo(text=f"T{n}"))
    assert runner.stop(timeout=5) is True
    assert runner.stopping


def test_cancel_during_a_stage_ends_the_running_job(store: JobStore, engine: Engine) -> None:
    runner = runner_for(store, engine, debug_delay_seconds=30)
    job_id = store.submit("echo", {"text": "hi"}).job.id
    worker = threading.Thread(target=runner.run_next)
    worker.start()
    assert wait_for(store, job_id, "running").status == "running"
    store.cancel(job_id)
    worker.join(timeout=5)
    assert not worker.is_alive()
    job = store.get(job_id)
    assert (job.status, job.cancel_requested) == ("cancelled", True)


def test_stopping_puts_a_job_waiting_at_a_boundary_back_in_the_queue(
    store: JobStore, engine: Engine
) -> None:
    runner = runner_for(store, engine, debug_delay_seconds=30)
    runner.start()
    job_id = store.submit("echo", {"text": "hi"}).job.id
    runner.wake()
    wait_for(store, job_id, "running")
    assert runner.stop(timeout=5) is True
    job = store.get(job_id)
    assert (job.status, job.attempts) == ("queued", 0)
    rerun = runner_for(store, engine).run_next()  # the next process
    assert rerun is not None and rerun.status == "succeeded" and rerun.attempts == 1


def test_start_recovers_interrupted_jobs(store: JobStore, engine: Engine) -> None:
    job_id = store.submit("echo", {"text": "hi"}).job.id
    store.claim()  # a previous process died while running it
    runner = runner_for(store, engine)
    recovery = runner.start()
    try:
        assert recovery.requeued == (job_id,)
        job = wait_for(store, job_id, "succeeded")
        assert job.attempts == 2
    finally:
        runner.stop()


def test_bad_worker_count_is_refused(store: JobStore, engine: Engine) -> None:
    with pytest.raises(ValueError, match="workers is 0; use at least 1"):
        JobRunner(store, engine, KINDS, workers=0)
