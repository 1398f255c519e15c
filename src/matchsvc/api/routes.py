"""HTTP routes. Each one converts the request to core types, calls the engine once, converts back."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from matchsvc.api.schemas import Health, Ready
from matchsvc.engine import Engine

router = APIRouter()


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@router.get("/healthz", response_model=Health, tags=["operations"])
def healthz() -> Health:
    """The process is alive (it may still be loading the model)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Ready,
    response_model_exclude_none=True,
    responses={503: {"model": Ready, "description": "The model is not loaded yet (or failed)."}},
    tags=["operations"],
)
def readyz(request: Request) -> Ready | JSONResponse:
    """Ready to match: the embedding model is loaded and warm."""
    engine = _engine(request)
    if not engine.ready:
        body = Ready(status="failed" if engine.load_error else "loading", error=engine.load_error)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=503)
    encoder = engine.encoder
    return Ready(status="ready", model=encoder.model_id, dimension=encoder.dim)
