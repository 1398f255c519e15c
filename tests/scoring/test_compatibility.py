"""build_compatibility: facets against direct computation, constraints, determinism, caching."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchsvc.errors import InvalidInputError
from matchsvc.profiles import Availability, Communication, Profile
from matchsvc.scoring import (
    COMMUNICATION_BLEND,
    Constraints,
    Criterion,
    EmbeddingCache,
    ScoringOptions,
    build_compatibility,
)
from matchsvc.scoring._facets import jaccard_from_counts

from .conftest import FakeEncoder

B = COMMUNICATION_BLEND


def unit(c: float) -> float:
    """The cosine map, written out: 0.05 * (1 + c) below 0, c + 0.05 * (1 - c) from 0."""
    return 0.05 * (1 + c) if c < 0 else c + 0.05 * (1 - c)


def cos01(encoder: FakeEncoder, a: str, b: str) -> float:
    """The similarity every cosine facet uses for two texts."""
    return unit(float(encoder.vector(a) @ encoder.vector(b)))


def recombine(c: Any) -> Any:
    """sum_f weights[f] * facets[f], a missing (NaN) facet counting 0."""
    return sum(w * np.nan_to_num(c.facets[f].astype(np.float64)) for f, w in c.weights.items())


def person(pid: str, **comm: Any) -> Profile:
    skills = comm.pop("skills", ())
    goals = comm.pop("goals", "")
    extra = {k: comm.pop(k) for k in ("exclude", "attributes") if k in comm}
    return Profile(pid, skills=skills, goals=goals, communication=Communication(**comm), **extra)


MENTEES = [
    person(
        "m1",
        skills=("python testing", "data pipelines"),
        goals="grow into a data engineer",
        style="direct feedback weekly",
        channels=("video", "chat"),
        languages=("en", "de"),
        timezone="Europe/Berlin",
        availability=(Availability("mon", "09:00", "12:00"),),
        frequency="weekly",
    ),
    person("m2", skills=("cooking",), languages=("fr",), channels=("email",), frequency="monthly"),
    person("m3"),  # fills in nothing
]
MENTORS = [
    person(
        "r1",
        skills=("python", "sql pipelines", "testing"),
        goals="help data engineers grow",
        style="weekly direct calls",
        channels=("video",),
        languages=("de",),
        timezone="UTC",
        availability=(Availability("mon", "10:00", "11:30"),),
        frequency="biweekly",
    ),
    person("r2", skills=("french cooking",), languages=("fr", "en"), channels=("email", "chat")),
]


@pytest.fixture
def compat(embedder: EmbeddingCache):  # type: ignore[no-untyped-def]
    return build_compatibility(MENTEES, MENTORS, ScoringOptions(), embedder)


def test_ids_shapes_and_index(compat: Any) -> None:
    assert compat.mentee_ids == ("m1", "m2", "m3")
    assert compat.mentor_ids == ("r1", "r2")
    assert compat.shape == (3, 2)
    assert compat.mentee_index("m2") == 1 and compat.mentor_index("r2") == 1
    with pytest.raises(KeyError):
        compat.mentor_index("m1")
    assert not compat.scores.flags.writeable


def test_skills_facet_direct(compat: Any, encoder: FakeEncoder) -> None:
    def coverage(mine: tuple[str, ...], theirs: tuple[str, ...]) -> float:
        return float(np.mean([max(cos01(encoder, a, b) for b in theirs) for a in mine]))

    for i, me in enumerate(MENTEES):
        for j, mo in enumerate(MENTORS):
            got = compat.facets["skills"][i, j]
            if me.skills and mo.skills:
                assert got == pytest.approx(coverage(me.skills, mo.skills), abs=1e-6)
            else:
                assert np.isnan(got)  # missing: nothing to compare


def test_goals_facet_direct_and_missing(compat: Any, encoder: FakeEncoder) -> None:
    goals = compat.facets["goals"]
    assert goals[0, 0] == pytest.approx(cos01(encoder, MENTEES[0].goals, MENTORS[0].goals))
    assert np.isnan(goals[0, 1]) and np.isnan(goals[1, 0]) and np.isnan(goals[2, 1])
    assert compat.facet_coverage("goals", 0, 0) == 1.0
    assert compat.facet_coverage("goals", 0, 1) == 0.0


def test_communication_facet_blend(compat: Any, encoder: FakeEncoder) -> None:
    comm = compat.facets["communication"]
    # m1 x r1: styles given; channels {video, chat} vs {video}; weekly vs biweekly;
    # Berlin 09:00-12:00 = UTC 08:00-11:00 overlaps 10:00-11:30 by 1 h of a 2 h target.
    style = cos01(encoder, "direct feedback weekly", "weekly direct calls")
    want = B["style"] * style + B["channels"] * 0.5 + B["frequency"] * 0.5 + B["availability"] * 0.5
    assert comm[0, 0] == pytest.approx(want, abs=1e-6)
    assert compat.facet_coverage("communication", 0, 0) == pytest.approx(1.0)
    assert compat.overlap_hours[0, 0] == 1.0
    assert compat.pair_overlap_hours(0, 0) == 1.0
    # m2 x r2: no styles, channels {email} vs {email, chat}, frequency and windows on one side
    # only: the channels part alone was compared; the missing parts add 0.
    assert comm[1, 1] == pytest.approx(B["channels"] * 0.5)
    assert compat.facet_coverage("communication", 1, 1) == pytest.approx(B["channels"])
    # m3 gave nothing: every part missing, so the facet is missing.
    assert np.isnan(comm[2]).all()
    assert compat.facet_coverage("communication", 2, 0) == 0.0
    assert compat.pair_overlap_hours(1, 0) is None


def test_scores_decompose_exactly(compat: Any) -> None:
    np.testing.assert_allclose(compat.scores, recombine(compat), atol=1e-6)
    for i in range(3):
        for j in range(2):
            parts = compat.contributions(i, j)
            assert sum(parts.values()) == pytest.approx(float(compat.scores[i, j]), abs=1e-6)
    assert set(compat.facets) == set(compat.weights) == {"skills", "goals", "communication"}
    for facet in compat.facets.values():
        assert facet.dtype == np.float32 and np.nanmin(facet) >= 0 and np.nanmax(facet) <= 1
    # m3 gave nothing: every facet missing, score exactly 0, coverage 0.
    assert compat.scores[2].tolist() == [0.0, 0.0]
    assert compat.coverage_matrix()[2].tolist() == [0.0, 0.0]


def test_language_constraint_and_counts(compat: Any) -> None:
    # m1 {en, de} x r1 {de}: shared; m1 x r2 {fr, en}: shared; m2 {fr} x r1 {de}: removed.
    np.testing.assert_array_equal(compat.allowed, [[True, True], [False, True], [True, True]])
    np.testing.assert_array_equal(compat.removed["language"], [0, 1, 0])
    assert compat.shared_languages(0, 1) == ("en",)
    assert compat.shared_languages(1, 0) == ()
    for name in ("availability", "exclude"):
        np.testing.assert_array_equal(compat.removed[name], [0, 0, 0])


def test_skill_pairs(compat: Any, encoder: FakeEncoder) -> None:
    pairs = compat.skill_pairs(0, 0, k=5)
    assert [p[0] for p in pairs] == sorted(
        ["python testing", "data pipelines"],
        key=lambda s: -max(cos01(encoder, s, t) for t in MENTORS[0].skills),
    )
    for mine, theirs, sim in pairs:
        best = max(MENTORS[0].skills, key=lambda t: cos01(encoder, mine, t))
        assert theirs == best and sim == pytest.approx(cos01(encoder, mine, best), abs=1e-6)
    assert len(compat.skill_pairs(0, 0, k=1)) == 1
    assert compat.skill_pairs(2, 0) == []


def test_all_texts_in_one_call_and_second_build_encodes_nothing(
    embedder: EmbeddingCache, encoder: FakeEncoder
) -> None:
    first = build_compatibility(MENTEES, MENTORS, ScoringOptions(), embedder)
    assert len(encoder.calls) == 1
    distinct = {s for p in MENTEES + MENTORS for s in p.skills} | {
        t for p in MENTEES + MENTORS for t in (p.goals, p.communication.style) if t
    }
    assert sorted(encoder.calls[0]) == sorted(distinct)
    second = build_compatibility(MENTEES, MENTORS, ScoringOptions(), embedder)
    assert len(encoder.calls) == 1 and embedder.encoded == len(distinct)
    assert first.scores.tobytes() == second.scores.tobytes()


def test_deterministic_with_a_fresh_cache() -> None:
    a = build_compatibility(MENTEES, MENTORS, None, EmbeddingCache(FakeEncoder(), None))
    b = build_compatibility(MENTEES, MENTORS, None, EmbeddingCache(FakeEncoder(), None))
    for name in a.facets:
        assert a.facets[name].tobytes() == b.facets[name].tobytes()
    assert a.allowed.tobytes() == b.allowed.tobytes()


def test_min_overlap_hours(embedder: EmbeddingCache) -> None:
    options = ScoringOptions(constraints=Constraints(min_overlap_hours=1.5))
    c = build_compatibility(MENTEES, MENTORS, options, embedder)
    # Only m1 x r1 has windows on both sides (1 h < 1.5 h); missing windows = flexible.
    np.testing.assert_array_equal(c.removed["availability"], [1, 0, 0])
    assert not c.allowed[0, 0] and c.allowed[0, 1]
    options = ScoringOptions(constraints=Constraints(min_overlap_hours=1.0))
    c = build_compatibility(MENTEES, MENTORS, options, embedder)
    np.testing.assert_array_equal(c.removed["availability"], [0, 0, 0])


def test_exclude_both_sides_and_double_counting(embedder: EmbeddingCache) -> None:
    mentees = [dataclasses.replace(MENTEES[0], exclude=("r2",)), MENTEES[1], MENTEES[2]]
    mentors = [dataclasses.replace(MENTORS[0], exclude=("m2", "m3")), MENTORS[1]]
    c = build_compatibility(mentees, mentors, ScoringOptions(), embedder)
    np.testing.assert_array_equal(c.removed["exclude"], [1, 1, 1])
    # m2 x r1 fails both language and exclude: it counts once under each.
    np.testing.assert_array_equal(c.removed["language"], [0, 1, 0])
    np.testing.assert_array_equal(c.allowed, [[True, False], [False, True], [False, True]])
    off = ScoringOptions(constraints=Constraints(use_exclude=False))
    c = build_compatibility(mentees, mentors, off, embedder)
    np.testing.assert_array_equal(c.removed["exclude"], [0, 0, 0])


def test_language_rule_can_be_disabled(embedder: EmbeddingCache) -> None:
    options = ScoringOptions(constraints=Constraints(require_shared_language=False))
    c = build_compatibility(MENTEES, MENTORS, options, embedder)
    assert c.allowed.all() and not c.removed["language"].any()


def attr_people() -> tuple[list[Profile], list[Profile]]:
    mentees = [
        person("a", attributes={"dept": "eng", "years": 1, "tags": ("ml", "go")}),
        person("b", attributes={"dept": "ops", "years": 6, "tags": "go"}),
        person("c"),
    ]
    mentors = [
        person("x", attributes={"dept": "eng", "years": 10, "tags": ("ml",)}),
        person("y", attributes={"dept": "hr", "years": 4, "tags": ("rust", "go", "ml")}),
    ]
    return mentees, mentors


def test_soft_criteria_facets(embedder: EmbeddingCache) -> None:
    mentees, mentors = attr_people()
    options = ScoringOptions(
        weights={"skills": 1, "same_dept": 1, "senior": 1, "tags": 1},
        criteria=(
            Criterion("same_dept", "dept", "same"),
            Criterion("senior", "years", "gap", min=2, max=8),
            Criterion("tags", "tags", "overlap"),
        ),
    )
    c = build_compatibility(mentees, mentors, options, embedder)
    nan = np.nan  # c lacks the attributes: missing, adds 0
    np.testing.assert_array_equal(c.facets["same_dept"], [[1, 0], [0, 0], [nan, nan]])
    # gaps: a: 9, 3; b: 4, -2 -> within [2, 8]?
    np.testing.assert_array_equal(c.facets["senior"], [[0, 1], [1, 0], [nan, nan]])
    np.testing.assert_allclose(c.facets["tags"], [[1 / 2, 2 / 3], [0, 1 / 3], [nan, nan]])
    assert c.weights["tags"] == 0.25
    assert c.allowed.all()
    np.testing.assert_allclose(c.scores, recombine(c), atol=1e-6)
    # a x y: same_dept 0, senior 1, tags 2/3, no skills: (0 + 1 + 2/3) / 4, coverage 3/4
    assert c.scores[0, 1] == pytest.approx((1 + 2 / 3) / 4)
    assert c.coverage(0, 1) == pytest.approx(0.75) and c.coverage(2, 0) == 0.0
    assert c.weights["goals"] == 0.0 and c.weights["skills"] == 0.25


def test_criteria_on_the_mentor_side_bounds_and_empty_lists(embedder: EmbeddingCache) -> None:
    """A mentor without the attribute, or with an empty list, is missing (NaN, pair kept when
    hard); a gap's bounds are inclusive; "different" is the complement of "same"."""
    mentees = [person("a", attributes={"dept": "eng", "years": 2, "tags": ("ml", "go")})]
    mentors = [
        person("x", attributes={"dept": "eng", "years": 4, "tags": ("ml",)}),  # gap 2 = min
        person("y", attributes={"dept": "hr", "years": 7, "tags": ()}),  # gap 5 = max
        person("z", attributes={"years": 8}),  # gap 6 > max; no dept, no tags
        person("w", attributes={"dept": "eng", "years": 3, "tags": ("rust",)}),  # gap 1 < min
    ]
    soft = ScoringOptions(
        weights={"skills": 1, "same": 1, "other": 1, "gap": 1, "tags": 1},
        criteria=(
            Criterion("same", "dept", "same"),
            Criterion("other", "dept", "different"),
            Criterion("gap", "years", "gap", min=2, max=5),
            Criterion("tags", "tags", "overlap"),
        ),
    )
    c = build_compatibility(mentees, mentors, soft, embedder)
    nan = np.nan
    np.testing.assert_array_equal(c.facets["same"], [[1, 0, nan, 1]])
    np.testing.assert_array_equal(c.facets["other"], [[0, 1, nan, 0]])
    np.testing.assert_array_equal(c.facets["gap"], [[1, 1, 0, 0]])
    np.testing.assert_allclose(c.facets["tags"], [[0.5, nan, nan, 0.0]])
    hard = ScoringOptions(
        criteria=(
            Criterion("same", "dept", "same", hard=True),
            Criterion("tags", "tags", "overlap", hard=True),
            Criterion("gap", "years", "gap", max=5, hard=True),
        ),
    )
    c = build_compatibility(mentees, mentors, hard, embedder)
    # y fails "same" (hr); w fails "tags" (no shared tag); z fails the gap (6 > 5) and is
    # kept by the two criteria it has no value for.
    np.testing.assert_array_equal(c.allowed, [[True, False, False, False]])
    np.testing.assert_array_equal(c.removed["same"], [1])
    np.testing.assert_array_equal(c.removed["tags"], [1])
    np.testing.assert_array_equal(c.removed["gap"], [1])


def test_jaccard_accepts_dense_and_sparse_rows_alike() -> None:
    left = np.array([[1, 1, 0], [0, 0, 0]], dtype=np.float32)
    right = np.array([[1, 0, 1], [0, 0, 0]], dtype=np.float32)
    want_j = np.array([[1 / 3, 0.0], [0.0, 0.0]], dtype=np.float32)
    want_i = np.array([[1.0, 0.0], [0.0, 0.0]], dtype=np.float32)
    for lv, rv in [(left, right), (sp.csr_array(left), right), (left, sp.csr_array(right))]:
        jaccard, inter = jaccard_from_counts(lv, rv)
        assert jaccard.dtype == np.float32 and inter.dtype == np.float32
        np.testing.assert_allclose(jaccard, want_j)
        np.testing.assert_array_equal(inter, want_i)


def test_whitespace_only_text_counts_as_missing(embedder: EmbeddingCache) -> None:
    mentees = [Profile("a", goals="  \n ", communication=Communication(style="\t"))]
    mentors = [Profile("x", goals="help people grow", communication=Communication(style="calm"))]
    c = build_compatibility(mentees, mentors, ScoringOptions(), embedder)
    assert np.isnan(c.facets["goals"][0, 0]) and np.isnan(c.facets["communication"][0, 0])
    assert c.scores[0, 0] == 0.0 and c.coverage(0, 0) == 0.0


def test_hard_criteria_filter_and_count(embedder: EmbeddingCache) -> None:
    mentees, mentors = attr_people()
    options = ScoringOptions(
        criteria=(
            Criterion("other_dept", "dept", "different", hard=True),
            Criterion("senior", "years", "gap", min=2, hard=True),
            Criterion("tags", "tags", "overlap", hard=True),
        ),
    )
    c = build_compatibility(mentees, mentors, options, embedder)
    assert list(c.removed) == [
        "language",
        "availability",
        "exclude",
        "other_dept",
        "senior",
        "tags",
    ]
    np.testing.assert_array_equal(c.removed["other_dept"], [1, 0, 0])
    np.testing.assert_array_equal(c.removed["senior"], [0, 1, 0])  # b x y: -2
    np.testing.assert_array_equal(c.removed["tags"], [0, 1, 0])  # b {go} x x {ml}
    # c lacks the attributes: hard criteria keep its pairs.
    np.testing.assert_array_equal(c.allowed, [[False, True], [False, False], [True, True]])
    assert set(c.facets) == {"skills", "goals", "communication"}


def test_nobody_gives_text_needs_no_embedder() -> None:
    c = build_compatibility([Profile("a")], [Profile("x"), Profile("y")], ScoringOptions())
    # no data at all: every facet missing, every score exactly 0 (nothing was compared)
    np.testing.assert_array_equal(c.scores, np.zeros((1, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="needs an embedder"):
        build_compatibility([Profile("a", goals="x")], [Profile("x")])


def test_empty_sides(embedder: EmbeddingCache) -> None:
    c = build_compatibility([], MENTORS, ScoringOptions(), embedder)
    assert c.scores.shape == (0, 2) and c.removed["language"].shape == (0,)
    c = build_compatibility(MENTEES, [], ScoringOptions(), embedder)
    assert c.scores.shape == (3, 0) and c.allowed.shape == (3, 0)
    np.testing.assert_array_equal(c.removed["exclude"], [0, 0, 0])


def test_validation_runs_at_entry(embedder: EmbeddingCache) -> None:
    with pytest.raises(InvalidInputError) as info:
        build_compatibility([Profile("a"), Profile("a")], [], ScoringOptions(), embedder)
    assert info.value.field == "mentees[1].id"


WORDS = ["python", "data", "cloud", "ml", "design", "sql", "go", "rust", "cooking", "sales"]
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
profiles = st.builds(
    lambda skills, goals, langs: (skills, goals, langs),
    st.lists(texts, max_size=4),
    st.one_of(st.just(""), texts),
    st.lists(st.sampled_from(["en", "de", "fr"]), max_size=2, unique=True),
)


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(profiles, max_size=6), st.lists(profiles, max_size=6))
def test_property_scores_bounded_and_decomposed(left: list[Any], right: list[Any]) -> None:
    def make(prefix: str, rows: list[Any]) -> list[Profile]:
        return [
            Profile(
                f"{prefix}{k}",
                skills=tuple(s),
                goals=g,
                communication=Communication(languages=tuple(lang)),
            )
            for k, (s, g, lang) in enumerate(rows)
        ]

    encoder = FakeEncoder()
    c = build_compatibility(make("e", left), make("r", right), None, EmbeddingCache(encoder, None))
    assert len(encoder.calls) <= 1
    assert c.scores.shape == (len(left), len(right))
    assert ((c.scores >= 0) & (c.scores <= 1 + 1e-6)).all()
    np.testing.assert_allclose(c.scores, recombine(c), atol=1e-6)
    coverage = c.coverage_matrix()
    assert ((coverage >= 0) & (coverage <= 1 + 1e-6)).all()
    assert (c.scores <= coverage + 1e-6).all()  # a facet's share is at most its weight
    for i, (skills, _, langs_i) in enumerate(left):
        for j, (_, _, langs_j) in enumerate(right):
            if not skills:
                assert np.isnan(c.facets["skills"][i, j])
            blocked = bool(langs_i) and bool(langs_j) and not set(langs_i) & set(langs_j)
            assert c.allowed[i, j] == (not blocked)


def test_benchmark_build_case_runs_small() -> None:
    from benchmarks.bench_scoring import case_build

    result = case_build(60, 20, 1)
    assert result["mentees"] == 60 and result["mentors"] == 20
    assert result["warm_build_s_min"] > 0 and result["distinct_texts"] > 60


def test_compatibility_and_options_pickle(compat: Any) -> None:
    import pickle

    options = pickle.loads(pickle.dumps(ScoringOptions()))
    assert dict(options.weights) == {"skills": 0.5, "goals": 0.3, "communication": 0.2}
    again = pickle.loads(pickle.dumps(compat))
    assert again.mentee_ids == compat.mentee_ids
    assert again.scores.tobytes() == compat.scores.tobytes()
    assert not again.scores.flags.writeable and not again.facets["skills"].flags.writeable
    assert again.skill_pairs(0, 0) == compat.skill_pairs(0, 0)
    assert again.mentor_index("r2") == 1
    np.testing.assert_array_equal(again.removed["language"], compat.removed["language"])
