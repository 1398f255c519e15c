"""The scoring core on the real bundled model: semantics the fake encoder cannot show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matchsvc.profiles import Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions, build_compatibility

pytestmark = pytest.mark.model


def test_cache_returns_the_models_vectors(real_encoder: Any, tmp_path: Path) -> None:
    texts = ["  machine   learning ", "public speaking"]
    with EmbeddingCache(real_encoder, tmp_path / "emb.sqlite3") as cache:
        got = cache.embed(texts)
    direct = real_encoder.encode(["machine learning", "public speaking"])
    np.testing.assert_allclose(got, direct, atol=1e-6)
    with EmbeddingCache(real_encoder, tmp_path / "emb.sqlite3", lru_size=0) as cache:
        np.testing.assert_array_equal(cache.embed(texts), got)
        assert cache.encoded == 0


def test_related_skills_and_goals_score_higher(real_encoder: Any) -> None:
    mentees = [
        Profile("e", skills=("python programming", "data analysis"),
                goals="become a machine learning engineer"),
    ]  # fmt: skip
    mentors = [
        Profile("py", skills=("python", "statistics"), goals="I coach ML engineers"),
        Profile("chef", skills=("french cuisine", "baking"), goals="I teach cooking"),
    ]
    c = build_compatibility(mentees, mentors, ScoringOptions(), EmbeddingCache(real_encoder))
    assert c.facets["skills"][0, 0] > c.facets["skills"][0, 1] + 0.2
    assert c.facets["goals"][0, 0] > c.facets["goals"][0, 1] + 0.2
    best = c.skill_pairs(0, 0, k=2)
    assert {mine: theirs for mine, theirs, _ in best}["python programming"] == "python"
