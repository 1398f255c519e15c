"""The mentor -> mentee fit: mentors' wishes, the rule that combines both sides, and its absence.

TokenEncoder: "k0".."k63" are orthogonal unit vectors (distinct tokens: similarity 0.05).
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np
import pytest

from matchsvc.errors import InvalidInputError
from matchsvc.explain import SlotHolders, explain_pair
from matchsvc.pipelines import MatchOptions, match
from matchsvc.problem import MatchProblem
from matchsvc.profiles import Communication, Profile, Wishes
from matchsvc.scoring import (
    MENTOR_FACET,
    WISHES_BLEND,
    EmbeddingCache,
    ScoringOptions,
    build_compatibility,
)
from tests.fakes import FakeEncoder, TokenEncoder

W = WISHES_BLEND
SKILLS = MappingProxyType({"skills": 1.0})


def tokens() -> EmbeddingCache:
    return EmbeddingCache(TokenEncoder(), None, lru_size=0)


def same_arrays(a: object, b: object) -> None:
    """Two Compatibility objects hold byte-identical scores, facets and weights."""
    assert a.scores.tobytes() == b.scores.tobytes()  # type: ignore[attr-defined]
    assert list(a.facets) == list(b.facets)  # type: ignore[attr-defined]
    for name in a.facets:  # type: ignore[attr-defined]
        assert a.facets[name].tobytes() == b.facets[name].tobytes()  # type: ignore[attr-defined]
    assert dict(a.weights) == dict(b.weights)  # type: ignore[attr-defined]


MENTEES = [
    Profile(
        "ann",
        skills=("python testing", "data pipelines"),
        goals="grow into a data engineer",
        career_stage="early career",
        industry="energy",
        communication=Communication(languages=("en",), channels=("video",)),
    ),
    Profile("bob", skills=("cooking",), career_stage="student"),
]
MENTORS = [
    Profile("r1", skills=("python", "sql"), goals="help data engineers grow"),
    Profile("r2", skills=("french cooking",), communication=Communication(channels=("video",))),
]


def test_no_wishes_gives_exactly_the_scores_without_the_mentor_side() -> None:
    embedder = EmbeddingCache(FakeEncoder(), None)
    on = build_compatibility(MENTEES, MENTORS, ScoringOptions(), embedder)
    off = build_compatibility(MENTEES, MENTORS, ScoringOptions(mentor_side_weight=0), embedder)
    same_arrays(on, off)
    assert on.mentor_side_weight == 0.0 and MENTOR_FACET not in on.facets
    # wishes given by mentees only are not read
    wishing = [dataclasses.replace(MENTEES[0], wishes=Wishes(topics=("python",))), MENTEES[1]]
    same_arrays(build_compatibility(wishing, MENTORS, ScoringOptions(), embedder), off)
    # a wish no mentee can be compared with (an industry, while no mentee names one)
    no_industry = [dataclasses.replace(p, industry="") for p in MENTEES]
    mentors = [dataclasses.replace(MENTORS[0], wishes=Wishes(industries=("energy",))), MENTORS[1]]
    same_arrays(
        build_compatibility(no_industry, mentors, ScoringOptions(), embedder),
        build_compatibility(no_industry, MENTORS, ScoringOptions(mentor_side_weight=0), embedder),
    )


def test_no_wishes_gives_byte_identical_match_answers() -> None:
    embedder = EmbeddingCache(FakeEncoder(), None)
    on = match(MENTEES, MENTORS, MatchOptions(), embedder)
    off = match(
        MENTEES, MENTORS, MatchOptions(scoring=ScoringOptions(mentor_side_weight=0)), embedder
    )
    strip = dataclasses.replace(on.summary, timings_ms={})
    assert dataclasses.replace(on, summary=strip) == dataclasses.replace(
        off, summary=dataclasses.replace(off.summary, timings_ms={})
    )
    assert all(m.explanation is not None and m.explanation.mentor_side is None for m in on.matches)


def test_wishes_parts_and_the_combined_score_by_hand() -> None:
    ann = Profile(
        "ann",
        skills=("k0", "k1"),
        career_stage="Early  Career",  # compared case-insensitively after normalisation
        industry="energy",
    )
    wishes = Wishes(topics=("k0",), career_stages=("early career",), industries=("finance",))
    mentors = [
        Profile("plain", skills=("k0", "k1")),
        Profile("wishing", skills=("k0", "k1"), wishes=wishes),
    ]
    options = ScoringOptions(weights=SKILLS, mentor_side_weight=0.25)
    c = build_compatibility([ann], mentors, options, tokens())
    # topics: k0 -> k0 (1), k1 -> k0 (0.05): 0.525; stage 1; industry 0; languages missing
    fit = W["topics"] * 0.525 + W["career_stage"] * 1 + W["industry"] * 0
    assert c.facets[MENTOR_FACET][0, 1] == pytest.approx(fit)
    assert np.isnan(c.facets[MENTOR_FACET][0, 0])  # "plain" gave no wishes: missing, adds 0
    assert dict(c.weights) == {
        "skills": 0.75,
        "goals": 0.0,
        "communication": 0.0,
        MENTOR_FACET: 0.25,
    }
    assert c.mentor_side_weight == 0.25 and dict(c.mentee_weights)["skills"] == 1.0
    # score = (1 - beta) * mentee_fit + beta * mentor_fit
    assert c.scores[0].tolist() == pytest.approx([0.75 * 1.0, 0.75 * 1.0 + 0.25 * fit])
    assert c.mentee_fit(0, 1) == pytest.approx(1.0) and c.mentor_fit(0, 1) == pytest.approx(fit)
    assert c.mentor_fit(0, 0) is None
    assert c.facet_coverage(MENTOR_FACET, 0, 1) == pytest.approx(0.8)  # languages not given
    assert c.coverage(0, 1) == pytest.approx(0.75 + 0.25 * 0.8)
    assert c.mentor_side_parts(0, 1) == {
        "topics": pytest.approx(0.525),
        "career_stage": 1.0,
        "industry": 0.0,
        "languages": None,
    }
    assert c.topic_pairs(0, 1) == [("k0", "k0", 1.0), ("k1", "k0", pytest.approx(0.05))]


def test_wishes_change_the_order_only_when_given() -> None:
    ann = Profile("ann", skills=("k0",), communication=Communication(languages=("pt", "en")))
    first, second = Profile("first", skills=("k0",)), Profile("second", skills=("k0",))
    options = MatchOptions(scoring=ScoringOptions(weights=SKILLS))
    report = match([ann], [first, second], options, tokens())
    assert [m.mentor_id for m in report.matches] == ["first"]  # a tie: the lower column
    wishing = dataclasses.replace(second, wishes=Wishes(languages=("pt",)))
    report = match([ann], [first, wishing], options, tokens())
    (pair,) = report.matches
    assert pair.mentor_id == "second"
    assert pair.score == pytest.approx(0.75 + 0.25 * W["languages"])
    e = pair.explanation
    assert e is not None and e.mentor_side is not None
    assert e.mentor_side.fit == pytest.approx(W["languages"]) and e.mentor_side.weight == 0.25
    assert e.mentor_side.parts["languages"] == 1.0 and e.mentor_side.parts["topics"] is None
    assert e.mentee_fit == pytest.approx(1.0)
    assert sum(f.contribution for f in e.facets.values()) == pytest.approx(pair.score)
    assert "fits second's wishes (0.20)" in e.summary


def test_a_weak_wish_fit_beats_no_wishes_and_a_failed_one_ties() -> None:
    ann = Profile("ann", skills=("k0",), career_stage="student")
    mentors = [
        Profile("none", skills=("k0",)),
        Profile("failed", skills=("k0",), wishes=Wishes(career_stages=("senior",))),
        Profile("weak", skills=("k0",), wishes=Wishes(topics=("k9",))),  # similarity 0.05
    ]
    c = build_compatibility([ann], mentors, ScoringOptions(weights=SKILLS), tokens())
    none, failed, weak = c.scores[0].tolist()
    assert none == failed == pytest.approx(0.75)  # both add 0 on the mentor side ...
    assert c.coverage(0, 1) > c.coverage(0, 0)  # ... but only one was compared
    assert weak == pytest.approx(0.75 + 0.25 * W["topics"] * 0.05) and weak > none


def test_mentor_side_weight_one_leaves_only_the_mentor_side() -> None:
    ann = Profile("ann", skills=("k0",), industry="energy")
    mentors = [Profile("x", skills=("k0",), wishes=Wishes(industries=("Energy",)))]
    c = build_compatibility([ann], mentors, ScoringOptions(mentor_side_weight=1.0), tokens())
    assert c.scores[0, 0] == pytest.approx(W["industry"])
    assert c.weights["skills"] == 0.0 and c.mentee_fit(0, 0) == pytest.approx(0.5)


def test_explanation_lists_the_topic_pairs() -> None:
    ann = Profile("ann", skills=("k0", "k1"))
    x = Profile("x", skills=("k0",), wishes=Wishes(topics=("k1", "k2")))
    p = MatchProblem.build([ann], [x], ScoringOptions(weights=SKILLS), tokens())
    e = explain_pair(p, SlotHolders(np.array([[0, 0]]), np.array([1.0]), 1), 0, 0)
    assert e.mentor_side is not None
    assert [(t.wanted, t.offered, t.similarity) for t in e.mentor_side.topic_pairs] == [
        ("k1", "k1", 1.0),
        ("k0", "k1", pytest.approx(0.05)),
    ]


@pytest.mark.parametrize(
    ("mentor", "field"),
    [
        (Profile("x", wishes=Wishes(languages=("english",))), "mentors[0].wishes.languages[0]"),
        (Profile("x", wishes=Wishes(topics=("ok", " "))), "mentors[0].wishes.topics[1]"),
        (Profile("x", wishes=Wishes(career_stages=("",))), "mentors[0].wishes.career_stages[0]"),
        (Profile("x", wishes=Wishes(industries=(3,))), "mentors[0].wishes.industries[0]"),  # type: ignore[arg-type]
        (Profile("x", career_stage=None), "mentors[0].career_stage"),  # type: ignore[arg-type]
        (Profile("x", industry=4), "mentors[0].industry"),  # type: ignore[arg-type]
    ],
)
def test_bad_wishes_name_the_field(mentor: Profile, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        build_compatibility([Profile("ann")], [mentor], ScoringOptions(), tokens())
    assert info.value.field == field


@pytest.mark.parametrize("beta", [-0.1, 1.5, float("nan"), True])
def test_mentor_side_weight_must_be_in_zero_one(beta: float) -> None:
    with pytest.raises(InvalidInputError, match=r"in \[0, 1\]") as info:
        build_compatibility([], [], ScoringOptions(mentor_side_weight=beta), tokens())
    assert info.value.field == "options.mentor_side_weight"


def test_the_mentor_facet_takes_no_entry_in_weights() -> None:
    options = ScoringOptions(weights={"skills": 1, MENTOR_FACET: 1})
    with pytest.raises(InvalidInputError, match="mentor_side_weight") as info:
        build_compatibility([], [], options, tokens())
    assert info.value.field == f"options.weights.{MENTOR_FACET}"
