"""The matching modes: functions over one :class:`~matchsvc.problem.MatchProblem`.

* :func:`match` -- the exact assignment, explained, with a reason for everyone unmatched;
* :func:`recommend` -- each mentee's best feasible mentors, for self-service platforms;
* :func:`rematch` -- a running programme re-matched under a policy;
* :func:`score` -- the compatibility matrix itself, for analysis;
* :func:`learn` -- facet weights fitted to the feedback on past pairs, with held-out evidence;
* :func:`audit` -- who a match served well and who it did not, by group, with loads, scores and
  the programme's history;
* :func:`peer_match`, :func:`peer_circles` -- one pool of peers in exact pairs or in circles,
  scored both ways (:mod:`matchsvc.pipelines.peer`).

``MatchOptions.fairness`` puts floors on groups' matched shares in :func:`match`
(:mod:`matchsvc.pipelines.fairness`).

Every door (HTTP, CLI, jobs, Python) reaches these through :class:`matchsvc.engine.Engine`.
"""

from __future__ import annotations

from matchsvc.pipelines._groups import GroupValue
from matchsvc.pipelines.audit import OPEN_SLOT_LEFT, AuditSettings, audit
from matchsvc.pipelines.complementary import ComplementarySummary, complementary
from matchsvc.pipelines.fairness import FairnessGroup, FairnessOutcome
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
from matchsvc.pipelines.peer import (
    BusyPartner,
    Circle,
    CircleContribution,
    CircleExplanation,
    CircleLink,
    CircleMember,
    CircleOptions,
    CirclesReport,
    CirclesSummary,
    PeerExplanation,
    PeerMatchReport,
    PeerMatchSummary,
    PeerOptions,
    PeerPair,
    PeerProblem,
    PeerSide,
    PeerUnmatched,
    check_pool,
    check_pool_limits,
    peer_circles,
    peer_match,
    peer_problem,
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
    "OPEN_SLOT_LEFT",
    "AuditSettings",
    "BusyPartner",
    "Circle",
    "CircleContribution",
    "CircleExplanation",
    "CircleLink",
    "CircleMember",
    "CircleOptions",
    "CirclesReport",
    "CirclesSummary",
    "ComplementarySummary",
    "CurrentPair",
    "FairnessGroup",
    "FairnessOutcome",
    "Feedback",
    "GroupValue",
    "LearnSettings",
    "MatchOptions",
    "MatchReport",
    "MatchSummary",
    "MatchedPair",
    "MentorLoad",
    "PastPair",
    "PeerExplanation",
    "PeerMatchReport",
    "PeerMatchSummary",
    "PeerOptions",
    "PeerPair",
    "PeerProblem",
    "PeerSide",
    "PeerUnmatched",
    "Recommendation",
    "RematchAction",
    "RematchPolicy",
    "RematchReport",
    "RematchSummary",
    "audit",
    "build_problem",
    "check_pool",
    "check_pool_limits",
    "complementary",
    "learn",
    "match",
    "peer_circles",
    "peer_match",
    "peer_problem",
    "recommend",
    "rematch",
    "score",
]
