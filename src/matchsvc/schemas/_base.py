"""Shared pieces of the request and response models: strictness, common types, the example people."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, Strict

__all__ = [
    "EXAMPLE_PEOPLE",
    "AttributeValue",
    "Channel",
    "Day",
    "Frequency",
    "IsoDate",
    "IsoDatetime",
    "Objective",
    "Out",
    "Solver",
    "StrictIn",
]

Channel = Literal["video", "phone", "chat", "email", "in_person"]
Frequency = Literal["weekly", "biweekly", "monthly"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Objective = Literal["total", "fair"]
Solver = Literal["auto", "hungarian", "flow"]
IsoDate = Annotated[date, Strict(False)]  # parsed from "YYYY-MM-DD" despite strict models
IsoDatetime = Annotated[datetime, Strict(False)]  # parsed from ISO 8601 strings
AttributeValue = Annotated[  # finite: JSON has no NaN, and a job could not store it
    str | int | FiniteFloat | bool | list[str], Field(union_mode="left_to_right")
]


class StrictIn(BaseModel):
    # Strict: false is not 0 and "3" is not 3. Dates and times are parsed from ISO strings.
    model_config = ConfigDict(extra="forbid", strict=True)


EXAMPLE_PEOPLE: dict[str, Any] = {
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


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)
