"""The exceptions matchsvc raises, one small tree.

::

    MatchsvcError                 base class; never raised itself
    ├── InvalidInputError         the caller's data is wrong (shape, NaN, unknown id, bad weight)
    ├── InfeasibleError           well-formed, but the requested problem has no solution
    │   └── FloorInfeasibleError  a group's fairness floor cannot hold (names the largest that can)
    ├── LimitExceededError        the input is larger than the configured limits allow
    ├── TimeBudgetExceededError   synchronous work ran past its time budget
    ├── BusyError                 every CPU slot is taken and the queue is full (retry later)
    ├── NotFoundError             an id (e.g. a job) that does not exist
    ├── ConflictError             the resource's state forbids it now (a job's result before it ends)
    └── ConfigError               the service's own settings or model are unusable (start-up)

Every error carries a stable machine-readable ``code`` (used as the problem+json ``type``) and,
where it applies, ``field``: the path of the offending input (``"mentors[3].capacity"``, built from a
validation location by :func:`field_path`).
Messages state the value found and the fix. Callers branch on the class or ``code``, never on
message text.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BusyError",
    "ConfigError",
    "ConflictError",
    "FloorInfeasibleError",
    "InfeasibleError",
    "InvalidInputError",
    "LimitExceededError",
    "MatchsvcError",
    "NotFoundError",
    "TimeBudgetExceededError",
    "field_path",
]


class MatchsvcError(Exception):
    """Base class of every error matchsvc raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInputError(MatchsvcError, ValueError):
    """The input is malformed or inconsistent; the message names the value and the fix."""

    code = "invalid-input"


class InfeasibleError(MatchsvcError):
    """The input is valid but asks for something impossible (e.g. a locked pair that is forbidden).

    Not an :class:`InvalidInputError`: nothing in the input is malformed; the message says which
    requirement cannot be met and how far it can be met (HTTP 422, ``type`` ``...:infeasible``).
    """

    code = "infeasible"


class FloorInfeasibleError(InfeasibleError):
    """A fairness floor cannot hold: ``group`` of ``attribute`` asks ``floor`` matched slots
    (of ``group_demand``) but at most ``largest_floor`` are possible (see the message for the
    other floors that bound it)."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        attribute: str,
        group: object,
        floor: int,
        largest_floor: int,
        group_demand: int,
    ) -> None:
        super().__init__(message, field=field)
        self.attribute = attribute
        self.group = group
        self.floor = floor
        self.largest_floor = largest_floor
        self.group_demand = group_demand


class LimitExceededError(MatchsvcError):
    """The input exceeds a configured limit (people per request, text length, ...)."""

    code = "limit-exceeded"


class TimeBudgetExceededError(MatchsvcError):
    """Synchronous work took longer than the configured budget; submit it as a job instead."""

    code = "time-budget-exceeded"


class BusyError(MatchsvcError):
    """Too many CPU-heavy requests at once; retry after ``retry_after`` seconds or use a job."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFoundError(MatchsvcError, LookupError):
    """A referenced object (a job id, ...) does not exist."""

    code = "not-found"


class ConflictError(MatchsvcError):
    """The request is valid but the resource's current state forbids it (e.g. a job still running)."""

    code = "conflict"


class ConfigError(MatchsvcError):
    """The service cannot start: a setting is invalid or the model cannot be loaded."""

    code = "config-error"


def field_path(loc: Sequence[int | str]) -> str:
    """A validation location as the field path every door reports.

    ``("mentees", 2, "capacity")`` -> ``"mentees[2].capacity"``. A leading ``"body"``,
    ``"query"``, ``"path"`` or ``"header"`` (FastAPI's request locations) is dropped; the
    location of the whole input gives ``""``.
    """
    parts = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
