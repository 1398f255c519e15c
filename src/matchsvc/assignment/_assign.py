"""The public entry point :func:`assign`."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._executor import BlockExecutor
from matchsvc.assignment._fair import solve_fair
from matchsvc.assignment._registry import resolve_solver
from matchsvc.assignment._types import Assignment, Problem, Solver, SolverResult
from matchsvc.assignment._validate import validate

__all__ = ["assign"]


def _pair_scores(problem: Problem, pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    if isinstance(problem.scores, np.ndarray):
        return problem.scores[pairs[:, 0], pairs[:, 1]]
    out = np.empty(pairs.shape[0], dtype=np.float64)
    n = problem.shape[0]
    step = 1024
    starts = np.searchsorted(pairs[:, 0], np.arange(0, n + step, step))
    for b, i0 in enumerate(range(0, n, step)):
        lo, hi = int(starts[b]), int(starts[b + 1])
        if hi > lo:
            s, _ = problem.block(i0, min(i0 + step, n))
            out[lo:hi] = s[pairs[lo:hi, 0] - i0, pairs[lo:hi, 1]]
    return out


def _finish(problem: Problem, res: SolverResult, name: str, objective: str) -> Assignment:
    n, m = problem.shape
    pairs = np.asarray(res.pairs, dtype=np.int64).reshape(-1, 2)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    pairs = np.ascontiguousarray(pairs[order])
    if res.scores is not None and not problem.is_dense:
        scores = np.asarray(res.scores, dtype=np.float64)[order]
    else:
        scores = _pair_scores(problem, pairs)
    return Assignment(
        pairs=pairs,
        scores=scores,
        total=float(scores.sum()),
        unmatched=problem.demand - np.bincount(pairs[:, 0], minlength=n).astype(np.int64),
        loads=np.bincount(pairs[:, 1], minlength=m).astype(np.int64),
        solver=name,
        optimal=res.optimal,
        objective=objective,
        certificate=res.certificate,
        stats=MappingProxyType(dict(res.stats)),
    )


def assign(
    scores: Any,
    capacity: Any = None,
    demand: Any = None,
    allowed: Any = None,
    objective: str = "total",
    min_score: float | None = None,
    solver: str | Solver = "auto",
    warm_start: Assignment | None = None,
    executor: BlockExecutor | None = None,
) -> Assignment:
    """Match mentees to mentors: as many pairs as possible, then the best scores.

    Args:
        scores: array-like ``(n_mentees, n_mentors)`` of compatibility, higher is better (any
            real dtype; used as float64, never rescaled), or a :class:`BlockScores`: an object
            with ``shape`` and ``block(i0, i1)`` (rows ``i0:i1``), read block by block by the
            ``pricing`` solver and never materialised as a whole.
        capacity: ints ``(n_mentors,)`` or a scalar: mentees each mentor can take (default 1).
        demand: ints ``(n_mentees,)`` or a scalar: mentors each mentee wants (default 1); never
            the same mentor twice.
        allowed: bool ``(n_mentees, n_mentors)``; False forbids a pair.
        objective: ``"total"`` maximises the sum of matched scores; ``"fair"`` maximises the
            lowest matched score, then the sum; it holds every allowed pair in memory, so a
            block source of more than 25 million pairs is refused.
        min_score: pairs scoring below it are forbidden.
        solver: ``"auto"`` (default), ``"flow"``, ``"pricing"``, ``"hungarian"`` (exact) or the
            baselines ``"greedy"``, ``"stable"``, ``"random"``; or an object implementing
            :class:`Solver`.
        warm_start: a previous result with a certificate (solver ``flow`` or ``pricing``) for a
            problem of the same shape, e.g. before a small change of scores, capacities or
            allowed pairs. Its pairs that still fit and its dual prices start the ``pricing``
            solver (``solver`` must be ``"auto"`` or ``"pricing"``). The result is the same
            exact optimum as without it; a good start only saves time.
        executor: where the ``pricing`` solver's full passes over the scores run (a
            :class:`BlockExecutor`, e.g. ``matchsvc.cluster.RayExecutor`` for a Ray cluster)
            when ``solver`` is ``"pricing"``, or ``"auto"`` picks it; the answer is
            byte-identical to running them here. None (default): in this process. A solver
            object brings its own.

    Returns:
        An :class:`Assignment`: ``pairs`` sorted lexicographically (int64 ``(k, 2)``), float64
        ``scores``, ``total``, ``unmatched`` and ``loads`` (int64), the solver name, ``optimal``,
        for ``flow`` and ``pricing`` a :class:`Certificate`, and the solver's ``stats``.

    Raises:
        InvalidInputError: bad shapes, NaN/inf scores, negative or non-integer counts, unknown
            objective or solver (``field`` names the argument).

    Notes:
        Formulation (a transportation problem / b-matching): with ``x_ij in {0, 1}``,
        ``sum_j x_ij <= demand_i``, ``sum_i x_ij <= capacity_j`` and ``x_ij = 0`` on forbidden
        pairs, first maximise ``sum x_ij`` (matched count); among maximum-count solutions
        maximise ``sum s_ij x_ij`` (``"total"``), or maximise ``min s_ij`` over matched pairs
        and then the sum (``"fair"``, a bottleneck objective solved by binary search on the
        threshold). See Ahuja, Magnanti & Orlin, *Network Flows* (1993), ch. 9 (min-cost flow)
        and 12 (matching).

        Determinism: the result is a function of the input values only. When several optimal
        solutions exist, the exact solvers break ties by processing mentees in index order
        (Dijkstra ties by node index: mentees before mentors, smaller index first); baselines
        document their own order. Same input gives byte-identical arrays.
    """
    problem = validate(scores, capacity, demand, allowed, objective, min_score)
    impl = resolve_solver(solver, problem, warm_start, executor)
    n, m = problem.shape
    if n == 0 or m == 0:
        res = SolverResult(pairs=np.zeros((0, 2), dtype=np.int64), optimal=impl.exact)
    elif objective == "fair":
        res = solve_fair(problem, impl)
    else:
        res = impl.solve(problem)
    return _finish(problem, res, impl.name, objective)
