"""The matching modes: functions over one :class:`~matchsvc.problem.MatchProblem`.

* :func:`match` -- the exact assignment, explained, with a reason for everyone unmatched;
* :func:`recommend` -- each mentee's best feasible mentors, for self-service platforms;
* :func:`rematch` -- a running programme re-matched under a policy;
* :func:`score` -- the compatibility matrix itself, for analysis;
* :func:`learn` -- facet weights fitted to the feedback on past pairs, with held-out evidence.

Every door (HTTP, CLI, jobs, Python) reaches these through :class:`matchsvc.engine.Engine`.
"""

from __future__ import annotations

from matchsvc.pipelines.learn import Feedback, LearnSettings, learn
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
    "CurrentPair",
    "Feedback",
    "LearnSettings",
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
    "learn",
    "match",
    "recommend",
    "rematch",
    "score",
]
