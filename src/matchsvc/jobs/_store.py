"""The durable job store: one SQLite file (WAL) holding every job's input, state and result.

A job moves ``queued -> running -> succeeded | failed | cancelled``. Every transition is one
committed transaction (``synchronous=FULL``), so a job acknowledged to a caller survives a crash
of the process. The store holds no threads; :class:`~matchsvc.jobs.JobRunner` drives it.

Erasure: a finished job is deleted at once by :meth:`JobStore.erase` (``DELETE /jobs/{id}``) or
after its time-to-live by :meth:`JobStore.purge_expired`. Deleted rows are overwritten with
zeros (``PRAGMA secure_delete``) and the write-ahead log is then checkpointed and truncated, so
the payload and result bytes leave both files instead of lingering in free pages or old log
frames.

Bounds: with ``max_queued`` a submission is refused (:class:`JobQueueFullError`) while that many
jobs wait; with ``max_stored_bytes`` it is refused (:class:`JobStoreFullError`) when its payload
would bring the stored payloads and results over the cap.

One process per file: :meth:`JobStore.recover` treats every ``running`` job as interrupted, so
two live services sharing one ``data_dir`` would re-run each other's jobs.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from matchsvc.errors import (
    BusyError,
    ConfigError,
    ConflictError,
    InvalidInputError,
    MatchsvcError,
    NotFoundError,
    field_path,
)

__all__ = [
    "FINISHED",
    "Clock",
    "IdempotencyKeyReusedError",
    "Job",
    "JobAlreadyFinishedError",
    "JobError",
    "JobNoResultError",
    "JobNotFinishedError",
    "JobQueueFullError",
    "JobStatus",
    "JobStore",
    "JobStoreFullError",
    "Recovery",
    "Submission",
]

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
Clock = Callable[[], float]
"""Seconds since the epoch (``time.time``); tests inject a fake one."""

_SCHEMA_VERSION = "2"
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
    result BLOB,
    size_bytes INTEGER NOT NULL DEFAULT 0
);
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs (finished_at);
CREATE INDEX IF NOT EXISTS jobs_by_size ON jobs (size_bytes);
"""
_UPGRADE_FROM_1 = """
ALTER TABLE jobs ADD COLUMN size_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET size_bytes = length(CAST(payload AS BLOB)) + IFNULL(length(result), 0);
"""
_QUEUE_FULL_RETRY_AFTER = 10
"""Seconds a refused submission is told to wait (``Retry-After``) when the queue is full."""
_CHECKPOINT_TRIES = 20
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


class JobQueueFullError(BusyError):
    """``max_queued`` jobs already wait to run (429, with ``Retry-After``)."""

    code = "job-queue-full"


class JobStoreFullError(MatchsvcError):
    """Storing the payload would bring the store over ``max_stored_bytes`` (507)."""

    code = "job-store-full"


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
        fraction: share of the work done, only where it is known, so it follows the status:
            0 while queued, 1 once succeeded, ``None`` while running (the engine reports no
            finer progress) and once failed or cancelled (no result; how far it got is not
            reported), whenever the cancel arrived.
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
    """sha256 of the body with sorted keys: equal JSON bodies hash alike whatever their order.

    Raises ValueError (a non-finite number) or UnicodeEncodeError (a lone surrogate).
    """
    text = json.dumps(
        {"kind": kind, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unstorable(payload: Mapping[str, Any]) -> InvalidInputError:
    """Why ``payload`` cannot be stored as UTF-8 JSON, as an error naming the first bad field.

    JSON has no NaN or infinity, and UTF-8 cannot encode a lone UTF-16 surrogate (``\\ud800``)
    in a string or a key. Called only after serialising failed, so the walk costs nothing on
    the normal path.
    """
    stack: list[tuple[tuple[int | str, ...], Any]] = [(("payload",), payload)]
    while stack:
        loc, value = stack.pop()
        where = field_path(loc)
        if isinstance(value, float) and not math.isfinite(value):
            return InvalidInputError(
                f"{where} is {value!r}, which JSON cannot hold; send a finite number",
                field=where,
            )
        if isinstance(value, str) and not _utf8(value):
            return InvalidInputError(
                f"{where} contains a lone UTF-16 surrogate (e.g. \\ud800), which is not "
                "Unicode text; send valid UTF-8",
                field=where,
            )
        if isinstance(value, Mapping):
            for key, item in reversed(list(value.items())):
                if not _utf8(str(key)):
                    return InvalidInputError(
                        f"a key in {where} contains a lone UTF-16 surrogate; send valid UTF-8",
                        field=where,
                    )
                stack.append(((*loc, str(key)), item))
        elif isinstance(value, list | tuple):
            stack.extend(((*loc, k), item) for k, item in reversed(list(enumerate(value))))
    return InvalidInputError("payload cannot be stored as JSON", field="payload")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
        path: the database file, e.g. ``data_dir / "jobs.sqlite3"``. A schema 1 file is
            upgraded in place (and vacuumed once).
        clock: the time source for every timestamp and for expiry.
        max_queued: most jobs waiting to run; ``None``: no bound.
        max_stored_bytes: most bytes of payloads and results (UTF-8 JSON) held; ``None``: no
            bound.

    Thread-safe: one connection, one lock; each method is one transaction.
    ``on_finished(kind, status)``, when set, is called after a job of this process ends
    (succeeded, failed or cancelled), outside the transaction (metrics hook it here).

    Raises:
        ConfigError: the file cannot be opened or has another schema version.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock | None = None,
        max_queued: int | None = None,
        max_stored_bytes: int | None = None,
    ) -> None:
        self.path = path
        self.clock: Clock = clock if clock is not None else time.time
        self.max_queued = max_queued
        self.max_stored_bytes = max_stored_bytes
        self._lock = threading.Lock()
        self._scrub_after_commit = False
        self.on_finished: Callable[[str, str], None] | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(f"cannot open the job store at {path}: {exc}") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute("PRAGMA secure_delete=ON")
            if self._prepare():
                self._db.execute("VACUUM")  # drop what older versions left in free pages
                self._scrub()
        except sqlite3.Error as exc:
            self._db.close()
            raise ConfigError(f"cannot open the job store at {path}: {exc}") from exc
        except ConfigError:
            self._db.close()
            raise

    def _prepare(self) -> bool:
        """Create or upgrade the tables in one transaction; True if a schema 1 was upgraded."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = None if row is None else row[0]
            if version is None:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (_SCHEMA_VERSION,))
            elif version == "1":
                for statement in _UPGRADE_FROM_1.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (_SCHEMA_VERSION,)
                )
            elif version != _SCHEMA_VERSION:
                raise ConfigError(
                    f"the job store at {self.path} has schema {version}, expected "
                    f"{_SCHEMA_VERSION}; move the file away (it holds unfinished jobs) to start "
                    "with an empty store"
                )
            for statement in _INDEXES.split(";"):
                if statement.strip():
                    db.execute(statement)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return version == "1"

    def _scrub(self) -> bool:
        """Checkpoint the log into the file and truncate it (caller holds the lock or is
        the constructor); False if another reader kept it from being truncated.

        With ``secure_delete`` the pages written by a delete hold zeros where the rows were;
        the checkpoint puts them into the file and the truncation drops the log's older page
        images, which still hold the deleted bytes.
        """
        for attempt in range(_CHECKPOINT_TRIES):
            (busy, _, _) = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.01 * (attempt + 1))
        return False

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

    def stored_bytes(self) -> int:
        """Bytes of every stored payload and result (UTF-8 JSON), the figure
        ``max_stored_bytes`` bounds (cheap: a scan of a small index)."""
        with self._lock:
            (total,) = self._db.execute("SELECT IFNULL(SUM(size_bytes), 0) FROM jobs").fetchone()
        return int(total)

    def close(self) -> None:
        """Close the connection; later calls fail."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction under the lock; a body that deleted rows sets
        ``_scrub_after_commit`` and the log is truncated after the commit."""
        with self._lock:
            self._scrub_after_commit = False
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            if self._scrub_after_commit:
                self._scrub()

    def _get(self, db: sqlite3.Connection, job_id: str) -> Job:
        row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFoundError(
                f"no job {job_id!r}: it never existed, was deleted, or finished more than "
                "the result time-to-live ago (MATCHSVC_JOB_RESULT_TTL_SECONDS) and expired",
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
        returned with ``created=False`` (even when the store is full).

        Raises:
            InvalidInputError: the payload holds a non-finite number or a lone surrogate,
                which UTF-8 JSON cannot store (``field`` names it, from ``payload``).
            IdempotencyKeyReusedError: the key names a job with another kind or payload.
            JobQueueFullError: ``max_queued`` jobs are already queued.
            JobStoreFullError: the payload would bring the stored bytes over
                ``max_stored_bytes``.
        """
        try:
            digest = _canonical(kind, payload)
            text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            size = len(text.encode("utf-8"))
        except (ValueError, UnicodeEncodeError):  # UnicodeEncodeError is a ValueError too
            raise _unstorable(payload) from None
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
            self._admit(db, size)
            job_id = str(uuid.uuid4())
            db.execute(
                "INSERT INTO jobs (id, kind, payload, body_sha256, idempotency_key, status, "
                "stage, fraction, created_at, size_bytes) "
                "VALUES (?, ?, ?, ?, ?, 'queued', 'queued', 0, ?, ?)",
                (job_id, kind, text, digest, idempotency_key, self.clock(), size),
            )
            return Submission(self._get(db, job_id), created=True)

    def _admit(self, db: sqlite3.Connection, size: int) -> None:
        """Raise unless one more queued job of ``size`` payload bytes fits the bounds."""
        if self.max_queued is not None:
            (queued,) = db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").fetchone()
            if queued >= self.max_queued:
                raise JobQueueFullError(
                    f"{queued} jobs are already waiting to run, the limit "
                    f"(MATCHSVC_JOB_MAX_QUEUED={self.max_queued}); retry after the Retry-After "
                    "seconds, or cancel queued jobs you no longer need",
                    retry_after=_QUEUE_FULL_RETRY_AFTER,
                )
        if self.max_stored_bytes is not None:
            (stored,) = db.execute("SELECT IFNULL(SUM(size_bytes), 0) FROM jobs").fetchone()
            if stored + size > self.max_stored_bytes:
                raise JobStoreFullError(
                    f"the job store holds {stored} bytes of payloads and results; this "
                    f"{size}-byte payload would exceed MATCHSVC_JOB_MAX_STORED_BYTES="
                    f"{self.max_stored_bytes}: fetch the results you need and DELETE finished "
                    "jobs (DELETE /jobs/{id}), or wait for them to expire"
                )

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
            if job.status in ("succeeded", "failed"):
                raise JobAlreadyFinishedError(
                    f"job {job_id} already {job.status}; there is nothing to cancel"
                )
            after = self._cancel(db, job)
        return self._ended(after) if job.status == "queued" else after

    def _cancel(self, db: sqlite3.Connection, job: Job) -> Job:
        if job.status == "queued":
            db.execute(
                "UPDATE jobs SET status = 'cancelled', stage = 'done', fraction = NULL, "
                "cancel_requested = 1, finished_at = ? WHERE id = ?",
                (self.clock(), job.id),
            )
        elif job.status == "running":
            db.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job.id,))
        return self._get(db, job.id)

    def erase(self, job_id: str) -> Job:
        """Delete a finished job now (input, result, error, idempotency key); its last state.

        The row's bytes are overwritten and the log truncated (module docstring); the id then
        answers 404 and the key is free again.

        Raises:
            NotFoundError: no such job (or it expired).
            JobNotFinishedError: the job is queued or running (cancel it first).
        """
        with self._transaction() as db:
            job = self._get(db, job_id)
            if not job.finished:
                raise JobNotFinishedError(
                    f"job {job_id} is {job.status}; cancel it (DELETE /jobs/{job_id}) and "
                    "delete it once it is cancelled"
                )
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            self._scrub_after_commit = True
        return job

    def delete(self, job_id: str) -> tuple[Job, bool]:
        """``DELETE /jobs/{id}`` in one transaction: erase a finished job, cancel another.

        Returns the job (its last state when erased, else as :meth:`cancel` leaves it) and
        whether it was erased.

        Raises:
            NotFoundError: no such job (or it expired).
        """
        with self._transaction() as db:
            job = self._get(db, job_id)
            if job.finished:
                db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
                self._scrub_after_commit = True
                return job, True
            after = self._cancel(db, job)
        return (self._ended(after) if job.status == "queued" else after), False

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
                "UPDATE jobs SET finished_at = ?4, stage = 'done', "
                "status = CASE cancel_requested WHEN 1 THEN 'cancelled' ELSE 'succeeded' END, "
                "fraction = CASE cancel_requested WHEN 1 THEN NULL ELSE 1.0 END, "
                "result = CASE cancel_requested WHEN 1 THEN NULL ELSE ?1 END, "
                "size_bytes = size_bytes + CASE cancel_requested WHEN 1 THEN 0 ELSE ?2 END "
                "WHERE id = ?3 AND status = 'running'",
                (result, len(result), job_id, self.clock()),
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
        are free again. Queued and running jobs are never purged. As with :meth:`erase`, the
        deleted bytes are overwritten and the log truncated.
        """
        cutoff = self.clock() - ttl_seconds
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at <= ? "
                "AND status IN ('succeeded', 'failed', 'cancelled')",
                (cutoff,),
            )
            self._scrub_after_commit = cursor.rowcount > 0
            return cursor.rowcount
