"""The ``pricing`` solver's view of the score rows: fixed blocks, read and checked one by one."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._checks import check_scores
from matchsvc.assignment._types import Problem
from matchsvc.errors import InvalidInputError

__all__ = ["BLOCK_CELLS", "RowBlocks"]

BoolArray = npt.NDArray[np.bool_]

BLOCK_CELLS = 1 << 22
"""Score cells per block read from the source (float32 blocks: 16 MB)."""


class RowBlocks:
    """The problem's score rows, block by block, as the source gives them (float32 kept).

    Blocks always start at multiples of :attr:`step`, whoever reads them (this process or a
    task on a cluster reading a span of rows, given the caller's ``step``), so a source is
    asked for the same blocks either way.
    """

    def __init__(self, problem: Problem, step: int | None = None) -> None:
        self.problem = problem
        m = problem.shape[1]
        self.step = step if step is not None else max(1, BLOCK_CELLS // max(m, 1))
        self.min_score = -np.inf if problem.min_score is None else float(problem.min_score)
        self._no_mask = np.zeros((1, 1), dtype=np.bool_)

    def __iter__(self) -> Iterator[tuple[int, npt.NDArray[np.floating], BoolArray, bool]]:
        return self.span(0, self.problem.shape[0])

    def span(
        self, r0: int, r1: int
    ) -> Iterator[tuple[int, npt.NDArray[np.floating], BoolArray, bool]]:
        """``(i0, scores, mask, use_mask)`` for the blocks of rows ``r0:r1`` (``r0`` a
        multiple of :attr:`step`)."""
        for i0 in range(r0, r1, self.step):
            i1 = min(i0 + self.step, r1)
            mask = self.problem.allowed
            if mask is None:
                yield i0, self.read(i0, i1), self._no_mask, False
            else:
                yield i0, self.read(i0, i1), mask[i0:i1], True

    def read(self, i0: int, i1: int) -> npt.NDArray[np.floating]:
        """Rows ``i0:i1`` (float32 or float64, C-contiguous, checked finite and within the
        magnitude limit)."""
        src = self.problem.scores
        if isinstance(src, np.ndarray):
            return src[i0:i1]  # validated float64 already
        s = np.asarray(src.block(i0, i1))
        if s.dtype not in (np.float32, np.float64):
            s = s.astype(np.float64)
        s = np.ascontiguousarray(s)
        expected = (i1 - i0, self.problem.shape[1])
        if s.shape != expected:
            raise InvalidInputError(
                f"scores.block({i0}, {i1}) returned shape {s.shape}, expected {expected}",
                field="scores",
            )
        check_scores(s, i0)
        return s
