"""Embedding cache: text -> unit vector, keyed by model and text hash, in memory and on disk.

Lookup order: an in-process LRU, then an optional SQLite file, then the encoder. All misses of a
call go to the encoder in ONE ``encode`` call (it sorts by length internally, so one big batch
pads least). The key is ``(model_id, sha256(normalize_text(text)))``; the database stores the
model id, the 32-byte digest, the float32 vector and when it was stored, never the text.

The text sent to the encoder is the normalised text, so a vector depends only on its key: two
texts that normalise alike share one vector whatever the cache held before (determinism).

Retention and erasure (the database file):

* ``ttl_seconds``: a vector stored that long ago is never served again (memory or disk) and is
  deleted from the file at open, at the first write an hour after the last purge, and by
  :meth:`EmbeddingCache.purge_expired` (the service's job workers call it every minute).
* ``max_entries``: past it, the oldest vectors are deleted after each write.
* :meth:`EmbeddingCache.forget` and :func:`forget_texts` delete the vectors of given texts under
  every model id; :func:`profile_texts` lists the texts scoring embeds for a person.

Deleted rows are overwritten with zeros (``PRAGMA secure_delete``); after a purge or a forget the
write-ahead log is checkpointed and truncated, so the bytes are gone from both files, not only
unreachable. (Eviction past ``max_entries`` zeroes the rows too but leaves the log to be reused.)

**Long texts.** When the encoder is a :class:`~matchsvc.scoring.encoder.TokenCounter` (both
bundled backends are), a text longer than the model's window is encoded in pieces and the
pieces' vectors are pooled (:mod:`matchsvc.scoring._chunks` states the rule). The cache then
holds the *pieces*, each under its own key: a short text is its own single piece (key and
vector as without chunking), and a long text's vector is rebuilt from its pieces on every
call, so no key ever maps to a vector of a truncated long text.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from matchsvc.errors import ConfigError
from matchsvc.profiles import Profile
from matchsvc.scoring._chunks import pool, split_text
from matchsvc.scoring.encoder import Encoder, TokenCounter

__all__ = [
    "CacheStats",
    "Embedder",
    "EmbeddingCache",
    "forget_texts",
    "goal_themes",
    "normalize_text",
    "profile_texts",
    "text_key",
]

_SCHEMA_VERSION = "2"
# A rowid table: a 1.5 kB vector fits in its leaf page. (Schema 1 was WITHOUT ROWID, whose
# leaves hold about 1 kB, so every vector spilled into an overflow page: ~4.7 kB per entry.)
_TABLE = (
    "CREATE TABLE embeddings (model_id TEXT NOT NULL, text_sha256 BLOB NOT NULL, "
    "vector BLOB NOT NULL, created_at REAL NOT NULL, UNIQUE (model_id, text_sha256))"
)
_SQL_CHUNK = 500  # keys per SELECT ... IN (...), well under SQLite's variable limit
_PURGE_EVERY_SECONDS = 3600.0  # at most this long between purges triggered by writes
_CHECKPOINT_TRIES = 20  # a reader of another process can delay the truncating checkpoint

log = logging.getLogger("matchsvc.cache")


class Embedder(Protocol):
    """What :func:`~matchsvc.scoring.build_compatibility` needs: texts -> unit float32 rows.

    Contract: ``embed(texts)`` returns shape ``(len(texts), dim)``, float32, unit rows, row
    ``k`` depending only on ``normalize_text(texts[k])``. To use a bare encoder without any
    caching, wrap it as ``EmbeddingCache(encoder, None, lru_size=0)``.
    """

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def normalize_text(text: str) -> str:
    """Unicode NFC, strip, and collapse every run of whitespace to one space.

    Whitespace is what ``str.split()`` splits on (the same set as the regex ``\\s``).
    """
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def text_key(text: str) -> bytes:
    """The 32-byte sha256 digest of the normalised text (the cache key within one model)."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).digest()


_THEME_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+")


def goal_themes(goals: str) -> list[str]:
    """The themes of a goal text: its sentences (split after ``. ! ? ;`` and at line breaks).

    Each theme is normalised (:func:`~matchsvc.scoring.normalize_text`) and keeps its
    punctuation; empty pieces are dropped. A goal of one sentence is one theme.
    """
    out: list[str] = []
    for piece in _THEME_SPLIT.split(goals):
        text = normalize_text(piece)
        if text and any(ch.isalnum() for ch in text) and text not in out:
            out.append(text)
    return out


def profile_texts(person: Profile) -> tuple[str, ...]:
    """The texts :func:`~matchsvc.scoring.build_compatibility` embeds for ``person``.

    Each skill, the goals, their themes (:func:`goal_themes`), the communication style and a
    mentor's wish topics, normalised, each once, in that order;
    texts that normalise to ``""`` are never embedded and are left out. Their
    :func:`text_key` values are the person's cache keys (under each model id).
    """
    texts = (
        *person.skills,
        person.goals,
        *goal_themes(person.goals),
        person.communication.style,
        *person.wishes.topics,
    )
    return tuple(dict.fromkeys(t for t in map(normalize_text, texts) if t))


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters since the cache was created.

    Counts are of distinct texts, a long text counting as its pieces (see the module docstring).

    Attributes:
        hits: distinct texts per call found in memory or on disk.
        misses: distinct texts per call found nowhere (each one is then encoded).
        encoded: texts sent to the encoder (equals ``misses``).
        encoder_calls: ``encode`` calls made (at most one per ``embed`` call).
        disk_hits: the part of ``hits`` served by the SQLite file.
        disk_errors: SQLite reads or writes that failed (e.g. locked or full disk); the call
            still succeeds, with the vectors from the encoder, but they may not be persisted.
    """

    hits: int
    misses: int
    encoded: int
    encoder_calls: int
    disk_hits: int
    disk_errors: int


class _VectorFile:
    """The cache's SQLite file: one connection; the caller serialises calls.

    Schema 2: ``embeddings(model_id, text_sha256, vector, created_at)``, unique on the first
    two, with an index on ``created_at`` (expiry, eviction). A schema 1 file (no
    ``created_at``) is upgraded in place: its rows count as stored at the upgrade, and the file
    is vacuumed once so nothing deleted before secure deletion was on survives in free pages.

    Raises:
        ConfigError: the file cannot be opened or has an unknown schema version.
    """

    def __init__(self, path: Path, clock: Callable[[], float]) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(f"cannot open the embedding cache at {path}: {exc}") from exc
        self.db = db
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA secure_delete=ON")
            upgraded = self._prepare(clock())
            if upgraded:
                db.execute("VACUUM")
                self.scrub()
        except sqlite3.Error as exc:
            db.close()
            raise ConfigError(f"cannot open the embedding cache at {path}: {exc}") from exc
        except ConfigError:
            db.close()
            raise

    def _prepare(self, now: float) -> bool:
        """Create or upgrade the tables in one transaction; True if a schema 1 was upgraded."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = None if row is None else row[0]
            if version is None:
                db.execute(_TABLE)
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (_SCHEMA_VERSION,))
            elif version == "1":
                db.execute("ALTER TABLE embeddings RENAME TO embeddings_v1")
                db.execute(_TABLE)
                db.execute(
                    "INSERT INTO embeddings (model_id, text_sha256, vector, created_at) "
                    "SELECT model_id, text_sha256, vector, ? FROM embeddings_v1",
                    (now,),
                )
                db.execute("DROP TABLE embeddings_v1")
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (_SCHEMA_VERSION,)
                )
            elif version != _SCHEMA_VERSION:
                raise ConfigError(
                    f"the embedding cache at {self.path} has schema {version}, expected "
                    f"{_SCHEMA_VERSION}: delete the file to rebuild it"
                )
            db.execute("CREATE INDEX IF NOT EXISTS embeddings_by_age ON embeddings (created_at)")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return version == "1"

    def count(self) -> int:
        """Rows in the file (a scan of the small ``created_at`` index)."""
        (n,) = self.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()
        return int(n)

    def read(
        self, model_id: str, keys: list[bytes], dim: int, fresh_after: float | None
    ) -> dict[bytes, tuple[NDArray[np.float32], float]]:
        """``key -> (vector, created_at)`` for ``keys`` stored after ``fresh_after`` (None: any)."""
        out: dict[bytes, tuple[NDArray[np.float32], float]] = {}
        after = -np.inf if fresh_after is None else fresh_after
        for start in range(0, len(keys), _SQL_CHUNK):
            chunk = keys[start : start + _SQL_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT text_sha256, vector, created_at FROM embeddings WHERE model_id = ? "
                f"AND text_sha256 IN ({marks}) AND created_at > ?",
                (model_id, *chunk, after),
            )
            for key, blob, created_at in rows:
                vector = np.frombuffer(blob, dtype="<f4")
                if vector.shape == (dim,):  # a wrong-length row is treated as a miss
                    out[bytes(key)] = (vector.astype(np.float32), float(created_at))
        return out

    def write(self, rows: list[tuple[str, bytes, bytes, float]]) -> None:
        """Store ``(model_id, key, vector bytes, created_at)`` rows, replacing expired ones."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)

    def purge(self, cutoff: float) -> int:
        """Delete rows stored at ``cutoff`` or before; scrub the log if any went."""
        with self.db:
            self.db.execute("BEGIN")
            removed = self.db.execute(
                "DELETE FROM embeddings WHERE created_at <= ?", (cutoff,)
            ).rowcount
        if removed:
            self.scrub()
        return removed

    def evict(self, keep: int) -> int:
        """Delete the oldest rows (ties: first stored first) until at most ``keep`` remain."""
        excess = self.count() - keep
        if excess <= 0:
            return 0
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "DELETE FROM embeddings WHERE rowid IN "
                "(SELECT rowid FROM embeddings ORDER BY created_at, rowid LIMIT ?)",
                (excess,),
            )
        return excess

    def models(self) -> list[str]:
        """The distinct model ids, by stepping through the unique index (no table scan)."""
        rows = self.db.execute(
            "WITH RECURSIVE m(id) AS (SELECT min(model_id) FROM embeddings UNION ALL "
            "SELECT (SELECT min(model_id) FROM embeddings WHERE model_id > m.id) FROM m "
            "WHERE m.id IS NOT NULL) SELECT id FROM m WHERE id IS NOT NULL"
        ).fetchall()
        return [model_id for (model_id,) in rows]

    def forget(self, keys: list[bytes]) -> set[tuple[str, bytes]]:
        """Delete ``keys`` under every model id; the ``(model_id, key)`` rows that were there."""
        removed: set[tuple[str, bytes]] = set()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for model_id in self.models():
                for start in range(0, len(keys), _SQL_CHUNK):
                    chunk = keys[start : start + _SQL_CHUNK]
                    marks = ",".join("?" * len(chunk))
                    where = f"WHERE model_id = ? AND text_sha256 IN ({marks})"
                    found = self.db.execute(
                        f"SELECT text_sha256 FROM embeddings {where}", (model_id, *chunk)
                    ).fetchall()
                    if found:
                        self.db.execute(f"DELETE FROM embeddings {where}", (model_id, *chunk))
                        removed.update((model_id, bytes(key)) for (key,) in found)
        if removed:
            self.scrub()
        return removed

    def scrub(self) -> bool:
        """Copy the log into the file and truncate it to 0 bytes; False if a reader kept it.

        With ``secure_delete`` the pages written after a delete hold zeros where the rows
        were; the checkpoint puts them into the file and the truncation drops the log's older
        page images, which still hold the deleted bytes.
        """
        for attempt in range(_CHECKPOINT_TRIES):
            (busy, _, _) = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.01 * (attempt + 1))
        log.warning("embedding cache: the write-ahead log could not be truncated (busy)")
        return False

    def close(self) -> None:
        self.db.close()


class EmbeddingCache:
    """Caching :class:`Embedder` over an :class:`~matchsvc.scoring.encoder.Encoder`.

    Args:
        encoder: the model; its ``model_id`` is part of every key.
        path: the SQLite database file (parent directories are created); ``None`` keeps
            vectors in memory only.
        lru_size: vectors kept in memory (about ``4 * dim`` bytes each); ``0`` disables the
            in-memory layer. With ``path=None`` and ``lru_size=0`` nothing is cached and each
            call encodes its distinct texts (still once each, in one batch).
        ttl_seconds: a vector is served (from memory or disk) for this long after it was
            stored, then encoded again; expired rows are deleted from the file (module
            docstring). ``None``: no limit.
        max_entries: most rows in the file; past it the oldest are deleted after each write.
            ``None``: no cap. The in-memory layer is bounded by ``lru_size`` instead.
        clock: seconds since the epoch, for ``ttl_seconds`` (tests inject a fake one).
        tokens: how the model counts tokens, for long texts; default ``encoder`` when it is a
            :class:`~matchsvc.scoring.encoder.TokenCounter`, else no chunking (every text is
            sent whole and the model cuts what exceeds its window).

    Thread-safe: one lock guards the LRU, the database and the counters; it is released
    while the encoder runs, so two threads missing the same text may both encode it (same
    vector, stored once).

    Raises:
        ConfigError: a negative ``lru_size``, a non-positive ``ttl_seconds`` or
            ``max_entries``, or a database file that cannot be opened.
    """

    def __init__(
        self,
        encoder: Encoder,
        path: Path | None = None,
        *,
        lru_size: int = 50_000,
        ttl_seconds: float | None = None,
        max_entries: int | None = None,
        clock: Callable[[], float] = time.time,
        tokens: TokenCounter | None = None,
    ) -> None:
        if lru_size < 0:
            raise ConfigError(f"lru_size is {lru_size}; use 0 (off) or a positive number")
        if ttl_seconds is not None and not ttl_seconds > 0:
            raise ConfigError(f"ttl_seconds is {ttl_seconds}; use a positive number or None")
        if max_entries is not None and max_entries < 1:
            raise ConfigError(f"max_entries is {max_entries}; use a positive number or None")
        self._encoder = encoder
        self._tokens = (
            tokens if tokens is not None else encoder if isinstance(encoder, TokenCounter) else None
        )
        self._model_id = encoder.model_id
        self._dim = encoder.dim
        self._lru: OrderedDict[bytes, tuple[NDArray[np.float32], float]] = OrderedDict()
        self._lru_size = lru_size
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._hits = self._misses = self._encoded = self._calls = self._disk_hits = 0
        self._disk_errors = 0
        self._file: _VectorFile | None = None
        self._entries = 0  # rows in the file, an upper bound between evictions
        self._next_purge = 0.0
        self.path = path
        if path is not None:
            self._file = _VectorFile(path, clock)
            try:
                self._purge_locked()
                if max_entries is not None:
                    self._file.evict(max_entries)
                self._entries = self._file.count()
            except sqlite3.Error as exc:
                self._file.close()
                raise ConfigError(f"cannot open the embedding cache at {path}: {exc}") from exc

    @property
    def _db(self) -> sqlite3.Connection | None:
        """The database connection (tests break it on purpose)."""
        return None if self._file is None else self._file.db

    @property
    def model_id(self) -> str:
        """The encoder's model id."""
        return self._model_id

    @property
    def dim(self) -> int:
        """Vector length."""
        return self._dim

    @property
    def hits(self) -> int:
        """See :class:`CacheStats`."""
        return self._hits

    @property
    def misses(self) -> int:
        """See :class:`CacheStats`."""
        return self._misses

    @property
    def encoded(self) -> int:
        """See :class:`CacheStats`."""
        return self._encoded

    def stats(self) -> CacheStats:
        """A consistent snapshot of the counters."""
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                encoded=self._encoded,
                encoder_calls=self._calls,
                disk_hits=self._disk_hits,
                disk_errors=self._disk_errors,
            )

    def _cutoff(self, now: float) -> float | None:
        """Vectors stored at this time or before are expired; None without a TTL."""
        return None if self._ttl is None else now - self._ttl

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit float32 rows for ``texts``, shape ``(len(texts), dim)``.

        Duplicates (after normalisation) are looked up and encoded once; all misses are
        encoded in a single ``encoder.encode`` call. A text longer than the model's window is
        looked up and encoded as its pieces, then pooled (see the module docstring).

        Raises:
            ConfigError: the encoder returned the wrong shape or non-finite values.
        """
        normalized = [normalize_text(t) for t in texts]
        pieces = self._pieces(normalized)
        flat = [piece for text in pieces for piece in text]
        keys = [hashlib.sha256(t.encode("utf-8")).digest() for t in flat]
        first: dict[bytes, int] = {}
        for k, key in enumerate(keys):
            first.setdefault(key, k)
        found: dict[bytes, NDArray[np.float32]] = {}
        with self._lock:
            now = self._clock()
            cutoff = self._cutoff(now)
            for key in first:
                entry = self._lru.get(key)
                if entry is None:
                    continue
                if cutoff is not None and entry[1] <= cutoff:
                    del self._lru[key]
                    continue
                self._lru.move_to_end(key)
                found[key] = entry[0]
            if self._file is not None:
                from_disk = self._read([key for key in first if key not in found], cutoff)
                self._disk_hits += len(from_disk)
                for key, (vector, stored_at) in from_disk.items():
                    found[key] = vector
                    self._remember(key, vector, stored_at)
            missing = [key for key in first if key not in found]
            self._hits += len(first) - len(missing)
            self._misses += len(missing)
        if missing:
            vectors = self._encode([flat[first[key]] for key in missing])
            fresh = dict(zip(missing, vectors, strict=True))
            with self._lock:
                now = self._clock()
                self._encoded += len(missing)
                self._calls += 1
                for key, vector in fresh.items():
                    self._remember(key, vector, now)
                if self._file is not None:
                    self._write(fresh, now)
            found.update(fresh)
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        at = 0
        for k, text in enumerate(pieces):
            if len(text) == 1:
                out[k] = found[keys[at]]
            else:
                out[k] = pool(np.stack([found[key] for key in keys[at : at + len(text)]]))
            at += len(text)
        return out

    def _pieces(self, normalized: list[str]) -> list[list[str]]:
        """Each text's pieces: ``[text]``, or several for a text longer than the window."""
        if self._tokens is None:
            return [[t] for t in normalized]
        return [split_text(t, self._tokens) if t else [t] for t in normalized]

    def _encode(self, texts: list[str]) -> NDArray[np.float32]:
        vectors = np.asarray(self._encoder.encode(texts), dtype=np.float32)
        if vectors.shape != (len(texts), self._dim) or not np.isfinite(vectors).all():
            raise ConfigError(
                f"encoder {self._model_id!r} returned shape {vectors.shape} (or non-finite "
                f"values) for {len(texts)} texts; expected ({len(texts)}, {self._dim})"
            )
        vectors = vectors.copy()
        vectors.flags.writeable = False
        return vectors

    def _remember(self, key: bytes, vector: NDArray[np.float32], stored_at: float) -> None:
        """Keep ``vector`` in memory; ``stored_at`` is when it was first stored (expiry)."""
        if self._lru_size == 0:
            return
        self._lru[key] = (vector, stored_at)
        self._lru.move_to_end(key)
        while len(self._lru) > self._lru_size:
            self._lru.popitem(last=False)

    def _read(
        self, keys: list[bytes], cutoff: float | None
    ) -> dict[bytes, tuple[NDArray[np.float32], float]]:
        """Unexpired vectors on disk for ``keys``; a failing read counts as misses."""
        assert self._file is not None
        try:
            return self._file.read(self._model_id, keys, self._dim, cutoff)
        except sqlite3.Error:
            self._disk_errors += 1
            return {}

    def _write(self, fresh: dict[bytes, NDArray[np.float32]], now: float) -> None:
        assert self._file is not None
        rows = [
            (self._model_id, key, vector.astype("<f4").tobytes(), now)
            for key, vector in fresh.items()
        ]
        try:
            self._file.write(rows)
            self._entries += len(rows)
            if self._max_entries is not None and self._entries > self._max_entries:
                self._file.evict(self._max_entries)
                self._entries = self._file.count()
            if self._ttl is not None and now >= self._next_purge:
                self._purge_locked()
        except sqlite3.Error:  # the vectors are still returned; only persistence failed
            self._disk_errors += 1

    def _purge_locked(self) -> int:
        """Delete expired rows now (the lock is held or not needed yet)."""
        assert self._file is not None
        now = self._clock()
        cutoff = self._cutoff(now)
        if cutoff is None:
            return 0
        self._next_purge = now + min(_PURGE_EVERY_SECONDS, self._ttl or _PURGE_EVERY_SECONDS)
        removed = self._file.purge(cutoff)
        self._entries = max(0, self._entries - removed)
        return removed

    def purge_expired(self) -> int:
        """Delete the vectors older than ``ttl_seconds`` from memory and disk now.

        Returns how many rows left the file (0 without a file or a TTL). The file's deleted
        bytes are zeroed and the log truncated.

        Raises:
            ConfigError: the file could not be changed.
        """
        with self._lock:
            cutoff = self._cutoff(self._clock())
            if cutoff is None:
                return 0
            for key in [k for k, (_, at) in self._lru.items() if at <= cutoff]:
                del self._lru[key]
            if self._file is None:
                return 0
            try:
                return self._purge_locked()
            except sqlite3.Error as exc:
                raise ConfigError(
                    f"could not purge the embedding cache at {self.path}: {exc}"
                ) from exc

    def forget(self, texts: Iterable[str]) -> int:
        """Delete every cached vector of ``texts``: from memory, and from disk under every model.

        Returns how many entries were removed: distinct ``(model id, text)`` pairs found in
        memory or on disk. The file's deleted bytes are zeroed and the log truncated.

        Raises:
            ConfigError: the file could not be changed (nothing is reported removed).
        """
        keys = _keys_with_pieces(texts, self._tokens)
        with self._lock:
            removed = {(self._model_id, key) for key in keys if self._lru.pop(key, None)}
            if self._file is not None and keys:
                try:
                    on_disk = self._file.forget(keys)
                except sqlite3.Error as exc:
                    raise ConfigError(
                        f"could not erase from the embedding cache at {self.path}: {exc}"
                    ) from exc
                self._entries = max(0, self._entries - len(on_disk))
                removed |= on_disk
        return len(removed)

    def close(self) -> None:
        """Close the database (the in-memory layer keeps working)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _keys_with_pieces(texts: Iterable[str], tokens: TokenCounter | None) -> list[bytes]:
    """The cache keys of ``texts``: each text's own, and those of its pieces when ``tokens``
    says it is longer than the model's window (long texts are cached as their pieces)."""
    keys: dict[bytes, None] = {}
    for text in texts:
        normalized = normalize_text(text)
        keys[text_key(normalized)] = None
        if tokens is not None and normalized:
            keys.update(dict.fromkeys(text_key(p) for p in split_text(normalized, tokens)))
    return list(keys)


def forget_texts(path: Path, texts: Iterable[str], tokens: TokenCounter | None = None) -> int:
    """Delete the vectors of ``texts``, under every model id, from the cache file at ``path``.

    ``tokens`` (the model's token counting, e.g. :class:`~matchsvc.scoring.onnx_encoder.
    ModelTokens`) finds the pieces of long texts, which are cached under their own keys; without
    it only whole texts are erased.

    For a process that has no model loaded (``matchsvc forget``); a running service's
    in-memory copies are untouched (use :meth:`EmbeddingCache.forget` there). A missing file
    is not created: nothing was stored, 0 is returned.

    Returns:
        How many ``(model id, text)`` entries were removed.

    Raises:
        ConfigError: the file cannot be opened or changed.
    """
    if not path.exists():
        return 0
    keys = _keys_with_pieces(texts, tokens)
    store = _VectorFile(path, time.time)
    try:
        return len(store.forget(keys)) if keys else 0
    except sqlite3.Error as exc:
        raise ConfigError(f"could not erase from the embedding cache at {path}: {exc}") from exc
    finally:
        store.close()
