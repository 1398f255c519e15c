"""Name -> solver lookup. Unknown names raise; nothing falls back silently."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from matchsvc.assignment._executor import BlockExecutor
from matchsvc.assignment._flow import FlowSolver
from matchsvc.assignment._greedy import GreedySolver
from matchsvc.assignment._hungarian import HungarianSolver
from matchsvc.assignment._pricing import PricingSolver
from matchsvc.assignment._random import RandomSolver
from matchsvc.assignment._stable import StableSolver
from matchsvc.assignment._types import Assignment, Problem, Solver
from matchsvc.errors import InvalidInputError

__all__ = ["AUTO_DENSE_LIMIT", "SolverName", "resolve_solver"]

# ``auto`` runs ``flow`` on every pair up to this many (mentee, mentor) cells, else ``pricing``.
AUTO_DENSE_LIMIT = 250_000


class SolverName(StrEnum):
    """Valid values of ``assign(solver=...)``."""

    AUTO = "auto"
    FLOW = "flow"
    PRICING = "pricing"
    HUNGARIAN = "hungarian"
    GREEDY = "greedy"
    STABLE = "stable"
    RANDOM = "random"


_FACTORIES: dict[SolverName, Callable[[], Solver]] = {
    SolverName.FLOW: FlowSolver,
    SolverName.PRICING: PricingSolver,
    SolverName.HUNGARIAN: HungarianSolver,
    SolverName.GREEDY: GreedySolver,
    SolverName.STABLE: StableSolver,
    SolverName.RANDOM: RandomSolver,
}


def resolve_solver(
    solver: str | Solver,
    problem: Problem,
    warm_start: Assignment | None = None,
    executor: BlockExecutor | None = None,
) -> Solver:
    """The solver object for ``solver`` (a name, or any object implementing ``Solver``).

    ``auto`` rule: ``flow`` on all pairs when the problem is an in-memory array with at most
    ``AUTO_DENSE_LIMIT`` cells, otherwise ``pricing`` (candidate graph + full pricing). Both
    are exact and certified, so ``auto`` is never worse than an exact solver. With a
    ``warm_start``, ``auto`` and ``pricing`` give a ``pricing`` solver that starts from it.
    A ``pricing`` solver made here runs its full passes on ``executor`` when one is given; a
    solver object is returned as it is.
    """
    if warm_start is not None:
        if not isinstance(warm_start, Assignment):
            raise InvalidInputError(
                f"warm_start must be an Assignment returned by assign(); got "
                f"{type(warm_start).__name__}",
                field="warm_start",
            )
        if solver not in (SolverName.AUTO, SolverName.PRICING):
            raise InvalidInputError(
                f"warm_start is used by the 'pricing' solver; pass solver='pricing' or 'auto' "
                f"(got {solver!r})",
                field="warm_start",
            )
        return PricingSolver(warm_start=warm_start, executor=executor)
    if not isinstance(solver, str):
        return solver
    try:
        key = SolverName(solver)
    except ValueError:
        names = ", ".join(repr(s.value) for s in SolverName)
        raise InvalidInputError(
            f"unknown solver {solver!r}; valid names: {names}", field="solver"
        ) from None
    if key is SolverName.AUTO:
        n, m = problem.shape
        small = problem.is_dense and n * m <= AUTO_DENSE_LIMIT
        key = SolverName.FLOW if small else SolverName.PRICING
    if key is SolverName.PRICING and executor is not None:
        return PricingSolver(executor=executor)
    return _FACTORIES[key]()
