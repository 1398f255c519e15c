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
from matchsvc.schemas.match import (
    AssignRequest,
    AssignResponse,
    ComplementarySummary,
    Explanation,
    FacetShare,
    FocusArea,
    ForgoneMentor,
    Holder,
    Match,
    MatchRequest,
    MatchResponse,
    MenteeGaps,
    MenteeRecommendations,
    MentorLoad,
    MentorSide,
    Pair,
    Recommendation,
    RecommendRequest,
    RecommendResponse,
    ScoreRequest,
    ScoreResponse,
    SkillGap,
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
    Wishes,
)
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
    "Communication",
    "ComplementarySummary",
    "ConstraintsIn",
    "CriterionIn",
    "CurrentPairIn",
    "Explanation",
    "FacetShare",
    "FocusArea",
    "ForgoneMentor",
    "Health",
    "Holder",
    "LockedPair",
    "Match",
    "MatchOptionsIn",
    "MatchRequest",
    "MatchResponse",
    "MenteeGaps",
    "MenteeRecommendations",
    "MentorLoad",
    "MentorSide",
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
    "SkillGap",
    "SkillMatch",
    "Summary",
    "Unmatched",
    "UnmatchedDetail",
    "Wishes",
    "unmatched_out",
]
