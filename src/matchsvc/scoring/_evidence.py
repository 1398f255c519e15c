"""Which evidence each pair has: per-person bit patterns of the fields filled in.

The missing-data rule (see :mod:`matchsvc.scoring._compatibility`) needs, for every pair and
facet, which parts of the facet both people filled in. A person's filled parts are a bit pattern
(part ``p`` = bit ``1 << p``); a pair has part ``p`` when both patterns have it. So a facet's
coverage for every pair is a lookup in a small table indexed by the two patterns, and nothing of
size ``(n, m)`` is stored for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from matchsvc.scoring._facets import MISSING

__all__ = ["Evidence", "any_shared", "bits", "blank_missing", "readonly", "simple", "zero_missing"]

_A = TypeVar("_A", bound=np.ndarray[Any, Any])


def readonly(array: _A) -> _A:
    """``array``, made read-only."""
    array.flags.writeable = False
    return array


@dataclass(frozen=True, slots=True)
class Evidence:
    """Which parts of a facet each person filled in, as bit patterns, and the parts' blend.

    Attributes:
        blend: the blend weight of each part (part ``p`` is bit ``1 << p``).
        mentees, mentors: uint8 patterns, one per person.
        table: ``table[a, b]``, the blend weight of the parts present in both patterns.
    """

    blend: tuple[float, ...]
    mentees: NDArray[np.uint8]
    mentors: NDArray[np.uint8]
    table: NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        size = 1 << len(self.blend)
        both = np.arange(size)[:, None] & np.arange(size)[None, :]
        table = np.zeros((size, size), dtype=np.float64)
        for bit, weight in enumerate(self.blend):
            table += weight * ((both >> bit) & 1)
        object.__setattr__(self, "table", readonly(table))


def bits(*flags: tuple[int, NDArray[np.bool_]]) -> NDArray[np.uint8]:
    """A bit pattern per person: ``sum(bit * flag)``."""
    out = np.zeros(flags[0][1].shape, dtype=np.uint8)
    for bit, flag in flags:
        out |= np.uint8(bit) * flag.astype(np.uint8)
    return readonly(out)


def simple(left: NDArray[np.bool_], right: NDArray[np.bool_]) -> Evidence:
    """The evidence of a facet of one part: who filled it in on each side."""
    return Evidence((1.0,), bits((1, left)), bits((1, right)))


def blank_missing(facet: NDArray[np.float32], ev: Evidence) -> None:
    """Set ``facet`` to NaN (missing) where no part of it was compared (in place)."""
    none = (ev.mentees[:, None] & ev.mentors[None, :]) == 0
    facet[none] = MISSING


def zero_missing(facet: NDArray[np.float32]) -> NDArray[np.float32]:
    """NaN -> 0 in place (``fmax`` ignores NaN): a missing part adds nothing."""
    return np.fmax(facet, np.float32(0.0), out=facet)


def any_shared(
    left: Sequence[frozenset[str]], right: Sequence[frozenset[str]]
) -> NDArray[np.float32]:
    """1.0 where the two sets share an element, else 0.0; ``(len(left), len(right))``."""
    vocab = {e: k for k, e in enumerate(sorted(set().union(*left, *right)))}
    hot_l = np.zeros((len(left), len(vocab)), dtype=np.float32)
    hot_r = np.zeros((len(right), len(vocab)), dtype=np.float32)
    for hot, sets in ((hot_l, left), (hot_r, right)):
        for i, s in enumerate(sets):
            hot[i, [vocab[e] for e in s]] = 1.0
    out: NDArray[np.float32] = ((hot_l @ hot_r.T) > 0).astype(np.float32)
    return out
