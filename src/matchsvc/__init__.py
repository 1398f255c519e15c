"""matchsvc: explained, exact mentee-mentor matching.

The Python door to the same engine the HTTP API and the CLI use::

    import matchsvc

    # Bring your own scores: an exact, certified capacity-constrained assignment.
    result = matchsvc.assign(scores, capacity=[2, 1, 3])

    # Or the whole pipeline from profiles (loads the bundled model once, ~10 s).
    engine = matchsvc.Engine(matchsvc.load_settings())
    engine.load()
    report = engine.match(mentees, mentors, matchsvc.MatchOptions())
"""

from __future__ import annotations

from matchsvc.assignment import Assignment, assign
from matchsvc.config import Settings, load_settings
from matchsvc.engine import Engine
from matchsvc.errors import (
    ConfigError,
    InfeasibleError,
    InvalidInputError,
    LimitExceededError,
    MatchsvcError,
    NotFoundError,
    TimeBudgetExceededError,
)
from matchsvc.pipelines import (
    CurrentPair,
    MatchOptions,
    MatchReport,
    PastPair,
    RematchPolicy,
    RematchReport,
)
from matchsvc.profiles import Availability, Communication, Profile
from matchsvc.scoring import Constraints, Criterion, ScoringOptions

__version__ = "0.1.0"

__all__ = [
    "Assignment",
    "Availability",
    "Communication",
    "ConfigError",
    "Constraints",
    "Criterion",
    "CurrentPair",
    "Engine",
    "InfeasibleError",
    "InvalidInputError",
    "LimitExceededError",
    "MatchOptions",
    "MatchReport",
    "MatchsvcError",
    "NotFoundError",
    "PastPair",
    "Profile",
    "RematchPolicy",
    "RematchReport",
    "ScoringOptions",
    "Settings",
    "TimeBudgetExceededError",
    "__version__",
    "assign",
    "load_settings",
]
