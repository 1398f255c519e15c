"""The job runner: a small pool of worker threads that take queued jobs from the store.

Each job goes: re-validate the stored payload with its kind's request model, wait the optional
test delay, then ONE call of the kind's service function (the same function the synchronous
endpoint calls) on the shared :class:`~matchsvc.engine.Engine`, then store the rendered
response. Workers take nothing until ``engine.ready``.

Stages and progress. The engine runs embedding, scoring, solving and explaining inside one
call and reports no progress from inside it, so a job reports only what the runner observes:
``queued`` -> ``starting`` -> (``debug_delay``) -> ``matching`` -> ``done``, with ``fraction`` 0
when queued, 1 when succeeded and ``None`` (unknown) while running and once failed or cancelled.

Cancelling is cooperative: a cancel requested while a job runs is honoured at the next stage
boundary: before the engine call starts, during the test delay, or when the engine call
returns (the result is then discarded and the job ends ``cancelled``). The engine call itself
is never interrupted.

Stopping (app shutdown) stops workers from taking new jobs. A job stopped at a stage boundary
is put back in the queue without counting the attempt; one inside the engine call keeps running
in its daemon thread and is stored if it ends before the process does, otherwise it stays
``running`` and :meth:`JobStore.recover` re-queues it at the next start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from matchsvc.engine import Engine
from matchsvc.errors import ConfigError, MatchsvcError, field_path
from matchsvc.jobs._admission import SubmissionGate
from matchsvc.jobs._store import Job, JobError, JobStore, Recovery

__all__ = ["JobKind", "JobRunner", "render"]

log = logging.getLogger("matchsvc.jobs")

_CANCEL_POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class JobKind:
    """How to check and run one kind of job.

    Attributes:
        request_model: validates the payload (the body of the synchronous endpoint).
        run: ``run(engine, request) -> response``, the synchronous endpoint's service function.
        check: ``check(engine, request)``, run at submit: the endpoint's checks that need no
            model (limits, people, options); raises the :class:`MatchsvcError` the endpoint
            would, with ``field`` relative to the payload. ``None``: none.
    """

    request_model: type[BaseModel]
    run: Callable[[Engine, Any], BaseModel]
    check: Callable[[Engine, Any], None] | None = None


def render(response: BaseModel) -> bytes:
    """The JSON body FastAPI sends for ``response`` from a route with that response model.

    FastAPI serialises a response model with pydantic's ``dump_json(by_alias=True)``; this is
    the same call, so a job's stored result is the synchronous endpoint's body.
    """
    return response.model_dump_json(by_alias=True).encode("utf-8")


class JobRunner:
    """Runs queued jobs of ``store`` with ``engine``, ``workers`` at a time.

    Args:
        store: where jobs come from and results go.
        engine: does the work; workers wait for ``engine.ready``.
        kinds: job kind name -> :class:`JobKind`. A stored job of another kind fails
            (code ``unknown-kind``).
        workers: worker threads (jobs running at once).
        result_ttl_seconds: finished jobs are purged this long after they end.
        max_concurrent_submissions: submissions parsed, validated and stored at once
            (:attr:`submissions`; the HTTP door takes a slot before it reads the body).
        max_attempts: a job found interrupted this many times at start-up fails.
        debug_delay_seconds: testing only, see ``MATCHSVC_JOB_DEBUG_DELAY_SECONDS``.
        poll_seconds: how often idle workers look for jobs they were not woken for.
        purge_every_seconds: how often a worker purges expired jobs and, once the model is
            loaded, expired vectors of the engine's embedding cache.
    """

    def __init__(
        self,
        store: JobStore,
        engine: Engine,
        kinds: Mapping[str, JobKind],
        *,
        workers: int = 1,
        result_ttl_seconds: float = 7 * 24 * 3600,
        max_concurrent_submissions: int = 2,
        max_attempts: int = 3,
        debug_delay_seconds: float = 0.0,
        poll_seconds: float = 0.5,
        purge_every_seconds: float = 60.0,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers is {workers}; use at least 1")
        self.store = store
        self.engine = engine
        self.kinds = dict(kinds)
        self.workers = workers
        self.result_ttl_seconds = result_ttl_seconds
        self.submissions = SubmissionGate(max_concurrent_submissions)
        self.max_attempts = max_attempts
        self.debug_delay_seconds = debug_delay_seconds
        self.poll_seconds = poll_seconds
        self.purge_every_seconds = purge_every_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._purge_lock = threading.Lock()
        self._next_purge = 0.0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Recovery:
        """Recover jobs a previous process left running, purge expired ones, start workers.

        Returns what recovery did. Call once, before any worker of another process could
        use the same store.
        """
        recovery = self.store.recover(self.max_attempts)
        if recovery.requeued or recovery.failed or recovery.cancelled:
            log.warning(
                "recovered interrupted jobs",
                extra={
                    "requeued": list(recovery.requeued),
                    "failed": list(recovery.failed),
                    "cancelled": list(recovery.cancelled),
                },
            )
        self.purge()
        self._stop.clear()
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"matchsvc-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return recovery

    def wake(self) -> None:
        """Tell idle workers a job was queued (they also poll every ``poll_seconds``)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop taking jobs and wait up to ``timeout`` s for workers; True if all have exited.

        A worker still inside an engine call after ``timeout`` is left to its daemon thread
        (see the module docstring for what happens to its job).
        """
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t for t in self._threads if t.is_alive()]
        self._threads = alive
        return not alive

    @property
    def stopping(self) -> bool:
        """True after :meth:`stop` was called."""
        return self._stop.is_set()

    # ------------------------------------------------------------ work

    def purge(self) -> int:
        """Delete expired finished jobs now, and expired cached vectors; returns how many jobs.

        The embedding cache is purged only once the model is loaded (the engine creates it
        then; it also purges when it opens). A cache that cannot be changed is logged, not
        raised: the jobs' purge has happened.
        """
        removed = self.store.purge_expired(self.result_ttl_seconds)
        if removed:
            log.info("purged expired jobs", extra={"removed": removed})
        if self.engine.ready:
            try:
                vectors = self.engine.cache.purge_expired()
            except ConfigError as exc:
                log.warning("embedding cache purge failed", extra={"error": exc.message})
            else:
                if vectors:
                    log.info("purged expired embeddings", extra={"removed": vectors})
        return removed

    def run_next(self) -> Job | None:
        """Claim the oldest queued job and run it to its end in this thread.

        Returns the job's final state, or None when nothing was run (no queued job, the
        engine is not ready, or the runner is stopping).
        """
        if self._stop.is_set() or not self.engine.ready:
            return None
        claimed = self.store.claim()
        if claimed is None:
            return None
        job, payload = claimed
        return self._execute(job, payload)

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                self._maybe_purge()
                if self.run_next() is None:
                    self._wake.wait(self.poll_seconds)
                    self._wake.clear()
            except Exception:
                log.exception("job worker error; retrying")
                self._stop.wait(self.poll_seconds)

    def _maybe_purge(self) -> None:
        with self._purge_lock:
            now = time.monotonic()
            if now < self._next_purge:
                return
            self._next_purge = now + self.purge_every_seconds
        self.purge()

    def _boundary(self, job: Job, stage: str) -> Job | None:
        """Enter ``stage``; the job's final state if it must stop here instead."""
        if self._stop.is_set():
            return self.store.release(job.id)
        if not self.store.set_stage(job.id, stage):
            return self.store.mark_cancelled(job.id)
        return None

    def _delay(self, job: Job) -> Job | None:
        stopped = self._boundary(job, "debug_delay")
        if stopped is not None:
            return stopped
        deadline = time.monotonic() + self.debug_delay_seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._stop.wait(min(_CANCEL_POLL_SECONDS, left)):
                return self.store.release(job.id)
            if self.store.cancel_requested(job.id):
                return self.store.mark_cancelled(job.id)
        return None

    def _execute(self, job: Job, payload: dict[str, Any]) -> Job:
        if job.kind not in self.kinds:
            known = ", ".join(sorted(self.kinds))
            return self.store.fail(
                job.id,
                JobError(
                    "unknown-kind",
                    f"job kind {job.kind!r} is not run by this version (it runs {known})",
                    "kind",
                ),
            )
        kind = self.kinds[job.kind]
        try:
            request = kind.request_model.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = field_path(("payload", *first["loc"]))
            return self.store.fail(
                job.id,
                JobError(
                    "invalid-input",
                    f"{field}: {first['msg']} (the stored payload does not validate in "
                    "this version)",
                    field,
                ),
            )
        if self.debug_delay_seconds > 0:
            stopped = self._delay(job)
            if stopped is not None:
                return stopped
        stopped = self._boundary(job, "matching")
        if stopped is not None:
            return stopped
        log.info("job started", extra={"job_id": job.id, "kind": job.kind})
        try:
            response = kind.run(self.engine, request)
        except MatchsvcError as exc:
            log.info("job failed", extra={"job_id": job.id, "code": exc.code})
            where = None if exc.field is None else f"payload.{exc.field}"
            return self.store.fail(job.id, JobError(exc.code, exc.message, where))
        except Exception:
            log.exception("job crashed", extra={"job_id": job.id})
            return self.store.fail(
                job.id,
                JobError(
                    "internal-error",
                    "an unexpected error occurred while the job ran; it was logged",
                ),
            )
        done = self.store.succeed(job.id, render(response))
        log.info("job ended", extra={"job_id": job.id, "status": done.status})
        return done
