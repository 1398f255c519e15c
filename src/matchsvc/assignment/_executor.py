"""Where the ``pricing`` solver's full passes run: the seam between the solver and a cluster.

The solver (:class:`~matchsvc.assignment._pricing.PricingSolver`) makes a few *full passes*
over the score rows (the candidate scan and the pricing scans); everything else (the flow,
the potentials, the certificate) stays with the caller. With no executor the passes run in
this process exactly as they always have. With a :class:`BlockExecutor`, each pass is cut
into row spans, each span is a task, and the results are merged in span order, so the
answer is byte-identical (:mod:`matchsvc.assignment._partitioned` shows why).

The interface is the smallest one a task cluster offers: put a value, submit a function on
values or handles, get results. :class:`SerialExecutor` runs the same partitioned passes in
this process (tests use it to check the partitioned algorithm without a cluster);
``matchsvc.cluster.RayExecutor`` runs them as Ray tasks (Ray schedules them; nothing here does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from matchsvc.assignment._types import Problem
from matchsvc.errors import InvalidInputError

__all__ = ["BlockExecutor", "BlockRunner", "SerialExecutor"]


class BlockRunner(Protocol):
    """Runs the tasks of one solve; obtained from :meth:`BlockExecutor.bind`.

    Handles are opaque: what :meth:`put` and :meth:`submit` return, accepted as arguments of
    :meth:`submit` (resolved to their values where the task runs) and by :meth:`get`.
    """

    @property
    def problem(self) -> Any:
        """A handle to the bound :class:`Problem` (put once per solve)."""
        ...

    @property
    def parallelism(self) -> int:
        """How many tasks can run at once (the solver makes a few spans per slot)."""
        ...

    def put(self, value: Any) -> Any:
        """A handle to ``value``, to share one copy between tasks."""
        ...

    def submit(self, fn: Callable[..., Any], *args: Any, num_returns: int = 1) -> Any:
        """Run ``fn(*args)`` (handles resolved) as a task; a handle to its result, or a tuple
        of ``num_returns`` handles to the parts of the tuple it returns."""
        ...

    def get(self, handles: Sequence[Any]) -> list[Any]:
        """The values of ``handles``, in order (waits; re-raises a task's error as raised)."""
        ...


class BlockExecutor(Protocol):
    """Something that can run the solver's full passes as tasks."""

    def bind(self, problem: Problem) -> AbstractContextManager[BlockRunner]:
        """A runner with ``problem`` shared for the duration of one solve."""
        ...


@dataclass(frozen=True, slots=True)
class _Box:
    value: Any


def _open(arg: Any) -> Any:
    return arg.value if isinstance(arg, _Box) else arg


class _SerialRunner:
    def __init__(self, problem: Problem, parallelism: int) -> None:
        self._problem = _Box(problem)
        self._parallelism = parallelism

    @property
    def problem(self) -> Any:
        return self._problem

    @property
    def parallelism(self) -> int:
        return self._parallelism

    def put(self, value: Any) -> Any:
        return _Box(value)

    def submit(self, fn: Callable[..., Any], *args: Any, num_returns: int = 1) -> Any:
        out = fn(*(_open(a) for a in args))
        if num_returns == 1:
            return _Box(out)
        return tuple(_Box(part) for part in out)

    def get(self, handles: Sequence[Any]) -> list[Any]:
        return [_open(h) for h in handles]


class SerialExecutor:
    """Runs the partitioned passes in this process, one task after the other.

    Args:
        parallelism: how many slots to pretend (the passes are cut into a few spans per
            slot), so the span merging is exercised without a cluster.
    """

    def __init__(self, parallelism: int = 2) -> None:
        if parallelism < 1:
            raise InvalidInputError(
                f"parallelism is {parallelism}; use 1 or more", field="parallelism"
            )
        self._parallelism = parallelism

    @contextmanager
    def _bound(self, problem: Problem) -> Iterator[BlockRunner]:
        yield _SerialRunner(problem, self._parallelism)

    def bind(self, problem: Problem) -> AbstractContextManager[BlockRunner]:
        """A runner that calls each task at once, in this process."""
        return self._bound(problem)
