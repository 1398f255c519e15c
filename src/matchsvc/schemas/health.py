"""The health checks' bodies (HTTP only)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["Health", "Ready"]


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready", "loading", "failed"]
    model: str | None = None
    dimension: int | None = None
    error: str | None = None
