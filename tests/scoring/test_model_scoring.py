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


def test_long_texts_are_read_whole_in_pieces(real_encoder: Any) -> None:
    from matchsvc.scoring._chunks import split_text

    assert real_encoder.max_tokens == 254  # 256 less [CLS] and [SEP]
    assert real_encoder.count_tokens(["public speaking", ""]) == [2, 0]
    projects = [
        f"project {k}: a {topic} platform for {city}"
        for k, (topic, city) in enumerate(
            [("solar", "Lagos"), ("wind", "Oslo"), ("water", "Lima"), ("soil", "Pune")] * 12
        )
    ]
    text = " ".join(projects)  # ~500 tokens: the model alone would read about half
    pieces = split_text(text, real_encoder)
    assert len(pieces) == 2 and " ".join(pieces) == text
    assert all(n <= 254 for n in real_encoder.count_tokens(pieces))
    other = " ".join([*projects[:36], *["then years of teaching french pastry and baking"] * 8])
    assert real_encoder.count_tokens([" ".join(projects[:36])])[0] > 254
    truncated = real_encoder.encode([text, other])
    assert float(truncated[0] @ truncated[1]) > 0.9999  # the model alone never sees the tails
    chunked = EmbeddingCache(real_encoder).embed([text, other])
    assert float(chunked[0] @ chunked[1]) < 0.99  # the second half now counts
    # a short text is its own piece: the model's vector, to the byte
    short = "help analysts become data engineers"
    assert (
        EmbeddingCache(real_encoder).embed([short]).tobytes()
        == real_encoder.encode([short]).tobytes()
    )
