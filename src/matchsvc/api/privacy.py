"""HTTP route of erasure from the embedding cache: ``POST /cache/forget``, behind the API key."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from matchsvc.api.problems import PROBLEM_JSON
from matchsvc.api.routes import require_api_key
from matchsvc.engine import Engine
from matchsvc.privacy import forget_people
from matchsvc.schemas import ForgetRequest, ForgetResponse

__all__ = ["router"]

log = logging.getLogger("matchsvc.privacy")


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


router = APIRouter(
    prefix="/cache",
    tags=["privacy"],
    dependencies=[Depends(require_api_key)],
    responses={
        400: {"description": "The body is not UTF-8 text.", "content": {PROBLEM_JSON: {}}},
        401: {"description": "Missing or wrong `X-API-Key`.", "content": {PROBLEM_JSON: {}}},
        422: {"description": "Invalid profiles.", "content": {PROBLEM_JSON: {}}},
        503: {"description": "The cache file could not be changed.", "content": {PROBLEM_JSON: {}}},
    },
)


@router.post("/forget", response_model=ForgetResponse)
def forget(body: ForgetRequest, engine: Annotated[Engine, Depends(_engine)]) -> ForgetResponse:
    """Erase the cached embeddings of these people's texts, from memory and disk."""
    done = forget_people(engine.settings, [p.to_core() for p in body.people], engine)
    log.info("cache entries erased", extra={"texts": done.texts, "removed": done.removed})
    return ForgetResponse(people=done.people, texts=done.texts, removed=done.removed)
