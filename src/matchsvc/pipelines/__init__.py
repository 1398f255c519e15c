"""The matching modes: functions over one :class:`~matchsvc.problem.MatchProblem`.

* :func:`match` -- the exact assignment, explained, with a reason for everyone unmatched;
* :func:`recommend` -- each mentee's best feasible mentors, for self-service platforms;
* :func:`rematch` -- a running programme re-matched under a policy;
* :func:`score` -- the compatibility matrix itself, for analysis.

Every door (HTTP, CLI, jobs, Python) reaches these through :class:`matchsvc.engine.Engine`.
"""

from __future__ import annotations

from matchsvc.pipelines.complementary import ComplementarySummary, complementary
from matchsvc.pipelines.match import (
    MatchedPair,
    MatchOptions,
    MatchReport,
    MatchSummary,
    MentorLoad,
    Recommendation,
    build_problem,
    match,
    recommend,
    score,
)
from matchsvc.pipelines.rematch import (
    CurrentPair,
    PastPair,
    RematchAction,
    RematchPolicy,
    RematchReport,
    RematchSummary,
    rematch,
)

__all__ = [
    "ComplementarySummary",
    "CurrentPair",
    "MatchOptions",
    "MatchReport",
    "MatchSummary",
    "MatchedPair",
    "MentorLoad",
    "PastPair",
    "Recommendation",
    "RematchAction",
    "RematchPolicy",
    "RematchReport",
    "RematchSummary",
    "build_problem",
    "complementary",
    "match",
    "recommend",
    "rematch",
    "score",
]
