"""The time budget as a library: refused up front, at checkpoints, and before encoding."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from matchsvc.budget import (
    SECONDS_PER_PAIR,
    BudgetedEncoder,
    CheckpointedEmbedder,
    checkpoint,
    time_budget,
)
from matchsvc.errors import TimeBudgetExceededError


class SlowEncoder:
    """Sleeps ``delay`` seconds per call; every text maps to the same unit vector."""

    model_id = "slow"
    dim = 2

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls += 1
        time.sleep(self.delay)
        return np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(texts), 1))


def test_an_estimate_over_the_budget_is_refused_before_the_block_runs() -> None:
    ran = False
    pairs = int(2.0 / SECONDS_PER_PAIR["match"]) + 1  # just over 2 s
    over = r"estimated at 2\.0 s, over the 2 s budget"
    with (
        pytest.raises(TimeBudgetExceededError, match=over),
        time_budget(2.0, operation="match", pairs=pairs),
    ):
        ran = True
    assert not ran
    with time_budget(2.0, operation="match", pairs=pairs - 10):
        ran = True
    assert ran


def test_a_zero_budget_checks_nothing_and_unknown_operations_are_a_bug() -> None:
    with time_budget(0, operation="match", pairs=10**12):
        checkpoint("embed", upcoming_seconds=1e9)
    with pytest.raises(KeyError), time_budget(0, operation="no-such-operation", pairs=1):
        pass


def test_checkpoints_stop_a_spent_budget_and_do_nothing_outside_one() -> None:
    checkpoint("embed", upcoming_seconds=1e9)  # no budget bound: nothing happens
    with time_budget(0.05, operation="match", pairs=1):
        checkpoint("embed")
        with pytest.raises(TimeBudgetExceededError, match="embedding 9 new texts would take"):
            checkpoint("embed", upcoming_seconds=10.0, upcoming="embedding 9 new texts")
        time.sleep(0.06)
        with pytest.raises(TimeBudgetExceededError, match="spent after the embed stage"):
            checkpoint("embed")


def test_the_budgeted_encoder_refuses_a_batch_that_cannot_fit() -> None:
    inner = SlowEncoder()
    encoder = BudgetedEncoder(inner, seconds_per_text=0.5)
    assert (encoder.model_id, encoder.dim) == ("slow", 2)
    with time_budget(1.0, operation="match", pairs=1):
        encoder.encode(["a"])
        with pytest.raises(TimeBudgetExceededError):
            encoder.encode(["a", "b", "c"])  # 1.5 s estimated
    assert inner.calls == 1
    encoder.encode(["a", "b", "c"])  # no budget: runs


def test_the_budgeted_encoder_learns_its_rate_from_large_batches() -> None:
    encoder = BudgetedEncoder(SlowEncoder(delay=0.0), seconds_per_text=1.0, min_batch=4)
    encoder.encode(["a"] * 3)
    assert encoder.seconds_per_text == 1.0  # too small a batch to measure
    encoder.encode(["a"] * 8)
    assert 0.7 <= encoder.seconds_per_text < 0.71  # 0.7 * old + 0.3 * (about 0)


def test_the_checkpointed_embedder_stops_after_a_slow_embedding() -> None:
    class Embedder:
        def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
            time.sleep(0.06)
            return np.zeros((len(texts), 2), dtype=np.float32)

    wrapped = CheckpointedEmbedder(Embedder())
    assert wrapped.embed(["a"]).shape == (1, 2)
    spent = pytest.raises(TimeBudgetExceededError, match="after the embed stage")
    with time_budget(0.05, operation="match", pairs=1), spent:
        wrapped.embed(["a"])
