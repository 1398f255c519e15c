"""HTTP routes. Each one converts the request to core types, calls the engine once, converts back."""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from matchsvc import logs, schemas, service
from matchsvc.api.problems import PROBLEM_JSON
from matchsvc.budget import time_budget
from matchsvc.engine import Engine
from matchsvc.metrics import CONTENT_TYPE, Metrics

__all__ = ["API_KEY_HEADER", "health", "peer_budget", "request_budget", "router"]

API_KEY_HEADER = "X-API-Key"


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def require_api_key(request: Request, engine: EngineDep) -> None:
    """401 unless ``X-API-Key`` equals one of the keys of ``MATCHSVC_API_KEY`` (when set).

    Every key is compared, in constant time, whatever matched first, so the time taken says
    nothing about which key or how much of it was right. Read from the raw headers so the
    OpenAPI document declares the key only when the service requires one (``create_app`` adds
    the security scheme then).
    """
    keys = engine.settings.api_keys()
    if not keys:
        return
    given = request.headers.get(API_KEY_HEADER, "").encode("latin-1")  # the bytes as sent
    matched = False
    for key in keys:
        matched |= secrets.compare_digest(given, key)
    if not matched:
        raise HTTPException(
            401, "missing or wrong X-API-Key header", headers={"WWW-Authenticate": "ApiKey"}
        )


_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"description": "The body is not UTF-8 text.", "content": {PROBLEM_JSON: {}}},
    401: {"description": "Missing or wrong `X-API-Key`.", "content": {PROBLEM_JSON: {}}},
    413: {"description": "Larger than the configured limits.", "content": {PROBLEM_JSON: {}}},
    415: {
        "description": "The body is not sent as JSON (`Content-Type: application/json`).",
        "content": {PROBLEM_JSON: {}},
    },
    422: {
        "description": "Invalid input; `errors` names each field.",
        "content": {PROBLEM_JSON: {}},
    },
    429: {
        "description": "Too many CPU-heavy requests at once; see `Retry-After`.",
        "content": {PROBLEM_JSON: {}},
    },
    503: {
        "description": "The model is still loading (see `Retry-After`), or the request exceeds "
        "the time budget of a synchronous request (submit it with `POST /jobs`).",
        "content": {PROBLEM_JSON: {}},
    },
}


def request_budget(
    engine: Engine,
    operation: str,
    mentees: int,
    mentors: int,
    body: schemas.ScoreRequest
    | schemas.MatchRequest
    | schemas.RecommendRequest
    | schemas.RematchRequest
    | schemas.LearnRequest
    | schemas.AuditRequest
    | None = None,
) -> AbstractContextManager[None]:
    """The request's time budget (``MATCHSVC_REQUEST_TIMEOUT_SECONDS``); logs its size.

    With the people (``body``), the estimate also counts the skills facet's work (distinct
    mentee skills x mentor skills) and the criteria.
    """
    logs.annotate(mentees=mentees, mentors=mentors)
    skill_pairs = criteria = records = 0
    if body is not None:
        wanted = {skill for person in body.mentees for skill in person.skills}
        offered = sum(len(person.skills) for person in body.mentors)
        skill_pairs = len(wanted) * offered
        criteria = len(body.options.criteria)
        if isinstance(body, schemas.LearnRequest):
            records = len(body.history) + len(body.declined)
    return time_budget(
        engine.settings.request_timeout_seconds,
        operation=operation,
        pairs=mentees * mentors,
        skill_pairs=skill_pairs,
        criteria=criteria,
        records=records,
    )


def peer_budget(
    engine: Engine,
    operation: str,
    body: schemas.PeerMatchRequest | schemas.PeerCirclesRequest,
) -> AbstractContextManager[None]:
    """The time budget of a pool: ``n (n - 1) / 2`` pairs of people, plus people x leaders
    for circles with leaders; skill pairs and criteria counted as for :func:`request_budget`."""
    leaders = body.leaders if isinstance(body, schemas.PeerCirclesRequest) else []
    n = len(body.people)
    logs.annotate(people=n, leaders=len(leaders))
    wanted = {skill for person in body.people for skill in person.skills}
    offered = sum(len(person.skills) for person in [*body.people, *leaders])
    return time_budget(
        engine.settings.request_timeout_seconds,
        operation=operation,
        pairs=n * (n - 1) // 2 + n * len(leaders),
        skill_pairs=len(wanted) * offered,
        criteria=len(body.options.criteria),
    )


health = APIRouter(tags=["operations"])
router = APIRouter(dependencies=[Depends(require_api_key)], responses=_ERRORS)


@health.get("/healthz", response_model=schemas.Health)
def healthz() -> schemas.Health:
    """The process is alive (it may still be loading the model)."""
    return schemas.Health(status="ok")


@health.get(
    "/readyz",
    response_model=schemas.Ready,
    response_model_exclude_none=True,
    responses={503: {"model": schemas.Ready, "description": "Model not loaded yet (or failed)."}},
)
def readyz(engine: EngineDep) -> schemas.Ready | JSONResponse:
    """Ready to match: the embedding model is loaded and warm."""
    if not engine.ready:
        body = schemas.Ready(
            status="failed" if engine.load_error else "loading", error=engine.load_error
        )
        return JSONResponse(body.model_dump(exclude_none=True), status_code=503)
    encoder = engine.encoder
    return schemas.Ready(status="ready", model=encoder.model_id, dimension=encoder.dim)


@health.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, stage timings, cache, model, CPU slots, jobs (no API key)."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE)


@router.post("/match", response_model=schemas.MatchResponse, tags=["matching"])
def match(body: schemas.MatchRequest, engine: EngineDep) -> schemas.MatchResponse:
    """Match mentees to mentors exactly, with explanations and reasons for the unmatched."""
    operation = "match-fair" if body.options.objective == "fair" else "match"
    if body.options.fairness:
        operation = "match-floors"
    with request_budget(engine, operation, len(body.mentees), len(body.mentors), body):
        return service.run_match(engine, body)


@router.post("/rematch", response_model=schemas.RematchResponse, tags=["matching"])
def rematch(body: schemas.RematchRequest, engine: EngineDep) -> schemas.RematchResponse:
    """Re-match a running programme: keep good pairs, refill capacity, move as few as possible."""
    operation = "rematch" if body.policy.max_moves is None else "rematch-max-moves"
    with request_budget(engine, operation, len(body.mentees), len(body.mentors), body):
        return service.run_rematch(engine, body)


@router.post("/recommend", response_model=schemas.RecommendResponse, tags=["matching"])
def recommend(body: schemas.RecommendRequest, engine: EngineDep) -> schemas.RecommendResponse:
    """Top-N explained mentor suggestions per mentee, for platforms where mentees choose."""
    with request_budget(engine, "recommend", len(body.mentees), len(body.mentors), body):
        return service.run_recommend(engine, body)


@router.post("/assign", response_model=schemas.AssignResponse, tags=["matching"])
def assign_scores(body: schemas.AssignRequest, engine: EngineDep) -> schemas.AssignResponse:
    """Solve the assignment for your own score matrix (null = forbidden pair)."""
    operation = "assign-fair" if body.objective == "fair" else "assign"
    width = len(body.scores[0]) if body.scores else 0
    with request_budget(engine, operation, len(body.scores), width):
        return service.run_assign(body)


@router.post("/score", response_model=schemas.ScoreResponse, tags=["data science"])
def score(body: schemas.ScoreRequest, engine: EngineDep) -> schemas.ScoreResponse:
    """The compatibility matrix and every facet matrix, for analysis."""
    with request_budget(engine, "score", len(body.mentees), len(body.mentors), body):
        return service.run_score(engine, body)


@router.post("/learn", response_model=schemas.LearnResponse, tags=["data science"])
def learn(body: schemas.LearnRequest, engine: EngineDep) -> schemas.LearnResponse:
    """Facet weights fitted to feedback on past pairs, adopted only if they rank held-out pairs better."""
    with request_budget(engine, "learn", len(body.mentees), len(body.mentors), body):
        return service.run_learn(engine, body)


@router.post("/audit", response_model=schemas.AuditResponse, tags=["data science"])
def audit(body: schemas.AuditRequest, engine: EngineDep) -> schemas.AuditResponse:
    """Who a match served well and who it did not: figures per group, four-fifths flags, loads, scores, history."""
    with request_budget(engine, "audit", len(body.mentees), len(body.mentors), body):
        return service.run_audit(engine, body)


@router.post("/peer/match", response_model=schemas.PeerMatchResponse, tags=["peers"])
def peer_match(body: schemas.PeerMatchRequest, engine: EngineDep) -> schemas.PeerMatchResponse:
    """Pair one pool of peers exactly (most pairs, then the largest mutual score), explained both ways."""
    with peer_budget(engine, "peer-match", body):
        return service.run_peer_match(engine, body)


@router.post("/peer/circles", response_model=schemas.PeerCirclesResponse, tags=["peers"])
def peer_circles(
    body: schemas.PeerCirclesRequest, engine: EngineDep
) -> schemas.PeerCirclesResponse:
    """Split one pool into circles of a size range, optionally led, with an upper bound and the gap."""
    with peer_budget(engine, "peer-circles", body):
        return service.run_peer_circles(engine, body)
