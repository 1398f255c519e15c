"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from matchsvc import __version__
from matchsvc.api.jobs import build_job_runner
from matchsvc.api.jobs import router as jobs_router
from matchsvc.api.problems import install_problem_handlers
from matchsvc.api.routes import health, router
from matchsvc.config import Settings, get_settings
from matchsvc.engine import Engine
from matchsvc.scoring.encoder import Encoder

__all__ = ["create_app"]


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

    app = FastAPI(
        title="matchsvc",
        version=__version__,
        summary="Explained, exact mentee-mentor matching.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.jobs = jobs
    install_problem_handlers(app)
    app.include_router(health)
    app.include_router(router)
    app.include_router(jobs_router)
    return app
