"""The matching problem: built and validated once, then consumed by every mode.

::

    profiles -> scoring (Compatibility) -> MatchProblem -> assignment -> explain -> pipelines

A :class:`MatchProblem` holds everything a mode needs about one mentee x mentor programme: the ids,
scores and facet matrices (its :class:`~matchsvc.scoring.Compatibility`), each mentor's capacity
and each mentee's demand as arrays, the pairs the hard constraints allow, and ``min_score``.
Match, recommend and re-match are functions over it; re-match's bans, locked pairs and bonuses
are transforms of it (:meth:`MatchProblem.without`, :meth:`MatchProblem.reserve`, the ``weights``
of :meth:`MatchProblem.solve`). Pure core: no web types.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from matchsvc.assignment import Assignment, BlockExecutor, Solver, assign
from matchsvc.bounds import MAX_COUNT
from matchsvc.errors import InfeasibleError, InvalidInputError
from matchsvc.profiles import Profile
from matchsvc.scoring import Compatibility, Embedder, ScoringOptions, build_compatibility

__all__ = ["MatchProblem", "check_min_score"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def check_min_score(min_score: float | None, field: str = "options.min_score") -> None:
    """Raise InvalidInputError unless ``min_score`` is None or a finite number in [0, 1]."""
    if min_score is None:
        return
    number = isinstance(min_score, int | float) and not isinstance(min_score, bool)
    if not number or not (math.isfinite(min_score) and 0.0 <= min_score <= 1.0):
        raise InvalidInputError(
            f"min_score is {min_score!r}; use a score in [0, 1] or leave it out", field=field
        )


def _counts(people: Sequence[Profile], side: str) -> IntArray:
    """Mentors' ``capacity`` or mentees' ``demand`` as a read-only int64 array, checked."""
    name = "capacity" if side == "mentors" else "demand"
    values = []
    for i, person in enumerate(people):
        if not isinstance(person, Profile):
            raise InvalidInputError(
                f"{side}[{i}] is a {type(person).__name__}, not a Profile", field=f"{side}[{i}]"
            )
        value = getattr(person, name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
            raise InvalidInputError(
                f"{side}[{i}].{name} is {value!r}; use an integer in [0, {MAX_COUNT:,}]",
                field=f"{side}[{i}].{name}",
            )
        values.append(value)
    return _readonly(np.array(values, dtype=np.int64))


_A = TypeVar("_A", bound=np.ndarray[Any, Any])


def _readonly(array: _A) -> _A:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, slots=True, eq=False)
class MatchProblem:
    """One programme's matching problem. Arrays are read-only; derive a changed problem with
    :meth:`without` or :meth:`reserve`.

    Attributes:
        comp: ids, scores, facets and the hard-constraint mask (rows = mentees, columns =
            mentors).
        capacity: int64 ``(m,)``, mentees each mentor takes (after :meth:`reserve`: what is
            left).
        demand: int64 ``(n,)``, mentors each mentee wants (after :meth:`reserve`: what is left).
        feasible: bool ``(n, m)``, pairs no hard constraint (nor a ban) removes.
        allowed: bool ``(n, m)``, ``feasible`` pairs scoring at least ``min_score``: the pairs
            a solver may use.
        min_score: the score floor, or None.
    """

    comp: Compatibility
    capacity: IntArray
    demand: IntArray
    feasible: BoolArray
    allowed: BoolArray
    min_score: float | None

    @classmethod
    def build(
        cls,
        mentees: Sequence[Profile],
        mentors: Sequence[Profile],
        options: ScoringOptions,
        embedder: Embedder,
        *,
        min_score: float | None = None,
    ) -> MatchProblem:
        """Validate, score every pair and apply the hard constraints and ``min_score``.

        Counts and ``min_score`` are checked before any text is embedded.

        Raises:
            InvalidInputError: bad people, options or ``min_score`` (``field`` names the input).
        """
        check_min_score(min_score)
        capacity = _counts(mentors, "mentors")
        demand = _counts(mentees, "mentees")
        comp = build_compatibility(mentees, mentors, options, embedder)
        return cls.from_compatibility(comp, capacity, demand, min_score)

    @classmethod
    def from_compatibility(
        cls,
        comp: Compatibility,
        capacity: IntArray,
        demand: IntArray,
        min_score: float | None = None,
    ) -> MatchProblem:
        """The problem over an already built matrix (counts must match its shape)."""
        check_min_score(min_score)
        n, m = comp.shape
        if capacity.shape != (m,) or demand.shape != (n,):
            raise InvalidInputError(
                f"capacity has shape {capacity.shape} and demand {demand.shape}, but the matrix "
                f"is {n} x {m}",
                field="capacity",
            )
        feasible = comp.allowed
        floor = (
            None if min_score is None else np.float32(min_score)
        )  # compared in float32, as stored
        allowed = feasible if floor is None else feasible & (comp.scores >= floor)
        return cls(comp, capacity, demand, feasible, _readonly(allowed), min_score)

    @property
    def shape(self) -> tuple[int, int]:
        """``(number of mentees, number of mentors)``."""
        return self.comp.shape

    @property
    def scores(self) -> NDArray[np.float32]:
        """The ``(n, m)`` compatibility scores."""
        return self.comp.scores

    def without(self, banned: BoolArray) -> MatchProblem:
        """The same problem with the ``banned`` pairs removed from ``feasible`` and ``allowed``."""
        return replace(
            self,
            feasible=_readonly(self.feasible & ~banned),
            allowed=_readonly(self.allowed & ~banned),
        )

    def reserve(
        self, pairs: Iterable[tuple[int, int]], *, demand: IntArray | None = None
    ) -> MatchProblem:
        """The problem left once ``pairs`` are fixed: their slots are taken, the pairs closed.

        Args:
            pairs: ``(mentee, mentor)`` index pairs that hold whatever the solver does.
            demand: the mentees' demand to start from (default :attr:`demand`), e.g. with the
                slots of ended pairs already closed.

        Raises:
            InfeasibleError: the pairs need more slots than a mentor's capacity or a mentee's
                demand gives (``field`` ``"policy.locked"``).
        """
        capacity = self.capacity.copy()
        left = (self.demand if demand is None else demand).copy()
        allowed = self.allowed.copy()
        comp = self.comp
        for i, j in sorted(pairs):
            capacity[j] -= 1
            left[i] -= 1
            allowed[i, j] = False
            if capacity[j] < 0 or left[i] < 0:
                who, what = (
                    (comp.mentor_ids[j], "capacity")
                    if capacity[j] < 0
                    else (comp.mentee_ids[i], "demand")
                )
                raise InfeasibleError(
                    f"locked pairs give {who!r} more pairs than their {what} allows: unlock some",
                    field="policy.locked",
                )
        return replace(
            self,
            capacity=_readonly(capacity),
            demand=_readonly(np.maximum(left, 0)),
            allowed=_readonly(allowed),
        )

    def solve(
        self,
        *,
        objective: str = "total",
        solver: str | Solver = "auto",
        weights: NDArray[np.float64] | None = None,
        executor: BlockExecutor | None = None,
    ) -> Assignment:
        """The exact assignment of this problem (:func:`matchsvc.assign` over ``allowed``).

        Args:
            objective: ``"total"`` or ``"fair"``.
            solver: a solver name or object.
            weights: what the solver maximises instead of :attr:`scores` (float64 ``(n, m)``,
                e.g. scores plus a policy's bonuses); the assignment's ``scores`` are then these.
            executor: where the ``pricing`` solver's full passes run (None: here); the
                answer is the same either way.
        """
        return assign(
            self.scores if weights is None else weights,
            capacity=self.capacity,
            demand=self.demand,
            allowed=self.allowed,
            objective=objective,
            solver=solver,
            executor=executor,
        )
