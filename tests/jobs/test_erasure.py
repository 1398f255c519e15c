"""JobStore erasure, bounds and storable payloads: erased bytes are gone from the SQLite files.

Each erasure test reads the database file and its write-ahead log as bytes: a marker in the
payload (and the result) is there before the erasure and nowhere after it. The control tests
switch one mechanism off (secure deletion, or the truncating checkpoint) and see the bytes
survive, so the erasure tests can fail.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from matchsvc.errors import InvalidInputError, NotFoundError
from matchsvc.jobs import (
    IdempotencyKeyReusedError,
    JobNotFinishedError,
    JobQueueFullError,
    JobStore,
    JobStoreFullError,
)

SECRET = "Zq7-private-goal-text-Xv3"
RESULT = b'{"matches":[{"mentee_id":"a","summary":"RESULT-MARKER-Kp9 because of shared python"}]}'


def payload(secret: str = SECRET, n: int = 0) -> dict[str, Any]:
    return {"mentees": [{"id": f"a{n}", "goals": secret * 40}], "mentors": [{"id": "m"}]}


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def on_disk(path: Path) -> bytes:
    """Every byte SQLite keeps for ``path``: the database, its log and its index of the log."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def finished(store: JobStore, secret: str = SECRET) -> str:
    job_id = store.submit("match", payload(secret)).job.id
    store.claim()
    store.succeed(job_id, RESULT)
    return job_id


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.sqlite3"


def test_erase_removes_input_and_result_from_the_files(path: Path) -> None:
    store = JobStore(path)
    job_id = finished(store)
    kept = finished(store, "kept-job-text-Lm2")
    before = on_disk(path)
    assert SECRET.encode() in before and before.count(b"RESULT-MARKER-Kp9") >= 2
    erased = store.erase(job_id)
    assert erased.id == job_id and erased.status == "succeeded"
    after = on_disk(path)
    assert SECRET.encode() not in after
    assert b"Zq7" not in after  # not even a fragment of the payload
    assert RESULT.count(b"RESULT-MARKER-Kp9") == 1 and after.count(b"RESULT-MARKER-Kp9") == 1
    assert b"kept-job-text-Lm2" in after  # the other job is untouched
    assert store.get(kept).status == "succeeded"
    assert path.with_name(path.name + "-wal").stat().st_size == 0
    with pytest.raises(NotFoundError):
        store.get(job_id)


def test_erasure_survives_a_reopen_and_leaves_no_trace_for_a_new_reader(path: Path) -> None:
    store = JobStore(path)
    job_id = finished(store)
    store.erase(job_id)
    store.close()
    reopened = JobStore(path)
    with pytest.raises(NotFoundError):
        reopened.input(job_id)
    assert SECRET.encode() not in on_disk(path)


def test_ttl_purge_removes_the_bytes(path: Path) -> None:
    clock = FakeClock()
    store = JobStore(path, clock=clock)
    finished(store)
    assert SECRET.encode() in on_disk(path)
    clock.now += 60
    assert store.purge_expired(60) == 1
    assert SECRET.encode() not in on_disk(path)
    assert b"RESULT-MARKER-Kp9" not in on_disk(path)


def test_a_failed_jobs_error_and_input_go_too(path: Path) -> None:
    from matchsvc.jobs import JobError

    store = JobStore(path)
    job_id = store.submit("match", payload()).job.id
    store.claim()
    store.fail(job_id, JobError("invalid-input", f"quoted input {SECRET}", "payload.x"))
    store.erase(job_id)
    assert SECRET.encode() not in on_disk(path)


def test_control_without_secure_delete_the_bytes_stay(path: Path) -> None:
    # SQLite's default differs between builds; the store sets it ON explicitly.
    store = JobStore(path)
    assert store._db.execute("PRAGMA secure_delete").fetchone() == (1,)
    store._db.execute("PRAGMA secure_delete=OFF")
    job_id = finished(store)
    store.erase(job_id)
    assert SECRET.encode() in on_disk(path)  # the freed page still holds it


def test_control_without_the_truncating_checkpoint_the_log_keeps_the_bytes(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JobStore(path)
    monkeypatch.setattr(store, "_scrub", lambda: True)
    job_id = finished(store)
    store.erase(job_id)
    assert SECRET.encode() in path.with_name(path.name + "-wal").read_bytes()


def test_erase_refuses_an_unfinished_job_and_delete_cancels_it(path: Path) -> None:
    store = JobStore(path)
    queued = store.submit("match", payload(n=1)).job.id
    running = store.submit("match", payload(n=2)).job.id
    store.submit("match", payload(n=3))
    with pytest.raises(JobNotFinishedError, match="is queued; cancel it"):
        store.erase(queued)
    job, erased = store.delete(queued)
    assert (erased, job.status, job.fraction) == (False, "cancelled", None)
    store.claim()  # takes `running` (the oldest queued)
    job, erased = store.delete(running)
    assert (erased, job.status, job.cancel_requested) == (False, "running", True)
    job, erased = store.delete(queued)  # now finished (cancelled): erased
    assert (erased, job.status) == (True, "cancelled")
    with pytest.raises(NotFoundError):
        store.delete(queued)


def test_a_cancelled_job_reports_the_same_fraction_however_it_was_cancelled(path: Path) -> None:
    store = JobStore(path)
    queued = store.submit("match", payload(n=1)).job
    running = store.submit("match", payload(n=2)).job
    assert store.cancel(queued.id).fraction is None  # was 0 while queued
    store.claim()
    store.cancel(running.id)
    ended = store.succeed(running.id, RESULT)  # the runner ends it at its next boundary
    assert (ended.status, ended.fraction) == ("cancelled", None)
    assert store.get(queued.id).fraction == store.get(running.id).fraction


def test_stored_bytes_count_payloads_and_results_and_erasure_frees_them(path: Path) -> None:
    store = JobStore(path)
    assert store.stored_bytes() == 0
    job_id = store.submit("match", payload()).job.id
    size = len(store._db.execute("SELECT CAST(payload AS BLOB) FROM jobs").fetchone()[0])
    assert store.stored_bytes() == size
    store.claim()
    store.succeed(job_id, RESULT)
    assert store.stored_bytes() == size + len(RESULT)
    store.erase(job_id)
    assert store.stored_bytes() == 0


def test_the_queue_bound_refuses_one_more_but_replays_a_key(path: Path) -> None:
    store = JobStore(path, max_queued=2)
    first = store.submit("match", payload(n=1), idempotency_key="k1").job
    store.submit("match", payload(n=2))
    with pytest.raises(JobQueueFullError, match="2 jobs are already waiting") as caught:
        store.submit("match", payload(n=3))
    assert caught.value.retry_after == 10 and caught.value.code == "job-queue-full"
    replay = store.submit("match", payload(n=1), idempotency_key="k1")
    assert (replay.created, replay.job.id) == (False, first.id)
    with pytest.raises(IdempotencyKeyReusedError):  # a reused key is still told apart
        store.submit("match", payload(n=9), idempotency_key="k1")
    store.claim()  # one leaves the queue: room for one
    assert store.submit("match", payload(n=3)).created
    assert store._db.execute("SELECT COUNT(*) FROM jobs").fetchone() == (3,)


def test_the_byte_bound_refuses_a_payload_that_does_not_fit(path: Path) -> None:
    probe = JobStore(path.with_name("probe.sqlite3"))
    probe.submit("match", payload())
    size = probe.stored_bytes()
    store = JobStore(path, max_stored_bytes=2 * size)
    first = store.submit("match", payload(n=0)).job.id
    store.submit("match", payload(n=1))
    with pytest.raises(JobStoreFullError, match=f"holds {2 * size} bytes") as caught:
        store.submit("match", payload(n=2))
    assert "DELETE finished jobs" in caught.value.message
    assert store._db.execute("SELECT COUNT(*) FROM jobs").fetchone() == (2,)
    store.claim()
    store.succeed(first, b"{}")
    store.erase(first)
    assert store.submit("match", payload(n=2)).created


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        (float("nan"), "payload.mentees[0].attributes.x", "is nan, which JSON cannot hold"),
        (float("inf"), "payload.mentees[0].attributes.x", "is inf"),
        (float("-inf"), "payload.mentees[0].attributes.x", "is -inf"),
        ([1.0, float("nan")], "payload.mentees[0].attributes.x[1]", "is nan"),
        ("x\ud800", "payload.mentees[0].attributes.x", "lone UTF-16 surrogate"),
    ],
)
def test_an_unstorable_payload_is_invalid_input_naming_the_field(
    path: Path, value: Any, field: str, message: str
) -> None:
    store = JobStore(path)
    body = {"mentees": [{"id": "a", "attributes": {"x": value}}], "mentors": []}
    with pytest.raises(InvalidInputError, match=message) as caught:
        store.submit("match", body)
    assert caught.value.field == field
    assert store._db.execute("SELECT COUNT(*) FROM jobs").fetchone() == (0,)


def test_a_surrogate_in_a_key_is_invalid_input(path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"a key in payload\.mentees\[0\]\.attributes"):
        JobStore(path).submit("match", {"mentees": [{"attributes": {"k\udc00": 1}}]})


V1_SCHEMA = """
PRAGMA secure_delete = OFF;  -- the default of many SQLite builds (Debian's is ON)
CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    payload TEXT NOT NULL, body_sha256 TEXT NOT NULL, idempotency_key TEXT UNIQUE,
    status TEXT NOT NULL, stage TEXT NOT NULL, fraction REAL,
    attempts INTEGER NOT NULL DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, started_at REAL, finished_at REAL, error_code TEXT,
    error_message TEXT, error_field TEXT, result BLOB
);
CREATE INDEX jobs_by_status ON jobs (status, seq);
CREATE INDEX jobs_by_finish ON jobs (finished_at);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO jobs (id, kind, payload, body_sha256, status, stage, fraction, created_at,
    finished_at, result)
VALUES ('old', 'match', '{"n":"é"}', 'x', 'succeeded', 'done', 1, 5, 6, X'7B7D');
INSERT INTO jobs (id, kind, payload, body_sha256, status, stage, created_at)
VALUES ('gone', 'match', '{"secret":"V1-LEFTOVER-Hh4"}', 'y', 'queued', 'queued', 5);
DELETE FROM jobs WHERE id = 'gone';
"""


def test_a_schema_1_store_is_upgraded_and_scrubbed(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(V1_SCHEMA)
    db.close()
    assert b"V1-LEFTOVER-Hh4" in on_disk(path)  # deleted without overwriting
    store = JobStore(path)
    assert store._db.execute("SELECT value FROM meta").fetchone() == ("2",)
    assert store.input("old") == ("match", {"n": "é"})
    assert store.stored_bytes() == len('{"n":"é"}'.encode()) + 2
    assert b"V1-LEFTOVER-Hh4" not in on_disk(path)  # the upgrade vacuumed the file


def test_the_runners_purge_also_purges_expired_embeddings(tmp_path: Path) -> None:
    from matchsvc.config import Settings
    from matchsvc.engine import CACHE_FILE, Engine
    from matchsvc.jobs import JobRunner
    from matchsvc.scoring import EmbeddingCache
    from tests.fakes import FakeEncoder

    clock = FakeClock()
    engine = Engine(Settings(data_dir=tmp_path), FakeEncoder())
    engine._cache = EmbeddingCache(  # the engine's own, with a clock the test moves
        FakeEncoder(), tmp_path / CACHE_FILE, ttl_seconds=100, clock=clock
    )
    engine.cache.embed([SECRET])
    runner = JobRunner(JobStore(path=tmp_path / "jobs.sqlite3"), engine, {})
    assert runner.purge() == 0
    assert SECRET.encode() not in on_disk(tmp_path / CACHE_FILE)  # only its hash and vector
    (rows,) = engine.cache._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()  # type: ignore[union-attr]
    assert rows == 1
    clock.now += 100
    runner.purge()
    (rows,) = engine.cache._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()  # type: ignore[union-attr]
    assert rows == 0
