"""Shared pieces of the request and response models: strictness, common types, the example people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainValidator,
    Strict,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from matchsvc import bounds

__all__ = [
    "EXAMPLE_PEOPLE",
    "AttributeValue",
    "Channel",
    "Count",
    "Day",
    "Frequency",
    "Id",
    "IsoDate",
    "IsoDatetime",
    "Matches",
    "Name",
    "NotBlank",
    "Objective",
    "Out",
    "Rating",
    "Solver",
    "StrictIn",
    "Text",
]

Channel = Literal["video", "phone", "chat", "email", "in_person"]
Frequency = Literal["weekly", "biweekly", "monthly"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Objective = Literal["total", "fair"]
Solver = Literal["auto", "hungarian", "flow"]
IsoDate = Annotated[date, Strict(False)]  # parsed from "YYYY-MM-DD" despite strict models
IsoDatetime = Annotated[
    datetime,
    Strict(False),
    Field(description="ISO 8601; a time without an offset is UTC."),
]  # parsed from ISO 8601 strings


def _unicode(text: str) -> str:
    problem = bounds.check_text(text)
    if problem is not None:
        raise PydanticCustomError("unicode", problem)
    return text


Text = Annotated[str, AfterValidator(_unicode)]
"""Any valid Unicode text (no lone surrogates)."""


@dataclass(frozen=True, slots=True)
class Matches:
    """Annotation: the text must contain a match of ``pattern`` (``re.search``).

    The pattern goes into the JSON schema; a mismatch reads "<value> is not <rule>", a message
    that names the fix rather than the regular expression.
    """

    pattern: str
    rule: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        compiled = re.compile(self.pattern)
        rule = self.rule

        def check(value: str) -> str:
            if compiled.search(value) is None:
                raise PydanticCustomError(
                    "string_pattern_mismatch",
                    "{value} is not {rule}",
                    {"value": repr(value), "rule": rule},
                )
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        out["pattern"] = self.pattern
        return out


NotBlank = Annotated[Text, Matches(r"\S", "allowed here: give text with a non-space character")]
"""Text with at least one non-space character."""

Id = Annotated[NotBlank, Field(min_length=1, max_length=bounds.MAX_ID_LENGTH)]
"""A person's id: 1-200 characters, not only spaces; unique per side (not expressible here)."""

Name = Annotated[Text, Field(min_length=1, max_length=bounds.MAX_NAME_LENGTH)]
"""A criterion, attribute or weight name."""

Count = Annotated[int, Field(ge=0, le=bounds.MAX_COUNT)]
"""A number of people or pairs."""

Rating = Annotated[float, Field(ge=bounds.RATING_MIN, le=bounds.RATING_MAX)]
"""A rating on the 1-5 scale."""


def _attribute(value: Any) -> str | int | float | bool | list[str]:
    """One validator for the attribute union, so a bad value gets one message naming the rule
    (a union of constrained types would report every member's complaint)."""
    limit = bounds.MAX_ABS_ATTRIBUTE
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not abs(value) <= limit:  # False for NaN
            raise PydanticCustomError(
                "attribute_number",
                "{value} is not a finite number of magnitude at most {limit}",
                {"value": repr(value), "limit": f"{limit:g}"},
            )
        return value
    if isinstance(value, str):
        return _unicode(value)
    if isinstance(value, list):
        if len(value) > bounds.MAX_LIST_ITEMS:
            raise PydanticCustomError(
                "attribute_list",
                "a list attribute holds at most {limit} items, this one {count}",
                {"limit": bounds.MAX_LIST_ITEMS, "count": len(value)},
            )
        if not all(isinstance(item, str) for item in value):
            raise PydanticCustomError("attribute_list", "a list attribute holds texts only", {})
        return [_unicode(item) for item in value]
    raise PydanticCustomError(
        "attribute_type",
        "an attribute is text, a number, true/false or a list of texts, not {kind}",
        {"kind": type(value).__name__},
    )


AttributeValue = Annotated[
    str | int | float | bool | list[str],
    PlainValidator(_attribute),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "number",
                    "minimum": -bounds.MAX_ABS_ATTRIBUTE,
                    "maximum": bounds.MAX_ABS_ATTRIBUTE,
                },
                {"type": "boolean"},
                {"type": "array", "items": {"type": "string"}, "maxItems": bounds.MAX_LIST_ITEMS},
            ]
        }
    ),
]


class StrictIn(BaseModel):
    # Strict: false is not 0 and "3" is not 3. Dates and times are parsed from ISO strings.
    # NaN and infinities are refused in every number (JSON has no such numbers).
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


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
