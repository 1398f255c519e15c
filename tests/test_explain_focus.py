"""Focus areas and gaps on hand-built vectors: what a pair could work on, what nobody covers."""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

import numpy as np
import pytest
from numpy.typing import NDArray

from matchsvc.explain import (
    COVER_THRESHOLD,
    FocusArea,
    SkillGap,
    SlotHolders,
    focus_areas,
    mentee_gaps,
)
from matchsvc.pipelines import MatchOptions, match
from matchsvc.profiles import Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions, build_compatibility, goal_themes

E = np.eye(8, dtype=np.float32)
VECTORS = {
    "python": E[0],
    "leadership": E[1],
    "sql": E[2],
    "Lead a team.": E[3],
    "Ship data products.": E[4],
    "Lead a team. Ship data products.": E[7],
    # x: python exactly; "team management" has cosine 0.6 with leadership (similarity
    # 0.6 + 0.05 * 0.4 = 0.62) and 0.8 with the theme "Lead a team." (0.81)
    "team management": 0.6 * E[1] + 0.8 * E[3],
    # y: cosine 0.5 with sql (0.525); 0.7 with "Ship data products." (0.715)
    "sql databases": 0.5 * E[2] + np.sqrt(0.75) * E[5],
    "data engineering": 0.7 * E[4] + np.sqrt(0.51) * E[6],
}


class VectorEncoder:
    """Named texts -> the unit vectors above (an unknown text is a test bug)."""

    dim = 8
    model_id = "named-vectors-8"

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        rows = [VECTORS[t] / np.linalg.norm(VECTORS[t]) for t in texts]
        return np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)


ANN = Profile(
    "ann",
    skills=("python", "leadership", "sql"),
    goals="Lead a team. Ship data products.",
    demand=2,
)
X = Profile("x", skills=("python", "team management"))
Y = Profile("y", skills=("sql databases", "data engineering"))
NOBODY = Profile("z")
SKILLS = ScoringOptions(weights=MappingProxyType({"skills": 1.0}))


def comp():  # type: ignore[no-untyped-def]
    return build_compatibility([ANN], [X, Y, NOBODY], SKILLS, EmbeddingCache(VectorEncoder()))


def test_goal_themes_are_the_sentences() -> None:
    assert goal_themes("Lead a team. Ship data products.") == [
        "Lead a team.",
        "Ship data products.",
    ]
    assert goal_themes("  one goal only  ") == ["one goal only"]
    assert goal_themes("a; b\nc!  c!") == ["a;", "b", "c!"]
    assert goal_themes("...") == [] and goal_themes("") == []


def test_focus_areas_rank_the_covered_skills_and_goal_themes() -> None:
    c = comp()
    assert focus_areas(c, 0, 0) == (
        FocusArea("skill", "python", "python", pytest.approx(1.0)),
        FocusArea("goal", "Lead a team.", "team management", pytest.approx(0.81)),
        FocusArea("skill", "leadership", "team management", pytest.approx(0.62)),
    )
    assert focus_areas(c, 0, 1) == (
        FocusArea("goal", "Ship data products.", "data engineering", pytest.approx(0.715)),
        FocusArea("skill", "sql", "sql databases", pytest.approx(0.525)),
    )
    assert focus_areas(c, 0, 2) == ()  # z lists no skills
    assert [f.skill for f in focus_areas(c, 0, 0, top=1)] == ["python"]
    assert [f.skill for f in focus_areas(c, 0, 1, threshold=0.6)] == ["Ship data products."]
    assert COVER_THRESHOLD == 0.43


def test_gaps_are_the_wanted_skills_no_assigned_mentor_covers() -> None:
    c = comp()

    def gaps(pairs: list[tuple[int, int]]) -> tuple[SkillGap, ...]:
        arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        (only,) = mentee_gaps(c, SlotHolders(arr, np.ones(len(pairs)), 3))
        return only.gaps

    # x alone: sql's best cover is x's "python" or "team management" (cosine 0: 0.05)
    assert gaps([(0, 0)]) == (SkillGap("sql", pytest.approx(0.05), "x"),)
    assert gaps([(0, 0), (0, 1)]) == ()  # y covers sql (0.525)
    # y alone: python and leadership best covered at 0.05, by y's first skill
    assert gaps([(0, 1)]) == (
        SkillGap("python", pytest.approx(0.05), "y"),
        SkillGap("leadership", pytest.approx(0.05), "y"),
    )
    # nobody, or a mentor without skills: nothing to measure
    none = (
        SkillGap("python", None, None),
        SkillGap("leadership", None, None),
        SkillGap("sql", None, None),
    )
    assert gaps([]) == none and gaps([(0, 2)]) == none
    arr = np.array([[0, 0]], dtype=np.int64)
    (summary,) = mentee_gaps(c, SlotHolders(arr, np.ones(1), 3))
    assert (summary.mentors, summary.wanted, summary.covered) == (("x",), 3, 2)


def test_match_reports_focus_areas_and_gaps() -> None:
    report = match(
        [ANN], [X, Y, NOBODY], MatchOptions(scoring=SKILLS), EmbeddingCache(VectorEncoder())
    )
    assert [(m.mentor_id, [f.skill for f in m.focus_areas]) for m in report.matches] == [
        ("x", ["python", "Lead a team.", "leadership"]),
        ("y", ["Ship data products.", "sql"]),
    ]
    (mine,) = report.mentees
    assert (mine.mentee_id, mine.mentors, mine.covered, mine.gaps) == ("ann", ("x", "y"), 3, ())
    quiet = match(
        [ANN], [X, Y], MatchOptions(scoring=SKILLS, explain=False), EmbeddingCache(VectorEncoder())
    )
    assert quiet.mentees == () and all(m.focus_areas == () for m in quiet.matches)
    assert [m.coverage for m in quiet.matches] == [1.0, 1.0]
