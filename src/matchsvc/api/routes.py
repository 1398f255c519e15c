"""HTTP routes. Each one converts the request to core types, calls the engine once, converts back."""

from __future__ import annotations

import secrets
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader

from matchsvc.api import schemas
from matchsvc.api.problems import PROBLEM_JSON
from matchsvc.assignment import assign
from matchsvc.engine import Engine
from matchsvc.errors import InvalidInputError

__all__ = ["router"]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def require_api_key(
    engine: EngineDep, key: Annotated[str | None, Security(_api_key_header)]
) -> None:
    """401 unless ``X-API-Key`` matches ``MATCHSVC_API_KEY`` (when one is set)."""
    expected = engine.settings.api_key
    if expected is None:
        return
    given = (key or "").encode()
    if not secrets.compare_digest(given, expected.get_secret_value().encode()):
        raise HTTPException(
            401, "missing or wrong X-API-Key header", headers={"WWW-Authenticate": "ApiKey"}
        )


_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Missing or wrong `X-API-Key`.", "content": {PROBLEM_JSON: {}}},
    413: {"description": "Larger than the configured limits.", "content": {PROBLEM_JSON: {}}},
    422: {
        "description": "Invalid input; `errors` names each field.",
        "content": {PROBLEM_JSON: {}},
    },
    503: {"description": "The model is still loading.", "content": {PROBLEM_JSON: {}}},
}

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


@router.post("/match", response_model=schemas.MatchResponse, tags=["matching"])
def match(body: schemas.MatchRequest, engine: EngineDep) -> schemas.MatchResponse:
    """Match mentees to mentors exactly, with explanations and reasons for the unmatched."""
    report = engine.match(
        [p.to_core() for p in body.mentees],
        [p.to_core() for p in body.mentors],
        body.options.to_core(),
    )
    return schemas.MatchResponse(
        matches=[schemas.Match.model_validate(m) for m in report.matches],
        unmatched=[schemas.unmatched_out(u) for u in report.unmatched],
        mentors=[schemas.MentorLoad.model_validate(m) for m in report.mentors],
        summary=schemas.Summary.model_validate(report.summary),
    )


@router.post("/recommend", response_model=schemas.RecommendResponse, tags=["matching"])
def recommend(body: schemas.RecommendRequest, engine: EngineDep) -> schemas.RecommendResponse:
    """Top-N explained mentor suggestions per mentee, for platforms where mentees choose."""
    results = engine.recommend(
        [p.to_core() for p in body.mentees],
        [p.to_core() for p in body.mentors],
        body.options.to_core(),
        top_n=body.top_n,
        assigned=body.assigned,
        only_available=body.only_available,
    )
    return schemas.RecommendResponse(
        results=[
            schemas.MenteeRecommendations(
                mentee_id=mentee_id,
                recommendations=[schemas.Recommendation.model_validate(r) for r in recs],
            )
            for mentee_id, recs in results.items()
        ]
    )


@router.post("/assign", response_model=schemas.AssignResponse, tags=["matching"])
def assign_scores(body: schemas.AssignRequest) -> schemas.AssignResponse:
    """Solve the assignment for your own score matrix (null = forbidden pair)."""
    rows = body.scores
    width = len(rows[0]) if rows else 0
    for i, row in enumerate(rows):
        if len(row) != width:
            raise InvalidInputError(
                f"scores row {i} has {len(row)} entries but row 0 has {width}; "
                "every row needs one entry per mentor (null forbids a pair)",
                field=f"scores[{i}]",
            )
    allowed = np.array([[v is not None for v in row] for row in rows], dtype=bool).reshape(
        len(rows), width
    )
    scores = np.array(
        [[0.0 if v is None else v for v in row] for row in rows], dtype=np.float64
    ).reshape(len(rows), width)
    result = assign(
        scores,
        capacity=body.capacity,
        demand=body.demand,
        allowed=allowed,
        objective=body.objective,
        min_score=body.min_score,
        solver=body.solver,
    )
    return schemas.AssignResponse(
        pairs=[
            schemas.Pair(mentee=i, mentor=j, score=s)
            for (i, j), s in zip(result.pairs.tolist(), result.scores.tolist(), strict=True)
        ],
        total_score=float(result.total),
        unmatched=result.unmatched.tolist(),
        loads=result.loads.tolist(),
        optimal=bool(result.optimal),
        solver=result.solver,
    )


@router.post("/score", response_model=schemas.ScoreResponse, tags=["data science"])
def score(body: schemas.ScoreRequest, engine: EngineDep) -> schemas.ScoreResponse:
    """The compatibility matrix and every facet matrix, for analysis."""
    comp = engine.score(
        [p.to_core() for p in body.mentees],
        [p.to_core() for p in body.mentors],
        body.options.to_scoring(),
    )
    return schemas.ScoreResponse(
        mentee_ids=list(comp.mentee_ids),
        mentor_ids=list(comp.mentor_ids),
        scores=comp.scores.tolist(),
        facets={name: matrix.tolist() for name, matrix in comp.facets.items()},
        weights=dict(comp.weights),
        allowed=comp.allowed.tolist(),
    )
