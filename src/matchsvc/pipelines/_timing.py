"""Stage timings of a pipeline run (``summary.timings_ms``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from matchsvc.scoring import Embedder

__all__ = ["Stopwatch"]

T = TypeVar("T")


class _TimedEmbedder:
    """Wraps an embedder and adds up the time spent in it."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seconds = 0.0

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        start = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - start


class Stopwatch:
    """Milliseconds spent per stage: ``embed``, ``score``, ``solve``, ``explain``."""

    def __init__(self) -> None:
        self._ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the time the block takes to stage ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self._add(name, time.perf_counter() - start)

    def scoring(self, build: Callable[[Embedder], T], embedder: Embedder) -> T:
        """Run ``build(embedder)``: time inside the embedder is ``embed``, the rest ``score``."""
        timed = _TimedEmbedder(embedder)
        start = time.perf_counter()
        try:
            return build(timed)
        finally:
            self._add("embed", timed.seconds)
            self._add("score", time.perf_counter() - start - timed.seconds)

    def _add(self, name: str, seconds: float) -> None:
        self._ms[name] = self._ms.get(name, 0.0) + seconds * 1000

    def timings(self) -> dict[str, float]:
        """Milliseconds per stage, rounded to microseconds, in the order the stages ran."""
        return {name: round(ms, 3) for name, ms in self._ms.items()}
