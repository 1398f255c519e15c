"""The pricing solver's passes cut into spans (a BlockExecutor): byte-identical to in-process.

Blocks are made small (``BLOCK_CELLS`` patched) so that a pass has many blocks and spans.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchsvc.assignment import Assignment, SerialExecutor, assign
from matchsvc.assignment import _blocks as blocks_module
from matchsvc.assignment._blocks import RowBlocks
from matchsvc.assignment._partitioned import _keep_insertable, _top_task, candidate_pass, row_spans
from matchsvc.assignment._scan import top_scan
from matchsvc.assignment._validate import validate
from matchsvc.errors import InvalidInputError


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(blocks_module, "BLOCK_CELLS", 600)
    yield


def _same(a: Assignment, b: Assignment) -> None:
    """The same answer, bit for bit: pairs, scores, certificate, and the same work."""
    assert np.array_equal(a.pairs, b.pairs)
    assert a.scores.tobytes() == b.scores.tobytes()
    assert a.total == b.total
    assert a.certificate is not None and b.certificate is not None
    for name in ("mentee_potential", "mentor_potential", "reach_mentees", "reach_mentors"):
        assert getattr(a.certificate, name).tobytes() == getattr(b.certificate, name).tobytes()
    assert (a.certificate.source_potential, a.certificate.sink_potential) == (
        b.certificate.source_potential,
        b.certificate.sink_potential,
    )
    assert dict(a.stats) == dict(b.stats)


class Float32Source:
    """A block source giving float32 rows (as embeddings would)."""

    def __init__(self, scores: np.ndarray) -> None:  # type: ignore[type-arg]
        self.s = scores.astype(np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.s.shape[0]), int(self.s.shape[1]))

    def block(self, i0: int, i1: int) -> np.ndarray:  # type: ignore[type-arg]
        return self.s[i0:i1]


class TestSpans:
    @pytest.mark.parametrize(
        ("n", "step", "parts", "expected"),
        [
            (10, 3, 2, [(0, 6), (6, 10)]),
            (10, 3, 10, [(0, 3), (3, 6), (6, 9), (9, 10)]),
            (9, 3, 2, [(0, 3), (3, 9)]),
            (5, 8, 4, [(0, 5)]),
            (0, 8, 4, []),
        ],
    )
    def test_spans_are_whole_blocks_covering_every_row(
        self, n: int, step: int, parts: int, expected: list[tuple[int, int]]
    ) -> None:
        assert row_spans(n, step, parts) == expected

    def test_an_executor_needs_a_slot(self) -> None:
        with pytest.raises(InvalidInputError, match="parallelism is 0"):
            SerialExecutor(0)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    n=st.integers(1, 300),
    m=st.integers(1, 25),
    levels=st.integers(1, 4),
    r=st.integers(0, 9),
    k=st.integers(1, 5),
    parts=st.integers(1, 6),
    masked=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_the_candidate_pass_leaves_the_in_process_heaps_exactly(
    n: int, m: int, levels: int, r: int, k: int, parts: int, masked: bool, seed: int
) -> None:
    """Ties everywhere (few score levels, tied shifts): the heaps' kept sets depend on their
    history, and the replay must reproduce it, position by position."""
    blocks_module.BLOCK_CELLS = 40  # several blocks per span even for small n
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, levels + 1, (n, m)).astype(np.float64)
    allowed = rng.random((n, m)) < 0.8 if masked else None
    problem = validate(scores, 1, 1, allowed, "total", 1.0 if levels > 2 else None)
    blocks = RowBlocks(problem)
    k = min(k, m)
    rowshift = rng.integers(0, 2, n).astype(np.float64)
    colshift = rng.integers(0, 2, m).astype(np.float64)
    seed_keys = np.unique(rng.integers(0, n * m, 5)).astype(np.int64)
    ref = {
        "row_val": np.full((n, k), -np.inf),
        "row_col": np.zeros((n, k), np.int64),
        "row_s": np.zeros((n, k)),
        "col_val": np.empty((m, r)),
        "col_row": np.zeros((m, r), np.int64),
        "col_s": np.empty((m, r)),
        "col_cnt": np.zeros(m, np.int64),
    }
    for i0, s, mask, use_mask in blocks:
        top_scan(s, i0, rowshift, colshift, k, *ref.values(), mask, use_mask, blocks.min_score)
    with SerialExecutor(parts).bind(problem) as runner:
        got = candidate_pass(runner, blocks, k, r, rowshift, colshift, seed_keys)
    for name in ("row_val", "row_col", "row_s", "col_cnt"):
        assert np.array_equal(getattr(got, name), ref[name]), name
    have = np.arange(r)[None, :] < ref["col_cnt"][:, None]
    for name in ("col_val", "col_row", "col_s"):  # same heap, same positions
        assert np.array_equal(getattr(got, name)[have], ref[name][have]), name
    assert np.array_equal(got.seed_s, scores[seed_keys // m, seed_keys % m])
    assert got.scale == max(1.0, float(np.abs(scores).max()))


def test_records_that_cannot_enter_a_full_heap_never_travel() -> None:
    """Rows in decreasing score order: the first span fills every heap with its best rows,
    so every element of a later span is at or below that floor and is dropped at its task."""
    blocks_module.BLOCK_CELLS = 40
    n, m, r = 60, 4, 3
    scores = -np.repeat(np.arange(n, dtype=np.float64)[:, None], m, axis=1)
    problem = validate(scores, 1, 1, None, "total", None)
    shared = (RowBlocks(problem).step, 1, r, np.zeros(n), np.zeros(m))
    first, records_first = _top_task(problem, 0, 30, shared, np.zeros(0, np.int64))
    _, records_later = _top_task(problem, 30, 60, shared, np.zeros(0, np.int64))
    assert records_first[0].size == m * r  # the first span's first r rows fill each heap
    assert records_later[0].size == m * r  # a later span's heaps start empty too...
    floor = first[3]  # ...but its elements are all below the first span's r-th best
    assert np.array_equal(floor, np.full(m, -2.0))
    kept = _keep_insertable(records_later, shared, floor)
    assert kept[0].size == 0


def _dense(seed: int, n: int = 230, m: int = 17) -> np.ndarray:  # type: ignore[type-arg]
    rng = np.random.default_rng(seed)
    return np.rint(40 * rng.random((n, m))) / 4  # ties


@pytest.mark.parametrize("parallelism", [1, 2, 5])
def test_assign_through_an_executor_is_byte_identical(parallelism: int) -> None:
    s = _dense(1)
    here = assign(s, capacity=3, solver="pricing")
    there = assign(s, capacity=3, solver="pricing", executor=SerialExecutor(parallelism))
    _same(here, there)
    assert here.stats["passes"] >= 2


def test_a_float32_block_source_with_a_mask_and_min_score_is_byte_identical() -> None:
    s = _dense(2, 300, 21)
    rng = np.random.default_rng(2)
    allowed = rng.random(s.shape) < 0.7
    kw = {"capacity": rng.integers(0, 5, 21), "demand": 2, "allowed": allowed, "min_score": 2.0}
    here = assign(Float32Source(s), solver="pricing", **kw)  # type: ignore[arg-type]
    there = assign(Float32Source(s), solver="pricing", executor=SerialExecutor(3), **kw)  # type: ignore[arg-type]
    _same(here, there)


def test_a_warm_start_and_the_fair_objective_are_byte_identical() -> None:
    s = _dense(3)
    first = assign(s, capacity=3, solver="pricing")
    changed = s.copy()
    changed[:20] = changed[:20][::-1]
    here = assign(changed, capacity=3, warm_start=first)
    there = assign(changed, capacity=3, warm_start=first, executor=SerialExecutor(4))
    _same(here, there)
    assert here.stats["warm_started"]
    fair_here = assign(s, capacity=3, solver="pricing", objective="fair")
    fair_there = assign(
        s, capacity=3, solver="pricing", objective="fair", executor=SerialExecutor(4)
    )
    _same(fair_here, fair_there)


def test_auto_hands_the_executor_to_pricing_only() -> None:
    small = _dense(4, 20, 5)  # auto picks flow: the executor is not used
    assert assign(small, capacity=4, executor=SerialExecutor(2)).solver == "flow"
    big = Float32Source(_dense(5))  # a block source: auto picks pricing
    _same(
        assign(big, capacity=3),  # type: ignore[arg-type]
        assign(big, capacity=3, executor=SerialExecutor(2)),  # type: ignore[arg-type]
    )


def test_a_bad_block_fails_as_in_process() -> None:
    s = _dense(6)
    s[150, 4] = np.nan
    src = Float32Source(np.nan_to_num(s))
    src.s[150, 4] = np.nan
    with pytest.raises(InvalidInputError) as here:
        assign(src, capacity=3, solver="pricing")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError) as there:
        assign(src, capacity=3, solver="pricing", executor=SerialExecutor(3))  # type: ignore[arg-type]
    assert (
        there.value.message
        == here.value.message
        == ("scores contains nan at (150, 4); use allowed=False to forbid a pair")
    )
