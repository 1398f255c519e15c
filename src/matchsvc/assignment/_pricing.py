"""The ``pricing`` solver: exact flow on a sparse candidate graph, certified on all pairs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._certificate import block_violations
from matchsvc.assignment._network import Graph, solve_graph
from matchsvc.assignment._types import Problem, SolverResult

__all__ = ["PricingSolver"]

# Reduced costs below -_ADD_TOL * scale bring a pruned pair into the candidate graph.
_ADD_TOL = 1e-12


def _block_rows(m: int) -> int:
    """Rows per score block: about 4 million cells (32 MB of float64)."""
    return max(1, (1 << 22) // max(m, 1))


class PricingSolver:
    """Column generation around :class:`FlowSolver`: solve on candidate pairs, price the rest.

    Candidates are each mentee's ``k`` best allowed mentors plus each mentor's
    ``capacity + extra`` best allowed mentees (so every mentor can be filled). After an exact
    solve on the candidates, every pruned pair is priced in row blocks with the dual
    potentials; pairs with a negative reduced cost, or crossing the minimum cut (they could
    lengthen the matching), join the graph and the graph is solved again. When none is left
    the certificate holds for **all** pairs, so ``optimal=True`` is proven, not assumed.

    Only score blocks are read (``Problem.block``), so a :class:`BlockScores` source of any
    size works with memory proportional to the candidate graph plus one block.

    Notes
    -----
    Linear-programming column generation / pricing (Dantzig & Wolfe 1960; for assignment
    see Bertsekas, *Network Optimization*, 1998, sec. 7.3, and the sparse "candidate list"
    technique of Jonker & Volgenant 1987). Optimality: the potentials give every arc of the
    full residual graph a non-negative reduced cost (no negative cycle: min cost for the
    count) and no full-graph arc crosses the reachable set (max count).
    """

    name = "pricing"
    exact = True

    def __init__(self, k: int = 4, extra: int = 20, max_rounds: int = 50) -> None:
        self.k = k
        self.extra = extra
        self.max_rounds = max_rounds

    def _candidates(self, problem: Problem) -> tuple[npt.NDArray[np.int64], float]:
        n, m = problem.shape
        step = _block_rows(m)
        k = min(self.k, m)
        r = int(min(n, int(problem.capacity.max(initial=0)) + self.extra))
        keys: list[npt.NDArray[np.int64]] = []
        top_val = np.full((0, m), -np.inf)
        top_row = np.zeros((0, m), dtype=np.int64)
        scale = 1.0
        for i0 in range(0, n, step):
            i1 = min(i0 + step, n)
            s, mask = problem.block(i0, i1)
            sm = np.where(mask, s, -np.inf)
            if mask.any():
                scale = max(scale, float(np.abs(s[mask]).max()))
            part = np.argpartition(-sm, k - 1, axis=1)[:, :k] if k < m else np.arange(m)[None, :]
            part = np.broadcast_to(part, (i1 - i0, part.shape[1]))
            rows = np.arange(i0, i1, dtype=np.int64)[:, None]
            ok = np.take_along_axis(mask, part, axis=1)
            keys.append((np.broadcast_to(rows, part.shape) * m + part)[ok].astype(np.int64))
            if r > 0:
                if i1 - i0 > r:
                    bsel = np.argpartition(-sm, r - 1, axis=0)[:r]
                    bval = np.take_along_axis(sm, bsel, axis=0)
                    brow = bsel.astype(np.int64) + i0
                else:
                    bval = sm
                    brow = np.broadcast_to(rows, (i1 - i0, m)).astype(np.int64)
                val = np.concatenate([top_val, bval], axis=0)
                idx = np.concatenate([top_row, brow], axis=0)
                if val.shape[0] > r:
                    sel = np.argpartition(-val, r - 1, axis=0)[:r]
                    top_val = np.take_along_axis(val, sel, axis=0)
                    top_row = np.take_along_axis(idx, sel, axis=0)
                else:
                    top_val, top_row = val, idx
        fin = np.isfinite(top_val)
        cols = np.broadcast_to(np.arange(m, dtype=np.int64), top_val.shape)
        keys.append((top_row * m + cols)[fin])
        return np.unique(np.concatenate(keys)), scale

    def _graph(self, problem: Problem, keys: npt.NDArray[np.int64]) -> Graph:
        n, m = problem.shape
        rows, cols = keys // m, keys % m
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
        score = np.empty(keys.size, dtype=np.float64)
        step = _block_rows(m)
        for i0 in range(0, n, step):
            i1 = min(i0 + step, n)
            lo, hi = int(ptr[i0]), int(ptr[i1])
            if hi > lo:
                s, _ = problem.block(i0, i1)
                score[lo:hi] = s[rows[lo:hi] - i0, cols[lo:hi]]
        return Graph(n, m, ptr, cols, score)

    def _best_per_row(
        self, bad: npt.NDArray[np.bool_], prio: npt.NDArray[np.float64], i0: int, m: int
    ) -> npt.NDArray[np.int64]:
        """Keys of the (at most ``k``) lowest-``prio`` flagged pairs of every row."""
        rows = np.flatnonzero(bad.any(axis=1))
        val = np.where(bad[rows], prio[rows], np.inf)
        k = min(self.k, m)
        sel = (
            np.argpartition(val, k - 1, axis=1)[:, :k]
            if k < m
            else np.tile(np.arange(m), (rows.size, 1))
        )
        ok = np.isfinite(np.take_along_axis(val, sel, axis=1))
        keys = (rows[:, None] + i0) * m + sel
        out: npt.NDArray[np.int64] = keys[ok].astype(np.int64)
        return out

    def solve(self, problem: Problem) -> SolverResult:
        """Solve exactly; ``optimal`` is True once pricing finds no violated pair."""
        n, m = problem.shape
        keys, scale = self._candidates(problem)
        step = _block_rows(m)
        tol = _ADD_TOL * scale
        for _ in range(self.max_rounds):
            g = self._graph(problem, keys)
            sol = solve_graph(g, problem.demand, problem.capacity)
            cert = sol.certificate
            rows = g.rows
            new: list[npt.NDArray[np.int64]] = []
            cut_only = False
            for i0 in range(0, n, step):
                i1 = min(i0 + step, n)
                s, mask = problem.block(i0, i1)
                lo, hi = int(g.ptr[i0]), int(g.ptr[i1])
                in_graph = np.zeros(s.shape, dtype=np.bool_)
                in_graph[rows[lo:hi] - i0, g.col[lo:hi]] = True
                matched = np.zeros(s.shape, dtype=np.bool_)
                u = sol.used[lo:hi]
                matched[rows[lo:hi][u] - i0, g.col[lo:hi][u]] = True
                neg, _, cut = block_violations(s, mask, matched, cert, i0, tol)
                cut &= ~in_graph
                if cut_only and not cut.any():
                    continue
                # While the count is not proven maximal, only cut arcs are added (best scores
                # first); afterwards the most negative reduced costs. At most k per mentee.
                if cut.any():
                    cut_only = True
                    bad, prio = cut, -s
                else:
                    bad = neg & ~in_graph
                    prio = cert.mentee_potential[i0:i1, None] - cert.mentor_potential - s
                if bad.any():
                    new.append(self._best_per_row(bad, prio, i0, m))
            if not new:
                pairs = np.stack([rows[sol.used], g.col[sol.used]], axis=1)
                return SolverResult(pairs=pairs, optimal=True, certificate=cert)
            keys = np.union1d(keys, np.concatenate(new))
        raise RuntimeError(f"pricing did not converge in {self.max_rounds} rounds")
