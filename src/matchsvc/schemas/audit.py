"""``/audit``: a match and the people in, figures per group, loads, scores and history out.

The response models mirror :mod:`matchsvc.audit`'s dataclasses field for field
(``tests/test_schemas.py`` fails when one drifts).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from pydantic import ConfigDict, Field

from matchsvc import audit, bounds
from matchsvc.errors import InvalidInputError, MatchsvcError
from matchsvc.pipelines import AuditSettings
from matchsvc.schemas._base import EXAMPLE_PEOPLE, Count, Id, IsoDate, Name, Out, Rating, StrictIn
from matchsvc.schemas.fairness import FairMatchOptionsIn, GroupValue
from matchsvc.schemas.match import MatchResponse
from matchsvc.schemas.people import Profile

__all__ = [
    "AuditRequest",
    "AuditResponse",
    "CohortRatings",
    "GroupAudit",
    "HistoryAudit",
    "HistoryPairIn",
    "HistoryRatingIn",
    "MentorGroupAudit",
    "MentorLoadAudit",
    "PairIn",
    "ScoreDistribution",
]


class PairIn(StrictIn):
    mentee_id: Id
    mentor_id: Id


class HistoryRatingIn(StrictIn):
    date: IsoDate = Field(description="When the rating was given (YYYY-MM-DD).")
    rating: Rating


class HistoryPairIn(StrictIn):
    """A pair of the programme's history: when it ran, how it ended, how it was rated."""

    mentee_id: Id
    mentor_id: Id
    start: IsoDate
    end: IsoDate | None = Field(None, description="Null: still running.")
    end_reason: Literal["goals_met", "policy", "bad_outcome", "rematch", "other"] | None = Field(
        None,
        description="goals_met and policy: ended by the programme's rules; bad_outcome: a "
        "failed pair; rematch: moved to a better fit.",
    )
    outcome: Literal["good", "neutral", "bad"] | None = None
    ratings: list[HistoryRatingIn] = Field([], description="Ratings (1-5) with their dates.")

    def to_core(self) -> audit.HistoryPair:
        return audit.HistoryPair(
            mentee_id=self.mentee_id,
            mentor_id=self.mentor_id,
            start=self.start,
            end=self.end,
            end_reason=self.end_reason,
            outcome=self.outcome,
            ratings=tuple((r.date, r.rating) for r in self.ratings),
        )


_EXAMPLE: dict[str, Any] = {
    "mentees": [
        {**person, "attributes": {"region": region}}
        for person, region in zip(EXAMPLE_PEOPLE["mentees"], ["north", "south"], strict=True)
    ],
    "mentors": EXAMPLE_PEOPLE["mentors"],
    "pairs": [{"mentee_id": "mentee-1", "mentor_id": "mentor-a"}],
    "attributes": ["region"],
}


class AuditRequest(StrictIn):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    mentees: list[Profile]
    mentors: list[Profile]
    match: MatchResponse | None = Field(
        None, description="A POST /match response body: its matches are audited."
    )
    pairs: list[PairIn] | None = Field(
        None, description="Or the pairs themselves (give match or pairs, not both)."
    )
    history: list[HistoryPairIn] | None = Field(
        None, description="The programme's past pairs, for re-match, end and rating figures."
    )
    attributes: list[Name] = Field(
        [],
        max_length=bounds.MAX_AUDIT_ATTRIBUTES,
        description="Attributes to group people by (mentees, mentors or both); each value is "
        "a group, people without the attribute form the group null.",
    )
    options: FairMatchOptionsIn = Field(
        default_factory=FairMatchOptionsIn,
        description="The options the match ran with: scores, feasibility and min_score are "
        "recomputed with them (fairness is accepted as in /match and not read).",
    )
    four_fifths: float = Field(
        0.8, gt=0, le=1, description="Flag a group below this ratio to the best group."
    )
    min_group_size: Count = Field(
        30, description="A flag on fewer slots (or pairs) than this carries a caution."
    )
    bins: int = Field(20, ge=1, le=bounds.MAX_HISTOGRAM_BINS, description="Score histogram bins.")

    def settings(self) -> AuditSettings:
        """The reading settings as the core's type."""
        return AuditSettings(self.four_fifths, self.min_group_size, self.bins)

    def audited_pairs(self) -> list[tuple[str, str]]:
        """The (mentee id, mentor id) pairs to audit, from ``match`` or ``pairs``.

        Raises:
            InvalidInputError: both are given (``field`` ``pairs``) or neither (``match``).
        """
        if self.match is not None and self.pairs is not None:
            raise InvalidInputError(
                "give the match to audit once: match (a POST /match response body) or pairs, "
                "not both",
                field="pairs",
            )
        if self.match is not None:
            return [(m.mentee_id, m.mentor_id) for m in self.match.matches]
        if self.pairs is not None:
            return [(p.mentee_id, p.mentor_id) for p in self.pairs]
        raise InvalidInputError(
            "nothing to audit: give match (a POST /match response body) or pairs "
            "([{mentee_id, mentor_id}, ...])",
            field="match",
        )

    @contextmanager
    def locating_pairs(self) -> Iterator[None]:
        """Errors raised in the block about ``pairs[k]`` name ``match.matches[k]`` instead when
        the pairs came from ``match`` (the core knows pairs only)."""
        try:
            yield
        except MatchsvcError as exc:
            field = exc.field
            if self.match is not None and field is not None and field.startswith("pairs"):
                exc.field = "match.matches" + field.removeprefix("pairs")
            raise


class GroupAudit(Out):
    attribute: str
    value: GroupValue
    people: int
    demand: int
    matched: int
    people_matched: int
    matched_share: float | None
    share_interval: tuple[float, float] | None = Field(description="95% Wilson interval.")
    pairs: int
    mean_score: float | None
    min_score: float | None
    bottom_decile_score: float | None
    top_choice_share: float | None = Field(
        description="Share of members (with demand and a feasible mentor) whose pairs include "
        "their top-ranked feasible mentor."
    )
    top_choice_base: int
    unmatched_reasons: dict[str, int] = Field(
        description="Members with unmet demand per reason: no_feasible_mentor, "
        "below_min_score, capacity_exhausted, open_slot_left (a feasible mentor had room)."
    )
    share_ratio: float | None = Field(description="Matched share over the best group's.")
    score_ratio: float | None = Field(description="Mean score over the best group's.")
    share_flag: bool = Field(description="share_ratio below four_fifths.")
    score_flag: bool = Field(description="score_ratio below four_fifths.")
    share_robust: bool = Field(description="The share flag holds at both ends of the intervals.")
    caution: bool
    caution_reason: str | None


class MentorGroupAudit(Out):
    attribute: str
    value: GroupValue
    people: int
    capacity: int
    load: int
    utilisation: float | None
    mean_score: float | None


class MentorLoadAudit(Out):
    mentors: int
    capacity: int
    load: int
    utilisation: float | None
    gini: float = Field(description="Gini coefficient of the loads of mentors with capacity.")
    full: int
    idle: int
    load_counts: list[int] = Field(description="load_counts[k]: mentors with k mentees.")
    utilisation_edges: list[float]
    utilisation_counts: list[int]


class ScoreDistribution(Out):
    count: int
    mean: float | None
    minimum: float | None
    p10: float | None
    median: float | None
    p90: float | None
    maximum: float | None
    bin_edges: list[float]
    counts: list[int]


class CohortRatings(Out):
    cohort: str = Field(description="Start month, YYYY-MM.")
    pairs: int
    period: list[int] = Field(description="Whole 30-day periods from the pair's start.")
    count: list[int]
    mean: list[float]


class HistoryAudit(Out):
    pairs: int
    mentees: int
    rematched: int
    rematch_rate: float | None
    ended: int
    ended_by_policy: int
    ended_bad_outcome: int
    ended_by_rematch: int
    ended_other: int
    cohorts: list[CohortRatings]


class AuditResponse(Out):
    mentees: int
    mentors: int
    demand: int
    matched: int
    matched_share: float | None
    unmatched_reasons: dict[str, int] = Field(
        description="Mentees with unmet demand per reason, over everyone."
    )
    groups: list[GroupAudit]
    mentor_groups: list[MentorGroupAudit]
    mentor_load: MentorLoadAudit
    scores: ScoreDistribution
    history: HistoryAudit | None
    four_fifths: float
    min_group_size: int
