"""The request and response bodies every door shares: the HTTP API, the jobs and the CLI's files.

Request models mirror :mod:`matchsvc.profiles`, :mod:`matchsvc.scoring` and
:mod:`matchsvc.pipelines` types and convert to them with ``to_core()``; response models are
filled from the core's dataclasses (``from_attributes``). Unknown fields are rejected so typos
surface as 422, not silence. :mod:`matchsvc.service` converts between the two. The core never
imports this package.
"""

from __future__ import annotations

from matchsvc.schemas.health import (
    Health,
    Ready,
)
from matchsvc.schemas.learn import (
    CalibrationBand,
    DataSummary,
    DeclinedPair,
    Evidence,
    FeedbackIn,
    Interval,
    LearnRequest,
    LearnResponse,
    MetricComparison,
)
from matchsvc.schemas.match import (
    AssignRequest,
    AssignResponse,
    Explanation,
    FacetShare,
    ForgoneMentor,
    Holder,
    Match,
    MatchRequest,
    MatchResponse,
    MenteeRecommendations,
    MentorLoad,
    Pair,
    Recommendation,
    RecommendRequest,
    RecommendResponse,
    ScoreRequest,
    ScoreResponse,
    SkillMatch,
    Summary,
    Unmatched,
    UnmatchedDetail,
    unmatched_out,
)
from matchsvc.schemas.people import (
    Availability,
    Communication,
    ConstraintsIn,
    CriterionIn,
    MatchOptionsIn,
    Profile,
    ScoringOptionsIn,
)
from matchsvc.schemas.privacy import ForgetRequest, ForgetResponse
from matchsvc.schemas.rematch import (
    CurrentPairIn,
    LockedPair,
    PastPairIn,
    RematchAction,
    RematchPolicyIn,
    RematchRequest,
    RematchResponse,
    RematchSummary,
)

__all__ = [
    "AssignRequest",
    "AssignResponse",
    "Availability",
    "CalibrationBand",
    "Communication",
    "ConstraintsIn",
    "CriterionIn",
    "CurrentPairIn",
    "DataSummary",
    "DeclinedPair",
    "Evidence",
    "Explanation",
    "FacetShare",
    "FeedbackIn",
    "ForgetRequest",
    "ForgetResponse",
    "ForgoneMentor",
    "Health",
    "Holder",
    "Interval",
    "LearnRequest",
    "LearnResponse",
    "LockedPair",
    "Match",
    "MatchOptionsIn",
    "MatchRequest",
    "MatchResponse",
    "MenteeRecommendations",
    "MentorLoad",
    "MetricComparison",
    "Pair",
    "PastPairIn",
    "Profile",
    "Ready",
    "RecommendRequest",
    "RecommendResponse",
    "Recommendation",
    "RematchAction",
    "RematchPolicyIn",
    "RematchRequest",
    "RematchResponse",
    "RematchSummary",
    "ScoreRequest",
    "ScoreResponse",
    "ScoringOptionsIn",
    "SkillMatch",
    "Summary",
    "Unmatched",
    "UnmatchedDetail",
    "unmatched_out",
]
