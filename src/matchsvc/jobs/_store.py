"""The durable job store: one SQLite file (WAL) holding every job's input, state and result.

A job moves ``queued -> running -> succeeded | failed | cancelled``. Every transition is one
committed transaction (``synchronous=FULL``), so a job acknowledged to a caller survives a crash
of the process. The store holds no threads; :class:`~matchsvc.jobs.JobRunner` drives it.

One process per file: :meth:`JobStore.recover` treats every ``running`` job as interrupted, so
two live services sharing one ``data_dir`` would re-run each other's jobs.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from matchsvc.errors import ConfigError, ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "FINISHED",
    "Clock",
    "IdempotencyKeyReusedError",
    "Job",
    "JobAlreadyFinishedError",
    "JobError",
    "JobNoResultError",
    "JobNotFinishedError",
    "JobStatus",
    "JobStore",
    "Recovery",
    "Submission",
]

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
Clock = Callable[[], float]
"""Seconds since the epoch (``time.time``); tests inject a fake one."""

_SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    status TEXT NOT NULL,
    stage TEXT NOT NULL,
    fraction REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    error_code TEXT,
    error_message TEXT,
    error_field TEXT,
    result BLOB
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs (finished_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_COLUMNS = (
    "id, kind, status, stage, fraction, attempts, cancel_requested, created_at, started_at, "
    "finished_at, error_code, error_message, error_field, idempotency_key"
)


class IdempotencyKeyReusedError(InvalidInputError):
    """An ``Idempotency-Key`` already names a job whose kind or payload differ (422)."""

    code = "idempotency-key-reused"


class JobNotFinishedError(ConflictError):
    """The job's result was asked for while it is still queued or running (409)."""

    code = "job-not-finished"


class JobNoResultError(ConflictError):
    """The job's result was asked for but the job failed or was cancelled (409)."""

    code = "job-no-result"


class JobAlreadyFinishedError(ConflictError):
    """A cancel arrived after the job had succeeded or failed (409)."""

    code = "job-already-finished"


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed: the :class:`~matchsvc.errors.MatchsvcError` code and message.

    ``field`` is the offending input's path from the top of the submitted body, so it starts
    with ``payload.`` (``payload.options.min_score``), or is ``kind``.
    """

    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """One job's state, without its (possibly large) input and result.

    Attributes:
        id: opaque identifier (a UUID4 string).
        kind: the dispatch key, e.g. ``"match"``.
        status: see :data:`JobStatus`; ``succeeded``, ``failed`` and ``cancelled`` are final.
        stage: what the job is doing now (``queued``, ``debug_delay``, ``matching``, ``done``).
        fraction: share of the work done, only where it is known: 0 when queued, 1 when
            succeeded, ``None`` in between (the engine reports no finer progress).
        attempts: how many times a worker has started it (more than 1 after a crash).
        cancel_requested: a cancel arrived while it ran; it stops at the next stage boundary.
        created_at, started_at, finished_at: epoch seconds from the store's clock;
            ``started_at`` is the latest attempt's start.
        error: set when ``status == "failed"``.
        idempotency_key: the caller's ``Idempotency-Key``, if one was sent.
    """

    id: str
    kind: str
    status: JobStatus
    stage: str
    fraction: float | None
    attempts: int
    cancel_requested: bool
    created_at: float
    started_at: float | None
    finished_at: float | None
    error: JobError | None
    idempotency_key: str | None

    @property
    def finished(self) -> bool:
        """True once the status is final."""
        return self.status in FINISHED


@dataclass(frozen=True, slots=True)
class Submission:
    """What :meth:`JobStore.submit` did: ``created`` is False when the key replayed a job."""

    job: Job
    created: bool


@dataclass(frozen=True, slots=True)
class Recovery:
    """Ids of the unfinished jobs found at start-up, by what :meth:`JobStore.recover` did."""

    requeued: tuple[str, ...]
    failed: tuple[str, ...]
    cancelled: tuple[str, ...]


def _canonical(kind: str, payload: Mapping[str, Any]) -> str:
    """sha256 of the body with sorted keys: equal JSON bodies hash alike whatever their order."""
    text = json.dumps(
        {"kind": kind, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _job(row: tuple[Any, ...]) -> Job:
    (id_, kind, status, stage, fraction, attempts, cancel, created, started, finished) = row[:10]
    code, message, field, key = row[10:]
    return Job(
        id=id_,
        kind=kind,
        status=cast(JobStatus, status),
        stage=stage,
        fraction=fraction,
        attempts=attempts,
        cancel_requested=bool(cancel),
        created_at=created,
        started_at=started,
        finished_at=finished,
        error=JobError(code, message, field) if code is not None else None,
        idempotency_key=key,
    )


class JobStore:
    """Jobs in SQLite at ``path`` (created with its parent directories).

    Args:
        path: the database file, e.g. ``data_dir / "jobs.sqlite3"``.
        clock: the time source for every timestamp and for expiry.

    Thread-safe: one connection, one lock; each method is one transaction.
    ``on_finished(kind, status)``, when set, is called after a job of this process ends
    (succeeded, failed or cancelled), outside the transaction (metrics hook it here).

    Raises:
        ConfigError: the file cannot be opened or has another schema version.
    """

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = path
        self.clock: Clock = clock if clock is not None else time.time
        self._lock = threading.Lock()
        self.on_finished: Callable[[str, str], None] | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (_SCHEMA_VERSION,)
            )
            (version,) = self._db.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(f"cannot open the job store at {path}: {exc}") from exc
        if version != _SCHEMA_VERSION:
            self._db.close()
            raise ConfigError(
                f"the job store at {path} has schema {version}, expected {_SCHEMA_VERSION}; "
                "move the file away (it holds unfinished jobs) to start with an empty store"
            )

    def _ended(self, job: Job) -> Job:
        if self.on_finished is not None and job.status in ("succeeded", "failed", "cancelled"):
            self.on_finished(job.kind, job.status)
        return job

    def count_queued(self) -> int:
        """How many jobs wait to run (cheap: one indexed COUNT)."""
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM jobs WHERE status = 'queued'"
            ).fetchone()
        return int(count)

    def close(self) -> None:
        """Close the connection; later calls fail."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _get(self, db: sqlite3.Connection, job_id: str) -> Job:
        row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFoundError(
                f"no job {job_id!r}: it never existed or it finished more than the result "
                "time-to-live ago (MATCHSVC_JOB_RESULT_TTL_SECONDS) and was deleted",
                field="id",
            )
        return _job(row)

    # ------------------------------------------------------------ callers

    def submit(
        self, kind: str, payload: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Submission:
        """Store a new queued job, committed before this returns.

        With ``idempotency_key``: if a job with that key exists and has the same kind and
        payload (compared as JSON, key order ignored), nothing is stored and that job is
        returned with ``created=False``.

        Raises:
            IdempotencyKeyReusedError: the key names a job with another kind or payload.
        """
        digest = _canonical(kind, payload)
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        with self._transaction() as db:
            if idempotency_key is not None:
                row = db.execute(
                    "SELECT id, body_sha256 FROM jobs WHERE idempotency_key = ?",
                    (idempotency_key,),
                ).fetchone()
                if row is not None:
                    if row[1] != digest:
                        raise IdempotencyKeyReusedError(
                            f"Idempotency-Key {idempotency_key!r} was already used for job "
                            f"{row[0]} with a different kind or payload; send a new key for a "
                            "new job, or the identical body to get that job back",
                            field="Idempotency-Key",
                        )
                    return Submission(self._get(db, row[0]), created=False)
            job_id = str(uuid.uuid4())
            db.execute(
                "INSERT INTO jobs (id, kind, payload, body_sha256, idempotency_key, status, "
                "stage, fraction, created_at) VALUES (?, ?, ?, ?, ?, 'queued', 'queued', 0, ?)",
                (job_id, kind, text, digest, idempotency_key, self.clock()),
            )
            return Submission(self._get(db, job_id), created=True)

    def get(self, job_id: str) -> Job:
        """The job's state.

        Raises:
            NotFoundError: no such job (or it expired).
        """
        with self._lock:
            return self._get(self._db, job_id)

    def input(self, job_id: str) -> tuple[str, dict[str, Any]]:
        """``(kind, payload)`` exactly as submitted (payload parsed from its stored JSON).

        Raises:
            NotFoundError: no such job (or it expired).
        """
        with self._lock:
            row = self._db.execute(
                "SELECT kind, payload FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None:
                self._get(self._db, job_id)
        payload: dict[str, Any] = json.loads(row[1])
        return row[0], payload

    def result(self, job_id: str) -> bytes:
        """The succeeded job's response body: UTF-8 JSON, as the runner rendered it.

        Raises:
            NotFoundError: no such job (or it expired).
            JobNotFinishedError: the job is queued or running.
            JobNoResultError: the job failed or was cancelled.
        """
        with self._lock:
            job = self._get(self._db, job_id)
            if job.status == "succeeded":
                (body,) = self._db.execute(
                    "SELECT result FROM jobs WHERE id = ?", (job_id,)
                ).fetchone()
                return bytes(body)
        if not job.finished:
            raise JobNotFinishedError(
                f"job {job_id} is {job.status} (stage {job.stage}); poll GET /jobs/{job_id} "
                "until its status is succeeded, then fetch the result"
            )
        why = f": {job.error.code}: {job.error.message}" if job.error else ""
        raise JobNoResultError(
            f"job {job_id} {job.status}{why}; it has no result. Its input is kept at "
            f"GET /jobs/{job_id}/input: fix it if needed and submit a new job"
        )

    def cancel(self, job_id: str) -> Job:
        """Cancel: a queued job at once, a running one at its next stage boundary.

        Returns the job after the change: ``cancelled``, or ``running`` with
        ``cancel_requested``. Cancelling a cancelled job changes nothing.

        Raises:
            NotFoundError: no such job (or it expired).
            JobAlreadyFinishedError: the job already succeeded or failed.
        """
        with self._transaction() as db:
            job = self._get(db, job_id)
            if job.status == "queued":
                db.execute(
                    "UPDATE jobs SET status = 'cancelled', stage = 'done', cancel_requested = 1, "
                    "finished_at = ? WHERE id = ?",
                    (self.clock(), job_id),
                )
            elif job.status == "running":
                db.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
            elif job.status in ("succeeded", "failed"):
                raise JobAlreadyFinishedError(
                    f"job {job_id} already {job.status}; there is nothing to cancel"
                )
            after = self._get(db, job_id)
        return self._ended(after) if job.status == "queued" else after

    # ------------------------------------------------------------ the runner

    def claim(self) -> tuple[Job, dict[str, Any]] | None:
        """Oldest queued job -> ``running`` (attempts + 1), with its payload; None if none."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT id, payload FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'running', stage = 'starting', fraction = NULL, "
                "attempts = attempts + 1, started_at = ? WHERE id = ?",
                (self.clock(), row[0]),
            )
            payload: dict[str, Any] = json.loads(row[1])
            return self._get(db, row[0]), payload

    def set_stage(self, job_id: str, stage: str) -> bool:
        """Record the running job's stage; False if a cancel was requested (stop now)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET stage = ? WHERE id = ? AND status = 'running'", (stage, job_id)
            )
            return not self._get(db, job_id).cancel_requested

    def cancel_requested(self, job_id: str) -> bool:
        """Whether a cancel arrived for this job (the runner checks between stages)."""
        return self.get(job_id).cancel_requested

    def succeed(self, job_id: str, result: bytes) -> Job:
        """Store the result of a running job; if a cancel arrived meanwhile it ends cancelled."""
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET finished_at = ?, stage = 'done', "
                "status = CASE cancel_requested WHEN 1 THEN 'cancelled' ELSE 'succeeded' END, "
                "fraction = CASE cancel_requested WHEN 1 THEN NULL ELSE 1.0 END, "
                "result = CASE cancel_requested WHEN 1 THEN NULL ELSE ? END "
                "WHERE id = ? AND status = 'running'",
                (self.clock(), result, job_id),
            )
            after = self._get(db, job_id)
        return self._ended(after)

    def fail(self, job_id: str, error: JobError) -> Job:
        """Mark a running job failed with ``error``."""
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET status = 'failed', stage = 'done', finished_at = ?, "
                "error_code = ?, error_message = ?, error_field = ? "
                "WHERE id = ? AND status = 'running'",
                (self.clock(), error.code, error.message, error.field, job_id),
            )
            after = self._get(db, job_id)
        return self._ended(after)

    def mark_cancelled(self, job_id: str) -> Job:
        """End a running job whose cancel the runner has honoured."""
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET status = 'cancelled', stage = 'done', finished_at = ? "
                "WHERE id = ? AND status = 'running'",
                (self.clock(), job_id),
            )
            after = self._get(db, job_id)
        return self._ended(after)

    def release(self, job_id: str) -> Job:
        """Put a running job back in the queue, not counting the attempt (runner stopping)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET status = 'queued', stage = 'queued', fraction = 0, "
                "started_at = NULL, attempts = max(attempts - 1, 0) "
                "WHERE id = ? AND status = 'running'",
                (job_id,),
            )
            return self._get(db, job_id)

    def recover(self, max_attempts: int) -> Recovery:
        """At start-up, before any worker runs: settle jobs a previous process left running.

        A running job whose cancel had been requested becomes ``cancelled``; one already
        started ``max_attempts`` times becomes ``failed`` (code ``interrupted``); every other
        one is queued again (matching is deterministic, so re-running gives the same result).
        Queued jobs stay queued.
        """
        now = self.clock()
        with self._transaction() as db:
            rows = db.execute(
                "SELECT id, attempts, cancel_requested FROM jobs WHERE status = 'running' "
                "ORDER BY seq"
            ).fetchall()
            requeued: list[str] = []
            failed: list[str] = []
            cancelled: list[str] = []
            for job_id, attempts, cancel in rows:
                if cancel:
                    cancelled.append(job_id)
                    db.execute(
                        "UPDATE jobs SET status = 'cancelled', stage = 'done', finished_at = ? "
                        "WHERE id = ?",
                        (now, job_id),
                    )
                elif attempts >= max_attempts:
                    failed.append(job_id)
                    db.execute(
                        "UPDATE jobs SET status = 'failed', stage = 'done', finished_at = ?, "
                        "error_code = 'interrupted', error_message = ?, error_field = NULL "
                        "WHERE id = ?",
                        (
                            now,
                            f"interrupted {attempts} times (the service stopped while the job "
                            "ran) and not retried again; the input is kept at "
                            f"GET /jobs/{job_id}/input: split it or resubmit it",
                            job_id,
                        ),
                    )
                else:
                    requeued.append(job_id)
                    db.execute(
                        "UPDATE jobs SET status = 'queued', stage = 'queued', fraction = 0, "
                        "started_at = NULL WHERE id = ?",
                        (job_id,),
                    )
        return Recovery(tuple(requeued), tuple(failed), tuple(cancelled))

    def purge_expired(self, ttl_seconds: float) -> int:
        """Delete finished jobs (input, result, error) that ended ``ttl_seconds`` ago or more.

        Returns how many were deleted. Their ids then answer 404 and their idempotency keys
        are free again. Queued and running jobs are never purged.
        """
        cutoff = self.clock() - ttl_seconds
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at <= ? "
                "AND status IN ('succeeded', 'failed', 'cancelled')",
                (cutoff,),
            )
            return cursor.rowcount
