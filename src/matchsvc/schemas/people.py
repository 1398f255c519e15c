"""People and options: what every request shares. Each converts to its core type with ``to_core()``."""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

from pydantic import Field

from matchsvc import profiles
from matchsvc.explain import COVER_THRESHOLD
from matchsvc.pipelines import MatchOptions
from matchsvc.schemas._base import (
    AttributeValue,
    Channel,
    Day,
    Frequency,
    IsoDate,
    Objective,
    Solver,
    StrictIn,
)
from matchsvc.scoring import DEFAULT_REFERENCE_DATE, DEFAULT_WEIGHTS, Constraints, Criterion
from matchsvc.scoring import ScoringOptions as CoreScoringOptions

__all__ = [
    "Availability",
    "Communication",
    "ConstraintsIn",
    "CriterionIn",
    "MatchOptionsIn",
    "Profile",
    "ScoringOptionsIn",
    "Wishes",
]


class Availability(StrictIn):
    day: Day
    start: str = Field(description='"HH:MM", local time', examples=["09:00"])
    end: str = Field(description='"HH:MM" after start ("24:00" allowed)', examples=["17:30"])


class Communication(StrictIn):
    style: str = Field("", description="Free text: how they like to communicate.")
    channels: list[Channel] = Field([])
    languages: list[str] = Field([], description="ISO 639-1 codes, e.g. en, de.")
    timezone: str | None = Field(None, description='IANA name or "UTC+05:30".')
    availability: list[Availability] = Field([])
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


class Wishes(StrictIn):
    """Whom a mentor would like to mentor (read for mentors only; empty = no wish)."""

    topics: list[str] = Field(
        [], description="What they want to mentor on; compared by meaning with mentees' skills."
    )
    career_stages: list[str] = Field(
        [], description="Mentee career stages they are best placed to help (exact, any case)."
    )
    industries: list[str] = Field(
        [], description="Mentee industries they are best placed to help (exact, any case)."
    )
    languages: list[str] = Field(
        [], description="ISO 639-1 codes they would like to mentor in (met by a shared one)."
    )

    def to_core(self) -> profiles.Wishes:
        return profiles.Wishes(
            topics=tuple(self.topics),
            career_stages=tuple(self.career_stages),
            industries=tuple(self.industries),
            languages=tuple(self.languages),
        )


class Profile(StrictIn):
    """A mentee or mentor. ``capacity`` and ``wishes`` are read for mentors, ``demand`` for
    mentees."""

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
    career_stage: str = Field(
        "", description="The person's career stage (mentees: compared with mentors' wishes)."
    )
    industry: str = Field(
        "", description="The person's industry (mentees: compared with mentors' wishes)."
    )
    wishes: Wishes = Field(
        default_factory=Wishes, description="Mentors: whom they would like to mentor."
    )

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
            career_stage=self.career_stage,
            industry=self.industry,
            wishes=self.wishes.to_core(),
        )


class CriterionIn(StrictIn):
    name: str = Field(min_length=1)
    attribute: str = Field(min_length=1)
    kind: Literal["same", "different", "gap", "overlap"]
    min: float | None = None
    max: float | None = None
    hard: bool = Field(False, description="Hard: filter pairs. Soft: a weighted bonus.")


class ConstraintsIn(StrictIn):
    require_shared_language: bool = True
    min_overlap_hours: float = Field(0.0, ge=0, le=168)
    use_exclude: bool = True


class ScoringOptionsIn(StrictIn):
    weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description="Per facet (skills, goals, communication) and soft criterion; normalised.",
    )
    criteria: list[CriterionIn] = Field([])
    constraints: ConstraintsIn = Field(default_factory=ConstraintsIn)
    reference_date: IsoDate = Field(
        DEFAULT_REFERENCE_DATE,
        description="Any day of the week used for time-zone offsets.",
    )
    mentor_side_weight: float = Field(
        0.25,
        ge=0,
        le=1,
        description="Share of the score given to the mentor -> mentee fit (mentors' wishes); "
        "applies only when some mentor's wishes can be compared with some mentee.",
    )

    def to_scoring(self) -> CoreScoringOptions:
        return CoreScoringOptions(
            weights=MappingProxyType(dict(self.weights)),
            criteria=tuple(Criterion(**c.model_dump()) for c in self.criteria),
            constraints=Constraints(**self.constraints.model_dump()),
            reference_date=self.reference_date,
            mentor_side_weight=self.mentor_side_weight,
        )


class MatchOptionsIn(ScoringOptionsIn):
    objective: Objective = Field("total", description="total, or fair (max-min, then total).")
    min_score: float | None = Field(None, description="Pairs scoring below this are never made.")
    explain: bool = True
    solver: Solver = "auto"
    complementary: bool = Field(
        False,
        description="Mentees with demand > 1: prefer mentors covering different wanted skills.",
    )
    complementary_weight: float = Field(
        1.0, ge=0, description="Weight of a mentee's skill coverage against the pair scores."
    )
    cover_threshold: float = Field(
        COVER_THRESHOLD,
        ge=0,
        le=1,
        description="Similarity at which a mentor skill covers a wanted skill (focus areas, gaps).",
    )

    def to_core(self) -> MatchOptions:
        return MatchOptions(
            scoring=self.to_scoring(),
            objective=self.objective,
            min_score=self.min_score,
            explain=self.explain,
            solver=self.solver,
            complementary=self.complementary,
            complementary_weight=self.complementary_weight,
            cover_threshold=self.cover_threshold,
        )
