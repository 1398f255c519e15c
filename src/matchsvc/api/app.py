"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from matchsvc import __version__
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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine.load_in_background()
        yield

    app = FastAPI(
        title="matchsvc",
        version=__version__,
        summary="Explained, exact mentee-mentor matching.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    install_problem_handlers(app)
    app.include_router(health)
    app.include_router(router)
    return app
