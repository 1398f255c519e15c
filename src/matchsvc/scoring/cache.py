"""Embedding cache: text -> unit vector, keyed by model and text hash, in memory and on disk.

Lookup order: an in-process LRU, then an optional SQLite file, then the encoder. All misses of a
call go to the encoder in ONE ``encode`` call (it sorts by length internally, so one big batch
pads least). The key is ``(model_id, sha256(normalize_text(text)))``; the database stores the
model id, the 32-byte digest and the float32 vector, never the text.

The text sent to the encoder is the normalised text, so a vector depends only on its key: two
texts that normalise alike share one vector whatever the cache held before (determinism).

**Long texts.** When the encoder is a :class:`~matchsvc.scoring.encoder.TokenCounter` (both
bundled backends are), a text longer than the model's window is encoded in pieces and the
pieces' vectors are pooled (:mod:`matchsvc.scoring._chunks` states the rule). The cache then
holds the *pieces*, each under its own key: a short text is its own single piece (key and
vector as without chunking), and a long text's vector is rebuilt from its pieces on every
call, so no key ever maps to a vector of a truncated long text.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from matchsvc.errors import ConfigError
from matchsvc.scoring._chunks import pool, split_text
from matchsvc.scoring.encoder import Encoder, TokenCounter

__all__ = ["CacheStats", "Embedder", "EmbeddingCache", "normalize_text", "text_key"]

_SCHEMA_VERSION = "1"
_SQL_CHUNK = 500  # keys per SELECT ... IN (...), well under SQLite's variable limit


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


class EmbeddingCache:
    """Caching :class:`Embedder` over an :class:`~matchsvc.scoring.encoder.Encoder`.

    Args:
        encoder: the model; its ``model_id`` is part of every key.
        path: the SQLite database file (parent directories are created); ``None`` keeps
            vectors in memory only.
        lru_size: vectors kept in memory (about ``4 * dim`` bytes each); ``0`` disables the
            in-memory layer. With ``path=None`` and ``lru_size=0`` nothing is cached and each
            call encodes its distinct texts (still once each, in one batch).
        tokens: how the model counts tokens, for long texts; default ``encoder`` when it is a
            :class:`~matchsvc.scoring.encoder.TokenCounter`, else no chunking (every text is
            sent whole and the model cuts what exceeds its window).

    Thread-safe: one lock guards the LRU, the database and the counters; it is released
    while the encoder runs, so two threads missing the same text may both encode it (same
    vector, stored once).
    """

    def __init__(
        self,
        encoder: Encoder,
        path: Path | None = None,
        *,
        lru_size: int = 50_000,
        tokens: TokenCounter | None = None,
    ) -> None:
        if lru_size < 0:
            raise ConfigError(f"lru_size is {lru_size}; use 0 (off) or a positive number")
        self._encoder = encoder
        self._tokens = (
            tokens if tokens is not None else encoder if isinstance(encoder, TokenCounter) else None
        )
        self._model_id = encoder.model_id
        self._dim = encoder.dim
        self._lru: OrderedDict[bytes, NDArray[np.float32]] = OrderedDict()
        self._lru_size = lru_size
        self._lock = threading.Lock()
        self._hits = self._misses = self._encoded = self._calls = self._disk_hits = 0
        self._disk_errors = 0
        self._db: sqlite3.Connection | None = None
        self.path = path
        if path is not None:
            self._db = self._open(path)

    def _open(self, path: Path) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (model_id TEXT NOT NULL, "
                "text_sha256 BLOB NOT NULL, vector BLOB NOT NULL, "
                "PRIMARY KEY (model_id, text_sha256)) WITHOUT ROWID"
            )
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (_SCHEMA_VERSION,)
            )
            (version,) = db.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(f"cannot open the embedding cache at {path}: {exc}") from exc
        if version != _SCHEMA_VERSION:
            db.close()
            raise ConfigError(
                f"the embedding cache at {path} has schema {version}, expected "
                f"{_SCHEMA_VERSION}: delete the file to rebuild it"
            )
        return db

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
            for key in first:
                vector = self._lru.get(key)
                if vector is not None:
                    self._lru.move_to_end(key)
                    found[key] = vector
            if self._db is not None:
                from_disk = self._read([key for key in first if key not in found])
                self._disk_hits += len(from_disk)
                for key, vector in from_disk.items():
                    found[key] = vector
                    self._remember(key, vector)
            missing = [key for key in first if key not in found]
            self._hits += len(first) - len(missing)
            self._misses += len(missing)
        if missing:
            vectors = self._encode([flat[first[key]] for key in missing])
            fresh = dict(zip(missing, vectors, strict=True))
            with self._lock:
                self._encoded += len(missing)
                self._calls += 1
                for key, vector in fresh.items():
                    self._remember(key, vector)
                if self._db is not None:
                    self._write(fresh)
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

    def _remember(self, key: bytes, vector: NDArray[np.float32]) -> None:
        if self._lru_size == 0:
            return
        self._lru[key] = vector
        self._lru.move_to_end(key)
        while len(self._lru) > self._lru_size:
            self._lru.popitem(last=False)

    def _read(self, keys: list[bytes]) -> dict[bytes, NDArray[np.float32]]:
        """Vectors on disk for ``keys``; a failing read counts as misses (and a disk error)."""
        try:
            return self._read_rows(keys)
        except sqlite3.Error:
            self._disk_errors += 1
            return {}

    def _read_rows(self, keys: list[bytes]) -> dict[bytes, NDArray[np.float32]]:
        assert self._db is not None
        out: dict[bytes, NDArray[np.float32]] = {}
        for start in range(0, len(keys), _SQL_CHUNK):
            chunk = keys[start : start + _SQL_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT text_sha256, vector FROM embeddings "
                f"WHERE model_id = ? AND text_sha256 IN ({marks})",
                (self._model_id, *chunk),
            )
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype="<f4")
                if vector.shape == (self._dim,):  # a wrong-length row is treated as a miss
                    out[bytes(key)] = vector.astype(np.float32)
        return out

    def _write(self, fresh: dict[bytes, NDArray[np.float32]]) -> None:
        assert self._db is not None
        rows = [
            (self._model_id, key, vector.astype("<f4").tobytes()) for key, vector in fresh.items()
        ]
        try:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)", rows)
        except sqlite3.Error:  # the vectors are still returned; only persistence failed
            self._disk_errors += 1

    def close(self) -> None:
        """Close the database (the in-memory layer keeps working)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
