"""Exact matching with a floor on the matched slots of each group of one partition of mentees.

Arrays in, arrays out: ``codes`` gives each mentee's group (``0..G-1``) and ``lower`` each
group's floor in matched slots. :class:`PartitionSolver` solves the unconstrained problem once
(:class:`~matchsvc.assignment._flow.FlowSolver` on every pair for small in-memory problems,
:class:`~matchsvc.assignment._pricing.PricingSolver` otherwise). For given floors it solves the
candidate graph with a score bonus on the short-changed groups (a few solves, to get near the
floors), repairs that optimum exactly with the floor kernel
(:mod:`matchsvc.assignment._floors_kernel`) and proves the result over every pair (see
:meth:`PartitionSolver.solve`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._blocks import RowBlocks
from matchsvc.assignment._floors_kernel import floors_run
from matchsvc.assignment._flow import dense_graph
from matchsvc.assignment._network import Graph, residual_reach, solve_graph
from matchsvc.assignment._pricing import _ADD_TOL, PricingSolver, _merge
from matchsvc.assignment._registry import AUTO_DENSE_LIMIT
from matchsvc.assignment._scan import price_scan
from matchsvc.assignment._types import Certificate, Problem, SolverResult

__all__ = ["FloorCertificate", "FloorsFail", "PartitionResult", "PartitionSolver"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Pairs kept per mentee and pricing pass (the best violators by reduced value).
_KADD = 16
# Rounds of "repair on the candidate graph, price every pair, add the violators".
_MAX_ROUNDS = 60
# The bonus search stops once at most this many slots are left for the repair (a repair slot
# costs ~1/50 of a solve at 10,000 x 2,000), or after this many solves of the candidate graph;
# its first bonus comes from regrets, else this share of the score range.
_REPAIR_UNITS = 48
_MAX_BONUS_SOLVES = 10
_BONUS_GUESS = 0.05


@dataclass(frozen=True)
class FloorCertificate:
    """Dual prices and a cut proving a group-floor assignment optimal (cost = -score).

    ``groups`` (int64 per mentee, ``0..G-1``) and ``floors`` (int64 per group) are the
    partition and the floors the certificate is about. With ``f_k`` the slots matched to group
    ``k`` and ``U_k`` its total demand, every residual arc of the network
    ``source -> group [floor, U_k] -> mentee [0, demand] -> mentor [0, 1] -> sink [0, capacity]``
    has a non-negative reduced cost:

    * allowed pair not matched: ``-score + mentee_potential[i] - mentor_potential[j] >= 0``;
      matched pair: ``<= 0``
    * mentee with unmet demand: ``mentee_potential[i] <= group_potential[k]``; mentee with a
      match: ``mentee_potential[i] >= group_potential[k]`` (``k`` its group)
    * group below its total demand (``f_k < U_k``): ``group_potential[k] <= source_potential``;
      group above its floor (``f_k > floors[k]``): ``group_potential[k] >= source_potential``
    * mentor with spare capacity: ``mentor_potential[j] >= sink_potential``; mentor with a
      mentee: ``mentor_potential[j] <= sink_potential``

    and ``reach_mentees``/``reach_mentors`` (nodes reachable from the source in the residual
    graph) contain every mentee with unmet demand, no mentor with spare capacity, and are
    closed under the residual pair arcs (a minimum cut: the count is maximal).
    ``source_potential - group_potential[k]`` is the marginal score the floor of group ``k``
    costs (zero for a group whose floor does not bind).
    """

    groups: IntArray
    floors: IntArray
    mentee_potential: FloatArray
    mentor_potential: FloatArray
    group_potential: FloatArray
    source_potential: float
    sink_potential: float
    reach_mentees: BoolArray
    reach_mentors: BoolArray


@dataclass(frozen=True)
class PartitionResult:
    """The floor-respecting optimum: pairs ``(k, 2)`` (any order), their scores, the
    certificate and the number of repair paths pushed (summed over pricing rounds)."""

    pairs: IntArray
    scores: FloatArray
    certificate: FloorCertificate
    units: int
    rounds: int


class _BonusSearch:
    """The state of the group-bonus search, kept across pricing rounds: the bonus, and per
    group the bracket ends ``(bonus, slots - floor)``, Illinois weights and last side moved."""

    def __init__(self, bonus: BoolArray, ng: int) -> None:
        self.bonus = bonus
        self.lam = np.zeros(ng)
        self.low: list[tuple[float, int]] = [(0.0, 0)] * ng
        self.high: list[tuple[float, int] | None] = [None] * ng
        self.weight: list[tuple[float, float]] = [(1.0, 1.0)] * ng
        self.last: list[int] = [-1] * ng
        self.prev: list[tuple[float, int] | None] = [None] * ng


class FloorsFail(Exception):
    """The floors cannot hold: proven over every pair for the floors asked (``group`` is the
    group whose excess found no path)."""

    def __init__(self, group: int) -> None:
        super().__init__(group)
        self.group = group


class PartitionSolver:
    """The unconstrained optimum of one problem, ready to be repaired for any floors.

    ``base`` is that optimum (certified over all pairs); ``solver_name`` is ``"flow"`` or
    ``"pricing"``. The candidate graph grows as pricing rounds add pairs and is shared by
    every later call, so asking again (other floors, a largest floor) reuses it.

    Notes
    -----
    Formulation: the unconstrained network of :class:`~matchsvc.assignment._flow.FlowSolver`
    with one node per group between the source and the group's mentees, carrying
    ``floor_k <= f_k <= U_k``. Lower bounds on arcs leaving the source do not change the
    maximum flow value (an s-t cut never has such an arc backwards, so the max-flow min-cut
    theorem with lower bounds gives the same minimum), so whenever the floors can hold the
    matched count is the unconstrained maximum, and the repair keeps it. Among flows of that
    value meeting the floors, the repaired flow is min-cost by reduced-cost optimality
    (Ahuja, Magnanti & Orlin, *Network Flows*, 1993, Thm 9.3 and sec. 9.7; lower bounds
    sec. 6.7 and 9.6).

    Start of the repair: a score bonus ``lam_k >= 0`` on group ``k`` is a group price
    (``p_G_k = p_s - lam_k``), so the unconstrained optimum of the bonus scores is min-cost
    in the floor network whenever every group with a bonus is at or below its floor; the
    bonus search (:meth:`_find_bonus`) only picks such a start close to the floors, so that
    few slots are left to the repair, whose cost grows with them. Exactness never depends on
    it: no bonus (the unconstrained optimum) is a valid start too.

    Pricing (for problems solved on a candidate graph): the repair is exact on the graph;
    then every pair is priced with the repaired potentials, pairs with a negative reduced
    cost or crossing the cut join the graph, and the next round starts again from a bonus
    optimum of the grown graph. A failed repair is believed only when no pair leaves the set
    its last search reached.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        n, m = problem.shape
        self.full = problem.is_dense and n * m <= AUTO_DENSE_LIMIT
        if self.full:
            g = dense_graph(problem)
            sol = solve_graph(g, problem.demand, problem.capacity)
            used, cert = sol.used, sol.certificate
            self.solver_name = "flow"
        else:
            res, g = PricingSolver().solve_on_graph(problem)
            assert res.certificate is not None
            cert = res.certificate
            self.solver_name = "pricing"
            keys = g.rows * m + g.col
            used = np.zeros(keys.size, dtype=np.bool_)
            used[np.searchsorted(keys, res.pairs[:, 0] * m + res.pairs[:, 1])] = True
        self.keys: IntArray = g.rows * m + g.col
        self.vals: FloatArray = g.score
        self.base_keys: IntArray = self.keys[used]
        self.base_cert: Certificate = cert
        pairs = np.stack([g.rows[used], g.col[used]], axis=1)
        self.base = SolverResult(pairs=pairs, optimal=True, certificate=cert, scores=g.score[used])
        scale = max(1.0, float(np.max(np.abs(g.score), initial=0.0)))
        self.scale = max(
            scale,
            float(np.max(np.abs(cert.mentee_potential), initial=0.0)),
            float(np.max(np.abs(cert.mentor_potential), initial=0.0)),
        )
        self.blocks = None if self.full else RowBlocks(problem)
        self.bonus_solves = 0  # candidate-graph solves spent on group bonuses (for benchmarks)

    # -- graph ------------------------------------------------------------------------------

    def _graph(self) -> Graph:
        n, m = self.problem.shape
        rows, cols = self.keys // m, self.keys % m
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
        return Graph(n, m, ptr, cols, self.vals)

    def _add(self, keys: IntArray, vals: FloatArray) -> None:
        self.keys, self.vals = _merge(self.keys, self.vals, keys, vals)

    def _scan(
        self,
        pe: FloatArray,
        pr: FloatArray,
        reach_e: BoolArray,
        reach_r: BoolArray,
        matched: IntArray,
        tol: float,
    ) -> tuple[IntArray, FloatArray, int, int]:
        """Every pair priced: each mentee's best unmatched pairs (cut-crossing ones first) as
        (keys, scores), and the counts of pairs with reduced value above ``tol`` / crossing."""
        assert self.blocks is not None
        n, m = self.problem.shape
        mrows, mcol = matched // m, matched % m
        mptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(mrows, minlength=n), out=mptr[1:])
        kadd = min(_KADD, m)
        cap = self.blocks.step * kadd
        oi = np.empty(cap, dtype=np.int64)
        oj = np.empty(cap, dtype=np.int64)
        os_ = np.empty(cap)
        out_k: list[IntArray] = []
        out_s: list[FloatArray] = []
        n_neg = n_cut = 0
        use_cut = bool(reach_e.any())
        for i0, S, mask, use_mask in self.blocks:
            cnt, a, c = price_scan(
                S, i0, pe, pr, tol, reach_e, reach_r, use_cut, mptr, mcol, kadd, mask,
                use_mask, self.blocks.min_score, oi, oj, os_, 0,
            )  # fmt: skip
            n_neg += int(a)
            n_cut += int(c)
            if cnt:
                out_k.append(oi[:cnt] * m + oj[:cnt])
                out_s.append(os_[:cnt].copy())
        if not out_k:
            return np.zeros(0, np.int64), np.zeros(0), n_neg, n_cut
        return np.concatenate(out_k), np.concatenate(out_s), n_neg, n_cut

    def _crossing(self, reach_e: BoolArray, reach_r: BoolArray, flow_keys: IntArray) -> bool:
        """Add the unmatched pairs from a reached mentee to an unreached mentor; False if none
        exists among all pairs (the reached set is then closed: the proof holds)."""
        m = self.problem.shape[1]
        k, s, _, n_cut = self._scan(
            np.zeros(self.problem.shape[0]), np.zeros(m), reach_e, reach_r, flow_keys, np.inf
        )
        if n_cut == 0:
            return False
        sel = reach_e[k // m] & ~reach_r[k % m]
        self._add(k[sel], s[sel])
        return True

    # -- kernel calls -----------------------------------------------------------------------

    def _arrays(
        self, codes: IntArray, lower: IntArray
    ) -> tuple[Graph, IntArray, IntArray, IntArray]:
        g = self._graph()
        upper = np.bincount(codes, weights=self.problem.demand, minlength=lower.size)
        return g, codes.astype(np.int64), lower.astype(np.int64), upper.astype(np.int64)

    def _bonus_start(
        self, g: Graph, gc: IntArray, lam: FloatArray
    ) -> tuple[BoolArray, FloatArray, IntArray]:
        """The unconstrained optimum on ``g`` of the scores plus ``lam[group]`` as a start for
        the repair: used arcs, potentials in the kernel's layout (mentees, mentors, sink,
        groups, source) and the slots per group.

        A bonus is a group price: with the optimum's certificate ``(p'_i, p_j, p_s, p_t)``,
        ``p_i = p'_i - lam_k`` and ``p_G_k = p_s - lam_k`` give every residual arc of the floor
        network the same reduced cost as before, so the flow is min-cost for its group
        supplies; it is a valid start when every group with ``lam_k > 0`` is at or below its
        floor (then ``G_k -> s`` is not a residual arc).
        """
        p = self.problem
        if not lam.any():
            used = np.isin(self.keys, self.base_keys, assume_unique=True)
            c = self.base_cert
        else:
            bonus = Graph(g.n, g.m, g.ptr, g.col, g.score + lam[gc[g.rows]])
            sol = solve_graph(bonus, p.demand, p.capacity)
            used, c = sol.used, sol.certificate
        pi = np.concatenate(
            [
                c.mentee_potential - lam[gc],
                c.mentor_potential,
                [c.sink_potential],
                c.source_potential - lam,
                [c.source_potential],
            ]
        )
        slots = np.bincount(gc[g.rows[used]], minlength=lam.size).astype(np.int64)
        return used, pi, slots

    def _find_bonus(
        self, g: Graph, gc: IntArray, lo: IntArray, search: _BonusSearch
    ) -> tuple[BoolArray, FloatArray]:
        """A start for the repair from the group bonuses of ``search`` (updated in place):
        used arcs and potentials.

        Only the groups the unconstrained optimum leaves below their floors get a bonus; each
        bonus follows its own bracket (Illinois regula falsi on ``slots - floor``, the
        brackets carried over from earlier pricing rounds) until at most ``_REPAIR_UNITS``
        slots are missing in those groups, or ``_MAX_BONUS_SOLVES`` solves were spent. Only
        speed depends on this search: the repair that follows is exact from any valid start,
        and no bonus at all (the unconstrained optimum, optimal on every graph) is one.
        """
        grp = np.flatnonzero(search.bonus).tolist()
        zero = np.zeros(lo.size)
        used, pi, f = self._bonus_start(g, gc, zero)

        def short(f: IntArray) -> int:
            return int(np.maximum(lo - f, 0)[grp].sum())

        best = (zero, used, pi, short(f))
        at_zero = f - lo
        for k in grp:  # the no-bonus end of every bracket, exact on this graph
            if search.low[k][0] == 0.0:
                search.low[k] = (0.0, int(at_zero[k]))
        span = float(np.ptp(g.score)) if g.score.size else 0.0
        guess = self._regret_guess(g, gc, lo, at_zero)
        lam = search.lam.copy()
        solves = 0
        while best[3] > _REPAIR_UNITS and solves < _MAX_BONUS_SOLVES and span > 0:
            if solves or not lam.any():
                lam = lam.copy()
                for k in grp:
                    (l0, g0), hi = search.low[k], search.high[k]
                    if hi is None:
                        # No overshoot yet: extrapolate from the two last points, aiming
                        # past the floor so that the next point brackets it.
                        prev = search.prev[k]
                        if l0 > 0 and prev is not None and g0 > prev[1]:
                            step = (l0 - prev[0]) * (-g0) / (g0 - prev[1])
                            lam[k] = l0 + min(max(step, 0.25 * l0), l0)
                        elif l0 > 0:
                            lam[k] = 2 * l0
                        else:
                            lam[k] = guess[k] if guess[k] > 0 else _BONUS_GUESS * span
                        continue
                    (l1, g1), (w0, w1) = hi, search.weight[k]
                    a, b = w0 * min(g0, -0.5), w1 * max(g1, 0.5)
                    lam[k] = l0 + (l1 - l0) * (-a) / (b - a)
            used, pi, f = self._bonus_start(g, gc, lam)
            solves += 1
            ok = True
            for k in grp:
                side = 0 if f[k] <= lo[k] else 1
                ok = ok and (side == 0 or lam[k] == 0)
                pt = (float(lam[k]), int(f[k] - lo[k]))
                if side == 0:
                    search.prev[k] = search.low[k]
                    search.low[k] = pt
                    hi = search.high[k]
                    if hi is not None and hi[0] <= pt[0]:
                        search.high[k] = None
                else:
                    search.high[k] = pt
                    if search.low[k][0] >= pt[0]:
                        search.low[k] = (0.0, int(at_zero[k]))
                # Illinois: an end kept twice in a row counts half, so the other end moves.
                w = [1.0, 1.0]
                if search.last[k] == side:
                    w[1 - side] = search.weight[k][1 - side] / 2
                search.weight[k] = (w[0], w[1])
                search.last[k] = side
            if ok and short(f) < best[3]:
                best = (lam, used, pi, short(f))
        search.lam = best[0]
        self.bonus_solves += solves
        return best[1], best[2]

    def _regret_guess(self, g: Graph, gc: IntArray, lo: IntArray, at_zero: IntArray) -> FloatArray:
        """A first bonus per group: at the unconstrained prices an unmatched mentee needs a
        bonus of ``p_s - max_j (s_ij + p_j)`` (its regret) to be worth a slot; a group
        ``d`` slots short gets its ``d``-th smallest regret. Prices move as slots change
        hands, so this underestimates; the search corrects it."""
        c = self.base_cert
        n = g.n
        best = np.full(n, -np.inf)
        np.maximum.at(best, g.rows, g.score + c.mentor_potential[g.col])
        got = np.bincount(self.base.pairs[:, 0], minlength=n)
        unmet = np.maximum(self.problem.demand - got, 0)
        regret = c.source_potential - best
        out = np.zeros(lo.size)
        for k in np.flatnonzero(at_zero < 0).tolist():
            sel = (gc == k) & (unmet > 0) & np.isfinite(regret)
            r = np.sort(np.repeat(regret[sel], unmet[sel]))
            if r.size:
                out[k] = float(r[min(-int(at_zero[k]), r.size) - 1])
        return out

    def _repair(
        self, g: Graph, gc: IntArray, lo: IntArray, up: IntArray, used: BoolArray, pi: FloatArray
    ) -> tuple[int, int, BoolArray, BoolArray, BoolArray, FloatArray, int]:
        """Repair a valid start (see :meth:`_bonus_start`) on ``g``: (status, failed group,
        crossing sets, used arcs, potentials in mentee orientation, paths pushed)."""
        p = self.problem
        n, m = p.shape
        flow = used.astype(np.int64)
        pi = pi.copy()
        reach_r = np.zeros(n, dtype=np.bool_)
        reach_c = np.zeros(m, dtype=np.bool_)
        status, bad, pushed = floors_run(
            0, -1, n, m, g.ptr, g.col, g.score, flow, p.demand, p.capacity, gc, lo, up, pi,
            reach_r, reach_c,
        )  # fmt: skip
        # Layout of pi: mentees, mentors, sink, groups, source.
        pots = np.concatenate([pi[: n + m], pi[n + m + 1 :], [pi[n + m]]])
        return int(status), int(bad), reach_r, reach_c, flow.astype(np.bool_), pots, int(pushed)

    def solve(self, codes: IntArray, lower: IntArray) -> PartitionResult:
        """The max-count, then max-score assignment whose group ``k`` gets ``>= lower[k]``
        slots, with its :class:`FloorCertificate`.

        Each pricing round: group bonuses bring the short-changed groups near their floors
        (:meth:`_find_bonus`, a few solves of the candidate graph), the repair kernel makes
        the result exact on the graph, and every pair is priced with its potentials.

        Raises:
            FloorsFail: no assignment meets the floors (proven over every pair).
        """
        p = self.problem
        n, m = p.shape
        units = 0
        got0 = np.bincount(self.base.pairs[:, 0], minlength=n)
        search = _BonusSearch(
            np.bincount(codes, weights=got0, minlength=lower.size) < lower, lower.size
        )
        for rnd in range(1, _MAX_ROUNDS + 1):
            g, gc, lo, up = self._arrays(codes, lower)
            ng = lo.size
            start, pi0 = self._find_bonus(g, gc, lo, search)
            status, bad, cross_e, cross_r, used, pots, pushed = self._repair(
                g, gc, lo, up, start, pi0
            )
            units += pushed
            if status == 1:
                if self.full or not self._crossing(cross_e, cross_r, self.keys[used]):
                    raise FloorsFail(bad)
                continue
            rows = g.rows
            unmet = p.demand - np.bincount(rows[used], minlength=n)
            reach_e, reach_m = residual_reach(g, used, unmet)
            pe, pr = pots[:n].copy(), pots[n : n + m].copy()
            pg = pots[n + m : n + m + ng].copy()
            # A mentee without arcs is never searched: it only needs to sit at or below its
            # group's price (its pairs outside the graph are priced below).
            lone = (np.diff(g.ptr) == 0) & (unmet > 0)
            pe[lone] = np.minimum(pe[lone], pg[gc[lone]])
            cert = FloorCertificate(
                groups=gc,
                floors=lo,
                mentee_potential=pe,
                mentor_potential=pr,
                group_potential=pg,
                source_potential=float(pots[-2]),
                sink_potential=float(pots[-1]),
                reach_mentees=reach_e,
                reach_mentors=reach_m,
            )
            scale = max(
                self.scale,
                float(np.max(np.abs(pe), initial=0.0)),
                float(np.max(np.abs(pr), initial=0.0)),
            )
            if not _node_conditions(p, g, used, cert, _ADD_TOL * scale * 100):
                raise RuntimeError("group floors: the kernel's node conditions fail")
            # A repair that pushed nothing in the first round left the unconstrained optimum
            # and its prices, whose certificate already holds on every pair.
            untouched = rnd == 1 and pushed == 0 and not search.lam.any()
            if not self.full and not untouched:
                tol = _ADD_TOL * scale
                k, s, n_neg, n_cut = self._scan(pe, pr, reach_e, reach_m, self.keys[used], tol)
                if n_neg or n_cut:
                    r, j = k // m, k % m
                    bad_pair = (s + pr[j] - pe[r] > tol) | (reach_e[r] & ~reach_m[j])
                    if not bad_pair.any():
                        raise RuntimeError(
                            f"group floors: {n_neg + n_cut} violated pairs remain on the "
                            "candidate graph"
                        )
                    self._add(k[bad_pair], s[bad_pair])
                    continue
            return PartitionResult(
                pairs=np.stack([rows[used], g.col[used]], axis=1),
                scores=g.score[used],
                certificate=cert,
                units=units,
                rounds=rnd,
            )
        raise RuntimeError(f"group floors: pricing did not converge in {_MAX_ROUNDS} rounds")

    def max_into(self, codes: IntArray, lower: IntArray, target: int, start: IntArray) -> int:
        """The most slots group ``target`` can get while every other group ``k`` keeps
        ``lower[k]``, starting from ``start`` (pair keys ``i * m + j`` of an assignment that
        meets ``lower``); exact over every pair."""
        p = self.problem
        n, m = p.shape
        flow_keys = np.sort(start)
        while True:
            g, gc, lo, up = self._arrays(codes, lower)
            flow = np.isin(self.keys, flow_keys, assume_unique=True).astype(np.int64)
            reach_r = np.zeros(n, dtype=np.bool_)
            reach_c = np.zeros(m, dtype=np.bool_)
            pi = np.zeros(n + m + 2 + lo.size)
            floors_run(
                1, target, n, m, g.ptr, g.col, g.score, flow, p.demand, p.capacity, gc, lo, up,
                pi, reach_r, reach_c,
            )  # fmt: skip
            used = flow.astype(np.bool_)
            flow_keys = self.keys[used]
            if self.full or not self._crossing(reach_r, reach_c, flow_keys):
                rows = flow_keys // m
                return int(np.count_nonzero(codes[rows] == target))


def _node_conditions(
    problem: Problem, g: Graph, used: BoolArray, c: FloorCertificate, tol: float
) -> bool:
    """The per-node half of the certificate and the matched pairs' slackness on ``g`` (a
    guard against a kernel bug; pricing checks the free pairs)."""
    n, m = problem.shape
    rows = g.rows[used]
    cols = g.col[used]
    red = c.mentee_potential[rows] - c.mentor_potential[cols] - g.score[used]
    if red.size and red.max() > tol:
        return False
    free = ~used
    red_f = c.mentee_potential[g.rows[free]] - c.mentor_potential[g.col[free]] - g.score[free]
    if red_f.size and red_f.min() < -tol:
        return False
    got = np.bincount(rows, minlength=n)
    load = np.bincount(cols, minlength=m)
    unmet = problem.demand - got
    pg = c.group_potential[c.groups]
    pe, pr = c.mentee_potential, c.mentor_potential
    if ((unmet > 0) & (pe > pg + tol)).any() or ((got > 0) & (pe < pg - tol)).any():
        return False
    f = np.bincount(c.groups, weights=got, minlength=c.floors.size)
    upper = np.bincount(c.groups, weights=problem.demand, minlength=c.floors.size)
    ps, pt = c.source_potential, c.sink_potential
    if ((f < upper) & (c.group_potential > ps + tol)).any():
        return False
    if ((f > c.floors) & (c.group_potential < ps - tol)).any() or (f < c.floors).any():
        return False
    spare = load < problem.capacity
    if (spare & (pr < pt - tol)).any() or ((load > 0) & (pr > pt + tol)).any():
        return False
    return not ((unmet > 0)[~c.reach_mentees].any() or (spare & c.reach_mentors).any())
