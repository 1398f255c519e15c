"""The problem object: counts and min_score checked once, masks, and the transforms re-match uses."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest

from matchsvc.errors import InfeasibleError, InvalidInputError
from matchsvc.problem import MatchProblem, check_min_score
from matchsvc.profiles import Communication, Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions, build_compatibility
from tests.fakes import FakeEncoder, TokenEncoder

SKILLS = ScoringOptions(weights=MappingProxyType({"skills": 1.0}))


def person(pid: str, skills: list[int], **extra: object) -> Profile:
    return Profile(id=pid, skills=tuple(f"k{k}" for k in skills), **extra)  # type: ignore[arg-type]


def build(
    mentees: list[Profile], mentors: list[Profile], min_score: float | None = None
) -> MatchProblem:
    return MatchProblem.build(
        mentees, mentors, SKILLS, EmbeddingCache(TokenEncoder(), None), min_score=min_score
    )


# Skills coverage with the TokenEncoder (distinct tokens are orthogonal: cosine 0, similarity
# 0.05): a: 1.0 with x, (0.05 + 1) / 2 = 0.525 with y; b: 0.525 with x and with y.
MENTEES = [person("a", [0, 1]), person("b", [1, 2], demand=2)]
MENTORS = [person("x", [0, 1], capacity=2), person("y", [1])]


def test_counts_become_read_only_int64_arrays() -> None:
    p = build(MENTEES, MENTORS)
    assert p.capacity.tolist() == [2, 1] and p.demand.tolist() == [1, 2]
    assert p.capacity.dtype == np.int64 and not p.capacity.flags.writeable
    assert p.shape == (2, 2) and p.scores is p.comp.scores
    np.testing.assert_allclose(p.scores, [[1.0, 0.525], [0.525, 0.525]], rtol=1e-6)


@pytest.mark.parametrize(
    ("mentees", "mentors", "field"),
    [
        ([person("a", [0], demand=-1)], [person("x", [0])], "mentees[0].demand"),
        (
            [person("a", [0])],
            [person("x", [0]), person("y", [0], capacity=True)],
            "mentors[1].capacity",
        ),
        ([person("a", [0], demand=1.0)], [person("x", [0])], "mentees[0].demand"),
        (["a"], [person("x", [0])], "mentees[0]"),
    ],
)
def test_bad_counts_name_the_person(
    mentees: list[Profile], mentors: list[Profile], field: str
) -> None:
    encoder = FakeEncoder()
    with pytest.raises(InvalidInputError) as info:
        MatchProblem.build(mentees, mentors, ScoringOptions(), EmbeddingCache(encoder, None))
    assert info.value.field == field
    assert encoder.calls == 0  # refused before any text is embedded


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan"), float("inf"), True, "0.5"])
def test_min_score_must_be_a_score(bad: object) -> None:
    with pytest.raises(InvalidInputError, match=r"in \[0, 1\]") as info:
        check_min_score(bad)  # type: ignore[arg-type]
    assert info.value.field == "options.min_score"
    with pytest.raises(InvalidInputError):
        build(MENTEES, MENTORS, min_score=bad)  # type: ignore[arg-type]


def test_min_score_removes_pairs_from_allowed_only() -> None:
    p = build(MENTEES, MENTORS, min_score=0.8)
    assert p.feasible.all()
    assert p.allowed.tolist() == [[True, False], [False, False]]
    lowest = float(p.scores.min())
    assert build(MENTEES, MENTORS, min_score=lowest).allowed.all()  # the floor is inclusive


def test_hard_constraints_are_in_both_masks() -> None:
    mentors = [
        person("x", [0, 1], communication=Communication(languages=("de",))),
        person("y", [1], communication=Communication(languages=("en",))),
    ]
    mentees = [person("a", [0, 1], communication=Communication(languages=("en",)))]
    p = build(mentees, mentors, min_score=0.0)
    assert p.feasible.tolist() == [[False, True]] and p.allowed.tolist() == [[False, True]]


def test_without_bans_pairs_in_a_new_problem() -> None:
    p = build(MENTEES, MENTORS, min_score=0.8)
    banned = np.array([[True, False], [False, True]])
    q = p.without(banned)
    assert q.feasible.tolist() == [[False, True], [True, False]]
    assert q.allowed.tolist() == [[False, False], [False, False]]
    assert p.feasible.all()  # the original is unchanged
    assert q.capacity is p.capacity and not q.allowed.flags.writeable


def test_reserve_takes_slots_and_closes_the_pairs() -> None:
    p = build(MENTEES, MENTORS)
    q = p.reserve([(1, 0)])
    assert q.capacity.tolist() == [1, 1] and q.demand.tolist() == [1, 1]
    assert q.allowed.tolist() == [[True, True], [False, True]]
    assert q.feasible[1, 0]  # still feasible: explanations may rank it
    r = p.reserve([(0, 0)], demand=np.array([1, 0]))
    assert r.demand.tolist() == [0, 0]


@pytest.mark.parametrize(
    ("pairs", "match"),
    [
        ([(0, 1), (1, 1)], "'y' more pairs than their capacity"),
        ([(0, 0), (0, 1)], "'a' more pairs than their demand"),
    ],
)
def test_reserving_beyond_the_counts_is_infeasible(
    pairs: list[tuple[int, int]], match: str
) -> None:
    with pytest.raises(InfeasibleError, match=match) as info:
        build(MENTEES, MENTORS).reserve(pairs)
    assert info.value.field == "policy.locked"


def test_solve_maximises_count_then_total_and_takes_weights() -> None:
    p = build(MENTEES, MENTORS)
    result = p.solve()
    assert result.pairs.tolist() == [[0, 0], [1, 0], [1, 1]]
    assert result.total == pytest.approx(2.05)
    one_each = p.reserve([], demand=np.array([1, 1]))
    steered = one_each.solve(weights=np.array([[0.0, 5.0], [1.0, 0.0]]))
    assert steered.pairs.tolist() == [[0, 1], [1, 0]]
    assert steered.total == pytest.approx(6.0)  # the weights, not the scores


def test_from_compatibility_checks_the_shapes() -> None:
    comp = build_compatibility(MENTEES, MENTORS, SKILLS, EmbeddingCache(TokenEncoder(), None))
    with pytest.raises(InvalidInputError, match="the matrix is 2 x 2"):
        MatchProblem.from_compatibility(comp, np.ones(3, np.int64), np.ones(2, np.int64))
