"""Connecting to Ray, and the ``pricing`` solver's passes as Ray tasks."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from matchsvc.assignment import BlockRunner
from matchsvc.assignment._types import Problem
from matchsvc.errors import ConfigError, MatchsvcError

__all__ = ["Cluster", "RayExecutor", "configure_data", "connect", "import_ray"]

log = logging.getLogger("matchsvc.cluster")

_INSTALL_HINT = (
    "install the extra with `pip install 'matchsvc[ray]'`, or unset MATCHSVC_RAY_ADDRESS"
)


def import_ray() -> Any:
    """The ``ray`` module, or a ConfigError that says how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            f"MATCHSVC_RAY_ADDRESS is set but Ray is not installed ({exc}): {_INSTALL_HINT}",
            field="MATCHSVC_RAY_ADDRESS",
        ) from exc
    return ray


@dataclass(frozen=True, slots=True)
class Cluster:
    """A connected Ray cluster: where :class:`RayExecutor` and ``RayEncoder`` run.

    Attributes:
        address: what was passed to :func:`connect` (``None``: the process's existing
            connection was reused).
    """

    address: str | None

    @property
    def cpus(self) -> int:
        """CPUs the cluster offers now (at least 1)."""
        ray = import_ray()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def executor(self) -> RayExecutor:
        """A block executor on this cluster (for ``assign(..., executor=...)``)."""
        return RayExecutor()


def connect(address: str) -> Cluster:
    """Connect this process to the Ray cluster at ``address`` (any address ``ray.init``
    accepts: ``local`` starts a cluster on this machine, ``auto`` finds a running one,
    ``ray://head:10001`` is a remote head), or reuse the connection this process already has.

    Ray's own start-up messages are kept at warning level and Ray Data's progress bars are off
    (the service logs JSON). On a remote cluster, matchsvc must be installed on every node
    (the cluster's image), at the same version as here.

    Raises:
        ConfigError: Ray is not installed, or the cluster cannot be reached (``field``
            ``MATCHSVC_RAY_ADDRESS``).
    """
    ray = import_ray()
    if ray.is_initialized():
        configure_data()
        return Cluster(None)
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    except Exception as exc:  # Ray raises ConnectionError, ValueError, RuntimeError, ...
        raise ConfigError(
            f"cannot connect to the Ray cluster at MATCHSVC_RAY_ADDRESS={address!r}: {exc}",
            field="MATCHSVC_RAY_ADDRESS",
        ) from exc
    configure_data()
    log.info("connected to Ray", extra={"address": address})
    return Cluster(address)


def configure_data() -> None:
    """Ray Data in this process: no progress bars or start-up banners, warnings only, and an
    error raised by matchsvc code in a ``map_batches`` call reaches the caller as itself
    (``raise_original_map_exception``), not as Ray's ``UserCodeException``."""
    from ray.data import DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.raise_original_map_exception = True
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def raise_task_error(exc: BaseException) -> None:
    """Re-raise the matchsvc error a Ray task or actor raised as that error, not Ray's wrapper.

    Ray wraps it once for a task (``RayTaskError.cause``) and twice for an actor that failed
    in ``__init__`` (``ActorDiedError.cause`` is the creation task's ``RayTaskError``).
    """
    seen: BaseException | None = exc
    for _ in range(4):
        seen = getattr(seen, "cause", None) or getattr(seen, "__cause__", None)
        if isinstance(seen, MatchsvcError):
            raise seen from None
        if seen is None:
            return


class _RayRunner:
    """One solve's tasks: the problem is put into the object store once and shared."""

    def __init__(self, ray: Any, problem: Problem) -> None:
        self._ray = ray
        self._problem = ray.put(problem)
        self._remote: dict[tuple[Callable[..., Any], int], Any] = {}
        self._parallelism = max(1, int(ray.cluster_resources().get("CPU", 1)))

    @property
    def problem(self) -> Any:
        return self._problem

    @property
    def parallelism(self) -> int:
        return self._parallelism

    def put(self, value: Any) -> Any:
        return self._ray.put(value)

    def submit(self, fn: Callable[..., Any], *args: Any, num_returns: int = 1) -> Any:
        key = (fn, num_returns)
        if key not in self._remote:
            self._remote[key] = self._ray.remote(num_cpus=1, num_returns=num_returns)(fn)
        return self._remote[key].remote(*args)

    def get(self, handles: Sequence[Any]) -> list[Any]:
        try:
            return list(self._ray.get(list(handles)))
        except self._ray.exceptions.RayError as exc:
            raise_task_error(exc)
            raise


class RayExecutor:
    """Runs the ``pricing`` solver's full passes as Ray tasks (one CPU each) on the cluster
    this process is connected to (:func:`connect`). The problem (scores or the block source,
    the allowed mask) is put into Ray's object store once per solve; each pass puts its
    shared arrays (the potentials) once and its tasks read them from there."""

    @contextmanager
    def _bound(self, problem: Problem) -> Iterator[BlockRunner]:
        ray = import_ray()
        if not ray.is_initialized():
            raise ConfigError(
                "RayExecutor needs a Ray connection: call matchsvc.cluster.connect(address) "
                "first (or set MATCHSVC_RAY_ADDRESS for the service)",
                field="MATCHSVC_RAY_ADDRESS",
            )
        runner = _RayRunner(ray, problem)
        try:
            yield runner
        finally:
            del runner  # drops the object references: Ray frees the objects

    def bind(self, problem: Problem) -> AbstractContextManager[BlockRunner]:
        """A runner with ``problem`` in the object store for one solve."""
        return self._bound(problem)
