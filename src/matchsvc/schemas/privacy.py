"""``POST /cache/forget`` and ``matchsvc forget``: whose cached embeddings to erase."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from matchsvc.schemas._base import StrictIn
from matchsvc.schemas.people import Profile

__all__ = ["ForgetRequest", "ForgetResponse"]


class ForgetRequest(StrictIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "people": [
                        {
                            "id": "mentee-1",
                            "skills": ["python", "data pipelines"],
                            "goals": "Move from analytics into data engineering.",
                        }
                    ]
                }
            ]
        }
    )

    people: list[Profile] = Field(
        description="Profiles as sent to /match (mentees or mentors): the cached vectors of "
        "their skills, goals and communication style are erased. Only those texts are read."
    )


class ForgetResponse(BaseModel):
    people: int = Field(description="Profiles given.")
    texts: int = Field(
        description="Distinct non-empty texts among them (skills, goals, styles, normalised)."
    )
    removed: int = Field(
        description="Cache entries removed: (model, text) pairs found in memory or on disk. "
        "0 when nothing of theirs was cached."
    )
