"""Long texts: split into pieces the model reads whole, pooled, cached piece by piece."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from matchsvc.config import Settings
from matchsvc.engine import Engine
from matchsvc.profiles import Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions, build_compatibility
from matchsvc.scoring._chunks import pool, split_text
from matchsvc.scoring.encoder import TokenCounter
from tests.fakes import Blind, WindowEncoder

WORDS = [f"w{k}" for k in range(25)]
LONG = " ".join(WORDS)  # 25 tokens for a 10-token window


class Counter:
    """One token per word, plus one more per text of several words than the words say."""

    max_tokens = 10

    def __init__(self, extra: int = 0) -> None:
        self.extra = extra

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) + (self.extra if " " in t else 0) for t in texts]


def test_a_short_text_is_its_own_piece() -> None:
    assert split_text("w0 w1 w2", Counter()) == ["w0 w1 w2"]
    assert split_text(" ".join(WORDS[:10]), Counter()) == [" ".join(WORDS[:10])]  # exactly full
    assert isinstance(WindowEncoder(), TokenCounter)


def test_a_long_text_is_cut_into_near_equal_pieces_within_the_window() -> None:
    pieces = split_text(LONG, Counter())
    # 25 tokens, 3 pieces; cuts where the running count passes 25/3 and 50/3
    assert [len(p.split()) for p in pieces] == [8, 9, 8]
    assert " ".join(pieces) == LONG


def test_pieces_the_tokenizer_finds_too_long_are_halved() -> None:
    counter = Counter(extra=3)  # a 9-word piece counts 12 > 10
    pieces = split_text(LONG, counter)
    assert " ".join(pieces) == LONG
    assert all(n <= 10 for n in counter.count_tokens(pieces))


def test_a_single_word_longer_than_the_window_is_its_own_piece() -> None:
    class Chars:
        max_tokens = 4

        def count_tokens(self, texts: Sequence[str]) -> list[int]:
            return [len(t.replace(" ", "")) for t in texts]

    assert split_text("ab abcdefgh cd", Chars()) == ["ab", "abcdefgh", "cd"]


def test_pool_is_the_renormalised_mean() -> None:
    e = np.eye(3, dtype=np.float32)
    np.testing.assert_allclose(pool(e[:2]), np.array([1, 1, 0]) / np.sqrt(2), atol=1e-7)
    assert pool(e[:1]).tobytes() == e[0].tobytes()
    np.testing.assert_array_equal(pool(np.stack([e[0], -e[0]])), e[0])  # cancels: the first


def test_the_cache_sends_pieces_and_pools_them() -> None:
    encoder = WindowEncoder(max_tokens=10)
    cache = EmbeddingCache(encoder, None)
    (vector,) = cache.embed([LONG])
    pieces = split_text(LONG, encoder)
    assert encoder.sent == pieces and LONG not in encoder.sent
    np.testing.assert_allclose(vector, pool(encoder.encode(pieces)), atol=1e-7)
    assert np.linalg.norm(vector) == pytest.approx(1.0)
    assert (cache.misses, cache.encoded) == (3, 3)


def test_a_long_texts_later_part_changes_its_vector() -> None:
    tail = " ".join([*WORDS[:20], "cooking", "baking", "pastry", "bread", "cakes"])
    chunked = EmbeddingCache(WindowEncoder(max_tokens=10), None).embed([LONG, tail])
    assert not np.allclose(chunked[0], chunked[1])
    # without chunking the model reads the first 10 words only: the two texts look the same
    blind = EmbeddingCache(Blind(WindowEncoder(max_tokens=10)), None).embed([LONG, tail])
    assert blind[0].tobytes() == blind[1].tobytes()


def test_a_long_texts_later_part_changes_its_score() -> None:
    opening = " ".join(WORDS[:20])
    mentees = [
        Profile("cook", goals=f"{opening} french cooking and baking bread"),
        Profile("coder", goals=f"{opening} python testing and sql pipelines"),
    ]
    mentors = [Profile("chef", goals="french cooking and baking bread")]
    options = ScoringOptions(weights=MappingProxyType({"goals": 1.0}))
    encoder = WindowEncoder(max_tokens=10)
    c = build_compatibility(mentees, mentors, options, EmbeddingCache(encoder, None))
    assert c.scores[0, 0] > c.scores[1, 0] + 0.05  # only the last words differ
    assert all(len(t.split()) <= 10 for t in encoder.sent)  # every word was read
    blind = EmbeddingCache(Blind(WindowEncoder(max_tokens=10)), None)
    b = build_compatibility(mentees, mentors, options, blind)
    assert b.scores[0, 0] == b.scores[1, 0]  # truncated: the difference is invisible


def test_short_texts_give_the_same_bytes_with_and_without_chunking() -> None:
    texts = ["python", "data pipelines and sql", " ".join(WORDS[:10])]
    chunked = EmbeddingCache(WindowEncoder(max_tokens=10), None).embed(texts)
    plain = EmbeddingCache(Blind(WindowEncoder(max_tokens=10)), None).embed(texts)
    assert chunked.tobytes() == plain.tobytes()


def test_no_stale_vector_of_a_truncated_long_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "emb.sqlite3"
    # an old cache stored the truncated vector under the whole long text's key
    with EmbeddingCache(Blind(WindowEncoder(max_tokens=10)), path) as old:
        truncated = old.embed([LONG])[0]
    encoder = WindowEncoder(max_tokens=10)
    with EmbeddingCache(encoder, path) as cache:
        vector = cache.embed([LONG])[0]
        assert cache.stats().disk_hits == 0 and len(encoder.sent) == 3
    assert not np.allclose(vector, truncated)
    with EmbeddingCache(WindowEncoder(max_tokens=10), path, lru_size=0) as again:
        assert again.embed([LONG])[0].tobytes() == vector.tobytes()  # pieces from disk
        assert again.stats().disk_hits == 3 and again.encoded == 0


def test_the_engine_chunks_through_its_budgeted_encoder(tmp_path: Path) -> None:
    encoder = WindowEncoder(max_tokens=10)
    engine = Engine(Settings(data_dir=tmp_path, embedding_cache=False), encoder=encoder)
    engine.cache.embed([LONG])
    assert encoder.sent == split_text(LONG, encoder)


def test_model_tokens_count_like_the_bundled_model_without_loading_it() -> None:
    from matchsvc.scoring.encoder import bundled_model_path
    from matchsvc.scoring.onnx_encoder import ModelTokens

    tokens = ModelTokens(bundled_model_path())
    assert tokens.max_tokens == 254  # 256 less [CLS] and [SEP]
    assert tokens.count_tokens(["Hello World", "data engineering", ""]) == [2, 2, 0]
    long_text = " ".join(["mentoring"] * 300)
    assert split_text(long_text, tokens) == split_text(long_text, tokens)
    assert len(split_text(long_text, tokens)) == 2
