"""The people being matched: core dataclasses, mirrored by the API's pydantic schemas.

A :class:`Profile` describes a mentee or a mentor. The same fields mean the mirror thing on each
side: a mentee's ``skills`` are what they want to learn, a mentor's what they can teach; a mentee's
``goals`` are career goals, a mentor's what they offer. ``capacity`` is read for mentors only
(how many mentees they take), ``demand`` for mentees only (how many mentors they want).
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
class Profile:
    """One mentee or mentor. ``id`` must be unique within its side of a request."""

    id: str
    skills: tuple[str, ...] = ()
    goals: str = ""
    communication: Communication = field(default_factory=Communication)
    attributes: Mapping[str, AttributeValue] = field(default_factory=lambda: MappingProxyType({}))
    capacity: int = 1
    demand: int = 1
    exclude: tuple[str, ...] = ()
