"""JobStore: durable transitions, idempotency, recovery after a crash, expiry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from matchsvc.errors import ConfigError, NotFoundError
from matchsvc.jobs import (
    IdempotencyKeyReusedError,
    JobAlreadyFinishedError,
    JobError,
    JobNoResultError,
    JobNotFinishedError,
    JobStore,
)

PAYLOAD = {"mentees": [{"id": "a"}], "mentors": [{"id": "m", "capacity": 2}]}


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> JobStore:
    return JobStore(tmp_path / "jobs.sqlite3", clock=clock)


def test_submit_is_queued_and_stored_as_given(store: JobStore) -> None:
    job = store.submit("match", PAYLOAD).job
    assert (job.status, job.stage, job.fraction, job.attempts) == ("queued", "queued", 0.0, 0)
    assert job.created_at == 1000.0 and job.started_at is None and job.finished_at is None
    assert store.input(job.id) == ("match", PAYLOAD)
    assert store.get(job.id) == job


def test_a_submitted_job_survives_a_new_store_on_the_same_file(tmp_path: Path) -> None:
    job = JobStore(tmp_path / "j.sqlite3").submit("match", PAYLOAD).job
    again = JobStore(tmp_path / "j.sqlite3")
    assert again.get(job.id) == job
    assert again.input(job.id) == ("match", PAYLOAD)
    mode = sqlite3.connect(tmp_path / "j.sqlite3").execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)


def test_same_key_same_body_in_any_key_order_returns_the_same_job(store: JobStore) -> None:
    first = store.submit("match", PAYLOAD, idempotency_key="k")
    reordered = {"mentors": PAYLOAD["mentors"], "mentees": PAYLOAD["mentees"]}
    second = store.submit("match", reordered, idempotency_key="k")
    assert first.created and not second.created
    assert second.job.id == first.job.id
    assert store.submit("match", PAYLOAD).job.id != first.job.id  # no key: a new job


@pytest.mark.parametrize(
    ("kind", "payload"),
    [("match", {**PAYLOAD, "mentors": []}), ("rematch", PAYLOAD)],
    ids=["other payload", "other kind"],
)
def test_same_key_other_body_is_refused(store: JobStore, kind: str, payload: dict) -> None:  # type: ignore[type-arg]
    job = store.submit("match", PAYLOAD, idempotency_key="k").job
    with pytest.raises(IdempotencyKeyReusedError, match=f"'k' was already used for job {job.id}"):
        store.submit(kind, payload, idempotency_key="k")


def test_claim_takes_the_oldest_and_counts_the_attempt(store: JobStore, clock: FakeClock) -> None:
    first = store.submit("match", PAYLOAD).job
    second = store.submit("match", {"mentees": [], "mentors": []}).job
    clock.now = 1005.0
    claimed = store.claim()
    assert claimed is not None
    job, payload = claimed
    assert (job.id, job.status, job.attempts, job.started_at) == (first.id, "running", 1, 1005.0)
    assert job.fraction is None and payload == PAYLOAD
    claimed = store.claim()
    assert claimed is not None and claimed[0].id == second.id
    assert store.claim() is None


def test_result_only_after_success(store: JobStore, clock: FakeClock) -> None:
    job = store.submit("match", PAYLOAD).job
    with pytest.raises(JobNotFinishedError, match=f"job {job.id} is queued"):
        store.result(job.id)
    store.claim()
    with pytest.raises(JobNotFinishedError, match="is running"):
        store.result(job.id)
    clock.now = 1010.0
    done = store.succeed(job.id, b'{"ok":true}')
    assert (done.status, done.stage, done.fraction, done.finished_at) == (
        "succeeded",
        "done",
        1.0,
        1010.0,
    )
    assert store.result(job.id) == b'{"ok":true}'


def test_a_failed_job_has_an_error_and_no_result(store: JobStore) -> None:
    job = store.submit("match", PAYLOAD).job
    store.claim()
    failed = store.fail(job.id, JobError("invalid-input", "bad", "payload.options.min_score"))
    assert failed.status == "failed"
    assert failed.error == JobError("invalid-input", "bad", "payload.options.min_score")
    with pytest.raises(JobNoResultError, match="failed: invalid-input: bad; it has no result"):
        store.result(job.id)


def test_unknown_ids_are_not_found(store: JobStore) -> None:
    for call in (store.get, store.input, store.result, store.cancel):
        with pytest.raises(NotFoundError, match="no job 'nope'"):
            call("nope")


def test_cancel_a_queued_job_at_once(store: JobStore) -> None:
    job = store.submit("match", PAYLOAD).job
    cancelled = store.cancel(job.id)
    assert (cancelled.status, cancelled.stage, cancelled.finished_at) == (
        "cancelled",
        "done",
        1000.0,
    )
    assert store.cancel(job.id) == cancelled  # again: no change
    assert store.claim() is None
    with pytest.raises(JobNoResultError, match="cancelled; it has no result"):
        store.result(job.id)


def test_cancel_a_running_job_is_a_request_honoured_when_it_ends(store: JobStore) -> None:
    job = store.submit("match", PAYLOAD).job
    store.claim()
    pending = store.cancel(job.id)
    assert pending.status == "running" and pending.cancel_requested
    assert store.set_stage(job.id, "matching") is False  # "stop now" at the boundary
    ended = store.succeed(job.id, b"{}")
    assert ended.status == "cancelled" and ended.fraction is None
    with pytest.raises(JobNoResultError):
        store.result(job.id)


def test_cancel_after_success_is_a_conflict(store: JobStore) -> None:
    job = store.submit("match", PAYLOAD).job
    store.claim()
    store.succeed(job.id, b"{}")
    with pytest.raises(JobAlreadyFinishedError, match="already succeeded; there is nothing"):
        store.cancel(job.id)


def test_release_puts_a_job_back_without_counting_the_attempt(store: JobStore) -> None:
    job = store.submit("match", PAYLOAD).job
    store.claim()
    released = store.release(job.id)
    assert (released.status, released.attempts, released.started_at) == ("queued", 0, None)


def test_recover_requeues_fails_after_max_attempts_and_honours_cancels(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path, clock=clock)
    ids = [store.submit("match", {"n": n}).job.id for n in range(4)]
    for _ in range(3):
        store.claim()  # jobs 0, 1, 2 running when the process "dies"
    store.cancel(ids[1])
    # Job 2 has already been interrupted twice before this run.
    store._db.execute("UPDATE jobs SET attempts = 3 WHERE id = ?", (ids[2],))

    restarted = JobStore(path, clock=clock)
    recovery = restarted.recover(max_attempts=3)
    assert recovery.requeued == (ids[0],)
    assert recovery.cancelled == (ids[1],)
    assert recovery.failed == (ids[2],)
    assert restarted.get(ids[0]).status == "queued" and restarted.get(ids[0]).attempts == 1
    assert restarted.get(ids[1]).status == "cancelled"
    failed = restarted.get(ids[2])
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.code == "interrupted"
    assert failed.error.message.startswith("interrupted 3 times")
    assert restarted.input(ids[2]) == ("match", {"n": 2})  # the input is still there
    assert restarted.get(ids[3]).status == "queued" and restarted.get(ids[3]).attempts == 0


def test_purge_deletes_finished_jobs_once_their_ttl_has_passed(
    store: JobStore, clock: FakeClock
) -> None:
    done = store.submit("match", {"n": 1}, idempotency_key="k").job
    store.claim()
    store.succeed(done.id, b"{}")  # finished at 1000
    queued = store.submit("match", {"n": 2}).job
    clock.now = 1000.0 + 49.9
    assert store.purge_expired(50.0) == 0
    clock.now = 1000.0 + 50.0
    assert store.purge_expired(50.0) == 1
    with pytest.raises(NotFoundError):
        store.get(done.id)
    clock.now = 10**9  # never purged while unfinished
    assert store.purge_expired(50.0) == 0
    assert store.get(queued.id).status == "queued"
    assert store.submit("match", {"other": True}, idempotency_key="k").created  # key is free


def test_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    JobStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(ConfigError, match="has schema 99, expected 2"):
        JobStore(path)
