"""``options.fairness`` of ``/match``: floors on groups' matched shares, and what they cost."""

from __future__ import annotations

from dataclasses import replace

from pydantic import Field, model_validator

from matchsvc import bounds
from matchsvc.assignment import GroupFloor
from matchsvc.pipelines import MatchOptions
from matchsvc.schemas._base import Name, Out, StrictIn
from matchsvc.schemas.people import MatchOptionsIn

__all__ = ["FairMatchOptionsIn", "Fairness", "FairnessGroup", "FairnessRuleIn", "GroupValue"]

GroupValue = str | int | float | bool | None
"""A group's attribute value; null: the mentees without the attribute."""


class FairnessRuleIn(StrictIn):
    """A floor on every group (value) of one mentee attribute; set exactly one form."""

    attribute: Name = Field(description="A mentee attribute; each of its values is a group.")
    min_matched_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Each group gets at least ceil(share x its demand) matched slots.",
    )
    max_share_gap: float | None = Field(
        None,
        ge=0,
        le=1,
        description="No group's matched share below the overall matched share minus this.",
    )

    @model_validator(mode="after")
    def _one_form(self) -> FairnessRuleIn:
        forms = (self.min_matched_share is not None) + (self.max_share_gap is not None)
        if forms != 1:
            raise ValueError(
                f"set exactly one of min_matched_share and max_share_gap (got {forms})"
            )
        return self

    def to_core(self) -> GroupFloor:
        return GroupFloor(self.attribute, self.min_matched_share, self.max_share_gap)


class FairMatchOptionsIn(MatchOptionsIn):
    """The options of ``/match``: the shared ones plus the fairness floors."""

    fairness: list[FairnessRuleIn] = Field(
        [],
        max_length=bounds.MAX_FAIRNESS_RULES,
        description="Floors on groups of mentees, one rule per attribute, solved exactly; "
        "with rules, objective must be total and solver auto. A floor that cannot hold is a "
        "422 infeasible naming the group and the largest floor that can.",
    )

    def to_core(self) -> MatchOptions:
        return replace(super().to_core(), fairness=tuple(r.to_core() for r in self.fairness))


class FairnessGroup(Out):
    attribute: str
    value: GroupValue
    people: int
    demand: int
    floor: int
    matched: int
    matched_without_floors: int
    matched_share: float | None
    matched_share_without_floors: float | None


class Fairness(Out):
    total_score: float = Field(description="With the floors (the summary's total_score).")
    total_score_without_floors: float
    cost_of_fairness: float = Field(description="total_score_without_floors - total_score.")
    method: str
    groups: list[FairnessGroup]
