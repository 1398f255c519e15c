"""Structured logs: one JSON object per line, and one access line per HTTP request.

Privacy contract: nothing a caller sent is ever written to the logs. Log messages are fixed
strings written in this code base; ``extra`` fields carry counts, sizes, durations, ids of the
request itself (the request id) and error *codes*, never profile text, names, skills, goals or
problem messages. Exceptions are logged as their type and stack frames (file, line,
function) only: an exception's message may quote input, so it is left out.

Every record logged while a request is handled (in the event loop or in the worker thread
that runs a synchronous route) carries that request's ``request_id``.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

__all__ = [
    "ACCESS_LOGGER",
    "JsonFormatter",
    "annotate",
    "configure_logging",
    "current_request",
    "request_scope",
]

ACCESS_LOGGER = "matchsvc.access"
"""The logger of the one-line-per-request access log."""

Scalar = str | int | float | bool | None

# The current request's access-line fields. A mutable dict (not a value) so that fields added
# in a worker thread, which runs on a copy of the context, reach the middleware that logs them.
_request: ContextVar[dict[str, Scalar] | None] = ContextVar("matchsvc_request", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra``. Uvicorn's
# ``color_message`` (the message with terminal colours) is left out too.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}


@contextmanager
def request_scope(request_id: str) -> Iterator[dict[str, Scalar]]:
    """Bind a new request's fields (starting with ``request_id``) for the duration of the block.

    Yields:
        The mutable field dict; :func:`annotate` adds to it and the access line logs it.
    """
    fields: dict[str, Scalar] = {"request_id": request_id}
    token = _request.set(fields)
    try:
        yield fields
    finally:
        _request.reset(token)


def current_request() -> dict[str, Scalar] | None:
    """The current request's fields, or None outside a request."""
    return _request.get()


def annotate(**fields: Scalar) -> None:
    """Add fields (counts, sizes, codes: never caller text) to the current request's access line.

    Does nothing outside a request (library calls, jobs).
    """
    current = _request.get()
    if current is not None:
        current.update(fields)


def _frames(exc: BaseException) -> list[str]:
    return [
        f"{frame.filename}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
    ]


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: ts, level, logger, msg, request_id, extra fields.

    An exception becomes ``exc_type`` and ``exc_frames`` (never its message, see module doc).
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request = _request.get()
        if request is not None:
            out["request_id"] = request["request_id"]
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                out[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            out["exc_type"] = f"{type(exc).__module__}.{type(exc).__qualname__}"
            out["exc_frames"] = _frames(exc)
        return json.dumps(out, default=str, ensure_ascii=False)


_HANDLER_NAME = "matchsvc-json"


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record (matchsvc's and uvicorn's) as JSON lines to ``stream`` (stderr).

    Idempotent: a second call replaces the handler the first one installed. Uvicorn's own
    access log is switched off: the access middleware writes the one line per request.

    Returns:
        The installed handler.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    return handler
