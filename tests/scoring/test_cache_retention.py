"""EmbeddingCache retention and erasure: TTL, size cap, forgetting texts, bytes gone from disk.

Erasure tests read the SQLite file and its log as bytes and look for the vector's float32 bytes
and the 32-byte key: present before, absent after. A control test switches secure deletion off
and sees the bytes survive, so the erasure tests can fail.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from matchsvc.errors import ConfigError
from matchsvc.profiles import Communication, Profile
from matchsvc.scoring import (
    EmbeddingCache,
    ScoringOptions,
    build_compatibility,
    forget_texts,
    normalize_text,
    profile_texts,
    text_key,
)

from .conftest import FakeEncoder

DAY = 86400.0


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def on_disk(path: Path) -> bytes:
    """The database, its write-ahead log and the log's index, as bytes."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def traces(path: Path, encoder: FakeEncoder, text: str) -> tuple[bool, bool]:
    """Whether the vector bytes of ``text`` and its key are anywhere in the files."""
    raw = on_disk(path)
    vector = encoder.vector(normalize_text(text)).astype("<f4").tobytes()
    return vector in raw, text_key(text) in raw


def rows(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        (n,) = db.execute("SELECT COUNT(*) FROM embeddings").fetchone()
        return int(n)
    finally:
        db.close()


SECRET = "quokka zeppelin marmalade"  # words no other text here shares: a distinctive vector


def test_a_vector_is_served_until_its_ttl_then_encoded_again(tmp_path: Path) -> None:
    clock = Clock()
    encoder = FakeEncoder()
    cache = EmbeddingCache(encoder, tmp_path / "e.sqlite3", ttl_seconds=DAY, clock=clock)
    cache.embed(["python"])
    clock.now += DAY - 1
    cache.embed(["python"])  # memory hit
    assert encoder.calls == [["python"]]
    reopened_encoder = FakeEncoder()
    reopened = EmbeddingCache(
        reopened_encoder, tmp_path / "e.sqlite3", ttl_seconds=DAY, clock=clock
    )
    reopened.embed(["python"])  # disk hit, still fresh
    assert reopened_encoder.calls == []
    clock.now += 1  # now exactly one TTL after it was stored
    reopened.embed(["python"])
    assert reopened_encoder.calls == [["python"]]  # memory and disk copies expired
    cache.embed(["python"])  # its memory copy expired; the disk row is the fresh one above
    assert encoder.calls == [["python"]]
    clock.now += DAY
    cache.embed(["python"])
    assert encoder.calls == [["python"], ["python"]]


def test_a_memory_copy_read_from_disk_expires_with_the_disk_row(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "e.sqlite3"
    EmbeddingCache(FakeEncoder(), path, ttl_seconds=DAY, clock=clock).embed(["go"])
    clock.now += DAY / 2
    encoder = FakeEncoder()
    cache = EmbeddingCache(encoder, path, ttl_seconds=DAY, clock=clock)
    cache.embed(["go"])  # read from disk into memory, stored half a TTL ago
    clock.now += DAY / 2
    cache.embed(["go"])
    assert encoder.calls == [["go"]]


def test_purge_deletes_expired_rows_and_their_bytes(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "e.sqlite3"
    encoder = FakeEncoder()
    cache = EmbeddingCache(encoder, path, ttl_seconds=DAY, clock=clock)
    cache.embed([SECRET])
    clock.now += DAY / 2
    cache.embed(["fresh text"])
    assert traces(path, encoder, SECRET) == (True, True)
    assert cache.purge_expired() == 0
    clock.now += DAY / 2
    assert cache.purge_expired() == 1
    assert rows(path) == 1
    assert traces(path, encoder, SECRET) == (False, False)
    assert traces(path, encoder, "fresh text") == (True, True)
    assert path.with_name(path.name + "-wal").stat().st_size == 0
    encoder.calls.clear()
    cache.embed([SECRET])  # gone from memory as well
    assert encoder.calls == [[SECRET]]


def test_expired_rows_are_purged_when_the_file_is_opened(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "e.sqlite3"
    encoder = FakeEncoder()
    EmbeddingCache(encoder, path, ttl_seconds=DAY, clock=clock).embed([SECRET]).copy()
    clock.now += DAY
    EmbeddingCache(FakeEncoder(), path, ttl_seconds=DAY, clock=clock).close()
    assert rows(path) == 0
    assert traces(path, encoder, SECRET) == (False, False)


def test_a_write_purges_expired_rows_at_most_hourly(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "e.sqlite3"
    cache = EmbeddingCache(FakeEncoder(), path, ttl_seconds=60.0, clock=clock)
    cache.embed(["a"])  # the purge at open was just now: the next is due in 60 s
    clock.now += 60
    cache.embed(["b"])  # due: "a" (60 s old) goes
    assert rows(path) == 1
    clock.now += 30
    cache.embed(["c"])  # next purge at +120: "b" is 30 s old anyway
    clock.now += 30
    cache.embed(["d"])  # due at +120: "b" (60 s) goes, "c" (30 s) stays
    assert rows(path) == 2


def test_the_size_cap_keeps_the_newest_entries(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "e.sqlite3"
    encoder = FakeEncoder()
    cache = EmbeddingCache(encoder, path, max_entries=3, lru_size=0, clock=clock)
    for k in range(5):
        cache.embed([f"text {k}"])
        clock.now += 1
    assert rows(path) == 3
    encoder.calls.clear()
    cache.embed([f"text {k}" for k in range(5)])
    assert encoder.calls == [["text 0", "text 1"]]  # the two oldest were evicted
    assert rows(path) == 3


def test_the_size_cap_applies_to_an_existing_larger_file(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    EmbeddingCache(FakeEncoder(), path).embed([f"t{k}" for k in range(10)])
    EmbeddingCache(FakeEncoder(), path, max_entries=4).close()
    assert rows(path) == 4


def test_forget_removes_texts_under_every_model_from_memory_and_disk(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    other = FakeEncoder(model_id="other-model")
    EmbeddingCache(other, path).embed([SECRET, "kept"])
    encoder = FakeEncoder()
    cache = EmbeddingCache(encoder, path)
    cache.embed([SECRET, "kept", "also kept"])
    assert rows(path) == 5
    # The same text differently spaced has the same key; unknown texts remove nothing.
    assert cache.forget([f"  {SECRET.upper().lower()}  ", "never cached"]) == 2
    assert rows(path) == 3
    assert traces(path, encoder, SECRET) == (False, False)
    assert traces(path, encoder, "kept") == (True, True)
    encoder.calls.clear()
    cache.embed([SECRET, "kept"])
    assert encoder.calls == [[SECRET]]  # forgotten in memory too; "kept" still cached
    assert cache.forget([]) == 0


def test_forget_counts_memory_only_entries(encoder: FakeEncoder) -> None:
    cache = EmbeddingCache(encoder, None)
    cache.embed(["a", "b"])
    assert cache.forget(["a", "a", "c"]) == 1
    assert cache.forget(["a"]) == 0


def test_forget_texts_changes_the_file_without_a_model(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    encoder = FakeEncoder()
    cache = EmbeddingCache(encoder, path)  # a "running service" holding the file open
    cache.embed([SECRET, "kept"])
    assert forget_texts(path, [SECRET, SECRET, "unknown"]) == 1
    assert traces(path, encoder, SECRET) == (False, False)
    assert rows(path) == 1
    cache.embed(["new"])  # the open cache keeps working on the same file
    assert rows(path) == 2


def test_forget_texts_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none" / "e.sqlite3"
    assert forget_texts(path, ["x"]) == 0
    assert not path.parent.exists()


def test_control_without_secure_delete_the_vector_stays_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    encoder = FakeEncoder()
    cache = EmbeddingCache(encoder, path)
    assert cache._db is not None
    assert cache._db.execute("PRAGMA secure_delete").fetchone() == (1,)
    cache._db.execute("PRAGMA secure_delete=OFF")
    cache.embed([SECRET, "kept"])
    assert cache.forget([SECRET]) == 1
    assert traces(path, encoder, SECRET)[0]  # the freed cell still holds the vector


def test_bad_retention_settings_are_refused(encoder: FakeEncoder) -> None:
    with pytest.raises(ConfigError, match="ttl_seconds is 0"):
        EmbeddingCache(encoder, None, ttl_seconds=0)
    with pytest.raises(ConfigError, match="max_entries is 0"):
        EmbeddingCache(encoder, None, max_entries=0)


V1 = """
PRAGMA secure_delete = OFF;
CREATE TABLE embeddings (model_id TEXT NOT NULL, text_sha256 BLOB NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model_id, text_sha256)) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
INSERT INTO meta VALUES ('schema_version', '1');
"""


def test_a_schema_1_file_is_upgraded_keeping_its_vectors(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    encoder = FakeEncoder()
    db = sqlite3.connect(path)
    db.executescript(V1)
    for text in ("kept", SECRET):
        vector = encoder.vector(text).astype("<f4").tobytes()
        db.execute(
            "INSERT INTO embeddings VALUES (?, ?, ?)", (encoder.model_id, text_key(text), vector)
        )
    db.commit()
    db.execute("DELETE FROM embeddings WHERE text_sha256 = ?", (text_key(SECRET),))
    db.commit()
    db.close()
    assert traces(path, encoder, SECRET)[0]  # deleted by version 1 without overwriting
    clock = Clock()
    cache = EmbeddingCache(encoder, path, ttl_seconds=DAY, clock=clock)
    cache.embed(["kept"])
    assert encoder.calls == []  # still served: it counts as stored at the upgrade
    assert traces(path, encoder, SECRET) == (False, False)  # the upgrade vacuumed the file
    clock.now += DAY
    assert cache.purge_expired() == 1


def test_another_cache_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    EmbeddingCache(FakeEncoder(), path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(ConfigError, match="has schema 7, expected 2: delete the file"):
        EmbeddingCache(FakeEncoder(), path)


class Recording:
    """An embedder that records every text scoring asks for."""

    def __init__(self) -> None:
        self.inner = EmbeddingCache(FakeEncoder(), None)
        self.texts: set[str] = set()

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.texts.update(texts)
        return self.inner.embed(texts)


@pytest.mark.parametrize("seed", range(5))
def test_profile_texts_are_exactly_the_texts_scoring_embeds(seed: int) -> None:
    rng = random.Random(seed)
    words = ["python", " Python ", "sql", "Café", "Cafe\u0301", "lead\tteams", "ml"]
    blank = ["", "  ", *words]  # goals and style may be empty; skills may not

    def person(pid: str) -> Profile:
        return Profile(
            id=pid,
            skills=tuple(rng.sample(words, rng.randint(0, 4))),
            goals=rng.choice(blank),
            communication=Communication(style=rng.choice(blank)),
        )

    mentees = [person(f"e{k}") for k in range(rng.randint(1, 6))]
    mentors = [person(f"r{k}") for k in range(rng.randint(1, 6))]
    recording = Recording()
    build_compatibility(mentees, mentors, ScoringOptions(), recording)
    embedded = {text_key(t) for t in recording.texts}
    listed = {text_key(t) for p in [*mentees, *mentors] for t in profile_texts(p)}
    assert listed == embedded
    for p in mentees:
        texts = profile_texts(p)
        assert len(texts) == len(set(texts)) and all(t == normalize_text(t) != "" for t in texts)


def test_profile_texts_order_and_dedup() -> None:
    person = Profile(
        id="x",
        skills=("sql", " SQL", "sql  "),
        goals="  lead  teams ",
        communication=Communication(style="sql"),
    )
    assert profile_texts(person) == ("sql", "SQL", "lead teams")
    assert profile_texts(Profile(id="y")) == ()


def test_vectors_stay_identical_with_retention_on(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    plain = EmbeddingCache(encoder, None).embed(["a b", "c"])
    kept = EmbeddingCache(
        FakeEncoder(), tmp_path / "e.sqlite3", ttl_seconds=DAY, max_entries=10
    ).embed(["a b", "c"])
    np.testing.assert_array_equal(plain, kept)


def test_forgetting_a_long_text_erases_its_pieces_from_the_file(tmp_path: Path) -> None:
    from matchsvc.scoring import forget_texts
    from matchsvc.scoring._chunks import split_text
    from tests.fakes import WindowEncoder

    encoder = WindowEncoder(max_tokens=5)
    long_text = " ".join(f"word{k}" for k in range(23))
    path = tmp_path / "cache.sqlite3"
    pieces = split_text(long_text, encoder)
    assert len(pieces) == 5
    with EmbeddingCache(encoder, path) as cache:
        cache.embed([long_text, "short text"])
        assert cache.forget([long_text]) == len(pieces)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("cache.sqlite3*"))
    assert not any(text_key(p) in raw for p in pieces) and text_key("short text") in raw
    with EmbeddingCache(encoder, path) as cache:
        cache.embed([long_text])
    # a process without the model finds the pieces with the model's token counting
    assert forget_texts(path, [long_text]) == 0  # whole texts only: the pieces stay
    assert forget_texts(path, [long_text], encoder) == len(pieces)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("cache.sqlite3*"))
    assert not any(text_key(p) in raw for p in pieces)
