"""Durable asynchronous jobs: a SQLite store of inputs, states and results, and a worker pool.

``POST /jobs`` (:mod:`matchsvc.api.jobs`) validates and stores a job, then the
:class:`JobRunner` runs it with the same service function as the synchronous endpoint. Jobs
survive a crash: unfinished ones are re-queued at the next start (see :meth:`JobStore.recover`).
This package never imports the web framework.
"""

from matchsvc.jobs._runner import JobKind, JobRunner, render
from matchsvc.jobs._store import (
    FINISHED,
    Clock,
    IdempotencyKeyReusedError,
    Job,
    JobAlreadyFinishedError,
    JobError,
    JobNoResultError,
    JobNotFinishedError,
    JobStatus,
    JobStore,
    Recovery,
    Submission,
)

__all__ = [
    "FINISHED",
    "JOBS_FILE",
    "Clock",
    "IdempotencyKeyReusedError",
    "Job",
    "JobAlreadyFinishedError",
    "JobError",
    "JobKind",
    "JobNoResultError",
    "JobNotFinishedError",
    "JobRunner",
    "JobStatus",
    "JobStore",
    "Recovery",
    "Submission",
    "render",
]

JOBS_FILE = "jobs.sqlite3"
"""The store's file name under ``settings.data_dir``."""
