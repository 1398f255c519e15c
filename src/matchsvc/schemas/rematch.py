"""``/rematch``: the running programme, the policy, and the actions that come back."""

from __future__ import annotations

from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from matchsvc import bounds
from matchsvc.pipelines import CurrentPair, PastPair, RematchPolicy
from matchsvc.schemas._base import EXAMPLE_PEOPLE, Count, Id, IsoDatetime, Out, Rating, StrictIn
from matchsvc.schemas.match import Explanation, MentorLoad
from matchsvc.schemas.people import MatchOptionsIn, Profile

__all__ = [
    "CurrentPairIn",
    "LockedPair",
    "PastPairIn",
    "RematchAction",
    "RematchPolicyIn",
    "RematchRequest",
    "RematchResponse",
    "RematchSummary",
]


class CurrentPairIn(StrictIn):
    mentee_id: Id
    mentor_id: Id
    status: Literal["active", "ended"] = "active"
    mentee_rating: Rating | None = None
    mentor_rating: Rating | None = None
    goals_met: bool = False
    started_at: IsoDatetime | None = None


class PastPairIn(StrictIn):
    mentee_id: Id
    mentor_id: Id
    outcome: Literal["good", "neutral", "bad"] = "neutral"
    rating: Rating | None = None


class LockedPair(StrictIn):
    mentee_id: Id
    mentor_id: Id


_Bonus = Annotated[float, Field(ge=0, le=bounds.MAX_BONUS)]


class RematchPolicyIn(StrictIn):
    stability_bonus: _Bonus = Field(
        0.1, description="An active pair moves only if the programme gains more than this."
    )
    locked: list[LockedPair] = Field([], description="Pairs kept whatever else holds.")
    max_moves: Count | None = Field(None, description="Most active pairs that may change.")
    min_rating_to_keep: Rating | None = Field(
        None, description="Pairs rated lower (either side) end and never return."
    )
    release_goals_met: bool = Field(True, description="End pairs whose goals are met.")
    waiting_since: dict[Id, IsoDatetime] = Field(
        {}, description="Per mentee id: waiting since; longer wait = higher priority."
    )
    wait_bonus: _Bonus = Field(0.5, description="Score units the longest wait is worth.")

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


class RematchRequest(StrictIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                EXAMPLE_PEOPLE
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
    current: list[CurrentPairIn] = Field([])
    history: list[PastPairIn] = Field([])
    policy: RematchPolicyIn = Field(default_factory=RematchPolicyIn)
    options: MatchOptionsIn = Field(default_factory=MatchOptionsIn)

    def pairs(self) -> tuple[list[CurrentPair], list[PastPair]]:
        """The current and past pairs as core types."""
        return (
            [CurrentPair(**p.model_dump()) for p in self.current],
            [PastPair(**p.model_dump()) for p in self.history],
        )


class RematchAction(Out):
    mentee_id: str
    action: Literal["kept", "moved", "new", "released", "unmatched"]
    from_mentor_id: str | None
    to_mentor_id: str | None
    reason: str
    score_before: float | None
    score_after: float | None
    explanation: Explanation | None


class RematchSummary(Out):
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


class RematchResponse(Out):
    actions: list[RematchAction]
    mentors: list[MentorLoad]
    summary: RematchSummary
