"""Mentoring circles: groups of a size range within one pool, with an upper bound and a gap.

:func:`form_circles` partitions people into circles of ``min_size..max_size`` maximising the sum
of within-circle pair scores (plus, optionally, each member's fit with the circle's leader). The
problem is NP-hard; the answer is a documented heuristic, deterministic for the same input, and
comes with a proven upper bound on the optimum and the gap to it.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog
from scipy.sparse import csc_matrix

from matchsvc.assignment._checks import check_real
from matchsvc.assignment._circles_kernel import best_circles, local_search, perturb, resplit
from matchsvc.assignment._peer import assign_peers, validate_peer
from matchsvc.errors import InvalidInputError

__all__ = [
    "CIRCLE_NOT_PLACED",
    "CIRCLE_NO_LEADER",
    "CIRCLE_POOL_SIZE",
    "CIRCLE_TOO_FEW_PARTNERS",
    "CircleStats",
    "Circles",
    "circle_bound",
    "form_circles",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Unmatched reason: fewer than ``min_size - 1`` allowed partners (or no allowed leader with
#: capacity), so no circle can hold this person.
CIRCLE_TOO_FEW_PARTNERS = "too_few_allowed_partners"
#: Unmatched reason: the leaders' capacity limits the number of circles.
CIRCLE_NO_LEADER = "no_leader_capacity"
#: Unmatched reason: the pool cannot be split entirely into circles of the size range.
CIRCLE_POOL_SIZE = "pool_size"
#: Unmatched reason: the heuristic found no circle with room that allows this person.
CIRCLE_NOT_PLACED = "not_placed"

_GAIN_EPS = 1e-12
# A perturbation swaps this many random pairs of people (one swap worked best on clustered
# cosines: 648.9 vs 647.8 with 25 swaps at 1,000 people, circles of 4).
_KICK = 1
# Column generation stops when the LP is this close (relative) to its Lagrangian bound over
# each person's pricing candidates.
_CG_CONVERGED = 2e-4
# Two-circle re-splits try each circle with this many of its most related circles.
_NEAR_CIRCLES = 8


@dataclass(frozen=True)
class CircleStats:
    """What :func:`form_circles` did (for benchmarks and tests)."""

    rounds: int = 0
    sweeps: int = 0
    lp_rounds: int = 0
    columns: int = 0
    lp_value: float = float("nan")
    seconds_heuristic: float = 0.0
    seconds_bound: float = 0.0


@dataclass(frozen=True)
class Circles:
    """The result of :func:`form_circles`.

    Attributes:
        circle_ptr: int64 ``(k + 1,)``; circle ``c`` is
            ``members[circle_ptr[c]:circle_ptr[c + 1]]``.
        members: int64, each circle's people ascending; circles ordered by their first member.
        leaders: int64 ``(k,)``, the leader (column of ``leader_scores``) of each circle, or
            None without leaders.
        scores: float64 ``(k,)``, each circle's value: the sum of its pair scores plus its
            members' fit with its leader.
        total: ``scores.sum()`` in circle order.
        circle_of: int64 ``(n,)``, each person's circle or -1.
        unmatched: int64, the people in no circle, ascending; ``unmatched_reasons`` aligned.
        upper_bound: a proven upper bound on the total of any feasible set of circles.
        gap: ``(upper_bound - total) / |upper_bound|`` (0 when the bound is met).
        bound_method: how ``upper_bound`` was obtained (see :func:`circle_bound`).
        stats: work done.
    """

    circle_ptr: IntArray
    members: IntArray
    leaders: IntArray | None
    scores: FloatArray
    total: float
    circle_of: IntArray
    unmatched: IntArray
    unmatched_reasons: tuple[str, ...]
    upper_bound: float
    gap: float
    bound_method: str
    stats: CircleStats = field(default_factory=CircleStats, compare=False)

    @property
    def n_circles(self) -> int:
        """Number of circles."""
        return int(self.circle_ptr.shape[0] - 1)

    def circle(self, c: int) -> IntArray:
        """The people of circle ``c``."""
        return self.members[self.circle_ptr[c] : self.circle_ptr[c + 1]]


def _int(value: Any, name: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < lo:
        raise InvalidInputError(f"{name} must be an integer >= {lo}, got {value!r}", field=name)
    return int(value)


def _leaders(
    n: int, leader_scores: Any, leader_capacity: Any, leader_allowed: Any
) -> tuple[FloatArray | None, IntArray | None, BoolArray | None]:
    if leader_scores is None:
        for name, v in (("leader_capacity", leader_capacity), ("leader_allowed", leader_allowed)):
            if v is not None:
                raise InvalidInputError(
                    f"{name} was given without leader_scores; pass leader_scores (n x L) to "
                    "lead circles",
                    field=name,
                )
        return None, None, None
    ls = np.asarray(leader_scores)
    if ls.ndim != 2 or ls.shape[0] != n:
        raise InvalidInputError(
            f"leader_scores must be (n_people, n_leaders) = ({n}, L), got shape {ls.shape}",
            field="leader_scores",
        )
    check_real(ls, "leader_scores")
    lsf = np.ascontiguousarray(ls, dtype=np.float64)
    if not np.isfinite(lsf).all():
        r, c = (int(x) for x in np.argwhere(~np.isfinite(lsf))[0])
        raise InvalidInputError(
            f"leader_scores contains {lsf[r, c]} at ({r}, {c}); use leader_allowed=False to "
            "forbid a leader",
            field="leader_scores",
        )
    L = lsf.shape[1]
    if leader_capacity is None:
        cap = np.ones(L, dtype=np.int64)
    else:
        ca = np.asarray(leader_capacity)
        if ca.ndim == 0:
            ca = np.full(L, ca)
        if ca.shape != (L,):
            raise InvalidInputError(
                f"leader_capacity has {ca.size} entries but leader_scores has {L} leaders",
                field="leader_capacity",
            )
        if (
            ca.dtype == np.bool_
            or not np.issubdtype(ca.dtype, np.number)
            or (np.issubdtype(ca.dtype, np.floating) and (ca != np.round(ca)).any())
        ):
            raise InvalidInputError(
                f"leader_capacity must hold integers (circles a leader leads), got {ca!r}",
                field="leader_capacity",
            )
        if (ca < 0).any():
            k = int(np.flatnonzero(ca < 0)[0])
            raise InvalidInputError(
                f"leader_capacity[{k}] = {ca[k]} is negative; use 0 for a leader who leads none",
                field="leader_capacity",
            )
        cap = ca.astype(np.int64)
    la: BoolArray
    if leader_allowed is None:
        la = np.ones((n, L), dtype=np.bool_)
    else:
        la = np.asarray(leader_allowed)
        if la.dtype != np.bool_ or la.shape != (n, L):
            raise InvalidInputError(
                f"leader_allowed must be a bool ({n}, {L}) array, got {la.dtype} {la.shape}",
                field="leader_allowed",
            )
        la = np.ascontiguousarray(la)
    return lsf, cap, la


def _value(W: FloatArray, grp: IntArray, lf: FloatArray) -> tuple[int, float]:
    """(people placed, total) of a partition (``lf[i, g]``: leader fit)."""
    placed = np.flatnonzero(grp >= 0)
    if placed.size == 0:
        return 0, 0.0
    g = grp[placed]
    same = g[:, None] == g[None, :]
    pair = float((W[np.ix_(placed, placed)] * same).sum()) / 2.0
    return int(placed.size), pair + float(lf[placed, g].sum())


def _merge_rounds(W: FloatArray, forb: BoolArray | None, people: IntArray, b: int) -> IntArray:
    """Groups (a label per listed person) by repeated exact matchings of groups: every round
    pairs up groups whose merged size fits ``b``, maximising the merged pairs' scores."""
    labels = np.arange(people.size, dtype=np.int64)
    Wp = W[np.ix_(people, people)]
    Fp = None if forb is None else forb[np.ix_(people, people)].astype(np.float64)
    while True:
        G = int(labels.max(initial=-1)) + 1
        if G < 2:
            return labels
        Z = np.zeros((people.size, G))
        Z[np.arange(people.size), labels] = 1.0
        size = Z.sum(axis=0)
        cross = Z.T @ Wp @ Z
        cross = (cross + cross.T) / 2.0
        ok = (size[:, None] + size[None, :]) <= b
        if Fp is not None:
            ok &= (Z.T @ Fp @ Z) == 0
        np.fill_diagonal(ok, False)
        if not ok.any():
            return labels
        res = assign_peers(cross, allowed=ok)
        if res.n_pairs == 0:
            return labels
        new = np.arange(G, dtype=np.int64)
        new[res.pairs[:, 1]] = res.pairs[:, 0]
        _, compact = np.unique(new, return_inverse=True)
        labels = compact[labels].astype(np.int64)


def _construct(
    W: FloatArray, forb: BoolArray | None, eligible: IntArray, a: int, b: int, g_target: int,
) -> IntArray:  # fmt: skip
    """A first partition: matching merges, then at most ``g_target`` circles of size ``>= a``
    (the weakest per member dissolved), new circles grown greedily while some are missing;
    people left over stay unplaced (local search inserts them where there is room)."""
    n = W.shape[0]
    grp = np.full(n, -1, dtype=np.int64)
    if eligible.size == 0 or g_target == 0:
        return grp
    labels = _merge_rounds(W, forb, eligible, b)
    groups = [eligible[labels == g] for g in range(int(labels.max()) + 1)]
    big = [m for m in groups if m.size >= a]
    pool = [int(x) for m in groups if m.size < a for x in m]
    big.sort(key=lambda m: (-float(W[np.ix_(m, m)].sum()) / (2 * m.size), int(m[0])))
    while len(big) > g_target:
        pool.extend(int(x) for x in big.pop())
    pool.sort()
    # grow circles from the pool while some are missing
    while len(big) < g_target and len(pool) >= a:
        seed = pool.pop(0)
        circle = [seed]
        while len(circle) < a:
            best = -np.inf
            pick = -1
            for x in pool:
                if forb is not None and forb[x, circle].any():
                    continue
                v = float(W[x, circle].sum())
                if v > best:
                    best, pick = v, x
            if pick < 0:
                break
            circle.append(pick)
            pool.remove(pick)
        if len(circle) >= a:
            big.append(np.array(sorted(circle), dtype=np.int64))
        else:
            pool.extend(c for c in circle[1:])
            pool.sort()
            # the seed cannot start a circle: leave it out
    for g, m in enumerate(big):
        grp[m] = g
    return grp


def _assign_leaders(
    grp: IntArray, G: int, ls: FloatArray, cap: IntArray, la: BoolArray
) -> IntArray:
    """The best leader of each circle (-1: none left) with leader capacities: an exact
    assignment of circles to leaders, as many circles led as possible, then the largest fit."""
    from matchsvc.assignment._assign import assign

    lead = np.full(G, -1, dtype=np.int64)
    if G == 0 or ls.shape[1] == 0:
        return lead
    placed = grp >= 0
    Z = np.zeros((grp.size, G))
    Z[np.flatnonzero(placed), grp[placed]] = 1.0
    fit = Z.T @ ls
    ok = (Z.T @ (~la).astype(np.float64)) == 0
    ok &= (Z.sum(axis=0) > 0)[:, None]
    res = assign(fit, capacity=cap, allowed=ok)
    lead[res.pairs[:, 0]] = res.pairs[:, 1]
    return lead


def _leader_terms(
    n: int, G: int, lead: IntArray | None, ls: FloatArray | None, la: BoolArray | None
) -> tuple[FloatArray, BoolArray]:
    lf = np.zeros((n, max(G, 1)))
    lforb = np.zeros((n, max(G, 1)), dtype=np.bool_)
    if lead is not None and ls is not None and la is not None:
        for g in range(G):
            if lead[g] >= 0:
                lf[:, g] = ls[:, lead[g]]
                lforb[:, g] = ~la[:, lead[g]]
            else:
                lforb[:, g] = True  # a circle without a leader takes nobody
    return lf, lforb


def circle_bound(
    W: FloatArray,
    forb: BoolArray | None,
    min_size: int,
    max_size: int,
    columns: list[IntArray],
    *,
    rounds: int = 60,
    candidates: int = 40,
) -> tuple[float, float, int, int]:
    """Upper bound on the total within-circle pair score of any set of disjoint allowed
    circles of size ``min_size..max_size``.

    Returns ``(bound, lp_value, lp_rounds, columns)``.

    Notes:
        Set-partitioning LP (the "master problem" of column generation; Gilmore & Gomory 1961,
        Desrosiers & Luebbecke 2005): ``max sum_C w(C) y_C`` s.t. ``sum_{C ni i} y_C <= 1``,
        ``y >= 0`` over allowed circles ``C``. It is solved over a growing set of columns
        (starting from ``columns``, e.g. the heuristic's circles) with HiGHS; each round prices
        with the duals ``pi >= 0``: for every person, the circle containing them with the best
        reduced value per member among their ``candidates`` best partners (branch and bound)
        joins the columns if positive (rounds stop when none does, after ``rounds``, or when
        the LP is within 0.02% of ``UB(pi)`` below computed over the candidates only).
        Whatever ``pi`` the rounds stop at, the bound is then
        made valid by one exact pricing over everyone:
        ``R_i = max_{C ni i} (w(C) - pi(C)) / |C|`` and

            UB(pi) = sum_i max(pi_i, 0) + sum_i max(R_i, 0),

        since for any set ``P`` of disjoint circles
        ``sum_{C in P} w(C) = sum_{C in P} sum_{i in C} [(w(C) - pi(C)) / |C| + pi_i]``
        ``<= sum_i max(R_i, 0) + sum_i max(pi_i, 0)`` (a Lagrangian bound). At an optimal LP
        dual every ``R_i <= 0`` and ``UB`` is the LP value. The LP is tighter than the degree
        relaxation (within-circle pairs form a graph of degree ``<= max_size - 1``, a
        b-matching), which ignores that a person's circle-mates must also share the circle.
    """
    n = W.shape[0]
    use_forb = forb is not None
    fb = forb if forb is not None else np.zeros((1, 1), dtype=np.bool_)
    cols: dict[bytes, tuple[IntArray, float]] = {}

    def add(mem: IntArray) -> bool:
        mem = np.sort(mem.astype(np.int64))
        key = mem.tobytes()
        if key in cols:
            return False
        cols[key] = (mem, float(W[np.ix_(mem, mem)].sum()) / 2.0)
        return True

    for c in columns:
        if min_size <= c.size <= max_size:
            add(c)
    pi = np.zeros(n)
    lp = 0.0
    out_val = np.empty(n)
    out_size = np.zeros(n, dtype=np.int64)
    out_mem = np.zeros((n, max_size + 1), dtype=np.int64)
    done = 0
    for _ in range(rounds):
        if not cols:
            break
        done += 1
        mems = [m for m, _ in cols.values()]
        vals = np.array([v for _, v in cols.values()])
        rows = np.concatenate(mems)
        colix = np.repeat(np.arange(len(mems)), [m.size for m in mems])
        A = csc_matrix((np.ones(rows.size), (rows, colix)), shape=(n, len(mems)))
        res = linprog(-vals, A_ub=A, b_ub=np.ones(n), bounds=(0, None), method="highs")
        if res.status != 0:  # pragma: no cover - HiGHS solves this bounded LP
            raise RuntimeError(f"circle bound LP failed: {res.message}")
        pi = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=np.float64), 0.0)
        lp = float(-res.fun)
        best_circles(
            W, pi, fb, use_forb, min_size, max_size, candidates, out_val, out_size, out_mem
        )
        # The same Lagrangian bound over the candidates only: once the LP is that close to it
        # the rounds mostly add degenerate columns (the exact pricing below decides the bound).
        est = float(pi.sum() + np.maximum(np.where(np.isfinite(out_val), out_val, 0.0), 0.0).sum())
        if est - lp <= _CG_CONVERGED * max(abs(lp), 1e-300):
            break
        added = 0
        for i in np.flatnonzero(out_val > 1e-9 * max(1.0, abs(lp) / max(n, 1))):
            if add(out_mem[i, : out_size[i]]):
                added += 1
        if added == 0:
            break
    best_circles(W, pi, fb, use_forb, min_size, max_size, n, out_val, out_size, out_mem)
    r = np.where(np.isfinite(out_val), out_val, 0.0)
    bound = float(np.maximum(pi, 0.0).sum() + np.maximum(r, 0.0).sum())
    return bound, lp, done, len(cols)


def _leader_bound(ls: FloatArray, cap: IntArray, la: BoolArray, max_size: int) -> float:
    """Upper bound on the members' total leader fit: each person with at most one leader,
    leader ``l`` with at most ``cap[l] * max_size`` members (exact transportation problem,
    a zero-score "no leader" column keeps it a maximum-weight one)."""
    from matchsvc.assignment._assign import assign

    n = ls.shape[0]
    s = np.concatenate([np.maximum(ls, 0.0), np.zeros((n, 1))], axis=1)
    ok = np.concatenate([la & (ls > 0), np.ones((n, 1), dtype=np.bool_)], axis=1)
    capacity = np.concatenate([cap * max_size, [n]])
    return float(assign(s, capacity=capacity, allowed=ok).total)


def _improve(
    W: FloatArray, fb: BoolArray, use_forb: bool, grp: IntArray, G: int, a: int, b: int,
    lf: FloatArray, lforb: BoolArray,
) -> tuple[tuple[int, float], int]:  # fmt: skip
    """Local search and exact two-circle re-splits in turn until neither improves; returns
    ((people placed, total), local-search sweeps)."""
    sweeps = 0
    for _ in range(100):
        sweeps += int(local_search(W, fb, use_forb, grp, G, a, b, lf, lforb, 10_000))
        if resplit(W, fb, use_forb, grp, G, a, b, lf, lforb, _NEAR_CIRCLES, 20) == 0:
            break
    return _value(W, grp, lf), sweeps


def form_circles(
    scores: Any,
    min_size: int,
    max_size: int,
    allowed: Any = None,
    *,
    leader_scores: Any = None,
    leader_capacity: Any = None,
    leader_allowed: Any = None,
    seed: int = 0,
    rounds: int = 50,
    bound_rounds: int = 60,
    bound_candidates: int = 40,
) -> Circles:
    """Split one pool into circles of ``min_size..max_size`` people.

    Objective (lexicographic, the convention of pairs): as many people in circles as
    possible, then the largest total, where a circle ``C`` led by leader ``l`` is worth
    ``sum_{i < j in C} scores[i, j] + sum_{i in C} leader_scores[i, l]`` (the leader counts as
    one more member for every person's fit, not for the size). Two people of a forbidden pair
    never share a circle; a person never joins a circle whose leader is forbidden for them.

    Args:
        scores: ``(n, n)`` symmetric real matrix (higher is better; diagonal ignored).
        min_size, max_size: circle size range, ``2 <= min_size <= max_size``.
        allowed: optional ``(n, n)`` symmetric bool mask; False forbids a pair.
        leader_scores: optional ``(n, L)`` fit of each person with each leader; when given
            every circle has exactly one leader.
        leader_capacity: int ``(L,)`` or scalar, circles each leader may lead (default 1).
        leader_allowed: optional bool ``(n, L)``; False keeps a person out of that leader's
            circles.
        seed: seed of the perturbations (the same input and seed give the same circles).
        rounds: perturbation rounds of the iterated local search.
        bound_rounds, bound_candidates: column-generation rounds and pricing candidates per
            person for the upper bound (the bound is valid whatever their values).

    Returns:
        :class:`Circles` with the circles, the unplaced people and their reasons, the upper
        bound and the gap.

    Raises:
        InvalidInputError: invalid scores/allowed (see
            :func:`matchsvc.assignment._peer.validate_peer`), sizes, leader arrays, a block
            source (circles need the matrix in memory), or bad ``seed``/``rounds``.

    Notes:
        Heuristic (the problem is NP-hard: it contains partition into triangles):

        1. construction: repeated exact maximum-weight matchings of groups (people into pairs,
           pairs into fours, ... while the merged size fits ``max_size``), then the circles
           are cut to the number needed (the weakest per member dissolved) or grown greedily;
        2. local search (:func:`matchsvc.assignment._circles_kernel.local_search`): insert
           unplaced people, move one person, swap two people or a placed and an unplaced
           person, best move per person, until none improves; then exact re-splits of two
           circles (:func:`matchsvc.assignment._circles_kernel.resplit`: every split of their
           union, for each circle and its 8 most related circles), both in turn until
           neither improves;
        3. iterated local search: ``rounds`` seeded perturbations (one random feasible swap
           of two people) each followed by step 2 from the best partition so far; the best
           partition is kept;
        4. leaders: circles get leaders by an exact capacitated assignment, local search runs
           with the leaders fixed, and leaders are assigned again (twice).

        The upper bound is the set-partitioning LP bound of :func:`circle_bound` (pairs) plus,
        with leaders, the transportation bound of the leader fits (each person with their best
        allowed leader, ``capacity * max_size`` members per leader); the sum of two bounds is
        a bound of the sum.
    """
    a = _int(min_size, "min_size", 2)
    b = _int(max_size, "max_size", 2)
    if a > b:
        raise InvalidInputError(
            f"min_size = {a} exceeds max_size = {b}; pass min_size <= max_size",
            field="min_size",
        )
    seed = _int(seed, "seed", 0)
    rounds = _int(rounds, "rounds", 0)
    bound_rounds = _int(bound_rounds, "bound_rounds", 0)
    bound_candidates = _int(bound_candidates, "bound_candidates", 1)
    problem = validate_peer(scores, allowed)
    if not problem.is_dense:
        raise InvalidInputError(
            "form_circles needs the scores in memory (an (n, n) array), not a block source",
            field="scores",
        )
    assert isinstance(problem.scores, np.ndarray)
    W = np.array(problem.scores, dtype=np.float64)
    n = problem.n
    W = np.triu(W, 1)
    W = W + W.T  # the upper triangle defines every pair, as for pairs
    forb = None if problem.allowed is None else ~problem.allowed
    if forb is not None:
        np.fill_diagonal(forb, False)
    ls, cap, la = _leaders(n, leader_scores, leader_capacity, leader_allowed)
    t0 = time.perf_counter()

    deg = np.full(n, max(n - 1, 0)) if forb is None else (~forb).sum(axis=1) - 1
    eligible_mask = deg >= a - 1
    if la is not None and cap is not None:
        eligible_mask &= (la & (cap > 0)[None, :]).any(axis=1)
    eligible = np.flatnonzero(eligible_mask).astype(np.int64)
    g_cap = eligible.size // a
    if cap is not None:
        g_cap = min(g_cap, int(cap.sum()))
    p_star = min(int(eligible.size), g_cap * b)
    g_target = -(-p_star // b) if p_star else 0

    grp = _construct(W, forb, eligible, a, b, g_target)
    G = max(int(grp.max(initial=-1)) + 1, 1)
    lead = None
    if ls is not None and cap is not None and la is not None:
        lead = _assign_leaders(grp, G, ls, cap, la)
        grp[(grp >= 0) & (lead[np.maximum(grp, 0)] < 0)] = -1
    use_forb = forb is not None
    fb = forb if forb is not None else np.zeros((1, 1), dtype=np.bool_)
    sweeps = 0
    best = grp.copy()
    for phase in range(2 if lead is not None else 1):
        lf, lforb = _leader_terms(n, G, lead, ls, la)
        best_val, sw = _improve(W, fb, use_forb, best, G, a, b, lf, lforb)
        sweeps += sw
        kick = _KICK
        for r in range(rounds):
            cand = best.copy()
            perturb(W, fb, use_forb, cand, G, lforb, kick, (seed * 1_000_003 + r) % (1 << 32))
            v, sw = _improve(W, fb, use_forb, cand, G, a, b, lf, lforb)
            sweeps += sw
            if v[0] > best_val[0] or (v[0] == best_val[0] and v[1] > best_val[1] + _GAIN_EPS):
                best, best_val = cand, v
        if (
            lead is not None
            and phase == 0
            and ls is not None
            and cap is not None
            and la is not None
        ):
            lead = _assign_leaders(best, G, ls, cap, la)
            best[(best >= 0) & (lead[np.maximum(best, 0)] < 0)] = -1
    t_heur = time.perf_counter() - t0

    # ---- result -----------------------------------------------------------------------------
    used = np.unique(best[best >= 0])
    circles = [np.flatnonzero(best == g).astype(np.int64) for g in used]
    order = sorted(range(len(circles)), key=lambda k: int(circles[k][0]))
    circles = [circles[k] for k in order]
    leaders_out = None if lead is None else np.array([lead[used[k]] for k in order], np.int64)
    circle_of = np.full(n, -1, dtype=np.int64)
    ptr = np.zeros(len(circles) + 1, dtype=np.int64)
    sc = np.zeros(len(circles))
    for c, m in enumerate(circles):
        circle_of[m] = c
        ptr[c + 1] = ptr[c] + m.size
        sc[c] = float(W[np.ix_(m, m)].sum()) / 2.0
        if leaders_out is not None and ls is not None:
            sc[c] += float(ls[m, leaders_out[c]].sum())
    members = np.concatenate(circles) if circles else np.zeros(0, dtype=np.int64)
    total = float(sc.sum())
    unmatched = np.flatnonzero(circle_of < 0).astype(np.int64)
    n_placed = n - unmatched.size
    cap_limited = cap is not None and int(cap.sum()) * b < eligible.size
    reasons = []
    for person in unmatched:
        if not eligible_mask[person]:
            reasons.append(CIRCLE_TOO_FEW_PARTNERS)
        elif n_placed < p_star:
            reasons.append(CIRCLE_NOT_PLACED)
        elif cap_limited:
            reasons.append(CIRCLE_NO_LEADER)
        else:
            reasons.append(CIRCLE_POOL_SIZE)

    # ---- upper bound ------------------------------------------------------------------------
    t1 = time.perf_counter()
    ub, lp, lp_rounds, ncols = circle_bound(
        W, forb, a, b, circles, rounds=bound_rounds, candidates=bound_candidates
    )
    method = "set_partition_lp"
    if ls is not None and cap is not None and la is not None:
        ub += _leader_bound(ls, cap, la, b)
        method = "set_partition_lp+leader_transport"
    t_bound = time.perf_counter() - t1
    if ub <= total or abs(ub - total) <= 1e-12 * max(1.0, abs(ub)):
        gap = 0.0
    else:
        gap = (ub - total) / max(abs(ub), 1e-300)
    stats = CircleStats(
        rounds=rounds, sweeps=sweeps, lp_rounds=lp_rounds, columns=ncols, lp_value=lp,
        seconds_heuristic=t_heur, seconds_bound=t_bound,
    )  # fmt: skip
    return Circles(
        circle_ptr=ptr, members=members, leaders=leaders_out, scores=sc, total=total,
        circle_of=circle_of, unmatched=unmatched, unmatched_reasons=tuple(reasons),
        upper_bound=ub, gap=gap, bound_method=method, stats=stats,
    )  # fmt: skip
