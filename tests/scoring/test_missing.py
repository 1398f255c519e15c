"""The missing-data rule: what nobody gave adds 0, real evidence adds >= 0, coverage says how much.

Known answers on hand-built profiles (TokenEncoder: "k0".."k63" are orthogonal unit vectors, so
two distinct tokens have cosine 0, similarity 0.05) and a property over random ones.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchsvc.explain import SlotHolders, explain_pair
from matchsvc.problem import MatchProblem
from matchsvc.profiles import Availability, Communication, Profile
from matchsvc.scoring import (
    COMMUNICATION_BLEND,
    Criterion,
    EmbeddingCache,
    ScoringOptions,
    build_compatibility,
)
from tests.fakes import FakeEncoder, TokenEncoder

B = COMMUNICATION_BLEND


def tokens() -> EmbeddingCache:
    return EmbeddingCache(TokenEncoder(), None, lru_size=0)


def test_an_empty_profile_never_outranks_a_real_weak_match() -> None:
    # Weak real evidence: nothing in common (similarity 0.05 on each facet).
    mentee = Profile("ann", skills=("k0", "k1"), goals="k2")
    weak = Profile("weak", skills=("k5",), goals="k6")
    empty = Profile("empty")
    c = build_compatibility([mentee], [empty, weak], ScoringOptions(), tokens())
    # weak: skills 0.5 * 0.05 + goals 0.3 * 0.05 = 0.04; communication missing on both
    assert c.scores[0].tolist() == [0.0, pytest.approx(0.04)]
    assert c.coverage(0, 0) == 0.0 and c.coverage(0, 1) == pytest.approx(0.8)
    assert np.isnan(c.facets["skills"][0, 0]) and np.isnan(c.facets["goals"][0, 0])
    # ... and the empty mentor is not ranked first (ties would go to the lower column)
    p = MatchProblem.from_compatibility(c, np.array([1, 1]), np.array([1]))
    e = explain_pair(p, SlotHolders(np.zeros((0, 2), np.int64), np.zeros(0), 2), 0, 1)
    assert e.rank == 1


def test_contributions_add_up_to_the_score_with_missing_facets() -> None:
    comm = Communication(channels=("video", "chat"), frequency="weekly")
    mentees = [Profile("ann", skills=("k0",), communication=comm)]
    mentors = [
        Profile("x", skills=("k0",), goals="k1", communication=Communication(channels=("video",))),
        Profile("y", communication=comm),
    ]
    p = MatchProblem.build(mentees, mentors, ScoringOptions(), tokens())
    holders = SlotHolders(np.zeros((0, 2), np.int64), np.zeros(0), 2)
    for j, (score, coverage) in enumerate(
        [
            # x: skills 0.5 * 1; goals missing (ann gave none); communication: only channels
            # compared (Jaccard 1/2, blend 0.2) -> 0.1, coverage 0.2 of the facet.
            (0.5 + 0.2 * 0.1, 0.5 + 0.2 * B["channels"]),
            # y: skills and goals missing; channels 1 and frequency 1 -> 0.4 of the facet.
            (0.2 * (B["channels"] + B["frequency"]), 0.2 * (B["channels"] + B["frequency"])),
        ]
    ):
        e = explain_pair(p, holders, 0, j)
        assert float(p.scores[0, j]) == pytest.approx(score)
        assert sum(f.contribution for f in e.facets.values()) == pytest.approx(score)
        assert e.coverage == pytest.approx(coverage)
        assert e.facets["goals"].missing and e.facets["goals"].similarity is None
    e = explain_pair(p, holders, 0, 0)
    assert e.facets["communication"].coverage == pytest.approx(B["channels"])
    assert e.facets["communication"].similarity == pytest.approx(0.1)
    assert "missing goals" in e.summary


def test_coverage_counts_the_weights_of_the_evidence_present() -> None:
    window = (Availability("mon", "09:00", "11:00"),)
    full = Communication(
        style="k3", channels=("video",), frequency="weekly", timezone="UTC", availability=window
    )
    ann = Profile("ann", skills=("k0",), goals="k1", communication=full, attributes={"t": "a"})
    mentors = [
        Profile("all", skills=("k0",), goals="k1", communication=full, attributes={"t": "a"}),
        Profile("half", skills=("k0",), communication=Communication(style="k3")),
        Profile("none"),
    ]
    options = ScoringOptions(
        weights={"skills": 0.4, "goals": 0.3, "communication": 0.2, "team": 0.1},
        criteria=(Criterion("team", "t", "same"),),
    )
    c = build_compatibility([ann], mentors, options, tokens())
    assert c.coverage_matrix()[0].tolist() == pytest.approx([1.0, 0.4 + 0.2 * B["style"], 0.0])
    assert [c.coverage(0, j) for j in range(3)] == pytest.approx([1.0, 0.48, 0.0])
    assert c.scores[0].tolist() == pytest.approx([1.0, 0.4 + 0.2 * B["style"], 0.0])


def test_the_score_is_linear_in_the_weights_with_missing_as_zero() -> None:
    rng = np.random.default_rng(4)
    words = ["python", "sql", "design", "sales", "go", "cloud"]

    def someone(pid: str) -> Profile:
        pick = rng.choice(words, size=int(rng.integers(0, 3)), replace=False)
        goal = str(rng.choice(words)) if rng.random() < 0.6 else ""
        return Profile(pid, skills=tuple(str(w) for w in pick), goals=goal)

    mentees = [someone(f"e{k}") for k in range(6)]
    mentors = [someone(f"r{k}") for k in range(5)]
    embedder = EmbeddingCache(FakeEncoder(), None)
    for raw in ({"skills": 1.0, "goals": 0.0}, {"skills": 0.2, "goals": 0.7, "communication": 0.1}):
        c = build_compatibility(mentees, mentors, ScoringOptions(weights=raw), embedder)
        x = np.stack([np.nan_to_num(c.facets[f]) for f in c.weights], axis=-1)
        w = np.array(list(c.weights.values()))
        np.testing.assert_allclose(c.scores, x @ w, atol=1e-6)


words = st.sampled_from(["python", "data", "cloud", "design", "sql", "sales"])
text = st.lists(words, min_size=1, max_size=3).map(" ".join)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    st.lists(text, max_size=3),
    text,
    st.lists(text, min_size=1, max_size=3),
    text,
    text,
    st.sampled_from(["skills", "goals", "style", "channels", "frequency"]),
)
def test_adding_evidence_never_lowers_a_score(
    mine: list[str], goal: str, theirs: list[str], their_goal: str, style: str, field: str
) -> None:
    """Real evidence adds >= 0: a mentor who fills in one more field never scores lower."""
    mentee = Profile(
        "e",
        skills=tuple(mine),
        goals=goal,
        communication=Communication(style=style, channels=("chat",), frequency="weekly"),
    )
    full = Profile(
        "r",
        skills=tuple(theirs),
        goals=their_goal,
        communication=Communication(style=style, channels=("video",), frequency="monthly"),
    )
    emptied = {
        "skills": dataclasses.replace(full, skills=()),
        "goals": dataclasses.replace(full, goals=""),
        "style": dataclasses.replace(
            full, communication=dataclasses.replace(full.communication, style="")
        ),
        "channels": dataclasses.replace(
            full, communication=dataclasses.replace(full.communication, channels=())
        ),
        "frequency": dataclasses.replace(
            full, communication=dataclasses.replace(full.communication, frequency=None)
        ),
    }[field]
    embedder = EmbeddingCache(FakeEncoder(), None)
    emptied = dataclasses.replace(emptied, id="r-less")
    c = build_compatibility([mentee], [emptied, full], ScoringOptions(), embedder)
    assert c.scores[0, 1] >= c.scores[0, 0]
    assert c.coverage(0, 1) >= c.coverage(0, 0)


def test_a_missing_soft_criterion_adds_nothing_and_a_failed_one_adds_zero_too() -> None:
    options = ScoringOptions(
        weights=MappingProxyType({"skills": 0.5, "dept": 0.5}),
        criteria=(Criterion("dept", "dept", "same"),),
    )
    ann = Profile("ann", skills=("k0",), attributes={"dept": "eng"})
    mentors = [
        Profile("same", skills=("k0",), attributes={"dept": "eng"}),
        Profile("other", skills=("k0",), attributes={"dept": "ops"}),
        Profile("unknown", skills=("k0",)),
    ]
    c = build_compatibility([ann], mentors, options, tokens())
    assert c.scores[0].tolist() == [1.0, 0.5, 0.5]  # failed and unknown both add 0 ...
    assert [c.coverage(0, j) for j in range(3)] == [1.0, 1.0, 0.5]  # ... coverage tells them apart
