"""Core results and response models cannot drift apart: every core field has its place."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import BaseModel

from matchsvc import audit, explain, learning, pipelines, schemas
from matchsvc.assignment import GroupFloor

# (core dataclass, response model, core fields placed elsewhere in the response)
PAIRS: list[tuple[type, type[BaseModel], set[str]]] = [
    (pipelines.MatchReport, schemas.MatchResponse, set()),
    (pipelines.MatchedPair, schemas.Match, set()),
    (pipelines.MatchSummary, schemas.Summary, set()),
    (pipelines.MentorLoad, schemas.MentorLoad, set()),
    (pipelines.Recommendation, schemas.Recommendation, {"mentee_id"}),  # on the parent
    (pipelines.RematchReport, schemas.RematchResponse, set()),
    (pipelines.RematchAction, schemas.RematchAction, set()),
    (pipelines.RematchSummary, schemas.RematchSummary, set()),
    (explain.Explanation, schemas.Explanation, set()),
    (explain.FacetShare, schemas.FacetShare, set()),
    (explain.SkillMatch, schemas.SkillMatch, set()),
    (explain.ForgoneMentor, schemas.ForgoneMentor, set()),
    (explain.Holder, schemas.Holder, set()),
    (learning.LearnResult, schemas.LearnResponse, set()),
    (learning.Evidence, schemas.Evidence, set()),
    (learning.MetricComparison, schemas.MetricComparison, set()),
    (learning.Interval, schemas.Interval, set()),
    (learning.DataSummary, schemas.DataSummary, set()),
    (learning.CalibrationBand, schemas.CalibrationBand, set()),
    (pipelines.Feedback, schemas.FeedbackIn, set()),
    (pipelines.FairnessOutcome, schemas.Fairness, set()),
    (pipelines.FairnessGroup, schemas.FairnessGroup, set()),
    (GroupFloor, schemas.FairnessRuleIn, set()),
    (audit.AuditReport, schemas.AuditResponse, set()),
    (audit.GroupAudit, schemas.GroupAudit, set()),
    (audit.MentorGroupAudit, schemas.MentorGroupAudit, set()),
    (audit.MentorLoadAudit, schemas.MentorLoadAudit, set()),
    (audit.ScoreDistribution, schemas.ScoreDistribution, set()),
    (audit.HistoryAudit, schemas.HistoryAudit, set()),
    (audit.CohortRatings, schemas.CohortRatings, set()),
    (audit.HistoryPair, schemas.HistoryPairIn, set()),
    (explain.MentorSide, schemas.MentorSide, set()),
    (explain.FocusArea, schemas.FocusArea, set()),
    (explain.SkillGap, schemas.SkillGap, set()),
    (explain.MenteeGaps, schemas.MenteeGaps, set()),
    (pipelines.ComplementarySummary, schemas.ComplementarySummary, set()),
    # the reason's evidence is nested under ``detail``
    (
        explain.UnmatchedReason,
        schemas.Unmatched,
        set(schemas.UnmatchedDetail.model_fields),
    ),
    (pipelines.PeerMatchReport, schemas.PeerMatchResponse, set()),
    (pipelines.PeerPair, schemas.PeerPair, set()),
    (pipelines.PeerExplanation, schemas.PeerExplanation, set()),
    (pipelines.PeerSide, schemas.PeerSide, set()),
    (pipelines.PeerMatchSummary, schemas.PeerMatchSummary, set()),
    (pipelines.BusyPartner, schemas.BusyPartner, set()),
    (pipelines.PeerUnmatched, schemas.PeerUnmatched, set(schemas.PeerUnmatchedDetail.model_fields)),
    (
        pipelines.PeerUnmatched,
        schemas.CircleUnmatched,
        set(schemas.PeerUnmatchedDetail.model_fields),
    ),
    (pipelines.CirclesReport, schemas.PeerCirclesResponse, set()),
    (pipelines.Circle, schemas.Circle, set()),
    (pipelines.CircleExplanation, schemas.CircleExplanation, set()),
    (pipelines.CircleMember, schemas.CircleMember, set()),
    (pipelines.CircleLink, schemas.CircleLink, set()),
    (pipelines.CircleContribution, schemas.CircleContribution, set()),
    (pipelines.CirclesSummary, schemas.CirclesSummary, set()),
]


@pytest.mark.parametrize(
    ("core", "model", "elsewhere"), PAIRS, ids=lambda x: getattr(x, "__name__", "")
)
def test_every_core_field_is_in_the_response(
    core: type, model: type[BaseModel], elsewhere: set[str]
) -> None:
    core_fields = {f.name for f in dataclasses.fields(core)}
    assert core_fields - elsewhere == set(model.model_fields) - elsewhere - {"detail"}
    assert elsewhere <= core_fields


def test_the_audit_settings_are_fields_of_the_audit_request() -> None:
    core = {f.name for f in dataclasses.fields(pipelines.AuditSettings)}
    assert core <= set(schemas.AuditRequest.model_fields)


def test_the_parent_of_recommendations_carries_the_mentee_id() -> None:
    assert "mentee_id" in schemas.MenteeRecommendations.model_fields


def test_unmatched_detail_holds_exactly_the_reasons_evidence() -> None:
    core = {f.name for f in dataclasses.fields(explain.UnmatchedReason)}
    top = set(schemas.Unmatched.model_fields) - {"detail"}
    assert core == top | set(schemas.UnmatchedDetail.model_fields)


def test_an_unmatched_body_converts_back_to_its_core_reason() -> None:
    reason = explain.UnmatchedReason(
        "ann",
        2,
        "capacity_exhausted",
        3,
        {"language": 1},
        (explain.ForgoneMentor("x", 0.5, "at_capacity", (explain.Holder("bob", 0.75),)),),
        None,
    )
    assert schemas.unmatched_out(reason).to_core() == reason


def test_every_profile_field_has_its_request_field() -> None:
    from matchsvc import profiles

    for core, model in (
        (profiles.Profile, schemas.Profile),
        (profiles.Wishes, schemas.Wishes),
        (profiles.Communication, schemas.Communication),
    ):
        assert {f.name for f in dataclasses.fields(core)} == set(model.model_fields), core


def test_every_peer_option_has_its_request_field() -> None:
    for core, model in (
        (pipelines.PeerOptions, schemas.PeerOptionsIn),
        (pipelines.CircleOptions, schemas.CircleOptionsIn),
    ):
        options = {f.name for f in dataclasses.fields(core)} - {"scoring"}
        assert options <= set(model.model_fields), core
        assert model().to_core() == core(), core  # the same defaults


def test_the_peer_reasons_are_split_between_pairs_and_circles() -> None:
    from typing import get_args

    from matchsvc.pipelines.peer import PeerReasonCode

    pairs = get_args(schemas.PeerUnmatched.model_fields["reason"].annotation)
    circles = get_args(schemas.CircleUnmatched.model_fields["reason"].annotation)
    assert set(pairs) | set(circles) == set(get_args(PeerReasonCode))
    assert not set(pairs) & set(circles)
