"""Match, recommend and score as library calls (no HTTP): hand-made scores, exact answers."""

from __future__ import annotations

import ast
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from matchsvc.errors import InvalidInputError
from matchsvc.pipelines import MatchOptions, match, recommend, score
from matchsvc.profiles import Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions
from tests.fakes import TokenEncoder

SKILLS = ScoringOptions(weights=MappingProxyType({"skills": 1.0}))


def person(pid: str, skills: list[int], **extra: object) -> Profile:
    return Profile(id=pid, skills=tuple(f"k{k}" for k in skills), **extra)  # type: ignore[arg-type]


def embedder() -> EmbeddingCache:
    return EmbeddingCache(TokenEncoder(), None)


# Skill coverage (TokenEncoder: distinct tokens have cosine 0, i.e. similarity 0.05):
# ann-x 1, ann-y 0.525; bob-x 0.525, bob-y 1; cat-x 1, cat-y 0.05.
MENTEES = [person("ann", [0, 1]), person("bob", [1, 2]), person("cat", [0])]
MENTORS = [person("x", [0, 1], capacity=1), person("y", [2, 1], capacity=1)]


def test_match_solves_exactly_and_explains_each_pair() -> None:
    report = match(MENTEES, MENTORS, MatchOptions(scoring=SKILLS), embedder())
    assert [(m.mentee_id, m.mentor_id, m.score) for m in report.matches] == [
        ("ann", "x", 1.0),
        ("bob", "y", 1.0),
    ]
    assert all(m.explanation is not None and m.explanation.rank == 1 for m in report.matches)
    (left,) = report.unmatched
    assert (left.mentee_id, left.reason) == ("cat", "capacity_exhausted")
    assert [(m.mentor_id, m.assigned, m.capacity) for m in report.mentors] == [
        ("x", 1, 1),
        ("y", 1, 1),
    ]
    s = report.summary
    assert (s.matched, s.unmatched, s.total_score, s.mean_score, s.min_score) == (2, 1, 2, 1, 1)
    assert s.optimal and s.solver == "flow"
    assert list(s.timings_ms) == ["embed", "score", "solve", "explain"]
    assert all(v >= 0 for v in s.timings_ms.values())


def test_match_without_explanations_and_with_the_fair_objective() -> None:
    # ann-x 1, ann-y 0.525; bob-x 0.525, bob-y 0.2875: the best total leaves bob with 0.2875
    mentees = [person("ann", [0, 1, 2, 3]), person("bob", [0, 1, 4, 5])]
    mentors = [person("x", [0, 1, 2, 3]), person("y", [2, 3, 4])]
    total = match(mentees, mentors, MatchOptions(scoring=SKILLS, explain=False), embedder())
    assert all(m.explanation is None for m in total.matches)
    assert [m.score for m in total.matches] == pytest.approx([1.0, 0.2875])
    fair = match(mentees, mentors, MatchOptions(scoring=SKILLS, objective="fair"), embedder())
    assert sorted(m.score for m in fair.matches) == pytest.approx([0.525, 0.525])
    assert (
        fair.summary.min_score == pytest.approx(0.525)
        and total.summary.total_score > fair.summary.total_score
    )


def test_min_score_leaves_weak_pairs_out_with_a_reason() -> None:
    options = MatchOptions(scoring=SKILLS, min_score=0.75)
    report = match(MENTEES, MENTORS, options, embedder())
    assert {m.mentee_id for m in report.matches} == {"ann", "bob"}
    (left,) = report.unmatched
    assert left.reason == "capacity_exhausted"  # cat-x passes the floor but x is full
    low = match([person("dan", [5])], MENTORS, options, embedder())
    assert low.unmatched[0].reason == "below_min_score"
    assert low.summary.mean_score is None and low.summary.total_score == 0


def test_an_empty_programme_is_a_valid_answer() -> None:
    report = match([], MENTORS, MatchOptions(scoring=SKILLS), embedder())
    assert report.matches == () and report.unmatched == () and report.summary.matched == 0


def test_recommend_ranks_feasible_mentors_with_remaining_capacity() -> None:
    recs = recommend(MENTEES, MENTORS, MatchOptions(scoring=SKILLS), embedder(), top_n=2)
    assert [(r.mentor_id, r.rank, r.score) for r in recs["bob"]] == [
        ("y", 1, 1.0),
        ("x", 2, pytest.approx(0.525)),
    ]
    assert [r.remaining_capacity for r in recs["bob"]] == [1, 1]
    assert all(r.explanation.best_not_given is None for r in recs["bob"])
    full = recommend(MENTEES, MENTORS, MatchOptions(scoring=SKILLS), embedder(), assigned={"y": 1})
    assert [r.mentor_id for r in full["bob"]] == ["x"]
    shown = recommend(
        MENTEES,
        MENTORS,
        MatchOptions(scoring=SKILLS),
        embedder(),
        assigned={"y": 1},
        only_available=False,
    )
    assert [(r.mentor_id, r.remaining_capacity) for r in shown["bob"]] == [("y", 0), ("x", 1)]


def test_recommend_breaks_ties_by_mentor_order_and_cuts_at_top_n() -> None:
    mentors = [person("p", [0]), person("q", [0]), person("r", [0])]
    recs = recommend(
        [person("ann", [0])], mentors, MatchOptions(scoring=SKILLS), embedder(), top_n=2
    )
    assert [r.mentor_id for r in recs["ann"]] == ["p", "q"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"top_n": 0}, "top_n"), ({"assigned": {"nobody": 1}}, "assigned.nobody")],
)
def test_recommend_refuses_bad_arguments(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        recommend(MENTEES, MENTORS, MatchOptions(), embedder(), **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_score_returns_the_matrix_without_solving() -> None:
    comp = score(MENTEES, MENTORS, SKILLS, embedder())
    np.testing.assert_allclose(comp.scores, [[1.0, 0.525], [0.525, 1.0], [1.0, 0.05]], rtol=1e-6)


PIPELINES = Path(__file__).resolve().parents[2] / "src" / "matchsvc" / "pipelines"


def test_no_pipeline_function_is_longer_than_80_lines() -> None:
    long = []
    for path in sorted(PIPELINES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > 80:
                    long.append(f"{path.name}:{node.name} ({length} lines)")
    assert long == []
