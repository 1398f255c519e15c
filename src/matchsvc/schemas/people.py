"""People and options: what every request shares. Each converts to its core type with ``to_core()``."""

from __future__ import annotations

from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import Field

from matchsvc import bounds, profiles
from matchsvc.explain import COVER_THRESHOLD
from matchsvc.pipelines import MatchOptions
from matchsvc.schemas._base import (
    AttributeValue,
    Channel,
    Count,
    Day,
    Frequency,
    Id,
    IsoDate,
    Matches,
    Name,
    NotBlank,
    Objective,
    Solver,
    StrictIn,
    Text,
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


Start = Annotated[
    Text,
    Matches(
        r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$", "a time 'HH:MM' from 00:00 to 23:59 in ASCII digits"
    ),
]
End = Annotated[
    Text,
    Matches(
        r"^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
        "a time 'HH:MM' from 00:00 to 24:00 in ASCII digits",
    ),
]
Language = Annotated[
    Text, Matches(r"^[A-Za-z]{2}$", "a two-letter ISO 639-1 code such as 'en' or 'pt'")
]
TimeZone = Annotated[
    Text,
    Matches(r"^[A-Za-z0-9_+\-/:]+$", "a time zone such as 'Europe/Berlin' or 'UTC+05:30'"),
    Field(max_length=bounds.MAX_TIMEZONE_LENGTH),
]


class Availability(StrictIn):
    day: Day
    start: Start = Field(description='"HH:MM", local time', examples=["09:00"])
    end: End = Field(description='"HH:MM" after start ("24:00" allowed)', examples=["17:30"])


class Communication(StrictIn):
    style: Text = Field("", description="Free text: how they like to communicate.")
    channels: list[Channel] = Field([])
    languages: list[Language] = Field([], description="ISO 639-1 codes, e.g. en, de.")
    timezone: TimeZone | None = Field(None, description='IANA name or "UTC+05:30".')
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

    topics: list[NotBlank] = Field(
        [],
        max_length=bounds.MAX_LIST_ITEMS,
        description="What they want to mentor on; compared by meaning with mentees' skills.",
    )
    career_stages: list[NotBlank] = Field(
        [],
        max_length=bounds.MAX_LIST_ITEMS,
        description="Mentee career stages they are best placed to help (exact, any case).",
    )
    industries: list[NotBlank] = Field(
        [],
        max_length=bounds.MAX_LIST_ITEMS,
        description="Mentee industries they are best placed to help (exact, any case).",
    )
    languages: list[Language] = Field(
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

    id: Id
    skills: list[NotBlank] = Field([], description="Mentee: wants to learn; mentor: can teach.")
    goals: Text = Field("", description="Mentee: career goals; mentor: what they offer.")
    communication: Communication = Field(default_factory=Communication)
    attributes: dict[Name, AttributeValue] = Field(
        {},
        description="Free attributes for criteria: industry, organization, seniority_years... "
        f"Numbers are finite with magnitude at most {bounds.MAX_ABS_ATTRIBUTE:g}; lists hold "
        f"at most {bounds.MAX_LIST_ITEMS} items.",
    )
    capacity: Count = Field(1, description="Mentors: how many mentees they take.")
    demand: Count = Field(1, description="Mentees: how many mentors they want.")
    exclude: list[Id] = Field([], description="Ids on the other side never to pair with.")
    career_stage: Text = Field(
        "", description="The person's career stage (mentees: compared with mentors' wishes)."
    )
    industry: Text = Field(
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


_Bound = Annotated[float, Field(ge=-bounds.MAX_ABS_ATTRIBUTE, le=bounds.MAX_ABS_ATTRIBUTE)]
_Weight = Annotated[float, Field(ge=0, le=bounds.MAX_WEIGHT)]


class CriterionIn(StrictIn):
    name: Name
    attribute: Name
    kind: Literal["same", "different", "gap", "overlap"]
    min: _Bound | None = None
    max: _Bound | None = None
    hard: bool = Field(False, description="Hard: filter pairs. Soft: a weighted bonus.")


class ConstraintsIn(StrictIn):
    require_shared_language: bool = True
    min_overlap_hours: float = Field(0.0, ge=0, le=bounds.HOURS_PER_WEEK)
    use_exclude: bool = True


class ScoringOptionsIn(StrictIn):
    weights: dict[Name, _Weight] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description="Per facet (skills, goals, communication) and soft criterion, each in "
        f"[0, {bounds.MAX_WEIGHT:g}], not all 0; normalised to sum 1.",
    )
    criteria: list[CriterionIn] = Field([], max_length=bounds.MAX_CRITERIA)
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
    min_score: float | None = Field(
        None, ge=0, le=1, description="Pairs scoring below this (in [0, 1]) are never made."
    )
    explain: bool = True
    solver: Solver = "auto"
    complementary: bool = Field(
        False,
        description="Mentees with demand > 1: prefer mentors covering different wanted skills.",
    )
    complementary_weight: float = Field(
        1.0,
        ge=0,
        le=bounds.MAX_WEIGHT,
        description="Weight of a mentee's skill coverage against the pair scores.",
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
