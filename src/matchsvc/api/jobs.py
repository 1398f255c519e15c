"""HTTP routes of durable jobs: submit, poll, fetch the result, the input or a match's report,
cancel, erase.

A job is the body of a synchronous endpoint (``POST /match``, ...) run later by
:class:`matchsvc.jobs.JobRunner`. ``JOB_KINDS`` is the dispatch table: kind -> the endpoint's
request model and its model-free checks (both run here, before anything is stored) and its
service function (run by the worker), so a job's result is exactly the synchronous endpoint's
body and a job the endpoint would refuse before embedding is refused at submit.

A submission first needs the API key and a submission slot
(``MATCHSVC_JOB_MAX_CONCURRENT_SUBMISSIONS``), both checked before its body is read; the store
then bounds queued jobs (429) and stored bytes (507).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import Receive, Scope, Send

from matchsvc import bounds, schemas, service
from matchsvc.api.middleware import CpuGate
from matchsvc.api.problems import PROBLEM_JSON
from matchsvc.api.routes import request_budget, require_api_key
from matchsvc.config import Settings
from matchsvc.engine import Engine
from matchsvc.errors import ConflictError, LimitExceededError, MatchsvcError
from matchsvc.jobs import (
    JOBS_FILE,
    Clock,
    Job,
    JobKind,
    JobRunner,
    JobStatus,
    JobStore,
    check_audit,
    check_people,
    check_pool_request,
)

__all__ = ["JOB_KINDS", "build_job_runner", "router"]

log = logging.getLogger("matchsvc.jobs")

KindName = Literal["match", "rematch", "learn", "audit", "peer_match", "peer_circles"]

JOB_KINDS: Mapping[str, JobKind] = MappingProxyType(
    {
        "match": JobKind(schemas.MatchRequest, service.run_match, check_people),
        "rematch": JobKind(schemas.RematchRequest, service.run_rematch, check_people),
        "learn": JobKind(schemas.LearnRequest, service.run_learn, check_people),
        "audit": JobKind(schemas.AuditRequest, service.run_audit, check_audit),
        "peer_match": JobKind(schemas.PeerMatchRequest, service.run_peer_match, check_pool_request),
        "peer_circles": JobKind(
            schemas.PeerCirclesRequest, service.run_peer_circles, check_pool_request
        ),
    }
)
"""Job kind -> (request model, service function, submit checks). Keys equal :data:`KindName`."""

if set(get_args(KindName)) != set(JOB_KINDS):  # pragma: no cover - a programming error
    raise RuntimeError(f"KindName {get_args(KindName)} and JOB_KINDS {set(JOB_KINDS)} differ")


def build_job_runner(
    settings: Settings, engine: Engine, *, clock: Clock | None = None
) -> JobRunner:
    """The job store (``data_dir/jobs.sqlite3``, opened now: fails fast) and its runner."""
    store = JobStore(
        settings.data_dir / JOBS_FILE,
        clock=clock,
        max_queued=settings.job_max_queued,
        max_stored_bytes=settings.job_max_stored_bytes,
    )
    return JobRunner(
        store,
        engine,
        JOB_KINDS,
        workers=settings.job_workers,
        result_ttl_seconds=settings.job_result_ttl_seconds,
        max_concurrent_submissions=settings.job_max_concurrent_submissions,
        max_attempts=settings.job_max_attempts,
        debug_delay_seconds=settings.job_debug_delay_seconds,
    )


# ---------------------------------------------------------------- models


_EXAMPLE = {
    "kind": "match",
    "payload": {
        "mentees": [{"id": "mentee-1", "skills": ["python"]}],
        "mentors": [{"id": "mentor-a", "skills": ["python"], "capacity": 2}],
    },
}


def _submission_schema(schema: dict[str, Any]) -> None:
    """An example, and which payload each kind takes (the route validates it so)."""
    schema["examples"] = [_EXAMPLE]
    schema["oneOf"] = [
        {
            "properties": {
                "kind": {"const": name},
                "payload": {"$ref": f"#/components/schemas/{kind.request_model.__name__}"},
            }
        }
        for name, kind in JOB_KINDS.items()
    ]


class JobSubmission(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=lambda schema, _: _submission_schema(schema)
    )

    kind: KindName = Field(description="Which synchronous endpoint's work to do.")
    payload: dict[str, Any] = Field(
        description="The request body of that endpoint: `POST /match`, `POST /rematch`, "
        "`POST /learn`, `POST /audit`, `POST /peer/match` (peer_match) or `POST /peer/circles` "
        "(peer_circles)."
    )


class JobAccepted(BaseModel):
    id: str
    status: JobStatus
    status_url: str = Field(description="Poll it: `GET /jobs/{id}`.")


class JobProgress(BaseModel):
    stage: str = Field(
        description="queued, starting, debug_delay (tests only), matching (the engine embeds, "
        "scores, solves and explains in this one stage), done."
    )
    fraction: float | None = Field(
        description="Share of the work done where it is known; it follows the status: 0 "
        "queued, null running (the engine reports no finer progress), 1 succeeded, null "
        "failed or cancelled (whenever the cancel arrived)."
    )


class JobErrorOut(BaseModel):
    code: str = Field(description="Stable, as in problem `type`s: invalid-input, interrupted, ...")
    message: str
    field: str | None = Field(description="Path of the offending input, e.g. payload.mentors[1].")


class JobOut(BaseModel):
    id: str
    kind: str
    status: JobStatus
    progress: JobProgress
    attempts: int = Field(description="Times a worker started it (over 1 after a restart).")
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None = Field(
        description="When a finished job (input and result) is deleted, unless `DELETE` "
        "erases it sooner; then 404."
    )
    error: JobErrorOut | None
    result_url: str
    input_url: str


class JobInput(BaseModel):
    kind: str
    payload: dict[str, Any] = Field(description="The payload exactly as it was submitted.")


# ---------------------------------------------------------------- routes


def get_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


RunnerDep = Annotated[JobRunner, Depends(get_runner)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Same key and same body: the same job back (200). Different body: 422.",
    ),
]


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {}}}


class _JobRoute(APIRoute):
    """Job routes' handling before FastAPI reads the body.

    A 405's ``Allow`` lists every method of the path, not only this route's: ``/jobs/{job_id}``
    has a GET and a DELETE route, and Starlette answers a wrong method from the first route
    whose path matches, so its ``Allow`` would omit the other one.

    ``POST /jobs`` checks the API key and takes a submission slot before FastAPI reads and
    parses the body, and holds the slot until the response is sent: the memory a submission
    costs is bounded, and a caller without the key cannot make the service read its body.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            allowed = {
                method
                for route in router.routes  # every /jobs route is in this router
                if isinstance(route, APIRoute) and route.path_regex.match(scope["path"])
                for method in route.methods or ()
            }
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        if self.name != "submit_job":
            await super().handle(scope, receive, send)
            return
        app = scope["app"]
        require_api_key(Request(scope), app.state.engine)
        runner: JobRunner = app.state.jobs
        with runner.submissions.slot():
            await super().handle(scope, receive, send)


router = APIRouter(
    prefix="/jobs",
    tags=["jobs"],
    route_class=_JobRoute,
    dependencies=[Depends(require_api_key)],
    responses={
        400: _problem("The body is not UTF-8 text."),
        401: _problem("Missing or wrong `X-API-Key`."),
    },
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _problem("No such job, or it expired.")}


def _time(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC)


def _job_out(request: Request, job: Job, ttl_seconds: float) -> JobOut:
    created = _time(job.created_at)
    assert created is not None
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress=JobProgress(stage=job.stage, fraction=job.fraction),
        attempts=job.attempts,
        cancel_requested=job.cancel_requested,
        created_at=created,
        started_at=_time(job.started_at),
        finished_at=_time(job.finished_at),
        expires_at=_time(None if job.finished_at is None else job.finished_at + ttl_seconds),
        error=JobErrorOut(code=job.error.code, message=job.error.message, field=job.error.field)
        if job.error
        else None,
        result_url=request.url_for("get_job_result", job_id=job.id).path,
        input_url=request.url_for("get_job_input", job_id=job.id).path,
    )


@router.post(
    "",
    status_code=202,
    response_model=JobAccepted,
    responses={
        200: {"model": JobAccepted, "description": "Idempotency-Key replay: the existing job."},
        413: _problem("More people, skills or text than the limits allow (as the endpoint)."),
        422: _problem(
            "Invalid payload, as the endpoint would refuse it before embedding (`errors` name "
            "`payload.` paths), or a reused key."
        ),
        429: _problem(
            "`MATCHSVC_JOB_MAX_QUEUED` jobs wait (`job-queue-full`), or every submission slot "
            "is taken (`busy`); `Retry-After` says when to retry."
        ),
        507: _problem(
            "The job store is full (`job-store-full`, `MATCHSVC_JOB_MAX_STORED_BYTES`): delete "
            "finished jobs."
        ),
    },
)
def submit_job(
    body: JobSubmission,
    request: Request,
    response: Response,
    runner: RunnerDep,
    idempotency_key: IdempotencyKey = None,
) -> JobAccepted:
    """Validate and check the payload as its endpoint would, then durably queue it; 202."""
    kind = JOB_KINDS[body.kind]
    try:
        payload = kind.request_model.model_validate(body.payload)
    except ValidationError as exc:
        raise RequestValidationError(
            [
                {**err, "loc": ("body", "payload", *err["loc"])}
                for err in exc.errors(include_url=False)
            ]
        ) from exc
    if kind.check is not None:
        try:
            kind.check(runner.engine, payload)
        except MatchsvcError as exc:
            exc.field = "payload" if not exc.field else f"payload.{exc.field}"
            raise
    submission = runner.store.submit(body.kind, body.payload, idempotency_key=idempotency_key)
    job = submission.job
    status_url = request.url_for("get_job", job_id=job.id).path
    if submission.created:
        runner.wake()
    else:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = status_url
    return JobAccepted(id=job.id, status=job.status, status_url=status_url)


@router.get("/{job_id}", response_model=JobOut, responses=_NOT_FOUND)
def get_job(job_id: str, request: Request, runner: RunnerDep) -> JobOut:
    """A job's status, progress, timestamps and error."""
    return _job_out(request, runner.store.get(job_id), runner.result_ttl_seconds)


@router.get(
    "/{job_id}/result",
    response_class=Response,
    responses={
        200: {
            "model": schemas.MatchResponse
            | schemas.RematchResponse
            | schemas.LearnResponse
            | schemas.AuditResponse
            | schemas.PeerMatchResponse
            | schemas.PeerCirclesResponse,
            "description": "The body `POST /match`, `POST /rematch`, `POST /learn`, "
            "`POST /audit`, `POST /peer/match` or `POST /peer/circles` returns for the payload.",
        },
        409: _problem("Not finished yet (`job-not-finished`) or failed/cancelled."),
        **_NOT_FOUND,
    },
)
def get_job_result(job_id: str, runner: RunnerDep) -> Response:
    """The succeeded job's result, exactly as the synchronous endpoint returns it."""
    return Response(runner.store.result(job_id), media_type="application/json")


# one name, or several separated by commas: each name is checked as in POST /audit
Attribute = Annotated[
    str, Query(min_length=1, max_length=(bounds.MAX_NAME_LENGTH + 1) * bounds.MAX_AUDIT_ATTRIBUTES)
]


def _report_of(runner: JobRunner, job_id: str, attributes: list[str]) -> str:
    job = runner.store.get(job_id)
    if job.kind != "match":
        raise ConflictError(
            f"job {job_id} is of kind {job.kind!r}; a report is made of a match job's result "
            "(POST /audit audits any match)",
            field="job_id",
        )
    result = runner.store.result(job_id)
    _, payload = runner.store.input(job_id)
    try:
        request = schemas.MatchRequest.model_validate(payload)
        match = schemas.MatchResponse.model_validate_json(result)
    except ValidationError:
        raise ConflictError(
            f"job {job_id} was stored by an earlier version of matchsvc, whose result this "
            "version cannot read: submit the match again for a report",
            field="job_id",
        ) from None
    names = [name.strip() for value in attributes for name in value.split(",") if name.strip()]
    if len(names) > bounds.MAX_AUDIT_ATTRIBUTES:
        raise LimitExceededError(
            f"attributes names {len(names)} attributes; a report takes at most "
            f"{bounds.MAX_AUDIT_ATTRIBUTES}",
            field="attributes",
        )
    try:
        body = schemas.AuditRequest(
            mentees=request.mentees,
            mentors=request.mentors,
            match=match,
            options=request.options,
            attributes=names,
        )
    except ValidationError as exc:  # a name the audit refuses (e.g. a lone surrogate)
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    with request_budget(runner.engine, "audit", len(body.mentees), len(body.mentors), body):
        return service.run_report(runner.engine, body, title=f"Matching report of job {job_id}")


@router.get(
    "/{job_id}/report",
    response_class=HTMLResponse,
    responses={
        200: {
            "content": {"text/html": {}},
            "description": "One self-contained HTML page (inline SVG charts, no script): "
            "summary, flagged groups, a table per attribute, score and load distributions, "
            "unmatched reasons, example explanations.",
        },
        409: _problem("The job has not succeeded yet, failed, or is not a match job."),
        413: _problem("An attribute list longer than the audit takes."),
        422: _problem("An attribute no mentee or mentor has (`errors` name `attributes[k]`)."),
        429: _problem("Every CPU slot is taken; see `Retry-After`."),
        **_NOT_FOUND,
    },
)
async def get_job_report(
    job_id: str,
    request: Request,
    runner: RunnerDep,
    attributes: Annotated[
        list[Attribute],
        Query(
            description="Attributes to audit by: repeat the parameter or separate names with "
            "commas (`?attributes=region,gender`)."
        ),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
) -> HTMLResponse:
    """A succeeded match job's report: the audit of its result by the attributes given, as HTML."""
    gate: CpuGate = request.app.state.cpu_gate
    async with gate.slot():
        html = await run_in_threadpool(_report_of, runner, job_id, attributes)
    return HTMLResponse(html)


@router.get("/{job_id}/input", response_model=JobInput, responses=_NOT_FOUND)
def get_job_input(job_id: str, runner: RunnerDep) -> JobInput:
    """The kind and payload as submitted (kept until the job is deleted or expires)."""
    kind, payload = runner.store.input(job_id)
    return JobInput(kind=kind, payload=payload)


@router.delete(
    "/{job_id}",
    response_model=JobOut,
    responses={
        200: {"model": JobOut, "description": "Was queued: cancelled now (`fraction` null)."},
        202: {"model": JobOut, "description": "Running: it stops at its next stage boundary."},
        204: {
            "description": "Was finished (succeeded, failed or cancelled): erased now, input, "
            "result and error; then 404."
        },
        **_NOT_FOUND,
    },
)
def delete_job(
    job_id: str, request: Request, response: Response, runner: RunnerDep
) -> JobOut | Response:
    """Cancel an unfinished job (200 queued, 202 running); erase a finished one (204)."""
    job, erased = runner.store.delete(job_id)
    if erased:
        log.info("job erased", extra={"job_id": job_id, "status": job.status})
        return Response(status_code=204)
    if job.status == "running":
        response.status_code = 202
    return _job_out(request, job, runner.result_ttl_seconds)
