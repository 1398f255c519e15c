"""``/peer/match`` and ``/peer/circles``: one pool of peers in pairs or circles."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import ConfigDict, Field

from matchsvc import bounds, pipelines
from matchsvc.explain import COVER_THRESHOLD
from matchsvc.pipelines import CircleOptions, PeerOptions
from matchsvc.schemas._base import Out, StrictIn
from matchsvc.schemas.match import FacetShare, SkillMatch
from matchsvc.schemas.people import Profile, ScoringOptionsIn

__all__ = [
    "BusyPartner",
    "Circle",
    "CircleContribution",
    "CircleExplanation",
    "CircleLink",
    "CircleMember",
    "CircleOptionsIn",
    "CircleUnmatched",
    "CirclesSummary",
    "PeerCirclesRequest",
    "PeerCirclesResponse",
    "PeerExplanation",
    "PeerMatchRequest",
    "PeerMatchResponse",
    "PeerMatchSummary",
    "PeerOptionsIn",
    "PeerPair",
    "PeerSide",
    "PeerUnmatched",
    "PeerUnmatchedDetail",
    "peer_unmatched_out",
]

Mutual = Literal["mean", "min"]

EXAMPLE_POOL: dict[str, Any] = {
    "people": [
        {
            "id": "ana",
            "skills": ["python", "public speaking"],
            "goals": "Give my first conference talk about data pipelines.",
            "communication": {"languages": ["en"], "timezone": "Europe/Berlin"},
        },
        {
            "id": "ben",
            "skills": ["public speaking", "sql"],
            "goals": "Learn python for data analysis.",
            "communication": {"languages": ["en", "de"], "timezone": "Europe/Berlin"},
        },
        {
            "id": "cara",
            "skills": ["leadership", "python"],
            "goals": "Lead a small team of analysts.",
            "communication": {"languages": ["en"], "timezone": "Europe/London"},
        },
        {
            "id": "dev",
            "skills": ["sql", "leadership"],
            "goals": "Move into engineering management.",
            "communication": {"languages": ["en"], "timezone": "UTC"},
            "exclude": ["ana"],
        },
    ]
}


class PeerOptionsIn(ScoringOptionsIn):
    mutual: Mutual = Field(
        "mean",
        description="How a pair's two fits combine: mean (each side counts half) or min (the "
        "pair is worth its weaker side, so neither person carries it).",
    )
    min_score: float | None = Field(
        None, ge=0, le=1, description="Pairs whose mutual score is below this are never made."
    )
    explain: bool = True
    cover_threshold: float = Field(
        COVER_THRESHOLD,
        ge=0,
        le=1,
        description="Similarity at which one person's skill covers another's wanted skill.",
    )

    def to_core(self) -> PeerOptions:
        return PeerOptions(
            scoring=self.to_scoring(),
            mutual=self.mutual,
            min_score=self.min_score,
            explain=self.explain,
            cover_threshold=self.cover_threshold,
        )


class CircleOptionsIn(PeerOptionsIn):
    min_size: int = Field(
        3,
        ge=bounds.MIN_CIRCLE_SIZE,
        le=bounds.MAX_CIRCLE_SIZE,
        description="Fewest people per circle (leaders not counted); at most max_size.",
    )
    max_size: int = Field(
        5,
        ge=bounds.MIN_CIRCLE_SIZE,
        le=bounds.MAX_CIRCLE_SIZE,
        description="Most people per circle (leaders not counted).",
    )
    seed: int = Field(
        0, ge=0, le=bounds.MAX_SEED, description="Seeds the heuristic's perturbations."
    )

    def to_core(self) -> CircleOptions:
        return CircleOptions(
            scoring=self.to_scoring(),
            mutual=self.mutual,
            min_score=self.min_score,
            explain=self.explain,
            cover_threshold=self.cover_threshold,
            min_size=self.min_size,
            max_size=self.max_size,
            seed=self.seed,
        )


class PeerMatchRequest(StrictIn):
    model_config = ConfigDict(
        json_schema_extra={"examples": [EXAMPLE_POOL | {"options": {"mutual": "mean"}}]}
    )

    people: list[Profile] = Field(
        description="The pool. skills: what each can teach and wants to learn; exclude: ids of "
        "others in the pool never to pair with."
    )
    options: PeerOptionsIn = Field(default_factory=PeerOptionsIn)


class PeerCirclesRequest(StrictIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                EXAMPLE_POOL
                | {
                    "leaders": [
                        {
                            "id": "lee",
                            "skills": ["python", "leadership"],
                            "communication": {"languages": ["en"]},
                            "capacity": 1,
                        }
                    ],
                    "options": {"min_size": 2, "max_size": 4},
                }
            ]
        }
    )

    people: list[Profile]
    leaders: list[Profile] = Field(
        [],
        description="Optional: who leads circles (capacity = circles each may lead); with "
        "leaders every circle has one.",
    )
    options: CircleOptionsIn = Field(default_factory=CircleOptionsIn)


class PeerSide(Out):
    person_id: str = Field(description="Whose wants are compared.")
    partner_id: str = Field(description="Who offers.")
    fit: float = Field(description="How well the partner suits the person, in [0, 1].")
    coverage: float
    facets: dict[str, FacetShare]
    skill_pairs: list[SkillMatch] = Field(description="The person's wanted skills ~ partner's.")
    rank: int = Field(description="The partner's rank among the person's feasible partners.")
    feasible_partners: int


class PeerExplanation(Out):
    mutual: Mutual
    person: PeerSide = Field(description="What the partner offers that the person wants.")
    partner: PeerSide = Field(description="What the person offers that the partner wants.")
    shared_languages: list[str]
    overlap_hours: float | None
    summary: str


class PeerPair(Out):
    person_id: str
    partner_id: str
    score: float = Field(description="The mutual score.")
    explanation: PeerExplanation | None


class BusyPartner(Out):
    partner_id: str
    score: float = Field(description="Their mutual score with the unmatched person.")
    with_ids: list[str] = Field(description="Their partner, or the others of their circle.")
    group_score: float


class PeerUnmatchedDetail(Out):
    allowed_partners: int
    removed_by: dict[str, int] = Field(
        description="Others removed per hard rule (the person's direction), partner_side "
        "(only the partner's direction) and min_score."
    )
    best_score: float | None
    best_partners: list[BusyPartner]
    allowed_leaders: int | None


class PeerUnmatched(Out):
    person_id: str
    reason: Literal["no_allowed_partner", "no_partner_left"]
    summary: str
    detail: PeerUnmatchedDetail


class CircleUnmatched(Out):
    person_id: str
    reason: Literal["too_few_allowed_partners", "no_leader_capacity", "pool_size", "not_placed"]
    summary: str
    detail: PeerUnmatchedDetail


class PeerMatchSummary(Out):
    people: int
    matched: int = Field(description="Pairs.")
    unmatched: int = Field(description="People in no pair.")
    total_score: float
    mean_score: float | None
    min_score: float | None
    mutual: Mutual
    optimal: bool = Field(description="Proven: the most pairs, then the largest total.")
    solver: str
    timings_ms: dict[str, float]


class PeerMatchResponse(Out):
    pairs: list[PeerPair]
    unmatched: list[PeerUnmatched]
    summary: PeerMatchSummary


class CircleLink(Out):
    partner_id: str
    score: float


class CircleContribution(Out):
    person_id: str = Field(description="The member who wants it.")
    kind: Literal["skill", "goal"]
    wanted: str
    offered: str
    similarity: float


class CircleMember(Out):
    person_id: str
    strongest: CircleLink | None
    weakest: CircleLink | None
    brings: list[CircleContribution] = Field(
        description="The member's skills that best cover the others' wants."
    )
    leader_fit: float | None


class CircleExplanation(Out):
    pair_score: float = Field(description="Sum of the circle's pairs' mutual scores.")
    leader_score: float | None = Field(description="Sum of its members' leader fits.")
    mean_pair_score: float
    members: list[CircleMember]
    summary: str


class Circle(Out):
    members: list[str]
    leader_id: str | None
    score: float = Field(description="pair_score + leader_score.")
    explanation: CircleExplanation | None


class CirclesSummary(Out):
    people: int
    circles: int
    placed: int
    unmatched: int
    total_score: float
    mean_circle_score: float | None
    upper_bound: float = Field(description="Proven: no set of circles scores more.")
    gap: float = Field(description="(upper_bound - total_score) / upper_bound.")
    optimal: bool = Field(description="True only when the bound is met.")
    method: str
    bound_method: str
    min_size: int
    max_size: int
    mutual: Mutual
    seed: int
    timings_ms: dict[str, float]


class PeerCirclesResponse(Out):
    circles: list[Circle]
    unmatched: list[CircleUnmatched]
    summary: CirclesSummary


_U = TypeVar("_U", PeerUnmatched, CircleUnmatched)


def peer_unmatched_out(reason: pipelines.PeerUnmatched, model: type[_U]) -> _U:
    """A core :class:`~matchsvc.pipelines.PeerUnmatched` -> ``model`` (nests the detail)."""
    return model.model_validate(
        {
            "person_id": reason.person_id,
            "reason": reason.reason,
            "summary": reason.summary,
            "detail": PeerUnmatchedDetail.model_validate(reason),
        }
    )
