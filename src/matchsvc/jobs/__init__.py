"""Durable asynchronous jobs: a SQLite store of inputs, states and results, and a worker pool.

``POST /jobs`` (:mod:`matchsvc.api.jobs`) takes a submission slot, validates the payload with
the endpoint's request model and its model-free checks (:func:`check_people`,
:func:`check_pool_request`), and stores the job
within the store's bounds (queued jobs, stored bytes); then the
:class:`JobRunner` runs it with the same service function as the synchronous endpoint. Jobs
survive a crash: unfinished ones are re-queued at the next start (see :meth:`JobStore.recover`).
This package never imports the web framework.
"""

from matchsvc.jobs._admission import (
    SUBMISSION_RETRY_AFTER,
    SubmissionGate,
    check_audit,
    check_people,
    check_pool_request,
)
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
    JobQueueFullError,
    JobStatus,
    JobStore,
    JobStoreFullError,
    Recovery,
    Submission,
)

__all__ = [
    "FINISHED",
    "JOBS_FILE",
    "SUBMISSION_RETRY_AFTER",
    "Clock",
    "IdempotencyKeyReusedError",
    "Job",
    "JobAlreadyFinishedError",
    "JobError",
    "JobKind",
    "JobNoResultError",
    "JobNotFinishedError",
    "JobQueueFullError",
    "JobRunner",
    "JobStatus",
    "JobStore",
    "JobStoreFullError",
    "Recovery",
    "Submission",
    "SubmissionGate",
    "check_audit",
    "check_people",
    "check_pool_request",
    "render",
]

JOBS_FILE = "jobs.sqlite3"
"""The store's file name under ``settings.data_dir``."""
