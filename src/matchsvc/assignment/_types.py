"""Data types shared by every solver: the validated problem, a solver's result, the public output.

Invariants (checked by the conformance tests):

* ``pairs`` is int64 of shape ``(k, 2)`` (mentee index, mentor index), sorted lexicographically,
  without duplicates; ``scores`` is float64 ``(k,)`` aligned with ``pairs``.
* ``unmatched`` (int64 per mentee) is the demand left unmet, ``loads`` (int64 per mentor) the
  number of mentees each mentor received.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._checks import check_scores
from matchsvc.errors import InvalidInputError

__all__ = [
    "Assignment",
    "BlockScores",
    "Certificate",
    "Problem",
    "Solver",
    "SolverResult",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@runtime_checkable
class BlockScores(Protocol):
    """A score matrix too large to materialise: ``block(i0, i1)`` returns rows ``i0:i1``.

    ``shape`` is ``(n_mentees, n_mentors)``; ``block`` returns an array of shape
    ``(i1 - i0, n_mentors)`` (any float dtype; it is converted to float64 block by block).
    """

    @property
    def shape(self) -> tuple[int, int]: ...

    def block(self, i0: int, i1: int) -> npt.ArrayLike: ...


@dataclass(frozen=True)
class Certificate:
    """Dual prices proving that an assignment is optimal (flow convention, cost = -score).

    With ``pi`` the node potentials, every residual arc has a non-negative reduced cost:

    * allowed pair not matched: ``-score + mentee_potential[i] - mentor_potential[j] >= 0``
    * matched pair: ``-score + mentee_potential[i] - mentor_potential[j] <= 0``
    * mentee with unmet demand: ``mentee_potential[i] <= source_potential``;
      mentee with at least one match: ``mentee_potential[i] >= source_potential``
    * mentor with spare capacity: ``mentor_potential[j] >= sink_potential``;
      mentor with at least one mentee: ``mentor_potential[j] <= sink_potential``

    so the residual graph has no negative cycle (minimum cost for the matched count).
    ``reach_mentees``/``reach_mentors`` mark the nodes reachable from the source in the residual
    graph; no reachable mentor has spare capacity, which proves the matched count maximal
    (a minimum cut, Koenig/Ford-Fulkerson).
    """

    mentee_potential: FloatArray
    mentor_potential: FloatArray
    source_potential: float
    sink_potential: float
    reach_mentees: BoolArray
    reach_mentors: BoolArray


@dataclass(frozen=True)
class Assignment:
    """The result of :func:`matchsvc.assignment.assign`.

    Attributes:
        pairs: int64 ``(k, 2)`` ``(mentee, mentor)`` index pairs, sorted lexicographically,
            no duplicates.
        scores: float64 ``(k,)``, the score of each pair, aligned with ``pairs``.
        total: ``scores.sum()`` (summed in pair order).
        unmatched: int64 ``(n_mentees,)``, demand left unmet per mentee.
        loads: int64 ``(n_mentors,)``, mentees assigned per mentor.
        solver: name of the solver that produced the pairs (``"auto"`` is resolved).
        optimal: True only when the solver is exact (and, where it produces one, the
            certificate holds).
        objective: ``"total"`` or ``"fair"``.
        certificate: dual prices and a minimum cut where the solver provides them.
        stats: what the solver did (e.g. the ``pricing`` solver's rounds and passes); empty for
            solvers that report nothing. Informational: never part of the answer's contract.
    """

    pairs: IntArray
    scores: FloatArray
    total: float
    unmatched: IntArray
    loads: IntArray
    solver: str
    optimal: bool
    objective: str
    certificate: Certificate | None = field(default=None, compare=False)
    stats: Mapping[str, int | float | bool] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )

    @property
    def n_matched(self) -> int:
        """Number of matched (mentee, mentor) pairs."""
        return int(self.pairs.shape[0])


@dataclass(frozen=True)
class Problem:
    """A validated problem: only solvers see it.

    ``scores`` is either a dense float64 ``(n, m)`` array or a :class:`BlockScores`;
    ``allowed`` is None (all pairs allowed) or a bool ``(n, m)`` array; pairs with
    ``score < min_score`` are forbidden too. ``capacity`` and ``demand`` are int64, >= 0.
    """

    scores: FloatArray | BlockScores
    capacity: IntArray
    demand: IntArray
    allowed: BoolArray | None
    min_score: float | None

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentees, n_mentors)``."""
        return (int(self.demand.shape[0]), int(self.capacity.shape[0]))

    @property
    def is_dense(self) -> bool:
        """True when the scores are an in-memory array."""
        return isinstance(self.scores, np.ndarray)

    def block(self, i0: int, i1: int) -> tuple[FloatArray, BoolArray]:
        """Scores (float64) and the allowed mask of mentee rows ``i0:i1``."""
        if isinstance(self.scores, np.ndarray):
            s = self.scores[i0:i1]
        else:
            s = np.ascontiguousarray(self.scores.block(i0, i1), dtype=np.float64)
            expected = (i1 - i0, self.shape[1])
            if s.shape != expected:
                raise InvalidInputError(
                    f"scores.block({i0}, {i1}) returned shape {s.shape}, expected {expected}",
                    field="scores",
                )
            check_scores(s, i0)
        mask = (
            np.ones(s.shape, dtype=np.bool_) if self.allowed is None else self.allowed[i0:i1].copy()
        )
        if self.min_score is not None:
            mask &= s >= self.min_score
        return s, mask

    def dense(self) -> tuple[FloatArray, BoolArray]:
        """The whole score matrix and allowed mask (materialises a block source)."""
        return self.block(0, self.shape[0])

    def with_min_score(self, min_score: float) -> Problem:
        """The same problem with ``min_score`` raised to at least ``min_score``."""
        ms = min_score if self.min_score is None else max(min_score, self.min_score)
        return Problem(self.scores, self.capacity, self.demand, self.allowed, ms)


@dataclass(frozen=True)
class SolverResult:
    """What a solver returns: the matched pairs (any order) and whether optimality is proven.

    ``scores`` (aligned with ``pairs``, read from the problem) saves a pass over a block source;
    ``stats`` reports what this solve did (solvers keep no state between calls, so one solver
    object may serve several threads).
    """

    pairs: IntArray
    optimal: bool
    certificate: Certificate | None = None
    scores: FloatArray | None = None
    stats: Mapping[str, int | float | bool] = field(default_factory=dict)


class Solver(Protocol):
    """The interface every solver implements; it sees only a validated :class:`Problem`."""

    @property
    def name(self) -> str: ...

    @property
    def exact(self) -> bool: ...

    def solve(self, problem: Problem) -> SolverResult: ...
