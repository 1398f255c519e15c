"""Every error becomes an RFC 9457 problem+json response here, and only here.

The ``type`` is a stable URN built from the error's ``code`` (``urn:matchsvc:problem:invalid-input``);
clients branch on it, never on the message. Validation problems list each offending field as a
path in the request body (``mentees[3].capacity``) with what was wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from matchsvc import logs
from matchsvc.errors import (
    BusyError,
    ConfigError,
    ConflictError,
    InfeasibleError,
    InvalidInputError,
    LimitExceededError,
    MatchsvcError,
    NotFoundError,
    TimeBudgetExceededError,
    field_path,
)
from matchsvc.jobs import JobStoreFullError

__all__ = ["PROBLEM_JSON", "install_problem_handlers", "problem_for", "problem_response"]

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("matchsvc.api")

_STATUS: dict[type[MatchsvcError], tuple[int, str]] = {
    InvalidInputError: (422, "Invalid input"),
    InfeasibleError: (422, "Infeasible problem"),
    LimitExceededError: (413, "Request too large"),
    TimeBudgetExceededError: (503, "Time budget exceeded"),
    BusyError: (429, "Too many requests"),
    NotFoundError: (404, "Not found"),
    ConflictError: (409, "Conflict"),
    ConfigError: (503, "Service not ready"),
    JobStoreFullError: (507, "Insufficient storage"),
}


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response with the stable ``type`` for ``code``.

    The code (never the detail, which may quote input) goes on the request's access log line.
    """
    logs.annotate(problem=code)
    body: dict[str, Any] = {
        "type": f"urn:matchsvc:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _status_of(exc: MatchsvcError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 500, "Internal error"


def problem_for(exc: MatchsvcError) -> JSONResponse:
    """The problem response for a matchsvc error (also used by middleware, outside the handlers).

    ``Retry-After``: the error's own ``retry_after`` for 429 busy; 1 s for a 503 while the model
    loads; none for a 503 time budget (the same request would fail again: use a job).
    """
    status, title = _status_of(exc)
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
    headers: dict[str, str] | None = None
    if isinstance(exc, BusyError):
        headers = {"Retry-After": str(exc.retry_after)}
    elif status == 503 and not isinstance(exc, TimeBudgetExceededError):
        headers = {"Retry-After": "1"}
    return problem_response(status, exc.code, title, exc.message, errors=errors, headers=headers)


async def _matchsvc_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MatchsvcError)
    return problem_for(exc)


def _json_error(err: Mapping[str, Any], document: object) -> str:
    """The message of a JSON syntax error, with the line and column where it was found."""
    pos = err.get("loc", ("body", 0))[-1]
    why = str(err.get("ctx", {}).get("error", "invalid JSON"))
    if not isinstance(pos, int) or not isinstance(document, str):
        return f"the body is not valid JSON ({why}): send one JSON object"
    line = document.count("\n", 0, pos) + 1
    column = pos - document.rfind("\n", 0, pos)
    return (
        f"the body is not valid JSON: {why} at line {line} column {column} (character {pos}); "
        "fix the JSON syntax there"
    )


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if raw and raw[0].get("type") == "json_invalid":
        message = _json_error(raw[0], exc.body)
        errors = [{"field": "body", "message": message}]
        return problem_response(422, "invalid-input", "Invalid input", message, errors=errors)
    content_type = request.headers.get("content-type")
    if content_type is not None and not _is_json(content_type):
        message = (
            f"the body is sent as {content_type.split(';')[0].strip()!r}, but this operation reads "
            "JSON: send it with Content-Type: application/json"
        )
        return problem_response(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            message,
            errors=[{"field": "body", "message": message}],
        )
    errors = [
        {
            "field": field_path(err.get("loc", ())) or "body",
            "message": str(err.get("msg", "invalid")),
        }
        for err in raw
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    detail = f"{first['field']}: {first['message']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more problems, see errors)"
    return problem_response(422, "invalid-input", "Invalid input", detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {401: "unauthorized", 404: "not-found", 405: "method-not-allowed"}.get(
        exc.status_code, f"http-{exc.status_code}"
    )
    return problem_response(
        exc.status_code,
        code,
        str(exc.detail),
        str(exc.detail),
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception(
        "unhandled error",
        extra={
            "path": request.url.path,
            "request_id": request.scope.get("state", {}).get("request_id"),
        },
    )
    return problem_response(
        500, "internal-error", "Internal error", "an unexpected error occurred; it was logged"
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app`` (called once by ``create_app``)."""
    app.add_exception_handler(MatchsvcError, _matchsvc_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
