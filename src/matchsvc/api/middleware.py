"""ASGI middleware that protects the process and records each request.

Order, outermost first (``create_app`` installs them):

1. :class:`RequestContextMiddleware`: request id (echoed or made), one JSON access line and the
   request metrics per request, whatever happens inside.
2. :class:`BodyLimitMiddleware`: 413 before reading a body larger than the limit.
3. :class:`CpuGateMiddleware`: at most N CPU-heavy requests at once, a short queue, then 429.

All three are plain ASGI (no ``BaseHTTPMiddleware``), so they add no task or thread per
request and context variables set here are seen by the route.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matchsvc import logs
from matchsvc.api.problems import problem_for
from matchsvc.errors import BusyError, LimitExceededError

__all__ = [
    "REQUEST_ID_HEADER",
    "BodyLimitMiddleware",
    "CpuGate",
    "CpuGateMiddleware",
    "RequestContextMiddleware",
    "RequestObserver",
    "valid_request_id",
]

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
UNMATCHED_ROUTE = "<unmatched>"

access_log = logging.getLogger(logs.ACCESS_LOGGER)


def valid_request_id(value: str) -> bool:
    """A client's request id is echoed only if it is 1-128 characters of ``A-Za-z0-9._:-``
    starting with a letter or digit (safe in logs and headers)."""
    return _REQUEST_ID.fullmatch(value) is not None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _route_template(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The matched route's path template (``/jobs/{job_id}``), also for requests refused before
    routing (413, 429) by matching ``routes``; ``<unmatched>`` for unknown paths (so metric
    labels stay bounded)."""
    route = scope.get("route")
    if route is None:
        route = next((r for r in routes if r.matches(scope)[0] is Match.FULL), None)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestObserver(Protocol):
    """Receives one call per finished request (the metrics implement it)."""

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one request."""


class RequestContextMiddleware:
    """Request id, one access log line and request metrics for every HTTP request.

    The id is the client's ``X-Request-ID`` when :func:`valid_request_id` accepts it, else a new
    uuid4 (hex); either way it is returned in the ``X-Request-ID`` response header and carried by
    every log record of the request. The access line (logger ``matchsvc.access``, INFO) has
    method, route template, status, duration_ms, body_bytes, response_bytes and what the route
    or error handler added with :func:`matchsvc.logs.annotate` (people counts, problem code).
    A request that raises is logged as status 500. ``routes`` name the route template of
    requests refused before routing.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        observer: RequestObserver | None = None,
        routes: Sequence[BaseRoute] = (),
    ) -> None:
        self.app = app
        self.observer = observer
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given is not None and valid_request_id(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        response_bytes = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_bytes
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                response_bytes += len(message.get("body", b""))
            await send(message)

        start = time.perf_counter()
        with logs.request_scope(request_id) as fields:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - start
                route = _route_template(scope, self.routes)
                method = str(scope["method"])
                if self.observer is not None:
                    self.observer.observe_request(method, route, status, seconds)
                access_log.info(
                    "request",
                    extra={
                        **fields,
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                        "response_bytes": response_bytes,
                    },
                )


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with a 413 problem, without reading them.

    A ``Content-Length`` over the limit is refused before any byte is read. Otherwise the body
    is read here, counting the streamed bytes (chunked uploads have no length), and refused as
    soon as the count passes the limit, so at most ``max_bytes`` are ever held; a body within
    the limit is handed on unchanged. Adds ``body_bytes`` to the access line.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: str) -> LimitExceededError:
        return LimitExceededError(
            f"the request body has {size} bytes; the limit is {self.max_bytes} "
            "(MATCHSVC_MAX_BODY_BYTES): split the request or raise the limit",
            field="body",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            logs.annotate(body_bytes=int(declared))
            await problem_for(self._too_large(declared))(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_bytes:
                logs.annotate(body_bytes=size)
                await problem_for(self._too_large(f"more than {self.max_bytes}"))(
                    scope, receive, send
                )
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        logs.annotate(body_bytes=size)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class CpuGate:
    """Bounded concurrency for CPU-heavy requests: ``slots`` run, ``queue`` wait, others 429.

    A request that finds every slot taken waits in a FIFO queue for at most ``wait_seconds``;
    if the queue is full, or the wait runs out, it gets :class:`~matchsvc.errors.BusyError`
    with a ``retry_after`` of about one recent request duration (at least 1 s).
    Lives on one event loop at a time (re-created if the app moves to a new loop while idle).
    """

    def __init__(self, slots: int, queue: int, wait_seconds: float) -> None:
        self.slots = slots
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.running = 0
        self.waiting = 0
        self._recent_seconds = 1.0
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _sem(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or (self._loop is not loop and self.running == 0):
            self._semaphore = asyncio.Semaphore(self.slots)
            self._loop = loop
        return self._semaphore

    def _busy(self, why: str) -> BusyError:
        retry_after = min(60, max(1, math.ceil(self._recent_seconds)))
        return BusyError(
            f"{why}: {self.slots} CPU-heavy requests run at once "
            f"(MATCHSVC_MAX_CONCURRENT_REQUESTS) and {self.queue} may wait "
            f"(MATCHSVC_MAX_QUEUED_REQUESTS); retry after {retry_after} s, or submit it as a job",
            retry_after=retry_after,
        )

    async def acquire(self) -> None:
        """Take a slot, waiting in the queue if need be; raises BusyError when none comes free.

        Every successful ``acquire`` must be paired with one :meth:`release`.
        """
        sem = self._sem()
        if sem.locked():
            if self.waiting >= self.queue:
                raise self._busy("the server is busy and its queue is full")
            self.waiting += 1
            try:
                await asyncio.wait_for(sem.acquire(), self.wait_seconds)
            except TimeoutError:
                raise self._busy(
                    f"no CPU slot came free within {self.wait_seconds:g} s "
                    "(MATCHSVC_QUEUE_TIMEOUT_SECONDS)"
                ) from None
            finally:
                self.waiting -= 1
        else:
            await sem.acquire()
        self.running += 1

    def release(self, held_seconds: float) -> None:
        """Give back a slot held for ``held_seconds`` (feeds the Retry-After estimate)."""
        self.running -= 1
        self._sem().release()
        self._recent_seconds = 0.8 * self._recent_seconds + 0.2 * held_seconds

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block (see :meth:`acquire`)."""
        await self.acquire()
        start = time.perf_counter()
        try:
            yield
        finally:
            self.release(time.perf_counter() - start)


class CpuGateMiddleware:
    """Runs requests to ``paths`` (any method but GET/HEAD) inside a :class:`CpuGate` slot.

    Sits inside :class:`BodyLimitMiddleware`, so a slot is taken only once the whole body has
    arrived, and held through parsing, the engine call and serialising the response.
    """

    def __init__(self, app: ASGIApp, *, gate: CpuGate, paths: frozenset[str]) -> None:
        self.app = app
        self.gate = gate
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD")
            or scope["path"] not in self.paths
        ):
            await self.app(scope, receive, send)
            return
        try:
            await self.gate.acquire()
        except BusyError as exc:
            await problem_for(exc)(scope, receive, send)
            return
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.release(time.perf_counter() - start)
