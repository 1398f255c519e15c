"""EmbeddingCache: batching, counters, persistence, no raw text, thread safety."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from matchsvc.errors import ConfigError
from matchsvc.scoring import EmbeddingCache, normalize_text, text_key

from .conftest import FakeEncoder


def test_normalize_text() -> None:
    assert normalize_text("  Cafe\u0301 \t au\n\n lait ") == "Caf\u00e9 au lait"
    assert text_key("a  b") == text_key(" a b ") != text_key("a b c")
    assert len(text_key("x")) == 32


def test_duplicates_embedded_once_in_one_batch(encoder: FakeEncoder) -> None:
    cache = EmbeddingCache(encoder, None)
    out = cache.embed(["python", "sql", " python ", "python", "go"])
    assert encoder.calls == [["python", "sql", "go"]]
    assert out.dtype == np.float32 and out.shape == (5, encoder.dim)
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], encoder.vector("sql"))
    assert (cache.hits, cache.misses, cache.encoded) == (0, 3, 3)


def test_second_call_hits_memory(encoder: FakeEncoder) -> None:
    cache = EmbeddingCache(encoder, None)
    first = cache.embed(["a b", "c"])
    second = cache.embed(["c", "a  b", "d"])
    assert encoder.calls == [["a b", "c"], ["d"]]
    np.testing.assert_array_equal(second[:2], first[::-1])
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.encoded, stats.encoder_calls) == (2, 3, 3, 2)
    cache.embed(["c"])
    assert len(encoder.calls) == 2


def test_empty_input_makes_no_call(encoder: FakeEncoder) -> None:
    cache = EmbeddingCache(encoder, None)
    assert cache.embed([]).shape == (0, encoder.dim)
    assert encoder.calls == []


def test_sqlite_survives_reopening_and_stores_no_text(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "emb.sqlite3"
    texts = ["Distributed systems mentoring SECRETWORD", "kubernetes operators"]
    first_encoder = FakeEncoder()
    with EmbeddingCache(first_encoder, path) as cache:
        expected = cache.embed(texts)
    second_encoder = FakeEncoder()
    with EmbeddingCache(second_encoder, path, lru_size=0) as cache:
        got = cache.embed(texts)
        assert second_encoder.calls == []
        assert cache.stats().disk_hits == 2
    np.testing.assert_array_equal(got, expected)
    raw = b"".join(p.read_bytes() for p in tmp_path.rglob("emb.sqlite3*"))
    assert b"SECRETWORD" not in raw and b"kubernetes" not in raw
    assert b"SECRETWORD".lower() not in raw.lower()


def test_model_id_separates_vectors(tmp_path: Path) -> None:
    path = tmp_path / "emb.sqlite3"
    with EmbeddingCache(FakeEncoder(model_id="m1"), path) as cache:
        cache.embed(["shared text"])
    other = FakeEncoder(model_id="m2")
    with EmbeddingCache(other, path) as cache:
        cache.embed(["shared text"])
    assert other.calls == [["shared text"]]


def test_no_cache_still_dedups_within_a_call(encoder: FakeEncoder) -> None:
    cache = EmbeddingCache(encoder, None, lru_size=0)
    cache.embed(["x", "x", "y"])
    cache.embed(["x"])
    assert encoder.calls == [["x", "y"], ["x"]]


def test_lru_evicts_oldest(encoder: FakeEncoder) -> None:
    cache = EmbeddingCache(encoder, None, lru_size=2)
    cache.embed(["a", "b"])
    cache.embed(["a"])  # a is now the most recent
    cache.embed(["c"])  # evicts b
    cache.embed(["a", "b"])
    assert encoder.calls[-1] == ["b"]


def test_bad_encoder_output_is_reported() -> None:
    class Broken(FakeEncoder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            return np.zeros((len(texts) + 1, self.dim), dtype=np.float32)

    with pytest.raises(ConfigError, match="returned shape"):
        EmbeddingCache(Broken(), None).embed(["a"])
    with pytest.raises(ConfigError, match="lru_size"):
        EmbeddingCache(FakeEncoder(), None, lru_size=-1)


def test_unopenable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot open the embedding cache"):
        EmbeddingCache(FakeEncoder(), blocker / "emb.sqlite3")


def test_threads_get_identical_vectors(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    cache = EmbeddingCache(encoder, tmp_path / "emb.sqlite3", lru_size=50)
    texts = [f"skill {k}" for k in range(200)]
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            order = texts[offset:] + texts[:offset]
            for _ in range(3):
                vectors = cache.embed(order)
                results.append(np.roll(vectors, offset, axis=0))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 17,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    reference = np.stack([encoder.vector(t) for t in texts])
    for vectors in results:
        np.testing.assert_array_equal(vectors, reference)
    stats = cache.stats()
    assert stats.hits + stats.misses == 6 * 3 * 200
    cache.close()


def test_disk_failures_degrade_to_encoding(tmp_path: Path, encoder: FakeEncoder) -> None:
    path = tmp_path / "emb.sqlite3"
    cache = EmbeddingCache(encoder, path, lru_size=0)
    cache.embed(["kept"])
    assert cache._db is not None
    cache._db.execute("DROP TABLE embeddings")  # simulate a broken database file
    out = cache.embed(["kept", "new"])
    np.testing.assert_array_equal(out[1], encoder.vector("new"))
    assert cache.stats().disk_errors == 2  # the read and the write both failed
    assert encoder.calls[-1] == ["kept", "new"]
    cache.close()
