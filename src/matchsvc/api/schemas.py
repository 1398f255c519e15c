"""Request and response models of the HTTP API: the edge. The core never sees these.

Request models mirror :mod:`matchsvc.profiles` and :mod:`matchsvc.scoring` option types and
convert to them with ``to_core()``; response models are filled from the core's dataclasses
(``from_attributes``). Unknown fields are rejected so typos surface as 422, not silence.
"""

from __future__ import annotations

from datetime import date, datetime
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from matchsvc import profiles
from matchsvc.matching import MatchOptions
from matchsvc.rematch import CurrentPair, PastPair, RematchPolicy
from matchsvc.scoring import DEFAULT_REFERENCE_DATE, DEFAULT_WEIGHTS, Constraints, Criterion
from matchsvc.scoring import ScoringOptions as CoreScoringOptions

Channel = Literal["video", "phone", "chat", "email", "in_person"]
Frequency = Literal["weekly", "biweekly", "monthly"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Objective = Literal["total", "fair"]
Solver = Literal["auto", "hungarian", "flow"]
IsoDate = Annotated[date, Strict(False)]  # parsed from "YYYY-MM-DD" despite strict models
IsoDatetime = Annotated[datetime, Strict(False)]  # parsed from ISO 8601 strings
AttributeValue = Annotated[str | int | float | bool | list[str], Field(union_mode="left_to_right")]


class _In(BaseModel):
    # Strict: false is not 0 and "3" is not 3. Dates and times are parsed from ISO strings.
    model_config = ConfigDict(extra="forbid", strict=True)


_EXAMPLE_PEOPLE: dict[str, Any] = {
    "mentees": [
        {
            "id": "mentee-1",
            "skills": ["python", "data pipelines"],
            "goals": "Move from analytics into data engineering within a year.",
            "communication": {
                "style": "direct, likes concrete homework",
                "channels": ["video", "chat"],
                "languages": ["en"],
                "timezone": "Europe/Berlin",
                "frequency": "biweekly",
            },
        },
        {
            "id": "mentee-2",
            "skills": ["public speaking"],
            "goals": "Lead my first team with confidence.",
            "communication": {"languages": ["en", "de"], "timezone": "UTC+01:00"},
        },
    ],
    "mentors": [
        {
            "id": "mentor-a",
            "skills": ["python", "apache airflow", "sql"],
            "goals": "Help analysts become data engineers.",
            "communication": {"languages": ["en"], "timezone": "Europe/London"},
            "capacity": 2,
        },
        {
            "id": "mentor-b",
            "skills": ["leadership", "presentation skills"],
            "goals": "Coach new engineering managers.",
            "communication": {"languages": ["de", "en"], "timezone": "Europe/Berlin"},
            "capacity": 1,
        },
    ],
}


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---------------------------------------------------------------- requests


class Availability(_In):
    day: Day
    start: str = Field(description='"HH:MM", local time', examples=["09:00"])
    end: str = Field(description='"HH:MM" after start ("24:00" allowed)', examples=["17:30"])


class Communication(_In):
    style: str = Field("", description="Free text: how they like to communicate.")
    channels: list[Channel] = []
    languages: list[str] = Field([], description="ISO 639-1 codes, e.g. en, de.")
    timezone: str | None = Field(None, description='IANA name or "UTC+05:30".')
    availability: list[Availability] = []
    frequency: Frequency | None = None

    def to_core(self) -> profiles.Communication:
        return profiles.Communication(
            style=self.style,
            channels=tuple(self.channels),
            languages=tuple(self.languages),
            timezone=self.timezone,
            availability=tuple(
                profiles.Availability(a.day, a.start, a.end) for a in self.availability
            ),
            frequency=self.frequency,
        )


class Profile(_In):
    """A mentee or mentor. ``capacity`` is read for mentors, ``demand`` for mentees."""

    id: str = Field(min_length=1, max_length=200)
    skills: list[str] = Field([], description="Mentee: wants to learn; mentor: can teach.")
    goals: str = Field("", description="Mentee: career goals; mentor: what they offer.")
    communication: Communication = Field(default_factory=Communication)
    attributes: dict[str, AttributeValue] = Field(
        {}, description="Free attributes for criteria: industry, organization, seniority_years..."
    )
    capacity: int = Field(1, ge=0, description="Mentors: how many mentees they take.")
    demand: int = Field(1, ge=0, description="Mentees: how many mentors they want.")
    exclude: list[str] = Field([], description="Ids on the other side never to pair with.")

    def to_core(self) -> profiles.Profile:
        return profiles.Profile(
            id=self.id,
            skills=tuple(self.skills),
            goals=self.goals,
            communication=self.communication.to_core(),
            attributes=MappingProxyType(
                {k: tuple(v) if isinstance(v, list) else v for k, v in self.attributes.items()}
            ),
            capacity=self.capacity,
            demand=self.demand,
            exclude=tuple(self.exclude),
        )


class CriterionIn(_In):
    name: str = Field(min_length=1)
    attribute: str = Field(min_length=1)
    kind: Literal["same", "different", "gap", "overlap"]
    min: float | None = None
    max: float | None = None
    hard: bool = Field(False, description="Hard: filter pairs. Soft: a weighted bonus.")


class ConstraintsIn(_In):
    require_shared_language: bool = True
    min_overlap_hours: float = Field(0.0, ge=0, le=168)
    use_exclude: bool = True


class ScoringOptionsIn(_In):
    weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description="Per facet (skills, goals, communication) and soft criterion; normalised.",
    )
    criteria: list[CriterionIn] = []
    constraints: ConstraintsIn = Field(default_factory=ConstraintsIn)
    reference_date: IsoDate = Field(
        DEFAULT_REFERENCE_DATE,
        description="Any day of the week used for time-zone offsets.",
    )

    def to_scoring(self) -> CoreScoringOptions:
        return CoreScoringOptions(
            weights=MappingProxyType(dict(self.weights)),
            criteria=tuple(Criterion(**c.model_dump()) for c in self.criteria),
            constraints=Constraints(**self.constraints.model_dump()),
            reference_date=self.reference_date,
        )


class MatchOptionsIn(ScoringOptionsIn):
    objective: Objective = Field("total", description="total, or fair (max-min, then total).")
    min_score: float | None = Field(None, description="Pairs scoring below this are never made.")
    explain: bool = True
    solver: Solver = "auto"

    def to_core(self) -> MatchOptions:
        return MatchOptions(
            scoring=self.to_scoring(),
            objective=self.objective,
            min_score=self.min_score,
            explain=self.explain,
            solver=self.solver,
        )


class MatchRequest(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [_EXAMPLE_PEOPLE | {"options": {"objective": "total"}}]}
    )

    mentees: list[Profile]
    mentors: list[Profile]
    options: MatchOptionsIn = Field(default_factory=MatchOptionsIn)


class RecommendRequest(MatchRequest):
    model_config = ConfigDict(
        json_schema_extra={"examples": [_EXAMPLE_PEOPLE | {"top_n": 2, "only_available": True}]}
    )

    top_n: int = Field(5, ge=1, le=100)
    only_available: bool = Field(True, description="Skip mentors with no remaining capacity.")
    assigned: dict[str, int] = Field(
        {}, description="Current mentees per mentor id; remaining = capacity - assigned."
    )


class ScoreRequest(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_PEOPLE]})

    mentees: list[Profile]
    mentors: list[Profile]
    options: ScoringOptionsIn = Field(default_factory=ScoringOptionsIn)


class AssignRequest(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"scores": [[0.9, 0.4], [0.8, None], [0.3, 0.7]], "capacity": [2, 1]}]
        }
    )

    scores: list[list[float | None]] = Field(
        description="Mentees x mentors, higher is better; null forbids a pair."
    )
    capacity: list[int] | None = Field(None, description="Per mentor (default 1).")
    demand: list[int] | None = Field(None, description="Per mentee (default 1).")
    objective: Objective = "total"
    min_score: float | None = None
    solver: Solver = "auto"


class CurrentPairIn(_In):
    mentee_id: str
    mentor_id: str
    status: Literal["active", "ended"] = "active"
    mentee_rating: float | None = Field(None, ge=1, le=5)
    mentor_rating: float | None = Field(None, ge=1, le=5)
    goals_met: bool = False
    started_at: IsoDatetime | None = None


class PastPairIn(_In):
    mentee_id: str
    mentor_id: str
    outcome: Literal["good", "neutral", "bad"] = "neutral"
    rating: float | None = Field(None, ge=1, le=5)


class LockedPair(_In):
    mentee_id: str
    mentor_id: str


class RematchPolicyIn(_In):
    stability_bonus: float = Field(
        0.1, ge=0, description="An active pair moves only if the programme gains more than this."
    )
    locked: list[LockedPair] = Field([], description="Pairs kept whatever else holds.")
    max_moves: int | None = Field(None, ge=0, description="Most active pairs that may change.")
    min_rating_to_keep: float | None = Field(
        None, ge=1, le=5, description="Pairs rated lower (either side) end and never return."
    )
    release_goals_met: bool = Field(True, description="End pairs whose goals are met.")
    waiting_since: dict[str, IsoDatetime] = Field(
        {}, description="Per mentee id: waiting since; longer wait = higher priority."
    )
    wait_bonus: float = Field(0.5, ge=0, description="Score units the longest wait is worth.")

    def to_core(self) -> RematchPolicy:
        return RematchPolicy(
            stability_bonus=self.stability_bonus,
            locked=tuple((p.mentee_id, p.mentor_id) for p in self.locked),
            max_moves=self.max_moves,
            min_rating_to_keep=self.min_rating_to_keep,
            release_goals_met=self.release_goals_met,
            waiting_since=MappingProxyType(dict(self.waiting_since)),
            wait_bonus=self.wait_bonus,
        )


class RematchRequest(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _EXAMPLE_PEOPLE
                | {
                    "current": [
                        {"mentee_id": "mentee-1", "mentor_id": "mentor-b", "mentee_rating": 2}
                    ],
                    "history": [
                        {"mentee_id": "mentee-2", "mentor_id": "mentor-a", "outcome": "bad"}
                    ],
                    "policy": {"stability_bonus": 0.1, "min_rating_to_keep": 3},
                }
            ]
        }
    )

    mentees: list[Profile]
    mentors: list[Profile]
    current: list[CurrentPairIn] = []
    history: list[PastPairIn] = []
    policy: RematchPolicyIn = Field(default_factory=RematchPolicyIn)
    options: MatchOptionsIn = Field(default_factory=MatchOptionsIn)

    def pairs(self) -> tuple[list[CurrentPair], list[PastPair]]:
        """The current and past pairs as core types."""
        return (
            [CurrentPair(**p.model_dump()) for p in self.current],
            [PastPair(**p.model_dump()) for p in self.history],
        )


# ---------------------------------------------------------------- responses


class FacetShare(_Out):
    similarity: float
    weight: float
    contribution: float


class SkillMatch(_Out):
    wanted: str
    offered: str
    similarity: float


class Holder(_Out):
    mentee_id: str
    score: float


class ForgoneMentor(_Out):
    mentor_id: str
    score: float
    reason: Literal["at_capacity", "lower_total"]
    held_by: list[Holder]


class Explanation(_Out):
    facets: dict[str, FacetShare]
    skill_pairs: list[SkillMatch]
    shared_languages: list[str]
    overlap_hours: float | None
    rank: int
    feasible_mentors: int
    best_not_given: ForgoneMentor | None
    summary: str


class Match(_Out):
    mentee_id: str
    mentor_id: str
    score: float
    explanation: Explanation | None


class UnmatchedDetail(_Out):
    feasible_mentors: int
    removed_by: dict[str, int]
    best_mentors: list[ForgoneMentor]
    best_score: float | None


class Unmatched(_Out):
    mentee_id: str
    unmet: int
    reason: Literal["no_feasible_mentor", "capacity_exhausted", "below_min_score"]
    detail: UnmatchedDetail


class MentorLoad(_Out):
    mentor_id: str
    assigned: int
    capacity: int


class Summary(_Out):
    matched: int
    unmatched: int
    total_score: float
    mean_score: float | None
    min_score: float | None
    optimal: bool
    solver: str
    timings_ms: dict[str, float]


class MatchResponse(_Out):
    matches: list[Match]
    unmatched: list[Unmatched]
    mentors: list[MentorLoad]
    summary: Summary


class Recommendation(_Out):
    mentor_id: str
    score: float
    rank: int
    remaining_capacity: int
    explanation: Explanation


class MenteeRecommendations(_Out):
    mentee_id: str
    recommendations: list[Recommendation]


class RecommendResponse(_Out):
    results: list[MenteeRecommendations]


class Pair(_Out):
    mentee: int
    mentor: int
    score: float


class AssignResponse(_Out):
    pairs: list[Pair]
    total_score: float
    unmatched: list[int]
    loads: list[int]
    optimal: bool
    solver: str


class ScoreResponse(_Out):
    mentee_ids: list[str]
    mentor_ids: list[str]
    scores: list[list[float]]
    facets: dict[str, list[list[float]]]
    weights: dict[str, float]
    allowed: list[list[bool]]


class RematchAction(_Out):
    mentee_id: str
    action: Literal["kept", "moved", "new", "released", "unmatched"]
    from_mentor_id: str | None
    to_mentor_id: str | None
    reason: str
    score_before: float | None
    score_after: float | None
    explanation: Explanation | None


class RematchSummary(_Out):
    kept: int
    moves: int
    ended_by_policy: int
    released: int
    new: int
    unmatched: int
    total_before: float
    total_after: float
    gain_per_move: float | None
    optimal: bool
    solver: str
    timings_ms: dict[str, float]


class RematchResponse(_Out):
    actions: list[RematchAction]
    mentors: list[MentorLoad]
    summary: RematchSummary


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready", "loading", "failed"]
    model: str | None = None
    dimension: int | None = None
    error: str | None = None


def unmatched_out(reason: Any) -> Unmatched:
    """Core :class:`~matchsvc.explain.UnmatchedReason` -> response model (nests the detail)."""
    return Unmatched(
        mentee_id=reason.mentee_id,
        unmet=reason.unmet,
        reason=reason.reason,
        detail=UnmatchedDetail.model_validate(reason),
    )
