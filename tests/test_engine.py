"""The engine every door calls: limits before work, the same answers as the pipelines, readiness."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from matchsvc.config import Settings
from matchsvc.engine import Engine
from matchsvc.errors import ConfigError, LimitExceededError
from matchsvc.pipelines import CurrentPair, MatchOptions, RematchPolicy, match, rematch
from matchsvc.profiles import Communication, Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions
from tests.fakes import FakeEncoder

MENTEES = [Profile("ann", skills=("python", "sql"), goals="data engineering")]
MENTORS = [Profile("x", skills=("python",), capacity=2), Profile("y", skills=("design",))]


def engine(tmp_path: Path, **settings: object) -> Engine:
    return Engine(Settings(data_dir=tmp_path, **settings), FakeEncoder())  # type: ignore[arg-type]


def strip(report: object) -> object:
    """A report with its timings emptied (the only part that differs between runs)."""
    from dataclasses import replace

    return replace(report, summary=replace(report.summary, timings_ms={}))  # type: ignore[type-var]


def test_an_engine_with_an_encoder_is_ready_at_once(tmp_path: Path) -> None:
    e = engine(tmp_path)
    assert e.ready and e.load_error is None and e.encoder.model_id == "fake-bow-64"
    e.check_model()  # an injected encoder needs no model directory


def test_the_engine_gives_the_pipelines_answers(tmp_path: Path) -> None:
    e = engine(tmp_path, embedding_cache=False)
    options = MatchOptions()
    direct = match(MENTEES, MENTORS, options, EmbeddingCache(FakeEncoder(), None))
    assert strip(e.match(MENTEES, MENTORS, options)) == strip(direct)
    current = [CurrentPair("ann", "y")]
    policy = RematchPolicy(stability_bonus=0.0)
    direct_re = rematch(
        MENTEES, MENTORS, current, [], policy, options, EmbeddingCache(FakeEncoder(), None)
    )
    assert strip(e.rematch(MENTEES, MENTORS, current, [], policy, options)) == strip(direct_re)
    recs = e.recommend(MENTEES, MENTORS, options, top_n=1)
    assert [r.mentor_id for r in recs["ann"]] == ["x"]
    comp = e.score(MENTEES, MENTORS, ScoringOptions())
    assert comp.shape == (1, 2) and comp.scores[0, 0] > comp.scores[0, 1]


def test_stage_timings_reach_the_observer(tmp_path: Path) -> None:
    e = engine(tmp_path)
    seen: list[Mapping[str, float]] = []
    e.stage_observer = seen.append
    e.match(MENTEES, MENTORS, MatchOptions())
    e.rematch(MENTEES, MENTORS, [], [], RematchPolicy(), MatchOptions())
    assert [list(t) for t in seen] == [["embed", "score", "solve", "explain"]] * 2


@pytest.mark.parametrize(
    ("settings", "mentees", "field"),
    [
        ({"max_mentees": 1}, [*MENTEES, Profile("b")], "mentees"),
        ({"max_skills": 1}, MENTEES, "mentees[0].skills"),
        ({"max_text_length": 5}, MENTEES, "mentees[0].goals"),
        (
            {"max_text_length": 5},
            [Profile("b", communication=Communication(style="long style"))],
            "mentees[0].communication.style",
        ),
        ({"max_text_length": 5}, [Profile("b", skills=("ok", "too long"))], "mentees[0].skills[1]"),
    ],
)
def test_limits_are_checked_before_any_work(
    tmp_path: Path, settings: dict[str, int], mentees: list[Profile], field: str
) -> None:
    e = engine(tmp_path, **settings)
    encoder = e.encoder
    assert isinstance(encoder, FakeEncoder)
    with pytest.raises(LimitExceededError) as info:
        e.match(mentees, MENTORS, MatchOptions())
    assert info.value.field == field
    assert encoder.calls == 0  # refused before any text reached the model


def test_before_loading_the_engine_says_why_it_is_not_ready(tmp_path: Path) -> None:
    e = Engine(Settings(data_dir=tmp_path, model=tmp_path))
    assert not e.ready
    with pytest.raises(ConfigError, match="no sentence-transformers model"):
        e.check_model()
    with pytest.raises(ConfigError, match="still loading"):
        _ = e.cache
    e.load()  # records the failure instead of raising it
    assert not e.ready and e.load_error is not None and "model" in e.load_error
    with pytest.raises(ConfigError, match="model"):
        _ = e.encoder
