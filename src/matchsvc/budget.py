"""The time budget of a synchronous request: refuse up front, then stop at stage boundaries.

How it is enforced (honestly: nothing here interrupts a running numpy, numba or torch call):

1. **Up front**, before any work: the request's cost is estimated from its size as
   ``pairs x seconds per pair`` for the operation (:data:`SECONDS_PER_PAIR`, measured on the
   2-core reference machine for scoring, solving, explaining and JSON, about 1.5x the measured
   rate). Over the budget: :class:`~matchsvc.errors.TimeBudgetExceededError` at once.
2. **Before embedding**: the embedding cache knows how many texts are new; if encoding them at the
   measured time per text (learned from every encoder call) would overrun the remaining budget,
   the request stops before the model runs.
3. **After embedding**: if the budget is already spent, the request stops before scoring. The new
   vectors are in the cache by then, so the same work submitted as a job starts warm.

Scoring, solving and explaining then run to completion: their cost was bounded in step 1, so a
request overruns its budget by at most the error of that estimate. Jobs and library calls run
without a budget (it is bound per request by :func:`time_budget`, in a context variable).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from matchsvc.errors import TimeBudgetExceededError
from matchsvc.scoring.cache import Embedder
from matchsvc.scoring.encoder import Encoder

__all__ = [
    "SECONDS_PER_CRITERION_PAIR",
    "SECONDS_PER_PAIR",
    "SECONDS_PER_RECORD",
    "SECONDS_PER_SKILL_PAIR",
    "BudgetedEncoder",
    "CheckpointedEmbedder",
    "checkpoint",
    "time_budget",
]

SECONDS_PER_PAIR: Mapping[str, float] = MappingProxyType(
    {
        "match": 3e-6,
        "match-fair": 3e-5,
        "match-floors": 6e-6,
        "recommend": 1e-5,
        "rematch": 5e-6,
        "rematch-max-moves": 3e-5,
        "score": 5e-6,
        "assign": 7e-6,
        "assign-fair": 3e-5,
        "learn": 5e-6,
        "audit": 3e-6,
        "peer-match": 3e-6,
        "peer-circles": 4.5e-4,
    }
)
"""Estimated seconds per mentee x mentor pair, by operation, for everything but embedding.

Measured through the HTTP app with a 1,000 x 400 and a 2,000 x 800 request (fake encoder, warm
cache) on 2 cores: match 1.9-2.2 us, fair match 9.6 us, recommend 5.6-7.0 us (an explanation per
suggestion), score 3.6 us, assign 4.5-5.0 us (mostly parsing the matrix), fair assign 18 us.
Fairness floors (``match-floors``) and ``audit`` were measured the same way on generated
programmes at load average 7.5: floors 1.4-3.0 us (the floors cost up to 2x a match's time at
10,000 x 2,000, hence twice match's rate), audit 0.7-2.2 us (scoring again, then the figures).
Peers count ``n (n - 1) / 2`` pairs for a pool of ``n`` (plus people x leaders), measured by
``python benchmarks/bench_peer.py --http`` (generated pools, hashing encoder, warm cache, load
average 3.1-4.5): ``peer-match`` 1.9, 1.3 and 0.9 us at 500, 1,000 and 2,000 people;
``peer-circles`` (sizes 3-5) 212, 311 and 278 us at 200, 400 and 800 people, four fifths of
it the upper bound's column generation (a synchronous request takes about 360 people).
"""

SECONDS_PER_SKILL_PAIR = 1e-8
"""Estimated seconds per (distinct mentee skill x mentor skill) of the skills facet: each
distinct skill a mentee wants is compared with every skill of every mentor. Measured at about
6 ns on 2 idle cores (600 x 600 people with 50 free-text skills each: 5.4 s)."""

SECONDS_PER_RECORD = 5e-4
"""Estimated seconds per feedback record of ``/learn`` (fit, 5-fold cross-validation and 1,000
bootstrap resamples: about 1 s for 10,000 records on 2 busy cores, 1.5x kept as margin, and
more for the many comparisons of small data: ``max(records, 2,000)`` records are charged)."""

SECONDS_PER_CRITERION_PAIR = 1e-8
"""Estimated seconds per criterion and pair (one facet matrix or mask each; measured at about
6 ns with 4,000 criteria on 1,000 x 1,000)."""

_JOB_HINT = "submit it as a job (POST /jobs) or split it"


@dataclass(frozen=True, slots=True)
class _Budget:
    seconds: float
    start: float
    what: str

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


_current: ContextVar[_Budget | None] = ContextVar("matchsvc_time_budget", default=None)


@contextmanager
def time_budget(
    seconds: float,
    *,
    operation: str,
    pairs: int,
    skill_pairs: int = 0,
    criteria: int = 0,
    records: int = 0,
) -> Iterator[None]:
    """Run the block under a budget of ``seconds`` (0: none), refusing it up front if too big.

    The estimate is ``pairs x SECONDS_PER_PAIR[operation] + skill_pairs x
    SECONDS_PER_SKILL_PAIR + criteria x pairs x SECONDS_PER_CRITERION_PAIR`` plus, for
    ``records``, ``max(records, 2000) x SECONDS_PER_RECORD``.

    Args:
        seconds: the budget (``MATCHSVC_REQUEST_TIMEOUT_SECONDS``); 0 disables every check.
        operation: a key of :data:`SECONDS_PER_PAIR`.
        pairs: mentees x mentors (rows x columns for a score matrix).
        skill_pairs: distinct mentee skills x skills listed by all mentors.
        criteria: the request's criteria.
        records: feedback records to learn from (``/learn``; see :data:`SECONDS_PER_RECORD`).

    Raises:
        TimeBudgetExceededError: the estimate exceeds the budget (before the block runs), or a
            :func:`checkpoint` inside the block finds it spent.
        KeyError: ``operation`` is not in :data:`SECONDS_PER_PAIR` (a programming error).
    """
    rate = SECONDS_PER_PAIR[operation]
    if seconds <= 0:
        yield
        return
    estimate = (
        pairs * rate
        + skill_pairs * SECONDS_PER_SKILL_PAIR
        + criteria * pairs * SECONDS_PER_CRITERION_PAIR
        + (max(records, 2000) * SECONDS_PER_RECORD if records else 0.0)
    )
    if estimate > seconds:
        raise TimeBudgetExceededError(
            f"{operation} of {pairs} pairs is estimated at {estimate:.1f} s, over the {seconds:g} s "
            f"budget of a synchronous request (MATCHSVC_REQUEST_TIMEOUT_SECONDS): {_JOB_HINT}"
        )
    token = _current.set(_Budget(seconds, time.perf_counter(), operation))
    try:
        yield
    finally:
        _current.reset(token)


def checkpoint(stage: str, upcoming_seconds: float = 0.0, upcoming: str = "") -> None:
    """Raise TimeBudgetExceededError if the current budget is spent, or would be by work
    estimated at ``upcoming_seconds`` (described by ``upcoming``). No budget: does nothing."""
    budget = _current.get()
    if budget is None:
        return
    elapsed = budget.elapsed()
    if elapsed + upcoming_seconds <= budget.seconds:
        return
    if upcoming_seconds > 0:
        why = (
            f"after {elapsed:.1f} s, {upcoming} would take about {upcoming_seconds:.1f} s more, "
            f"over the {budget.seconds:g} s budget"
        )
    else:
        why = f"the {budget.seconds:g} s budget was spent after the {stage} stage ({elapsed:.1f} s)"
    raise TimeBudgetExceededError(
        f"{budget.what} stopped before it finished: {why} of a synchronous request "
        f"(MATCHSVC_REQUEST_TIMEOUT_SECONDS): {_JOB_HINT}"
    )


class BudgetedEncoder:
    """An :class:`~matchsvc.scoring.encoder.Encoder` that checks the budget before encoding.

    It measures seconds per text on every call of at least ``min_batch`` texts (moving average)
    and, under a budget, refuses a batch whose estimated time does not fit what is left.
    Passes ``model_id`` and ``dim`` through, so cache keys are unchanged.
    """

    def __init__(
        self, inner: Encoder, *, seconds_per_text: float = 0.02, min_batch: int = 16
    ) -> None:
        self.inner = inner
        self.seconds_per_text = seconds_per_text
        self.min_batch = min_batch
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """The wrapped encoder's model id."""
        return self.inner.model_id

    @property
    def dim(self) -> int:
        """The wrapped encoder's vector length."""
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """The wrapped encoder's vectors, after a budget check (see class doc)."""
        estimate = len(texts) * self.seconds_per_text
        checkpoint("embed", estimate, f"embedding {len(texts)} new texts")
        start = time.perf_counter()
        vectors = self.inner.encode(texts)
        if len(texts) >= self.min_batch:
            rate = (time.perf_counter() - start) / len(texts)
            with self._lock:
                self.seconds_per_text = 0.7 * self.seconds_per_text + 0.3 * rate
        return vectors


class CheckpointedEmbedder:
    """An :class:`~matchsvc.scoring.cache.Embedder` that checks the budget after embedding."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """The wrapped embedder's vectors; raises if the budget ran out meanwhile."""
        vectors = self.inner.embed(texts)
        checkpoint("embed")
        return vectors
