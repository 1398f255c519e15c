"""``/learn``: past pairs and their feedback in, weights with held-out evidence out."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from matchsvc.pipelines import Feedback, LearnSettings
from matchsvc.schemas._base import EXAMPLE_PEOPLE, Id, Out, Rating, StrictIn
from matchsvc.schemas.people import MatchOptionsIn, Profile

__all__ = [
    "CalibrationBand",
    "DataSummary",
    "DeclinedPair",
    "Evidence",
    "FeedbackIn",
    "Interval",
    "LearnRequest",
    "LearnResponse",
    "MetricComparison",
]


class FeedbackIn(StrictIn):
    """A past pair and what is known of it; every signal optional (a record without any is
    counted and left out)."""

    mentee_id: Id
    mentor_id: Id
    outcome: Literal["good", "neutral", "bad"] | None = None
    rating: Rating | None = Field(None, description="Overall rating, 1-5.")
    mentee_rating: Rating | None = Field(None, description="The mentee's rating, 1-5.")
    mentor_rating: Rating | None = Field(None, description="The mentor's rating, 1-5.")

    def to_core(self) -> Feedback:
        return Feedback(**self.model_dump())


class DeclinedPair(StrictIn):
    mentee_id: Id
    mentor_id: Id


class LearnRequest(StrictIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                EXAMPLE_PEOPLE
                | {
                    "history": [
                        {"mentee_id": "mentee-1", "mentor_id": "mentor-a", "rating": 5},
                        {"mentee_id": "mentee-2", "mentor_id": "mentor-a", "outcome": "bad"},
                    ],
                    "declined": [{"mentee_id": "mentee-2", "mentor_id": "mentor-b"}],
                }
            ]
        }
    )

    mentees: list[Profile]
    mentors: list[Profile]
    history: list[FeedbackIn] = Field(
        description="Past pairs with their outcome and ratings (either side's where known)."
    )
    declined: list[DeclinedPair] = Field([], description="Proposals that were declined.")
    options: MatchOptionsIn = Field(
        default_factory=MatchOptionsIn,
        description="The current options: their weights are the baseline and the prior.",
    )
    folds: int = Field(5, ge=2, le=20, description="Cross-validation folds.")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seeds folds, samples and bootstrap.")
    bootstrap: int = Field(1000, ge=100, le=10_000, description="Bootstrap resamples.")
    calibrate: bool = Field(False, description="Also return P(ends well) per score band.")

    def settings(self) -> LearnSettings:
        """The evidence settings as the core's type."""
        return LearnSettings(self.folds, self.seed, self.bootstrap, self.calibrate)


class Interval(Out):
    value: float
    low: float
    high: float


class MetricComparison(Out):
    name: Literal["spearman", "auc", "discordant_share"]
    higher_is_better: bool
    learned: Interval
    current: Interval
    difference: Interval = Field(description="Learned minus current, paired bootstrap.")


class Evidence(Out):
    folds: int
    grouped: bool = Field(description="No mentee's pairs split between training and test.")
    bootstrap: int
    confidence: float
    spearman: MetricComparison
    auc: MetricComparison | None
    discordant_share: MetricComparison


class DataSummary(Out):
    records: int
    unrated: int
    pairs: int
    merged_duplicates: int
    mentees: int
    single_pair_mentees: int
    good: int
    neutral: int
    bad: int
    levels: int
    comparisons: int


class CalibrationBand(Out):
    low: float
    high: float
    pairs: int
    observed: float
    probability: float


class LearnResponse(Out):
    weights: dict[str, float] = Field(
        description="Ready for options.weights: the learned weights when adopted, else the "
        "current ones."
    )
    adopted: bool
    reason: Literal["improved", "not_better", "no_positive_weight"]
    message: str
    learned_weights: dict[str, float] | None
    current_weights: dict[str, float]
    evidence: Evidence
    data: DataSummary
    calibration: list[CalibrationBand] | None
    mentor_side_weight: float | None = Field(
        description="When mentors' wishes took part: ready for options.mentor_side_weight "
        "(weights then cover the mentee side, summing to 1); else null."
    )
