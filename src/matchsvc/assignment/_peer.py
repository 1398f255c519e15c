"""Peer matching: the most pairs, then the largest total, within one pool (general graph).

:func:`assign_peers` solves on a sparse candidate graph (each person's best partners) with the
blossom kernel, prices every allowed pair against the matching duals in row blocks, adds the
pairs that violate them, and solves again until a full pass finds none. The result carries a
:class:`PeerCertificate` that :func:`matchsvc.assignment.verify_peer_certificate` checks on its
own over every allowed pair.
"""

from __future__ import annotations

import logging
import numbers
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._blossom import solve_blossom
from matchsvc.assignment._checks import check_real, check_scores
from matchsvc.assignment._peer_scan import pair_reduced, peer_price_scan, peer_top_scan, uf_find
from matchsvc.assignment._types import BlockScores
from matchsvc.errors import InvalidInputError

__all__ = [
    "NO_ALLOWED_PARTNER",
    "NO_PARTNER_LEFT",
    "PeerAssignment",
    "PeerCertificate",
    "PeerProblem",
    "PeerStats",
    "assign_peers",
    "validate_peer",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_log = logging.getLogger(__name__)

#: Unmatched reason: nobody in the pool is an allowed partner (exclusions, ``min_score``).
NO_ALLOWED_PARTNER = "no_allowed_partner"
#: Unmatched reason: every allowed partner is in a pair; no maximum set of pairs has room for
#: this person (an odd pool, or more people wanting the same few partners).
NO_PARTNER_LEFT = "no_partner_left"

# Score cells per block read from the source (float32 blocks: 16 MB).
_BLOCK_CELLS = 1 << 22
# After a pass, cached pairs with a reduced cost below _NEAR * (largest violation) join too.
_NEAR = 0.25
# Pricing adds pairs whose reduced cost is below -_ADD_TOL * scale (far inside the verifier's 1e-9).
_ADD_TOL = 1e-11
# Allowed asymmetry of a dense score matrix, relative to max(1, max |score|), by dtype.
_SYM_TOL_32 = 1e-6
_SYM_TOL_64 = 1e-9


@dataclass(frozen=True)
class PeerCertificate:
    """Duals of the matching LP that prove a :class:`PeerAssignment` optimal.

    With ``w`` the pair weights, ``u = vertex_dual`` and the odd sets ``B_k`` (members
    ``blossom_members[blossom_ptr[k]:blossom_ptr[k+1]]``, dual ``z_k = blossom_dual[k] > 0``):

    * every allowed pair has ``u_i + u_j + sum_{k: i, j in B_k} z_k >= w_ij``, with equality on
      matched pairs;
    * every ``B_k`` is odd and holds ``(|B_k| - 1) / 2`` matched pairs;
    * no unmatched person has a larger ``u`` than a matched one;
    * ``barrier`` is a Tutte set ``A``: ``2 * pairs == n + |A| - odd(G - A)``, where
      ``odd(G - A)`` counts the components of odd size of the allowed-pair graph without ``A``.

    See :func:`matchsvc.assignment.verify_peer_certificate` for why that proves the matching has
    the most pairs and, among those, the largest total.
    """

    vertex_dual: FloatArray
    blossom_dual: FloatArray
    blossom_ptr: IntArray
    blossom_members: IntArray
    barrier: IntArray

    @property
    def n_blossoms(self) -> int:
        """Number of odd sets with a positive dual."""
        return int(self.blossom_dual.shape[0])

    def members(self, k: int) -> IntArray:
        """The people of odd set ``k`` (sorted)."""
        return self.blossom_members[self.blossom_ptr[k] : self.blossom_ptr[k + 1]]


@dataclass(frozen=True)
class PeerStats:
    """What :func:`assign_peers` did (for benchmarks and tests)."""

    rounds: int = 0
    passes: int = 0
    edges: int = 0
    added: int = 0
    seconds_solve: float = 0.0
    seconds_price: float = 0.0


@dataclass(frozen=True)
class PeerAssignment:
    """The result of :func:`assign_peers`.

    Attributes:
        pairs: int64 ``(k, 2)``, each row ``(i, j)`` with ``i < j``, sorted by ``i``; every
            person appears at most once.
        scores: float64 ``(k,)``, the weight of each pair (``scores[i, j]`` with ``i < j``).
        total: ``scores.sum()`` in pair order.
        unmatched: int64, the people in no pair, ascending.
        unmatched_reasons: one of :data:`NO_ALLOWED_PARTNER`, :data:`NO_PARTNER_LEFT` per
            entry of ``unmatched``.
        n_people: the pool size.
        optimal: True when the certificate was proven over every allowed pair.
        certificate: the LP duals and Tutte set (see :class:`PeerCertificate`).
        stats: rounds and passes of the solve.
    """

    pairs: IntArray
    scores: FloatArray
    total: float
    unmatched: IntArray
    unmatched_reasons: tuple[str, ...]
    n_people: int
    optimal: bool
    certificate: PeerCertificate | None = field(default=None, compare=False)
    stats: PeerStats = field(default_factory=PeerStats, compare=False)

    @property
    def n_pairs(self) -> int:
        """Number of pairs."""
        return int(self.pairs.shape[0])


@dataclass(frozen=True)
class PeerProblem:
    """A validated peer problem: a dense symmetric float64 matrix or a block source, the
    optional symmetric allowed mask and ``min_score``."""

    n: int
    scores: FloatArray | BlockScores
    allowed: BoolArray | None
    min_score: float | None

    @property
    def is_dense(self) -> bool:
        """True when the scores are an in-memory array."""
        return isinstance(self.scores, np.ndarray)


def _dense(scores: Any) -> tuple[FloatArray, bool]:
    arr = np.asarray(scores)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise InvalidInputError(
            f"scores must be a square n x n matrix (one row and column per person), got shape "
            f"{arr.shape}",
            field="scores",
        )
    check_real(arr, "scores")
    single = arr.dtype in (np.float32, np.float16)
    out = np.array(arr, dtype=np.float64, order="C")
    n = out.shape[0]
    np.fill_diagonal(out, 0.0)  # the diagonal is ignored (a person is no partner of themself)
    check_scores(out)  # finite and within the magnitude limit, as for every other solver
    if n > 1:
        scale = max(1.0, float(np.abs(out).max()))
        diff = np.abs(out - out.T)
        tol = (_SYM_TOL_32 if single else _SYM_TOL_64) * scale
        if float(diff.max()) > tol:
            r, c = (int(x) for x in np.unravel_index(int(np.argmax(diff)), diff.shape))
            raise InvalidInputError(
                f"scores must be symmetric (a pair has one score): scores[{r}, {c}] = "
                f"{float(out[r, c])!r} but scores[{c}, {r}] = {float(out[c, r])!r}; pass "
                "(S + S.T) / 2 or combine both directions first",
                field="scores",
            )
    return out, single


def validate_peer(scores: Any, allowed: Any = None, min_score: Any = None) -> PeerProblem:
    """Check the inputs of a peer problem.

    Raises:
        InvalidInputError: ``scores`` not square, not real, non-finite off the diagonal or not
            symmetric (beyond 1e-9 of the largest ``|score|``, 1e-6 for float32 input);
            ``allowed`` not bool, of another shape, or not symmetric; ``min_score`` not a
            finite number.
    """
    src: FloatArray | BlockScores
    if isinstance(scores, BlockScores) and not isinstance(scores, np.ndarray):
        shape = tuple(int(x) for x in scores.shape)
        if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 0:
            raise InvalidInputError(
                f"scores.shape must be (n, n) for a pool of n people, got {scores.shape}",
                field="scores",
            )
        src = scores
        n = shape[0]
    else:
        src, _ = _dense(scores)
        n = int(src.shape[0])
    mask: BoolArray | None = None
    if allowed is not None:
        am = np.asarray(allowed)
        if am.dtype != np.bool_:
            raise InvalidInputError(
                f"allowed must be a bool array, got dtype {am.dtype}; "
                "pass e.g. np.asarray(allowed, dtype=bool)",
                field="allowed",
            )
        if am.shape != (n, n):
            raise InvalidInputError(
                f"allowed has shape {am.shape} but the pool has {n} people; pass an "
                f"({n}, {n}) mask",
                field="allowed",
            )
        am = np.array(am, dtype=np.bool_, order="C")
        np.fill_diagonal(am, False)
        asym = am != am.T
        if asym.any():
            r, c = (int(x) for x in np.argwhere(asym)[0])
            raise InvalidInputError(
                f"allowed must be symmetric (a pair is allowed or not): allowed[{r}, {c}] = "
                f"{bool(am[r, c])} but allowed[{c}, {r}] = {bool(am[c, r])}; "
                "pass allowed & allowed.T",
                field="allowed",
            )
        mask = am
    ms: float | None = None
    if min_score is not None:
        if (
            isinstance(min_score, bool)
            or not isinstance(min_score, numbers.Real)
            or not np.isfinite(float(min_score))
        ):
            raise InvalidInputError(
                f"min_score must be a finite number or None, got {min_score!r}",
                field="min_score",
            )
        ms = float(min_score)
    return PeerProblem(n=n, scores=src, allowed=mask, min_score=ms)


class _Rows:
    """The problem's score rows, block by block (float32 blocks of a source kept as they are)."""

    def __init__(self, problem: PeerProblem) -> None:
        self.problem = problem
        self.step = max(1, _BLOCK_CELLS // max(problem.n, 1))
        self.min_score = -np.inf if problem.min_score is None else float(problem.min_score)
        self._no_mask = np.zeros((1, 1), dtype=np.bool_)

    def __iter__(self) -> Iterator[tuple[int, npt.NDArray[np.floating], BoolArray, bool]]:
        n = self.problem.n
        mask = self.problem.allowed
        for i0 in range(0, n, self.step):
            i1 = min(i0 + self.step, n)
            if mask is None:
                yield i0, self.read(i0, i1), self._no_mask, False
            else:
                yield i0, self.read(i0, i1), mask[i0:i1], True

    def read(self, i0: int, i1: int) -> npt.NDArray[np.floating]:
        """Rows ``i0:i1`` (float32 or float64, C-contiguous)."""
        src = self.problem.scores
        if isinstance(src, np.ndarray):
            return src[i0:i1]
        s = np.asarray(src.block(i0, i1))
        if s.dtype not in (np.float32, np.float64):
            s = s.astype(np.float64)
        s = np.ascontiguousarray(s)
        expected = (i1 - i0, self.problem.n)
        if s.shape != expected:
            raise InvalidInputError(
                f"scores.block({i0}, {i1}) returned shape {s.shape}, expected {expected}",
                field="scores",
            )
        return s


@dataclass
class _Graph:
    """The candidate graph: sorted keys ``i * n + j`` (``i < j``) and their scores."""

    n: int
    keys: IntArray
    w: FloatArray

    def arrays(self) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray]:
        """``(ptr, eid, ea, eb, hptr, hnb)``: incidence lists for the kernel and the sorted
        upper neighbours for membership tests."""
        n = self.n
        ea = self.keys // max(n, 1)
        eb = self.keys % max(n, 1)
        inc = np.concatenate([ea, eb])
        eids = np.concatenate([np.arange(ea.size), np.arange(ea.size)]).astype(np.int64)
        order = np.argsort(inc, kind="stable")
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(inc, minlength=n), out=ptr[1:])
        hptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(ea, minlength=n), out=hptr[1:])
        return ptr, eids[order], ea, eb, hptr, eb

    def add(self, pi: IntArray, pj: IntArray, ps: FloatArray) -> int:
        """Add pairs (any orientation); returns how many were new."""
        lo = np.minimum(pi, pj)
        hi = np.maximum(pi, pj)
        k = lo * self.n + hi
        allk = np.concatenate([self.keys, k])
        allw = np.concatenate([self.w, ps])
        uk, idx = np.unique(allk, return_index=True)
        added = int(uk.size - self.keys.size)
        self.keys, self.w = uk, allw[idx]
        return added


@dataclass
class _Solution:
    mate: IntArray
    u: FloatArray
    bl_parent: IntArray
    bl_z: FloatArray
    bl_ptr: IntArray
    bl_members: IntArray
    top_label: IntArray
    top_id: IntArray
    # laminar helpers for reduced costs
    vb: IntArray
    bdepth: IntArray
    cz: FloatArray


def _solve(g: _Graph, target: int, u0: FloatArray | None = None) -> _Solution:
    """Run the kernel on the graph (from the duals ``u0`` when given, else cold)."""
    n = g.n
    ptr, eid, ea, eb, _, _ = g.arrays()
    start = np.zeros(0) if u0 is None else u0
    mate, u, _, bpar, bz, bptr, bmem, tl, tid, _ = solve_blossom(
        n, ptr, eid, ea, eb, g.w, target, start
    )
    nb = bz.shape[0]
    depth = np.zeros(nb, dtype=np.int64)
    for k in range(nb):  # parents may come after children: walk up
        d = 0
        p = int(bpar[k])
        while p != -1:
            d += 1
            p = int(bpar[p])
        depth[k] = d
    order = np.argsort(depth, kind="stable")
    cz = np.zeros(nb)
    vb = np.full(n, -1, dtype=np.int64)
    for k in order:
        p = int(bpar[k])
        cz[k] = bz[k] + (cz[p] if p != -1 else 0.0)
        vb[bmem[bptr[k] : bptr[k + 1]]] = k
    return _Solution(mate, u, bpar, bz, bptr, bmem, tl, tid, vb, depth, cz)


def _warm_duals(g: _Graph, sol: _Solution) -> FloatArray:
    """Starting duals for the next solve: the previous ones with every blossom's dual folded
    into its members (``u_v + sum_{B ni v} z_B / 2``: no pair's reduced cost drops), raised
    where a pair of the graph (the new ones) would still be violated."""
    u = sol.u.copy()
    inb = sol.vb >= 0
    u[inb] += 0.5 * sol.cz[sol.vb[inb]]
    ea = g.keys // max(g.n, 1)
    eb = g.keys % max(g.n, 1)
    deficit = g.w - u[ea] - u[eb]
    for e in np.flatnonzero(deficit > 0).tolist():
        d = float(g.w[e] - u[ea[e]] - u[eb[e]])
        if d > 0:
            u[ea[e]] += 0.5 * d
            u[eb[e]] += 0.5 * d
    return u


def _exposed_lowest(sol: _Solution, tol: float) -> bool:
    """No exposed vertex has a larger dual than a matched one (certificate condition 5)."""
    exposed = sol.mate < 0
    if not exposed.any() or exposed.all():
        return True
    return float(sol.u[exposed].max()) <= float(sol.u[~exposed].min()) + tol


def _candidates(
    problem: PeerProblem, rows: _Rows, k: int
) -> tuple[_Graph, IntArray, float, int, int]:
    """One pass: the graph of each person's ``k`` best allowed partners, allowed degrees, the
    score scale, the number of allowed pairs and the number of odd components of the allowed
    graph."""
    n = problem.n
    kk = max(0, min(k, n - 1))
    top_s = np.full((n, max(kk, 1)), -np.inf)
    top_j = np.zeros((n, max(kk, 1)), dtype=np.int64)
    cnt = np.zeros(n, dtype=np.int64)
    kmin = np.zeros(n, dtype=np.int64)
    thr = np.full(n, -np.inf)
    deg = np.zeros(n, dtype=np.int64)
    uf = np.arange(n, dtype=np.int64)
    ncomp = np.array([n], dtype=np.int64)
    scale = 0.0
    for i0, S, mask, use_mask in rows:
        if not problem.is_dense and S.shape[0] > 1:
            sq = np.asarray(S[:, i0 : i0 + S.shape[0]], dtype=np.float64)
            with np.errstate(invalid="ignore"):  # non-finite values are reported below
                diff = np.abs(sq - sq.T)
            off = ~np.eye(sq.shape[0], dtype=np.bool_)
            both = np.isfinite(diff) & off
            big = max(1.0, float(np.abs(sq[both]).max(initial=0.0)))
            if (diff[both] > _SYM_TOL_32 * big).any():
                r, c = (int(x) for x in np.argwhere(both & (diff > _SYM_TOL_32 * big))[0])
                raise InvalidInputError(
                    f"scores must be symmetric: block rows give scores[{i0 + r}, {i0 + c}] = "
                    f"{float(sq[r, c])!r} but scores[{i0 + c}, {i0 + r}] = {float(sq[c, r])!r}",
                    field="scores",
                )
        bad, absmax = peer_top_scan(
            S,
            i0,
            kk,
            top_s,
            top_j,
            cnt,
            kmin,
            thr,
            deg,
            uf,
            ncomp,
            mask,
            use_mask,
            rows.min_score,
        )
        if bad >= 0:
            r, c = divmod(int(bad), n)
            raise InvalidInputError(
                f"scores contains {float(S[r, c])} at ({i0 + r}, {c}); use allowed=False to "
                "forbid a pair",
                field="scores",
            )
        scale = max(scale, float(absmax))
    have = np.arange(max(kk, 1))[None, :] < cnt[:, None]
    pi = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], have.shape)[have]
    g = _Graph(n, np.zeros(0, dtype=np.int64), np.zeros(0))
    if kk > 0:
        g.add(pi, top_j[have], top_s[have])
    roots = np.array([uf_find(uf, v) for v in range(n)], dtype=np.int64)
    odd = int((np.bincount(roots, minlength=n) % 2 == 1).sum())
    return g, deg, max(scale, 1.0), int(deg.sum() // 2), odd


def assign_peers(
    scores: Any,
    allowed: Any = None,
    min_score: float | None = None,
    *,
    candidates: int = 10,
    cache: int = 32,
    max_rounds: int = 200,
) -> PeerAssignment:
    """Pair people of one pool: as many pairs as possible, then the largest total score.

    Args:
        scores: ``(n, n)`` symmetric real matrix (higher is better; the diagonal is ignored;
            float64 internally, never rescaled), or a block source: an object with
            ``shape == (n, n)`` and ``block(i0, i1)`` returning rows ``i0:i1`` (any float
            dtype), read block by block and never held whole. Only the upper triangle is read:
            the pair ``{i, j}`` scores ``scores[min(i, j), max(i, j)]``.
        allowed: optional ``(n, n)`` symmetric bool mask; False forbids a pair.
        min_score: pairs scoring below it are forbidden too.
        candidates: partners per person in the first candidate graph (a tuning knob: the
            answer is exact whatever its value).
        cache: pairs per person kept by a pricing pass for the next rounds.
        max_rounds: safety limit on solve/price rounds.

    Returns:
        A :class:`PeerAssignment` with ``optimal=True`` and a :class:`PeerCertificate`.

    Raises:
        InvalidInputError: see :func:`validate_peer`; also a block source that returns a block
            of the wrong shape, a non-finite upper-triangle score, or an asymmetric diagonal
            block.
        RuntimeError: the rounds did not converge (a bug, never expected).

    Notes:
        The objective is lexicographic (pairs, then total), the convention of
        ``networkx.max_weight_matching(G, maxcardinality=True)``. The matching LP over the
        allowed-pair graph ``G`` (Edmonds 1965) has vertex duals ``u`` and odd-set duals ``z``;
        the blossom kernel (:mod:`matchsvc.assignment._blossom`) solves it exactly on a
        candidate graph ``H`` (each person's ``candidates`` best partners). Every allowed pair
        is then priced in row blocks: a pair with ``u_i + u_j + sum z - w_ij < 0`` joins ``H``
        and ``H`` is solved again (column generation, Dantzig-Wolfe; the same loop as the
        bipartite ``pricing`` solver). A pass that finds no such pair proves the duals
        feasible on all of ``G``. The cardinality is proven by a Tutte set. The first pass
        counts the odd components of ``G`` (union-find); no matching has more than
        ``(n - odd(G)) / 2`` pairs, and the kernel stops as soon as it has that many: the empty
        set is then the proof (the duals are valid at every step of the algorithm). Otherwise
        the kernel runs to its end and the T vertices of its final alternating forest on ``H``
        are the Tutte set, valid on ``G`` when no allowed pair joins an S blossom to anything
        but a T vertex or its own blossom (the forest is then Hungarian in ``G`` too); pairs
        that do join ``H`` until none is left.
    """
    for name, val, lo in (("candidates", candidates, 1), ("cache", cache, 1), ("max_rounds", max_rounds, 1)):  # fmt: skip
        if isinstance(val, bool) or not isinstance(val, numbers.Integral) or int(val) < lo:
            raise InvalidInputError(f"{name} must be an integer >= {lo}, got {val!r}", field=name)
    problem = validate_peer(scores, allowed, min_score)
    n = problem.n
    rows = _Rows(problem)
    t_price = time.perf_counter()
    g, deg, scale, n_allowed, odd = _candidates(problem, rows, int(candidates))
    # Tutte-Berge with the empty set: no matching has more than (n - odd(G)) / 2 pairs. The
    # kernel stops once it has that many; the empty Tutte set then proves the cardinality.
    target = (n - odd) // 2
    passes = 1
    price_s = time.perf_counter() - t_price
    solve_s = 0.0
    rounds = 0
    added = 0
    complete = g.keys.size == n_allowed  # H holds every allowed pair: no pricing needed
    cache_i = np.zeros(0, dtype=np.int64)
    cache_j = np.zeros(0, dtype=np.int64)
    cache_s = np.zeros(0)
    card_i = np.zeros(0, dtype=np.int64)
    card_j = np.zeros(0, dtype=np.int64)
    card_s = np.zeros(0)
    barrier_mask: BoolArray | None = None
    sol: _Solution | None = None
    kc = max(1, min(int(cache), max(n - 1, 1)))
    warm: FloatArray | None = None
    for _ in range(int(max_rounds)):
        rounds += 1
        t0 = time.perf_counter()
        sol = _solve(g, target, warm)
        if warm is not None and not _exposed_lowest(sol, _ADD_TOL * scale * 100):
            _log.debug("peer round %d: warm start left an exposed dual too high, cold", rounds)
            sol = _solve(g, target)
        solve_s += time.perf_counter() - t0
        reached = int((sol.mate >= 0).sum()) == 2 * target
        if complete:
            # H is G: a run to the end leaves a Hungarian forest, its T vertices a Tutte set.
            barrier_mask = np.zeros(n, dtype=np.bool_) if reached else sol.top_label == 2
            break
        t0 = time.perf_counter()
        pscale = max(scale, float(np.abs(sol.u).max(initial=0.0)), float(sol.cz.max(initial=0.0)))
        tol = _ADD_TOL * pscale
        new_i, new_j, new_s = _cached_violators(g, sol, cache_i, cache_j, cache_s, tol)
        if not new_i.size and not reached:
            new_i, new_j, new_s = _exposed_rows(problem, rows, g, sol, kc, tol, deg)
            new_i, new_j, new_s = _outside(g, new_i, new_j, new_s)
        if not new_i.size and card_i.size and not reached:
            new_i, new_j, new_s = _cached_card(g, sol, card_i, card_j, card_s)
        if not new_i.size:
            (cache_i, cache_j, cache_s, card_i, card_j, card_s, n_neg, n_cv) = _price(
                problem, rows, g, sol, kc, tol, not reached
            )
            passes += 1
            # Right after a pass, also take the cached pairs that nearly violate: the duals
            # move when the violators join, and those are the next violators.
            red = _cached_reduced(sol, cache_i, cache_j, cache_s)
            worst = float(-red.min(initial=0.0))
            margin = _NEAR * worst if worst > tol else -tol
            new_i, new_j, new_s = _outside(g, *_select(cache_i, cache_j, cache_s, red < margin))
            if not new_i.size:
                if n_neg:
                    raise RuntimeError(
                        f"peer pricing: {n_neg} violated pairs remain on the candidate graph"
                    )
                if reached:
                    barrier_mask = np.zeros(n, dtype=np.bool_)
                elif n_cv == 0:
                    barrier_mask = sol.top_label == 2
                else:
                    new_i, new_j, new_s = card_i, card_j, card_s
                if barrier_mask is not None:
                    price_s += time.perf_counter() - t0
                    break
        price_s += time.perf_counter() - t0
        got = g.add(new_i, new_j, new_s)
        warm = _warm_duals(g, sol)
        _log.debug(
            "peer round %d: %d pairs (target %d), %d edges, +%d, passes %d",
            rounds, int((sol.mate >= 0).sum() // 2), target, g.keys.size, got, passes,
        )  # fmt: skip
        if got == 0:
            raise RuntimeError("peer pricing: violators found but none is new")
        added += got
    else:
        raise RuntimeError(f"peer pricing did not converge in {max_rounds} rounds")
    assert sol is not None and barrier_mask is not None
    stats = PeerStats(
        rounds=rounds, passes=passes, edges=int(g.keys.size), added=added,
        seconds_solve=solve_s, seconds_price=price_s,
    )  # fmt: skip
    return _result(g, sol, deg, barrier_mask, stats)


def _outside(
    g: _Graph, pi: IntArray, pj: IntArray, ps: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """The listed pairs that are not in the graph yet."""
    if pi.size == 0 or g.keys.size == 0:
        return pi, pj, ps
    key = np.minimum(pi, pj) * g.n + np.maximum(pi, pj)
    pos = np.minimum(np.searchsorted(g.keys, key), g.keys.size - 1)
    sel = g.keys[pos] != key
    return pi[sel], pj[sel], ps[sel]


def _exposed_rows(
    problem: PeerProblem, rows: _Rows, g: _Graph, sol: _Solution, kc: int, tol: float,
    deg: IntArray,
) -> tuple[IntArray, IntArray, FloatArray]:  # fmt: skip
    """Pairs from the rows of the people left unmatched while the target count is not reached:
    their best allowed pairs with each other (augmenting paths of one pair) and their most
    violated pairs. Reads only those rows (upper triangle, so every weight is the one a full
    pass reads); returns nothing when there are too many of them to be cheaper than a pass."""
    n = problem.n
    exposed = np.flatnonzero((sol.mate < 0) & (deg > 0))
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if exposed.size < 2 or exposed.size > rows.step:
        return empty
    is_exp = np.zeros(n, dtype=np.bool_)
    is_exp[exposed] = True
    out_i: list[IntArray] = []
    out_j: list[IntArray] = []
    out_s: list[FloatArray] = []
    for f in exposed.tolist():
        if f + 1 >= n:
            continue
        s = np.asarray(rows.read(f, f + 1)[0, f + 1 :], dtype=np.float64)
        js = np.arange(f + 1, n, dtype=np.int64)
        ok = s >= rows.min_score
        if problem.allowed is not None:
            ok &= problem.allowed[f, f + 1 :]
        js, s = js[ok], s[ok]
        pe = is_exp[js]
        if pe.any():
            je, se = js[pe], s[pe]
            top = np.argsort(-se, kind="stable")[:kc]
            out_i.append(np.full(top.size, f, dtype=np.int64))
            out_j.append(je[top])
            out_s.append(se[top])
        red = pair_reduced(
            np.full(js.size, f, dtype=np.int64), js, s, sol.u, sol.vb, sol.bl_parent,
            sol.bdepth, sol.cz,
        )  # fmt: skip
        viol = np.flatnonzero(red < -tol)
        if viol.size:
            top = viol[np.argsort(red[viol], kind="stable")[:kc]]
            out_i.append(np.full(top.size, f, dtype=np.int64))
            out_j.append(js[top])
            out_s.append(s[top])
    if not out_i:
        return empty
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_s)


def _cached_reduced(sol: _Solution, ci: IntArray, cj: IntArray, cs: FloatArray) -> FloatArray:
    """Reduced costs of the cached pairs under the solution's duals."""
    out: FloatArray = pair_reduced(ci, cj, cs, sol.u, sol.vb, sol.bl_parent, sol.bdepth, sol.cz)
    return out


def _select(
    ci: IntArray, cj: IntArray, cs: FloatArray, sel: BoolArray
) -> tuple[IntArray, IntArray, FloatArray]:
    return ci[sel], cj[sel], cs[sel]


def _cached_violators(
    g: _Graph, sol: _Solution, ci: IntArray, cj: IntArray, cs: FloatArray, tol: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """The cached pairs outside the graph whose reduced cost is below ``-tol``."""
    if ci.size == 0:
        return ci, cj, cs
    red = _cached_reduced(sol, ci, cj, cs)
    return _outside(g, *_select(ci, cj, cs, red < -tol))


def _cached_card(
    g: _Graph, sol: _Solution, ci: IntArray, cj: IntArray, cs: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """The cached pairs that join an S blossom to a non-T vertex outside it."""
    li, lj = sol.top_label[ci], sol.top_label[cj]
    other = sol.top_id[ci] != sol.top_id[cj]
    bad = other & (((li == 1) & (lj != 2)) | ((lj == 1) & (li != 2)))
    key = np.minimum(ci, cj) * g.n + np.maximum(ci, cj)
    pos = np.minimum(np.searchsorted(g.keys, key), max(g.keys.size - 1, 0))
    out = g.keys[pos] != key if g.keys.size else np.ones(key.size, dtype=np.bool_)
    sel = bad & out
    return ci[sel], cj[sel], cs[sel]


def _price(
    problem: PeerProblem, rows: _Rows, g: _Graph, sol: _Solution, kc: int, tol: float,
    want_card: bool,
) -> tuple[IntArray, IntArray, FloatArray, IntArray, IntArray, FloatArray, int, int]:  # fmt: skip
    """One pass over all pairs: the cache, the cardinality-violating pairs (kept only when
    ``want_card``: the solver's forest must then prove the cardinality) and the counts."""
    _, _, _, _, hptr, hnb = g.arrays()
    cap = rows.step * kc
    oi = np.empty(cap, dtype=np.int64)
    oj = np.empty(cap, dtype=np.int64)
    os_ = np.empty(cap)
    qi = np.empty(cap, dtype=np.int64)
    qj = np.empty(cap, dtype=np.int64)
    qs = np.empty(cap)
    vi = np.empty(cap, dtype=np.int64)
    vj = np.empty(cap, dtype=np.int64)
    vs = np.empty(cap)
    keep_i: list[IntArray] = []
    keep_j: list[IntArray] = []
    keep_s: list[FloatArray] = []
    kci: list[IntArray] = []
    kcj: list[IntArray] = []
    kcs: list[FloatArray] = []
    n_neg = n_cv = 0
    for i0, S, mask, use_mask in rows:
        cnt, ccnt, nov, a, c = peer_price_scan(
            S, i0, sol.u, sol.vb, sol.bl_parent, sol.bdepth, sol.cz, hptr, hnb, sol.top_label,
            sol.top_id, want_card, kc, tol, mask, use_mask, rows.min_score,
            oi, oj, os_, 0, qi, qj, qs, 0, vi, vj, vs,
        )  # fmt: skip
        n_neg += int(a)
        n_cv += int(c)
        if cnt:
            keep_i.append(oi[:cnt].copy())
            keep_j.append(oj[:cnt].copy())
            keep_s.append(os_[:cnt].copy())
        if nov:
            keep_i.append(vi[:nov].copy())
            keep_j.append(vj[:nov].copy())
            keep_s.append(vs[:nov].copy())
        if ccnt:
            kci.append(qi[:ccnt].copy())
            kcj.append(qj[:ccnt].copy())
            kcs.append(qs[:ccnt].copy())

    def cat(parts: list[Any], dtype: Any) -> Any:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    return (
        cat(keep_i, np.int64), cat(keep_j, np.int64), cat(keep_s, np.float64),
        cat(kci, np.int64), cat(kcj, np.int64), cat(kcs, np.float64), n_neg, n_cv,
    )  # fmt: skip


def _result(
    g: _Graph, sol: _Solution, deg: IntArray, barrier: BoolArray, stats: PeerStats
) -> PeerAssignment:
    n = g.n
    mate = sol.mate
    i = np.flatnonzero((mate >= 0) & (mate > np.arange(n))).astype(np.int64)
    j = mate[i]
    pairs = np.ascontiguousarray(np.stack([i, j], axis=1).reshape(-1, 2))
    key = i * n + j
    scores = g.w[np.searchsorted(g.keys, key)] if key.size else np.zeros(0)
    unmatched = np.flatnonzero(mate < 0).astype(np.int64)
    reasons = tuple(NO_ALLOWED_PARTNER if deg[v] == 0 else NO_PARTNER_LEFT for v in unmatched)
    keep = sol.bl_z > 0.0
    ks = np.flatnonzero(keep)
    members = [np.sort(sol.bl_members[sol.bl_ptr[k] : sol.bl_ptr[k + 1]]) for k in ks]
    bptr = np.zeros(ks.size + 1, dtype=np.int64)
    if ks.size:
        np.cumsum([m.size for m in members], out=bptr[1:])
    cert = PeerCertificate(
        vertex_dual=sol.u.copy(),
        blossom_dual=sol.bl_z[keep].copy(),
        blossom_ptr=bptr,
        blossom_members=(np.concatenate(members) if members else np.zeros(0, np.int64)).astype(
            np.int64
        ),
        barrier=np.flatnonzero(barrier).astype(np.int64),
    )
    return PeerAssignment(
        pairs=pairs.astype(np.int64),
        scores=np.asarray(scores, dtype=np.float64),
        total=float(scores.sum()),
        unmatched=unmatched,
        unmatched_reasons=reasons,
        n_people=n,
        optimal=True,
        certificate=cert,
        stats=stats,
    )
