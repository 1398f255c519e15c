"""``/match``, ``/recommend``, ``/assign`` and ``/score``: requests and responses."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from matchsvc import bounds, explain
from matchsvc.schemas._base import EXAMPLE_PEOPLE, Count, Id, Objective, Out, Solver, StrictIn
from matchsvc.schemas.fairness import FairMatchOptionsIn, Fairness
from matchsvc.schemas.people import MatchOptionsIn, Profile, ScoringOptionsIn

__all__ = [
    "AssignRequest",
    "AssignResponse",
    "ComplementarySummary",
    "Explanation",
    "FacetShare",
    "FocusArea",
    "ForgoneMentor",
    "Holder",
    "Match",
    "MatchRequest",
    "MatchResponse",
    "MenteeGaps",
    "MenteeRecommendations",
    "MentorLoad",
    "MentorSide",
    "Pair",
    "RecommendRequest",
    "RecommendResponse",
    "Recommendation",
    "ScoreRequest",
    "ScoreResponse",
    "SkillGap",
    "SkillMatch",
    "Summary",
    "Unmatched",
    "UnmatchedDetail",
    "unmatched_out",
]


class _People(StrictIn):
    mentees: list[Profile]
    mentors: list[Profile]


class MatchRequest(_People):
    model_config = ConfigDict(
        json_schema_extra={"examples": [EXAMPLE_PEOPLE | {"options": {"objective": "total"}}]}
    )

    options: FairMatchOptionsIn = Field(default_factory=FairMatchOptionsIn)


class RecommendRequest(_People):
    model_config = ConfigDict(
        json_schema_extra={"examples": [EXAMPLE_PEOPLE | {"top_n": 2, "only_available": True}]}
    )

    options: MatchOptionsIn = Field(default_factory=MatchOptionsIn)
    top_n: int = Field(5, ge=1, le=bounds.MAX_TOP_N)
    only_available: bool = Field(True, description="Skip mentors with no remaining capacity.")
    assigned: dict[Id, Count] = Field(
        {},
        description="Current mentees per mentor id, at most the mentor's capacity; "
        "remaining = capacity - assigned.",
    )


class ScoreRequest(StrictIn):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PEOPLE]})

    mentees: list[Profile]
    mentors: list[Profile]
    options: ScoringOptionsIn = Field(default_factory=ScoringOptionsIn)


_Score = Annotated[float, Field(ge=-bounds.MAX_ABS_SCORE, le=bounds.MAX_ABS_SCORE)]


class AssignRequest(StrictIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"scores": [[0.9, 0.4], [0.8, None], [0.3, 0.7]], "capacity": [2, 1]}]
        }
    )

    scores: list[list[_Score | None]] = Field(
        description="Mentees x mentors, higher is better; null forbids a pair. Every row has "
        f"one entry per mentor; finite, magnitude at most {bounds.MAX_ABS_SCORE:g}."
    )
    capacity: list[Count] | None = Field(
        None, description="Per mentor, one entry per column (default 1)."
    )
    demand: list[Count] | None = Field(
        None, description="Per mentee, one entry per row (default 1)."
    )
    objective: Objective = "total"
    min_score: _Score | None = None
    solver: Solver = "auto"


class FacetShare(Out):
    similarity: float | None = Field(description="Null when the facet is missing for the pair.")
    weight: float
    contribution: float
    missing: bool = Field(description="Nothing of the facet could be compared (adds 0).")
    coverage: float = Field(description="Share of the facet compared (blended facets: parts).")


class SkillMatch(Out):
    wanted: str
    offered: str
    similarity: float


class Holder(Out):
    mentee_id: str
    score: float


class ForgoneMentor(Out):
    mentor_id: str
    score: float
    reason: Literal["at_capacity", "lower_total"]
    held_by: list[Holder]


class MentorSide(Out):
    fit: float | None
    weight: float
    parts: dict[str, float | None]
    topic_pairs: list[SkillMatch]


class FocusArea(Out):
    kind: Literal["skill", "goal"]
    skill: str
    mentor_skill: str
    similarity: float


class SkillGap(Out):
    skill: str
    similarity: float | None
    mentor_id: str | None


class MenteeGaps(Out):
    mentee_id: str
    mentors: list[str]
    wanted: int
    covered: int
    gaps: list[SkillGap]


class Explanation(Out):
    facets: dict[str, FacetShare]
    skill_pairs: list[SkillMatch]
    shared_languages: list[str]
    overlap_hours: float | None
    rank: int
    feasible_mentors: int
    best_not_given: ForgoneMentor | None
    summary: str
    coverage: float = Field(description="Share of the score's weight backed by data, in [0, 1].")
    mentee_fit: float = Field(description="The mentee -> mentor side, in [0, 1].")
    mentor_side: MentorSide | None = Field(
        description="The mentor -> mentee side; null when no mentor wish applies."
    )


class Match(Out):
    mentee_id: str
    mentor_id: str
    score: float
    explanation: Explanation | None
    coverage: float
    focus_areas: list[FocusArea]


class UnmatchedDetail(Out):
    feasible_mentors: int
    removed_by: dict[str, int]
    best_mentors: list[ForgoneMentor]
    best_score: float | None


class Unmatched(Out):
    mentee_id: str
    unmet: int
    reason: Literal["no_feasible_mentor", "capacity_exhausted", "below_min_score"]
    detail: UnmatchedDetail

    def to_core(self) -> explain.UnmatchedReason:
        """The core reason this body was made from (e.g. for :func:`explain.unmatched_summary`)."""
        d = self.detail
        return explain.UnmatchedReason(
            mentee_id=self.mentee_id,
            unmet=self.unmet,
            reason=self.reason,
            feasible_mentors=d.feasible_mentors,
            removed_by=dict(d.removed_by),
            best_mentors=tuple(
                explain.ForgoneMentor(
                    b.mentor_id,
                    b.score,
                    b.reason,
                    tuple(explain.Holder(h.mentee_id, h.score) for h in b.held_by),
                )
                for b in d.best_mentors
            ),
            best_score=d.best_score,
        )


class MentorLoad(Out):
    mentor_id: str
    assigned: int
    capacity: int


class ComplementarySummary(Out):
    mentees: int
    weight: float
    coverage_plain: float
    coverage: float
    coverage_gain: float
    gaps_plain: int
    gaps: int
    total_plain: float
    total: float
    objective_plain: float
    objective: float
    upper_bound: float
    bound_ratio: float
    moves: int
    passes: int
    converged: bool


class Summary(Out):
    matched: int
    unmatched: int
    total_score: float
    mean_score: float | None
    min_score: float | None
    optimal: bool
    solver: str
    timings_ms: dict[str, float]
    mean_coverage: float | None = Field(
        None, description="Mean coverage of the matched pairs (null without pairs)."
    )
    complementary: ComplementarySummary | None = Field(
        None, description="What options.complementary changed (null when it is off)."
    )
    fairness: Fairness | None = Field(
        None,
        exclude_if=lambda value: value is None,
        description="Only with options.fairness: the cost of the floors and each group's "
        "matched slots with and without them.",
    )


class MatchResponse(Out):
    matches: list[Match]
    unmatched: list[Unmatched]
    mentors: list[MentorLoad]
    summary: Summary
    mentees: list[MenteeGaps] = Field(
        [],
        description="Each mentee's wanted skills, what the assigned mentors cover, and the gaps.",
    )


class Recommendation(Out):
    mentor_id: str
    score: float
    rank: int
    remaining_capacity: int
    explanation: Explanation
    coverage: float
    focus_areas: list[FocusArea]


class MenteeRecommendations(Out):
    mentee_id: str
    recommendations: list[Recommendation]


class RecommendResponse(Out):
    results: list[MenteeRecommendations]


class Pair(Out):
    mentee: int
    mentor: int
    score: float


class AssignResponse(Out):
    pairs: list[Pair]
    total_score: float
    unmatched: list[int]
    loads: list[int]
    optimal: bool
    solver: str


class ScoreResponse(Out):
    mentee_ids: list[str]
    mentor_ids: list[str]
    scores: list[list[float]]
    facets: dict[str, list[list[float | None]]] = Field(
        description="Per facet, mentees x mentors in [0, 1]; null where the facet is missing."
    )
    weights: dict[str, float]
    allowed: list[list[bool]]
    coverage: list[list[float]] = Field(
        description="Share of each pair's score weight backed by data, in [0, 1]."
    )
    mentor_side_weight: float = Field(
        description="Share of the score given to the mentor -> mentee fit (0: not applied)."
    )


def unmatched_out(reason: explain.UnmatchedReason) -> Unmatched:
    """Core :class:`~matchsvc.explain.UnmatchedReason` -> response model (nests the detail)."""
    return Unmatched(
        mentee_id=reason.mentee_id,
        unmet=reason.unmet,
        reason=reason.reason,
        detail=UnmatchedDetail.model_validate(reason),
    )
