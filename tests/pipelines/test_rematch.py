"""The re-match policy: stability bonus, locks, bad history, goals met, waiting, max_moves."""

from __future__ import annotations

import itertools
from datetime import datetime
from types import MappingProxyType

import numpy as np
import pytest

from matchsvc.errors import InfeasibleError, InvalidInputError
from matchsvc.pipelines import (
    CurrentPair,
    MatchOptions,
    PastPair,
    RematchPolicy,
    RematchReport,
    rematch,
)
from matchsvc.profiles import Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions
from tests.fakes import TokenEncoder

SKILLS_ONLY = MatchOptions(scoring=ScoringOptions(weights=MappingProxyType({"skills": 1.0})))


def mentee(pid: str, skills: list[int], demand: int = 1) -> Profile:
    return Profile(id=pid, skills=tuple(f"k{k}" for k in skills), demand=demand)


def mentor(pid: str, skills: list[int], capacity: int = 1) -> Profile:
    return Profile(id=pid, skills=tuple(f"k{k}" for k in skills), capacity=capacity)


def run(
    mentees: list[Profile],
    mentors: list[Profile],
    current: list[CurrentPair],
    policy: RematchPolicy,
    history: list[PastPair] | None = None,
) -> RematchReport:
    embedder = EmbeddingCache(TokenEncoder(), None)
    return rematch(mentees, mentors, current, history or [], policy, SKILLS_ONLY, embedder)


def pairs(report: RematchReport) -> set[tuple[str, str]]:
    return {
        (a.mentee_id, a.to_mentor_id)
        for a in report.actions
        if a.action in ("kept", "moved", "new") and a.to_mentor_id is not None
    }


# ann is with m1 (score (1 + 1 + 0.05 + 0.05) / 4 = 0.525: two of her four skills exactly, two
# at the similarity 0.05 of unrelated tokens); m2 (free) would give her 0.7625: a gain of 0.2375.
ANN = [mentee("ann", [0, 1, 2, 3])]
TWO_MENTORS = [mentor("m1", [0, 1]), mentor("m2", [0, 1, 2])]
ANN_WITH_M1 = [CurrentPair("ann", "m1")]


@pytest.mark.parametrize(("bonus", "moves"), [(0.3, 0), (0.24, 0), (0.23, 1), (0.0, 1)])
def test_an_active_pair_moves_only_when_the_gain_beats_the_bonus(bonus: float, moves: int) -> None:
    report = run(ANN, TWO_MENTORS, ANN_WITH_M1, RematchPolicy(stability_bonus=bonus))
    assert report.summary.moves == moves
    (action,) = report.actions
    if moves:
        assert (action.action, action.from_mentor_id, action.to_mentor_id) == ("moved", "m1", "m2")
        assert action.reason == "better_fit"
        assert action.score_after == pytest.approx(0.7625)
        assert report.summary.gain_per_move == pytest.approx(0.2375)
        assert report.summary.gain_per_move > bonus
        assert action.explanation is not None
    else:
        assert (action.action, action.reason) == ("kept", "stable")
        assert report.summary.gain_per_move is None
    assert report.summary.total_before == pytest.approx(0.525)


def test_locked_pairs_stay_even_when_moving_would_gain() -> None:
    policy = RematchPolicy(stability_bonus=0.0, locked=(("ann", "m1"),))
    report = run(ANN, TWO_MENTORS, ANN_WITH_M1, policy)
    (action,) = report.actions
    assert (action.action, action.to_mentor_id, action.reason) == ("kept", "m1", "locked")


def test_locked_pairs_beyond_capacity_are_infeasible() -> None:
    people = [mentee("a", [0]), mentee("b", [0])]
    policy = RematchPolicy(locked=(("a", "m1"), ("b", "m1")))
    with pytest.raises(InfeasibleError, match="'m1' more pairs than their capacity"):
        run(people, TWO_MENTORS, [], policy)


def test_a_pair_that_went_badly_never_comes_back() -> None:
    history = [PastPair("ann", "m2", outcome="bad")]
    report = run(ANN, TWO_MENTORS, [], RematchPolicy(), history)
    assert pairs(report) == {("ann", "m1")}
    low = [PastPair("ann", "m2", outcome="neutral", rating=1)]
    report = run(ANN, TWO_MENTORS, [], RematchPolicy(min_rating_to_keep=3), low)
    assert pairs(report) == {("ann", "m1")}


def test_a_low_rated_active_pair_is_ended_and_not_proposed_again() -> None:
    current = [CurrentPair("ann", "m2", mentee_rating=2, mentor_rating=5)]
    report = run(ANN, TWO_MENTORS, current, RematchPolicy(min_rating_to_keep=3))
    (action,) = report.actions
    assert (action.action, action.from_mentor_id, action.to_mentor_id) == ("moved", "m2", "m1")
    assert action.reason == "low_rating"


def test_goals_met_releases_the_pair_and_frees_the_mentor() -> None:
    people = [mentee("ann", [0, 1]), mentee("bob", [0, 1])]
    mentors = [mentor("m1", [0, 1])]
    current = [CurrentPair("ann", "m1", goals_met=True)]
    report = run(people, mentors, current, RematchPolicy())
    by_mentee = {a.mentee_id: a for a in report.actions}
    assert (by_mentee["ann"].action, by_mentee["ann"].reason) == ("released", "goals_met")
    assert (by_mentee["bob"].action, by_mentee["bob"].to_mentor_id) == ("new", "m1")
    assert report.summary.released == 1 and report.summary.new == 1


@pytest.mark.parametrize("older", ["ann", "bob"])
def test_the_longer_waiting_mentee_gets_the_last_slot(older: str) -> None:
    people = [mentee("ann", [0, 1]), mentee("bob", [0, 1])]
    mentors = [mentor("m1", [0, 1])]
    newer = "bob" if older == "ann" else "ann"
    waiting = {older: datetime(2026, 1, 5), newer: datetime(2026, 6, 1)}
    report = run(people, mentors, [], RematchPolicy(waiting_since=MappingProxyType(waiting)))
    assert pairs(report) == {(older, "m1")}
    (left_out,) = [a for a in report.actions if a.action == "unmatched"]
    assert (left_out.mentee_id, left_out.reason) == (newer, "capacity_exhausted")


def test_waiting_never_displaces_an_active_pair() -> None:
    people = [mentee("ann", [0, 1]), mentee("bob", [0, 1])]
    mentors = [mentor("m1", [0, 1])]
    waiting = MappingProxyType({"bob": datetime(2020, 1, 1)})
    report = run(people, mentors, [CurrentPair("ann", "m1")], RematchPolicy(waiting_since=waiting))
    assert pairs(report) == {("ann", "m1")}


def _brute_force(
    scores: np.ndarray,
    capacity: list[int],
    active: set[tuple[int, int]],
    bonus: float,
    max_moves: int,
) -> tuple[int, float]:
    """Best (count, objective) over every assignment of mentees (demand 1) to mentors or none."""
    n, m = scores.shape
    best = (-1, -np.inf)
    for choice in itertools.product(range(-1, m), repeat=n):
        loads = np.bincount([j for j in choice if j >= 0], minlength=m)
        if (loads > np.array(capacity)).any():
            continue
        chosen = {(i, j) for i, j in enumerate(choice) if j >= 0}
        if len(active - chosen) > max_moves:
            continue
        value = sum(scores[i, j] + bonus * ((i, j) in active) for i, j in chosen)
        best = max(best, (len(chosen), round(value, 9)))
    return best


def test_max_moves_is_respected_and_the_result_is_still_exact() -> None:
    # Three active pairs that would all like to move; at most one may.
    people = [mentee(f"e{k}", [k, k + 10, k + 20, k + 30]) for k in range(3)]
    mentors = [
        mentor("m0", [1, 11]),
        mentor("m1", [2, 12]),
        mentor("m2", [0, 10]),
        mentor("m3", [0, 10, 20]),
        mentor("m4", [1, 11, 21, 31]),
    ]
    current = [CurrentPair("e0", "m0"), CurrentPair("e1", "m1"), CurrentPair("e2", "m2")]
    free = run(people, mentors, current, RematchPolicy(stability_bonus=0.0))
    assert free.summary.moves >= 2
    limited = run(people, mentors, current, RematchPolicy(stability_bonus=0.0, max_moves=1))
    assert limited.summary.moves <= 1
    assert limited.summary.optimal is True
    scores = np.array(
        [
            [
                (o + 0.05 * (4 - o)) / 4  # o skills exactly, the others at 0.05
                for s in ([1, 11], [2, 12], [0, 10], [0, 10, 20], [1, 11, 21, 31])
                for o in [len({k, k + 10, k + 20, k + 30} & set(s))]
            ]
            for k in range(3)
        ]
    )
    count, value = _brute_force(scores, [1] * 5, {(0, 0), (1, 1), (2, 2)}, 0.0, 1)
    assert sum(a.action in ("kept", "moved", "new") for a in limited.actions) == count
    assert limited.summary.total_after == pytest.approx(value)


@pytest.mark.parametrize(
    ("current", "history", "policy", "field"),
    [
        ([CurrentPair("ghost", "m1")], [], RematchPolicy(), "current[0].mentee_id"),
        ([], [PastPair("ann", "nobody")], RematchPolicy(), "history[0].mentor_id"),
        ([CurrentPair("ann", "m1"), CurrentPair("ann", "m1")], [], RematchPolicy(), "current[1]"),
        (
            [CurrentPair("ann", "m1", mentee_rating=7)],
            [],
            RematchPolicy(),
            "current[0].mentee_rating",
        ),
        ([], [], RematchPolicy(stability_bonus=-1), "policy.stability_bonus"),
        ([], [], RematchPolicy(max_moves=-2), "policy.max_moves"),
        ([], [], RematchPolicy(locked=(("ann", "zz"),)), "policy.locked[0].mentor_id"),
    ],
)
def test_invalid_rematch_input_names_the_field(
    current: list[CurrentPair], history: list[PastPair], policy: RematchPolicy, field: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        run(ANN, TWO_MENTORS, current, policy, history)
    assert info.value.field == field


def test_total_before_counts_only_pairs_active_now() -> None:
    # ann-m1 is active (0.525); bob-m2 is locked but new: it was not part of the programme before.
    people = [*ANN, mentee("bob", [0, 1])]
    policy = RematchPolicy(locked=(("bob", "m2"),))
    report = run(people, TWO_MENTORS, ANN_WITH_M1, policy)
    assert report.summary.total_before == pytest.approx(0.525)
    ended = [CurrentPair("ann", "m1", status="ended")]
    assert run(ANN, TWO_MENTORS, ended, RematchPolicy()).summary.total_before == 0
