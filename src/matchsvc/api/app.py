"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from matchsvc import __version__
from matchsvc.api.jobs import build_job_runner
from matchsvc.api.jobs import router as jobs_router
from matchsvc.api.middleware import (
    BodyLimitMiddleware,
    CpuGate,
    CpuGateMiddleware,
    RequestContextMiddleware,
)
from matchsvc.api.privacy import router as privacy_router
from matchsvc.api.problems import install_problem_handlers
from matchsvc.api.routes import API_KEY_HEADER, health, router
from matchsvc.config import Settings, get_settings
from matchsvc.engine import Engine
from matchsvc.metrics import Metrics
from matchsvc.scoring.encoder import Encoder

__all__ = ["CPU_HEAVY_PATHS", "create_app"]

CPU_HEAVY_PATHS = frozenset(
    {
        "/match",
        "/recommend",
        "/rematch",
        "/score",
        "/assign",
        "/learn",
        "/audit",
        "/peer/match",
        "/peer/circles",
    }
)
"""Routes that share the bounded CPU slots (``MATCHSVC_MAX_CONCURRENT_REQUESTS``)."""


def create_app(settings: Settings | None = None, *, encoder: Encoder | None = None) -> FastAPI:
    """Build the app. ``encoder`` replaces the configured model (tests pass a small fake)."""
    settings = settings if settings is not None else get_settings()
    engine = Engine(settings, encoder)
    engine.check_model()
    jobs = build_job_runner(settings, engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine.load_in_background()
        jobs.start()  # re-queues jobs a crash left unfinished; workers wait for the model
        try:
            yield
        finally:
            await asyncio.to_thread(jobs.stop)  # a job mid-engine-call re-runs at next start

    docs = settings.docs  # /docs, /redoc, /openapi.json: the schema, no data, no key
    app = FastAPI(
        title="matchsvc",
        version=__version__,
        summary="Explained, exact mentee-mentor matching.",
        lifespan=lifespan,
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    app.state.engine = engine
    app.state.metrics = metrics = Metrics(engine)
    metrics.track_job_queue(jobs.store.count_queued)
    jobs.store.on_finished = metrics.job_finished
    app.state.jobs = jobs
    install_problem_handlers(app)
    app.include_router(health)
    app.include_router(router)
    app.include_router(jobs_router)
    app.include_router(privacy_router)
    _install_middleware(app, settings, metrics)
    if settings.api_keys() and docs:
        _declare_api_key(app)
    return app


def _install_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    """Request context (outermost), then the body limit, then the CPU gate (innermost)."""
    routes = [*health.routes, *router.routes, *jobs_router.routes, *privacy_router.routes]
    paths = {getattr(route, "path", None) for route in routes}
    if missing := CPU_HEAVY_PATHS - paths:  # pragma: no cover - a programming error
        raise RuntimeError(f"CPU_HEAVY_PATHS names routes that do not exist: {sorted(missing)}")
    gate = CpuGate(
        settings.max_concurrent_requests,
        settings.max_queued_requests,
        settings.queue_timeout_seconds,
    )
    app.state.cpu_gate = gate
    metrics.track_cpu_gate(lambda: gate.running, lambda: gate.waiting)
    app.add_middleware(CpuGateMiddleware, gate=gate, paths=CPU_HEAVY_PATHS)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, observer=metrics, routes=routes)


def _declare_api_key(app: FastAPI) -> None:
    """Document ``X-API-Key`` on every guarded operation (all but health checks and docs)."""
    open_paths = {route.path for route in health.routes}  # type: ignore[attr-defined]
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = {
                "ApiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}
            }
            for path, operations in schema["paths"].items():
                if path not in open_paths:
                    for operation in operations.values():
                        operation["security"] = [{"ApiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
