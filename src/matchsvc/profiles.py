"""The people being matched: core dataclasses, mirrored by the API's pydantic schemas.

A :class:`Profile` describes a mentee or a mentor. The same fields mean the mirror thing on each
side: a mentee's ``skills`` are what they want to learn, a mentor's what they can teach; a mentee's
``goals`` are career goals, a mentor's what they offer. ``capacity`` is read for mentors only
(how many mentees they take), ``demand`` for mentees only (how many mentors they want).

Mentoring is two-sided: a mentor's :class:`Wishes` say whom they would like to mentor (topics,
career stages, industries, languages). They are compared with the mentee's ``skills``,
``career_stage``, ``industry`` and ``communication.languages`` in a mentor -> mentee fit (see
:func:`matchsvc.scoring.build_compatibility`); a mentee's wishes are not read.
These types hold data only; :func:`matchsvc.scoring.validate_people` checks what scoring reads
and :class:`matchsvc.problem.MatchProblem` checks the counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = [
    "CHANNELS",
    "FREQUENCIES",
    "AttributeValue",
    "Availability",
    "Communication",
    "Profile",
    "Wishes",
]

CHANNELS: tuple[str, ...] = ("video", "phone", "chat", "email", "in_person")
"""Allowed values of :attr:`Communication.channels`."""

FREQUENCIES: tuple[str, ...] = ("weekly", "biweekly", "monthly")
"""Allowed values of :attr:`Communication.frequency`, most to least frequent."""

AttributeValue = str | int | float | bool | tuple[str, ...]
"""What an entry of :attr:`Profile.attributes` may hold (lists are stored as tuples)."""

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass(frozen=True, slots=True)
class Availability:
    """A weekly window in the person's own time zone: ``day`` from ``start`` to ``end``.

    ``start`` and ``end`` are "HH:MM" strings; ``end`` after ``start`` on the same day
    ("24:00" is allowed as an end).
    """

    day: Day
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class Communication:
    """How a person likes to meet. Every field is optional; missing means "no preference"."""

    style: str = ""
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    timezone: str | None = None
    availability: tuple[Availability, ...] = ()
    frequency: str | None = None


@dataclass(frozen=True, slots=True)
class Wishes:
    """Whom a mentor would like to mentor (read for mentors only). Every field is optional;
    an empty field is "no wish" and takes no part in the score.

    Attributes:
        topics: what they want to mentor on (free-text skills or themes); compared by meaning
            with the mentee's wanted ``skills``.
        career_stages: career stages of the mentees they are best placed to help (e.g.
            ``"student"``, ``"early career"``); compared with the mentee's ``career_stage``
            (case-insensitive, exact).
        industries: industries of the mentees they are best placed to help; compared with the
            mentee's ``industry`` (case-insensitive, exact).
        languages: ISO 639-1 codes they would like to mentor in; met when the mentee lists one
            of them in ``communication.languages``.
    """

    topics: tuple[str, ...] = ()
    career_stages: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        """Whether any wish is given."""
        return bool(self.topics or self.career_stages or self.industries or self.languages)


@dataclass(frozen=True, slots=True)
class Profile:
    """One mentee or mentor. ``id`` must be unique within its side of a request.

    ``career_stage`` and ``industry`` describe the person (free text, ``""`` = not given); a
    mentee's are compared with the mentors' :class:`Wishes`. ``wishes`` is read for mentors only.
    """

    id: str
    skills: tuple[str, ...] = ()
    goals: str = ""
    communication: Communication = field(default_factory=Communication)
    attributes: Mapping[str, AttributeValue] = field(default_factory=lambda: MappingProxyType({}))
    capacity: int = 1
    demand: int = 1
    exclude: tuple[str, ...] = ()
    career_stage: str = ""
    industry: str = ""
    wishes: Wishes = field(default_factory=Wishes)
