"""matchsvc: explained, exact mentee-mentor matching.

The Python door to the same engine the HTTP API and the CLI use::

    import matchsvc

    # Bring your own scores: an exact, certified capacity-constrained assignment.
    result = matchsvc.assign(scores, capacity=[2, 1, 3])

    # Or the whole pipeline from profiles (loads the bundled model once, ~10 s).
    engine = matchsvc.Engine(matchsvc.load_settings())
    engine.load()
    report = engine.match(mentees, mentors, matchsvc.MatchOptions())

    # One pool of peers: exact pairs, or circles (matchsvc.CircleOptions(min_size=3, ...)).
    pairs = engine.peer(people, matchsvc.PeerOptions(mutual="min"))

    # Learn facet weights from past pairs' feedback; audit a match across groups.
    learned = engine.learn(mentees, mentors, feedback, declined, matchsvc.MatchOptions())
    audit = engine.audit(mentees, mentors, report_pairs, options, attributes=["region"])
"""

from __future__ import annotations

from matchsvc.assignment import Assignment, GroupFloor, assign
from matchsvc.audit import AuditReport, HistoryPair
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
from matchsvc.learning import LearnResult
from matchsvc.pipelines import (
    AuditSettings,
    CircleOptions,
    CirclesReport,
    CurrentPair,
    Feedback,
    LearnSettings,
    MatchOptions,
    MatchReport,
    PastPair,
    PeerMatchReport,
    PeerOptions,
    RematchPolicy,
    RematchReport,
)
from matchsvc.profiles import Availability, Communication, Profile
from matchsvc.scoring import Constraints, Criterion, ScoringOptions

__version__ = "0.1.0"

__all__ = [
    "Assignment",
    "AuditReport",
    "AuditSettings",
    "Availability",
    "CircleOptions",
    "CirclesReport",
    "Communication",
    "ConfigError",
    "Constraints",
    "Criterion",
    "CurrentPair",
    "Engine",
    "Feedback",
    "GroupFloor",
    "HistoryPair",
    "InfeasibleError",
    "InvalidInputError",
    "LearnResult",
    "LearnSettings",
    "LimitExceededError",
    "MatchOptions",
    "MatchReport",
    "MatchsvcError",
    "NotFoundError",
    "PastPair",
    "PeerMatchReport",
    "PeerOptions",
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
