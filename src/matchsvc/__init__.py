"""matchsvc: explained, exact mentee-mentor matching.

The public Python API. Heavy modules (the embedding model, the web app) are imported only when
used, so ``import matchsvc`` stays fast.
"""

from __future__ import annotations

from matchsvc.errors import (
    ConfigError,
    InfeasibleError,
    InvalidInputError,
    LimitExceededError,
    MatchsvcError,
    NotFoundError,
    TimeBudgetExceededError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "InfeasibleError",
    "InvalidInputError",
    "LimitExceededError",
    "MatchsvcError",
    "NotFoundError",
    "TimeBudgetExceededError",
    "__version__",
]
