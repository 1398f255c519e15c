"""The one adapter between the doors and the core: request model -> engine -> response model.

The HTTP routes, the job runner and the CLI all call these functions, so the three doors give
the same answers for the same input.
"""

from __future__ import annotations

import numpy as np

from matchsvc import schemas
from matchsvc.assignment import assign
from matchsvc.engine import Engine
from matchsvc.errors import InvalidInputError
from matchsvc.report import render_report

__all__ = [
    "run_assign",
    "run_audit",
    "run_learn",
    "run_match",
    "run_peer_circles",
    "run_peer_match",
    "run_recommend",
    "run_rematch",
    "run_report",
    "run_score",
]


def run_match(engine: Engine, body: schemas.MatchRequest) -> schemas.MatchResponse:
    """``POST /match``."""
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
        mentees=[schemas.MenteeGaps.model_validate(g) for g in report.mentees],
    )


def run_rematch(engine: Engine, body: schemas.RematchRequest) -> schemas.RematchResponse:
    """``POST /rematch``."""
    current, history = body.pairs()
    report = engine.rematch(
        [p.to_core() for p in body.mentees],
        [p.to_core() for p in body.mentors],
        current,
        history,
        body.policy.to_core(),
        body.options.to_core(),
    )
    return schemas.RematchResponse.model_validate(report)


def run_recommend(engine: Engine, body: schemas.RecommendRequest) -> schemas.RecommendResponse:
    """``POST /recommend``."""
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


def run_assign(body: schemas.AssignRequest) -> schemas.AssignResponse:
    """``POST /assign``: a caller's own score matrix, null = forbidden."""
    rows = body.scores
    width = len(rows[0]) if rows else 0
    for i, row in enumerate(rows):
        if len(row) != width:
            raise InvalidInputError(
                f"scores row {i} has {len(row)} entries but row 0 has {width}; "
                "every row needs one entry per mentor (null forbids a pair)",
                field=f"scores[{i}]",
            )
    allowed = np.array([[v is not None for v in row] for row in rows], dtype=bool)
    scores = np.array([[0.0 if v is None else v for v in row] for row in rows], dtype=np.float64)
    result = assign(
        scores.reshape(len(rows), width),
        capacity=body.capacity,
        demand=body.demand,
        allowed=allowed.reshape(len(rows), width),
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


def run_score(engine: Engine, body: schemas.ScoreRequest) -> schemas.ScoreResponse:
    """``POST /score``."""
    comp = engine.score(
        [p.to_core() for p in body.mentees],
        [p.to_core() for p in body.mentors],
        body.options.to_scoring(),
    )
    return schemas.ScoreResponse(
        mentee_ids=list(comp.mentee_ids),
        mentor_ids=list(comp.mentor_ids),
        scores=comp.scores.tolist(),
        facets={name: _nullable(matrix) for name, matrix in comp.facets.items()},
        weights=dict(comp.weights),
        allowed=comp.allowed.tolist(),
        coverage=comp.coverage_matrix().tolist(),
        mentor_side_weight=comp.mentor_side_weight,
    )


def run_learn(engine: Engine, body: schemas.LearnRequest) -> schemas.LearnResponse:
    """``POST /learn``."""
    result = engine.learn(
        [p.to_core() for p in body.mentees],
        [p.to_core() for p in body.mentors],
        [r.to_core() for r in body.history],
        [(d.mentee_id, d.mentor_id) for d in body.declined],
        body.options.to_core(),
        body.settings(),
    )
    return schemas.LearnResponse.model_validate(result)


def run_audit(engine: Engine, body: schemas.AuditRequest) -> schemas.AuditResponse:
    """``POST /audit``."""
    pairs = body.audited_pairs()
    with body.locating_pairs():
        report = engine.audit(
            [p.to_core() for p in body.mentees],
            [p.to_core() for p in body.mentors],
            pairs,
            body.options.to_core(),
            attributes=body.attributes,
            history=None if body.history is None else [h.to_core() for h in body.history],
            settings=body.settings(),
        )
    return schemas.AuditResponse.model_validate(report)


def run_peer_match(engine: Engine, body: schemas.PeerMatchRequest) -> schemas.PeerMatchResponse:
    """``POST /peer/match``."""
    report = engine.peer([p.to_core() for p in body.people], body.options.to_core())
    return schemas.PeerMatchResponse(
        pairs=[schemas.PeerPair.model_validate(p) for p in report.pairs],
        unmatched=[schemas.peer_unmatched_out(u, schemas.PeerUnmatched) for u in report.unmatched],
        summary=schemas.PeerMatchSummary.model_validate(report.summary),
    )


def run_peer_circles(
    engine: Engine, body: schemas.PeerCirclesRequest
) -> schemas.PeerCirclesResponse:
    """``POST /peer/circles``."""
    report = engine.peer(
        [p.to_core() for p in body.people],
        body.options.to_core(),
        [p.to_core() for p in body.leaders],
    )
    return schemas.PeerCirclesResponse(
        circles=[schemas.Circle.model_validate(c) for c in report.circles],
        unmatched=[
            schemas.peer_unmatched_out(u, schemas.CircleUnmatched) for u in report.unmatched
        ],
        summary=schemas.CirclesSummary.model_validate(report.summary),
    )


def run_report(engine: Engine, body: schemas.AuditRequest, *, title: str = "") -> str:
    """The HTML report (``matchsvc report``, ``GET /jobs/{id}/report``): the audit of
    ``body``'s match, or of a match of its people run now when it names none (``match`` and
    ``pairs`` both null), with the match's summary and explanations when there is one."""
    match = body.match
    if match is None and body.pairs is None:
        request = schemas.MatchRequest(
            mentees=body.mentees, mentors=body.mentors, options=body.options
        )
        match = run_match(engine, request)
        body = body.model_copy(update={"match": match})
    return render_report(run_audit(engine, body), match, title=title)


def _nullable(matrix: np.ndarray) -> list[list[float | None]]:
    """A float matrix as nested lists, NaN (a missing facet) as None."""
    missing = np.isnan(matrix)
    if not missing.any():
        rows: list[list[float | None]] = matrix.tolist()
        return rows
    out = matrix.astype(object)
    out[missing] = None
    objects: list[list[float | None]] = out.tolist()
    return objects
