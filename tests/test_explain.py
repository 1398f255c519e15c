"""Explanations read off a hand-built problem: every number checked against its definition."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest

from matchsvc.explain import (
    ForgoneMentor,
    Holder,
    SlotHolders,
    UnmatchedReason,
    explain_pair,
    unmatched_reasons,
    unmatched_summary,
)
from matchsvc.problem import MatchProblem
from matchsvc.profiles import Availability, Communication, Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions
from tests.fakes import TokenEncoder

WEIGHTS = MappingProxyType({"skills": 0.8, "goals": 0.2})


def person(pid: str, skills: list[int], goal: int | None = None, **extra: object) -> Profile:
    return Profile(
        id=pid,
        skills=tuple(f"k{k}" for k in skills),
        goals="" if goal is None else f"k{goal}",
        **extra,  # type: ignore[arg-type]
    )


def problem(
    mentees: list[Profile], mentors: list[Profile], min_score: float | None = None
) -> MatchProblem:
    options = ScoringOptions(weights=WEIGHTS)
    embedder = EmbeddingCache(TokenEncoder(), None)
    return MatchProblem.build(mentees, mentors, options, embedder, min_score=min_score)


def holders(p: MatchProblem, pairs: list[tuple[int, int]]) -> SlotHolders:
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return SlotHolders(arr, p.scores[arr[:, 0], arr[:, 1]].astype(np.float64), p.shape[1])


EN = Communication(languages=("en",))
# Skills coverage (0.8) + goal similarity (0.2; an empty goal is missing and adds 0). Distinct
# tokens are orthogonal (cosine 0, similarity 0.05). ann: x 0.8*1 + 0.2*1 = 1.0,
# y 0.8*0.525 + 0.2*1 = 0.62, z 0.8*0.525 + 0 = 0.42; bob: x 0.8*1 + 0.2*0.05 = 0.81.
MENTEES = [person("ann", [0, 1], goal=9, communication=EN), person("bob", [0], goal=8)]
MENTORS = [
    person("x", [0, 1], goal=9, capacity=1, communication=EN),
    person("y", [1, 5], goal=9),
    person("z", [0, 7]),
]


def test_facet_shares_add_up_to_the_score_and_rank_counts_better_mentors() -> None:
    p = problem(MENTEES, MENTORS)
    e = explain_pair(p, holders(p, [(0, 1)]), 0, 1)
    assert set(e.facets) == {"skills", "goals", "communication"}
    assert e.facets["skills"].similarity == pytest.approx(0.525)
    assert e.facets["skills"].contribution == pytest.approx(0.8 * 0.525)
    assert e.facets["communication"].weight == 0.0
    # nobody gave a communication field: missing, not a made-up similarity
    comm = e.facets["communication"]
    assert comm.missing and comm.similarity is None and comm.contribution == 0.0
    assert comm.coverage == 0.0 and not e.facets["skills"].missing
    assert sum(f.contribution for f in e.facets.values()) == pytest.approx(float(p.scores[0, 1]))
    assert float(p.scores[0, 1]) == pytest.approx(0.62)
    assert e.coverage == pytest.approx(1.0)  # skills and goals compared; communication weighs 0
    assert e.mentee_fit == pytest.approx(0.62) and e.mentor_side is None
    assert (e.rank, e.feasible_mentors) == (2, 3)
    assert e.shared_languages == () and e.overlap_hours is None
    assert [(s.wanted, s.offered, s.similarity) for s in e.skill_pairs] == [
        ("k1", "k1", pytest.approx(1.0)),
        ("k0", "k1", pytest.approx(0.05)),
    ]


def test_best_not_given_names_the_full_mentor_and_who_holds_it() -> None:
    p = problem(MENTEES, MENTORS)
    slots = holders(p, [(0, 1), (1, 0)])  # bob holds x's only slot
    e = explain_pair(p, slots, 0, 1)
    assert e.best_not_given == ForgoneMentor(
        "x", pytest.approx(1.0), "at_capacity", (Holder("bob", pytest.approx(0.81)),)
    )
    assert "Better-scoring x (1.00) was full (bob 0.81)" in e.summary
    assert e.summary.startswith("y is ann's choice 2 of 3 feasible mentors (score 0.62)")


def test_a_better_mentor_with_room_is_a_lower_total_choice() -> None:
    p = problem(MENTEES, MENTORS)
    e = explain_pair(p, holders(p, [(0, 1)]), 0, 1)
    assert e.best_not_given is not None
    assert (e.best_not_given.mentor_id, e.best_not_given.reason) == ("x", "lower_total")
    assert e.best_not_given.held_by == ()
    assert "was full" not in e.summary


def test_recommendations_carry_no_forgone_mentor_and_top_choice_reads_so() -> None:
    p = problem(MENTEES, MENTORS)
    e = explain_pair(p, holders(p, []), 0, 1, with_forgone=False)
    assert e.best_not_given is None
    top = explain_pair(p, holders(p, [(0, 0)]), 0, 0)
    assert top.rank == 1 and top.best_not_given is None
    assert top.summary.startswith("x is ann's top choice (score 1.00); strongest on skills (1.00)")
    assert "e.g. 'k0' ~ 'k0'" in top.summary and "shares en" in top.summary


def test_ties_rank_by_mentor_order() -> None:
    mentors = [person("p", [0]), person("q", [0])]
    p = problem([person("ann", [0])], mentors)
    slots = holders(p, [])
    assert explain_pair(p, slots, 0, 0).rank == 1
    assert explain_pair(p, slots, 0, 1).rank == 2


def test_overlap_hours_appear_when_both_give_windows() -> None:
    window = (Availability("mon", "09:00", "12:00"),)
    comm = Communication(timezone="UTC", availability=window)
    p = problem([person("ann", [0], communication=comm)], [person("x", [0], communication=comm)])
    e = explain_pair(p, holders(p, [(0, 0)]), 0, 0)
    assert e.overlap_hours == 3.0 and "3 h/week overlap" in e.summary


def test_unmatched_capacity_exhausted_lists_the_best_full_mentors() -> None:
    mentees = [person("ann", [0]), person("bob", [0]), person("cat", [0, 1])]
    p = problem(mentees, [person("x", [0, 1]), person("y", [0])])
    slots = holders(p, [(0, 0), (1, 1)])
    unmet = np.array([0, 0, 1])
    (reason,) = unmatched_reasons(p, slots, unmet)
    assert (reason.mentee_id, reason.unmet, reason.reason) == ("cat", 1, "capacity_exhausted")
    assert reason.feasible_mentors == 2
    assert [b.mentor_id for b in reason.best_mentors] == ["x", "y"]
    # no goals anywhere: the goals facet is missing and adds 0 to the skills share
    assert reason.best_mentors[0].held_by == (Holder("ann", pytest.approx(0.8)),)
    assert unmatched_summary(reason) == (
        "cat still needs 1 mentor: all 2 feasible mentors are full; the best, x (0.80), is held "
        "by ann 0.80."
    )


def test_unmatched_below_min_score_reports_the_best_score() -> None:
    # x: 0.8 * 0.525 + 0 (no goals) = 0.42; y: 0.8 * 0.05 = 0.04
    p = problem([person("ann", [0, 1])], [person("x", [0]), person("y", [5])], min_score=0.6)
    (reason,) = unmatched_reasons(p, holders(p, []), np.array([1]))
    assert reason.reason == "below_min_score"
    assert reason.best_score == pytest.approx(0.42)
    assert reason.removed_by["min_score"] == 2
    assert unmatched_summary(reason) == (
        "ann still needs 1 mentor: every feasible mentor scores below min_score (best 0.42)."
    )


def test_unmatched_no_feasible_mentor_counts_each_rule() -> None:
    de = Communication(languages=("de",))
    mentees = [person("ann", [0], communication=EN, exclude=("y",))]
    mentors = [person("x", [0], communication=de), person("y", [0], communication=EN)]
    p = problem(mentees, mentors)
    (reason,) = unmatched_reasons(p, holders(p, []), np.array([2]))
    assert (reason.reason, reason.unmet, reason.feasible_mentors) == ("no_feasible_mentor", 2, 0)
    assert dict(reason.removed_by) == {
        "language": 1,
        "availability": 0,
        "exclude": 1,
        "min_score": 0,
    }
    assert reason.best_mentors == () and reason.best_score is None
    assert unmatched_summary(reason) == (
        "ann still needs 2 mentors: no mentor passes the hard constraints (mentors removed by: "
        "exclude 1, language 1)."
    )


def test_a_mentee_whose_feasible_mentors_are_all_theirs_is_short_of_mentors() -> None:
    p = problem([person("ann", [0], demand=2)], [person("x", [0])])
    (reason,) = unmatched_reasons(p, holders(p, [(0, 0)]), np.array([1]))
    assert reason.reason == "no_feasible_mentor" and reason.feasible_mentors == 1


def test_slot_holders_index_both_ways() -> None:
    h = SlotHolders(np.array([[0, 1], [2, 1], [2, 0]]), np.array([0.5, 0.25, 1.0]), 3)
    assert h.by_mentor == [[(2, 1.0)], [(0, 0.5), (2, 0.25)], []]
    assert h.by_mentee == {0: {1}, 2: {0, 1}}


def test_summary_of_a_reason_without_best_mentors() -> None:
    reason = UnmatchedReason("ann", 1, "capacity_exhausted", 0, {}, (), None)
    assert unmatched_summary(reason) == "ann still needs 1 mentor: all 0 feasible mentors are full."


def test_the_whole_sentence_of_a_top_choice() -> None:
    p = problem(MENTEES, MENTORS)
    e = explain_pair(p, holders(p, [(0, 0)]), 0, 0)
    assert e.summary == (
        "x is ann's top choice (score 1.00); strongest on skills (1.00), e.g. 'k0' ~ 'k0'; "
        "shares en."
    )


def test_a_pair_with_nothing_to_compare_says_so_and_names_what_is_missing() -> None:
    p = problem([person("ann", [])], [person("x", [])])
    e = explain_pair(p, holders(p, [(0, 0)]), 0, 0)
    assert e.summary == (
        "x is ann's top choice (score 0.00); no data to compare; missing skills, goals."
    )


def test_a_facet_of_weight_zero_is_never_called_missing() -> None:
    p = problem([person("ann", [0])], [person("x", [0])])  # communication weighs 0
    e = explain_pair(p, holders(p, [(0, 0)]), 0, 0)
    assert e.facets["communication"].missing
    assert e.summary.endswith("; missing goals.")


def test_equal_contributions_name_the_facet_by_name_order() -> None:
    options = ScoringOptions(weights=MappingProxyType({"skills": 0.5, "goals": 0.5}))
    p = MatchProblem.build(
        [person("ann", [0], goal=9)],
        [person("x", [0], goal=9)],
        options,
        EmbeddingCache(TokenEncoder(), None),
    )
    e = explain_pair(p, holders(p, [(0, 0)]), 0, 0)
    assert e.facets["skills"].contribution == pytest.approx(e.facets["goals"].contribution)
    assert "; strongest on skills (1.00), e.g. 'k0' ~ 'k0'." in e.summary


def test_a_full_mentor_lists_its_three_best_holders_and_a_tie_is_not_called_better() -> None:
    # ann's score with x and with y is the same (0.42): x ranks first by mentor order, and is
    # full with four holders, of whom the sentence names three.
    mentees = [person(f"m{k}", [0]) for k in range(4)] + [person("ann", [0, 1])]
    p = problem(mentees, [person("x", [0], capacity=4), person("y", [1, 5])])
    e = explain_pair(p, holders(p, [(0, 0), (1, 0), (2, 0), (3, 0), (4, 1)]), 4, 1)
    assert e.summary.endswith(
        "Equally-scoring x (0.42) was full (m0 0.80, m1 0.80, m2 0.80); taking a slot there "
        "would lower the programme's total."
    )
    assert e.best_not_given is not None and len(e.best_not_given.held_by) == 4


def test_the_strongest_facet_is_the_largest_contribution_not_the_last_name() -> None:
    options = ScoringOptions(weights=MappingProxyType({"skills": 0.2, "goals": 0.8}))
    p = MatchProblem.build(
        [person("ann", [0, 1], goal=9)],
        [person("y", [1, 5], goal=9)],
        options,
        EmbeddingCache(TokenEncoder(), None),
    )
    e = explain_pair(p, holders(p, [(0, 0)]), 0, 0)
    assert e.facets["goals"].contribution > e.facets["skills"].contribution
    assert "; strongest on goals (1.00)." in e.summary  # no skill example: goals lead
