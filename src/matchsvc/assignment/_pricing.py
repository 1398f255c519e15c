"""The ``pricing`` solver: exact flow on a sparse candidate graph, certified on all pairs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._blocks import RowBlocks as _Blocks
from matchsvc.assignment._executor import BlockExecutor, BlockRunner
from matchsvc.assignment._network import Graph, NetworkSolution, WarmStart, solve_graph
from matchsvc.assignment._partitioned import candidate_pass, price_pass
from matchsvc.assignment._scan import price_scan, top_scan
from matchsvc.assignment._types import Assignment, Certificate, Problem, SolverResult
from matchsvc.errors import InvalidInputError

__all__ = ["PricingSolver", "PricingStats"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Pricing adds pairs whose reduced cost is below -_ADD_TOL * scale; the kernel frees rows whose
# arcs are below -_REPAIR_TOL * scale. Both far inside verify_certificate's 1e-9.
_ADD_TOL = 1e-11
_REPAIR_TOL = 1e-12


@dataclass
class PricingStats:
    """What one :meth:`PricingSolver.solve` call did; returned as ``Assignment.stats``."""

    rounds: int = 0
    passes: int = 0
    arcs: int = 0
    added: int = 0
    cold_solves: int = 0
    warm_started: bool = False


def _merge(
    keys: IntArray, vals: FloatArray, new_keys: IntArray, new_vals: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Sorted union of two (key, score) sets; ``keys`` wins on duplicates."""
    allk = np.concatenate([keys, new_keys])
    allv = np.concatenate([vals, new_vals])
    uk, idx = np.unique(allk, return_index=True)
    return uk, allv[idx]


class PricingSolver:
    """Column generation around the SSP kernel: solve on candidate pairs, price the rest.

    Candidates are each mentee's ``k`` best allowed mentors plus each mentor's
    ``capacity + extra`` best allowed mentees, found in one streaming pass. After a solve on
    the candidates, every pair is priced in row blocks with the dual potentials: pairs with a
    negative reduced cost, or crossing the minimum cut (they could lengthen the matching),
    join the graph, and the graph is solved again **resuming** from the previous flow and
    potentials: only mentees with a violated pair are freed and re-routed (see
    :func:`matchsvc.assignment._ssp.ssp_run`). A full pass also keeps each row's ``kcache``
    best pairs by reduced value; the next rounds price only that cache (cheap), and a new
    full pass is made when the cache has no violator left. The pass that finds no violation
    over all pairs, with the node conditions holding, proves the certificate for **all**
    pairs, so ``optimal=True`` is proven, not assumed. The result's ``stats`` count rounds and
    passes.

    Only score blocks are read, float32 blocks as they are (values widened to float64 one by
    one), so a :class:`BlockScores` source of any size works with memory proportional to the
    candidate graph plus one block.

    ``warm_start``: a previous :class:`Assignment` of a problem of the same shape (e.g. before
    a small change of scores, capacities or allowed pairs). Its pairs that are still allowed
    and fit the new demand and capacity seed the flow and the candidate graph, its certificate
    seeds the potentials and ranks the first candidates by reduced score; the result is exact
    whatever the start (a bad start only costs time).

    ``executor``: where the full passes run (:class:`~matchsvc.assignment.BlockExecutor`, e.g.
    ``matchsvc.cluster.RayExecutor``): each pass becomes tasks over row spans, merged so that
    the result is byte-identical to the in-process solve (same pairs, same certificate;
    :mod:`matchsvc.assignment._partitioned`). The flow and the certificate stay in this
    process. A block source must then be picklable, and give the same values for the same
    block wherever it is read. None (default): every pass runs here.

    Notes:
        Linear-programming column generation / pricing (Dantzig & Wolfe 1960; for assignment
        see Bertsekas, *Network Optimization*, 1998, sec. 7.3, and the sparse "candidate list"
        technique of Jonker & Volgenant 1987); re-optimisation after adding arcs follows the
        primal-dual repair of successive shortest paths (Ahuja, Magnanti & Orlin, *Network Flows*,
        1993, sec. 9.7). Optimality: the potentials give every arc of the full residual graph a
        non-negative reduced cost (no negative cycle: min cost for the count) and no full-graph
        arc crosses the reachable set (max count).
    """

    name = "pricing"
    exact = True

    def __init__(
        self,
        k: int = 8,
        extra: int = 20,
        kcache: int = 16,
        max_rounds: int = 100,
        warm_start: Assignment | None = None,
        executor: BlockExecutor | None = None,
    ) -> None:
        self.k = k
        self.extra = extra
        self.kcache = kcache
        self.max_rounds = max_rounds
        self.warm_start = warm_start
        self.executor = executor

    # -- candidates -------------------------------------------------------------------------

    def _candidates(
        self,
        problem: Problem,
        blocks: _Blocks,
        seed: WarmSeed | None,
        runner: BlockRunner | None = None,
    ) -> tuple[IntArray, FloatArray, IntArray, FloatArray, float]:
        """Candidate (keys, scores), the seed pairs' (keys, scores) and the score scale."""
        n, m = problem.shape
        k = max(1, min(m, max(self.k, int(problem.demand.max(initial=0)))))
        r = int(min(n, int(problem.capacity.max(initial=0)) + self.extra))
        rowshift = np.zeros(n) if seed is None else -seed.mentee_potential
        colshift = np.zeros(m) if seed is None else seed.mentor_potential
        seed_keys = np.zeros(0, np.int64) if seed is None else seed.keys
        if runner is not None:
            scan = candidate_pass(runner, blocks, k, r, rowshift, colshift, seed_keys)
            row_val, row_col, row_s = scan.row_val, scan.row_col, scan.row_s
            col_row, col_s, col_cnt = scan.col_row, scan.col_s, scan.col_cnt
            seed_s, scale = scan.seed_s, scan.scale
        else:
            row_val = np.full((n, k), -np.inf)
            row_col = np.zeros((n, k), dtype=np.int64)
            row_s = np.zeros((n, k))
            col_val = np.empty((m, r))
            col_row = np.zeros((m, r), dtype=np.int64)
            col_s = np.empty((m, r))
            col_cnt = np.zeros(m, dtype=np.int64)
            seed_s = np.empty(seed_keys.size)
            seed_starts = np.searchsorted(seed_keys, np.arange(0, n + blocks.step, blocks.step) * m)
            scale = 1.0
            for b, (i0, S, mask, use_mask) in enumerate(blocks):
                top_scan(
                    S, i0, rowshift, colshift, k, row_val, row_col, row_s, col_val, col_row,
                    col_s, col_cnt, mask, use_mask, blocks.min_score,
                )  # fmt: skip
                if S.size:
                    scale = max(scale, float(np.abs(S).max()))
                lo, hi = int(seed_starts[b]), int(seed_starts[b + 1])
                if hi > lo:
                    sk = seed_keys[lo:hi]
                    seed_s[lo:hi] = S[sk // m - i0, sk % m]
        ok = np.isfinite(row_val)
        rk = (np.arange(n, dtype=np.int64)[:, None] * m + row_col)[ok]
        have = np.arange(r)[None, :] < col_cnt[:, None]
        ck = (col_row * m + np.arange(m, dtype=np.int64)[:, None])[have]
        keys, vals = _merge(rk, row_s[ok], ck, col_s[have])
        return keys, vals, seed_keys, seed_s, scale

    # -- pricing ----------------------------------------------------------------------------

    def _price(
        self,
        problem: Problem,
        blocks: _Blocks,
        g: Graph,
        sol: NetworkSolution,
        tol: float,
        stats: PricingStats,
        runner: BlockRunner | None = None,
    ) -> tuple[IntArray, FloatArray, int, int]:
        """Each row's ``kcache`` best unmatched pairs by reduced value (cut-crossing pairs by
        score for rows on the source side), as (keys, scores), and the counts of violations
        over **all** pairs."""
        n, m = problem.shape
        cert = sol.certificate
        rows = g.rows
        mrows = rows[sol.used]
        mptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(mrows, minlength=n), out=mptr[1:])
        mcol = g.col[sol.used]
        use_cut = bool(cert.reach_mentees.any())
        kadd = min(self.kcache, m)
        out_keys: list[IntArray] = []
        out_s: list[FloatArray] = []
        n_neg = n_cut = 0
        if runner is not None:
            shared = (
                cert.mentee_potential, cert.mentor_potential, tol, cert.reach_mentees,
                cert.reach_mentors, use_cut, mptr, mcol, kadd,
            )  # fmt: skip
            out_keys, out_s, n_neg, n_cut = price_pass(runner, blocks, shared)
        else:
            cap_out = blocks.step * kadd
            oi = np.empty(cap_out, dtype=np.int64)
            oj = np.empty(cap_out, dtype=np.int64)
            os_ = np.empty(cap_out)
            for i0, S, mask, use_mask in blocks:
                cnt, a, c = price_scan(
                    S, i0, cert.mentee_potential, cert.mentor_potential, tol,
                    cert.reach_mentees, cert.reach_mentors, use_cut, mptr, mcol, kadd, mask,
                    use_mask, blocks.min_score, oi, oj, os_, 0,
                )  # fmt: skip
                n_neg += int(a)
                n_cut += int(c)
                if cnt:
                    out_keys.append(oi[:cnt] * m + oj[:cnt])
                    out_s.append(os_[:cnt].copy())
        stats.passes += 1
        if not out_keys:
            return np.zeros(0, np.int64), np.zeros(0), n_neg, n_cut
        return np.concatenate(out_keys), np.concatenate(out_s), n_neg, n_cut

    # -- solve ------------------------------------------------------------------------------

    def solve(self, problem: Problem) -> SolverResult:
        """Solve exactly; ``optimal`` is True once pricing finds no violated pair.

        The result's ``stats`` are :class:`PricingStats` as a dict (rounds, passes, arcs, ...).
        """
        return self.solve_on_graph(problem)[0]

    def solve_on_graph(self, problem: Problem) -> tuple[SolverResult, Graph]:
        """:meth:`solve`, and the final candidate graph (a caller may resume on it, as the
        group-floor solver does)."""
        with self._runner(problem) as runner:
            return self._solve(problem, runner)

    @contextmanager
    def _runner(self, problem: Problem) -> Iterator[BlockRunner | None]:
        if self.executor is None:
            yield None
        else:
            with self.executor.bind(problem) as runner:
                yield runner

    def _solve(self, problem: Problem, runner: BlockRunner | None) -> tuple[SolverResult, Graph]:
        stats = PricingStats()
        n, m = problem.shape
        blocks = _Blocks(problem)
        seed = _seed(self.warm_start, problem) if self.warm_start is not None else None
        keys, vals, seed_keys, seed_s, scale = self._candidates(problem, blocks, seed, runner)
        stats.passes += 1
        warm: WarmStart | None = None
        if seed is not None:
            keys, vals = _merge(keys, vals, seed_keys, seed_s)
            warm = WarmStart(
                used=np.isin(keys, seed_keys, assume_unique=True),
                mentee_potential=seed.mentee_potential,
                mentor_potential=seed.mentor_potential,
                source_potential=seed.source_potential,
                sink_potential=seed.sink_potential,
            )
            stats.warm_started = True
        transposed = int(problem.demand.sum()) > int(problem.capacity.sum())
        phase2 = False
        retry_all = True
        cold_retry = False
        cache_k = np.zeros(0, dtype=np.int64)
        cache_s = np.zeros(0)
        for _ in range(self.max_rounds):
            stats.rounds += 1
            rows, cols = keys // m, keys % m
            ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
            g = Graph(n, m, ptr, cols, vals)
            pscale = _pot_scale(scale, warm)
            sol = solve_graph(
                g, problem.demand, problem.capacity, warm, transposed=transposed,
                retry_all=retry_all, tol=_REPAIR_TOL * pscale, phase2=phase2,
            )  # fmt: skip
            cert = sol.certificate
            if warm is None:
                stats.cold_solves += 1
            pscale = max(pscale, _pot_scale(scale, cert))
            tol = _ADD_TOL * pscale
            new_k, new_s = _violators(cache_k, cache_s, keys, m, sol, tol)
            n_neg = n_cut = 0
            if not new_k.size:
                cache_k, cache_s, n_neg, n_cut = self._price(
                    problem, blocks, g, sol, tol, stats, runner
                )
                new_k, new_s = _violators(cache_k, cache_s, keys, m, sol, tol)
            warm = WarmStart(sol.used, *_pots(cert))
            if new_k.size:
                old = keys
                keys, vals = _merge(keys, vals, new_k, new_s)
                used = np.zeros(keys.size, dtype=np.bool_)
                used[np.searchsorted(keys, old[sol.used])] = True
                warm = WarmStart(used, *_pots(cert))
                stats.added += int(new_k.size)
                retry_all = bool(cert.reach_mentees.any())
                continue
            if n_neg or n_cut:
                # Violations only on graph arcs: rounding or a start the repair could not
                # mend. Resume routing every row; then solve from scratch once.
                if cold_retry:
                    raise RuntimeError(
                        f"pricing: {n_neg + n_cut} violated pairs remain on the candidate graph"
                    )
                if not retry_all:
                    retry_all = True
                else:
                    warm, cold_retry, phase2 = None, True, True
                continue
            if sol.status == 2:
                phase2 = True
                retry_all = False
                continue
            if not _node_conditions(problem, g, sol, _ADD_TOL * pscale * 100):
                if cold_retry:
                    raise RuntimeError("pricing: node conditions of the certificate fail")
                warm, cold_retry, phase2 = None, True, True
                continue
            stats.arcs = int(keys.size)
            pairs = np.stack([g.rows[sol.used], g.col[sol.used]], axis=1)
            result = SolverResult(
                pairs=pairs,
                optimal=True,
                certificate=cert,
                scores=g.score[sol.used],
                stats=asdict(stats),
            )
            return result, g
        raise RuntimeError(f"pricing did not converge in {self.max_rounds} rounds")


@dataclass(frozen=True)
class WarmSeed:
    """Pairs (sorted keys ``i * m + j``) and potentials taken from a previous assignment."""

    keys: IntArray
    mentee_potential: FloatArray
    mentor_potential: FloatArray
    source_potential: float
    sink_potential: float


def _violators(
    ck: IntArray, cs: FloatArray, keys: IntArray, m: int, sol: NetworkSolution, tol: float
) -> tuple[IntArray, FloatArray]:
    """The cached pairs that are not in the graph and violate the current certificate."""
    if ck.size == 0:
        return ck, cs
    c = sol.certificate
    pos = np.minimum(np.searchsorted(keys, ck), keys.size - 1)
    out = keys[pos] != ck
    r, j = ck // m, ck % m
    bad = (cs + c.mentor_potential[j] - c.mentee_potential[r] > tol) | (
        c.reach_mentees[r] & ~c.reach_mentors[j]
    )
    sel = out & bad
    return ck[sel], cs[sel]


def _pots(c: Certificate) -> tuple[FloatArray, FloatArray, float, float]:
    return c.mentee_potential, c.mentor_potential, c.source_potential, c.sink_potential


def _pot_scale(scale: float, c: Certificate | WarmStart | None) -> float:
    if c is None:
        return scale
    return max(
        scale,
        float(np.max(np.abs(c.mentee_potential), initial=0.0)),
        float(np.max(np.abs(c.mentor_potential), initial=0.0)),
    )


def _seed(prev: Assignment, problem: Problem) -> WarmSeed:
    """The still-feasible part of ``prev`` as a start for ``problem`` (same shape)."""
    n, m = problem.shape
    cert = prev.certificate
    if prev.unmatched.shape != (n,) or prev.loads.shape != (m,) or cert is None:
        raise InvalidInputError(
            f"warm_start must be an assignment of a {n} x {m} problem with a certificate "
            f"(from solver 'flow' or 'pricing'); got {prev.unmatched.shape[0]} x "
            f"{prev.loads.shape[0]}" + ("" if cert is not None else " without a certificate"),
            field="warm_start",
        )
    p = prev.pairs
    if problem.allowed is not None and p.size:
        p = p[problem.allowed[p[:, 0], p[:, 1]]]
    # Keep each mentee's first pairs up to its demand and each mentor's up to its capacity.
    keep = np.ones(p.shape[0], dtype=np.bool_)
    for side, limit in ((0, problem.demand), (1, problem.capacity)):
        order = np.argsort(p[:, side], kind="stable")
        ids = p[order, side]
        first = np.searchsorted(ids, ids)
        rank = np.arange(ids.size) - first
        keep[order[rank >= limit[ids]]] = False
    p = p[keep]
    keys = np.sort(p[:, 0] * m + p[:, 1])
    return WarmSeed(
        keys=keys.astype(np.int64),
        mentee_potential=np.asarray(cert.mentee_potential, dtype=np.float64).copy(),
        mentor_potential=np.asarray(cert.mentor_potential, dtype=np.float64).copy(),
        source_potential=float(cert.source_potential),
        sink_potential=float(cert.sink_potential),
    )


def _node_conditions(problem: Problem, g: Graph, sol: NetworkSolution, tol: float) -> bool:
    """Complementary slackness of the matched pairs and the source/sink/cut conditions (the
    per-node half of ``verify_certificate``; pricing checked the pairs)."""
    c = sol.certificate
    n, m = problem.shape
    u = sol.used
    red = c.mentee_potential[g.rows[u]] - c.mentor_potential[g.col[u]] - g.score[u]
    if red.size and red.max() > tol:
        return False
    got_d = np.bincount(g.rows[u], minlength=n)
    got_c = np.bincount(g.col[u], minlength=m)
    unmet = problem.demand - got_d
    pe, pr = c.mentee_potential, c.mentor_potential
    if ((unmet > 0) & (pe > c.source_potential + tol)).any():
        return False
    if ((got_d > 0) & (pe < c.source_potential - tol)).any():
        return False
    spare = got_c < problem.capacity
    if (spare & (pr < c.sink_potential - tol)).any():
        return False
    if ((got_c > 0) & (pr > c.sink_potential + tol)).any():
        return False
    return not ((unmet > 0)[~c.reach_mentees].any() or (spare & c.reach_mentors).any())
