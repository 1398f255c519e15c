"""Re-matching: keep the pairs that work, refill freed capacity, move as few people as possible.

Pure core, built on the same compatibility matrix, solver and explanations as a first match.

The policy's objective, solved exactly:

1. Pairs the policy ends are ended first: a current pair whose ``goals_met`` is set (with
   ``release_goals_met``) is released and its slot closed; a current pair rated below
   ``min_rating_to_keep`` (the lower of the two sides' ratings) is released and forbidden, the
   mentee's slot stays open. Past pairs with outcome ``"bad"`` (or a rating below
   ``min_rating_to_keep``) are forbidden. ``locked`` pairs are kept whatever else holds.
2. Among the remaining choices, first match as many (mentee, slot) demands as possible, then
   maximise ``sum over matched pairs of score + stability_bonus * [pair is active now]
   + wait_bonus * priority(mentee)``, subject to at most ``max_moves`` active pairs left.

``priority`` is 1 for mentees in an active pair (already in the programme: waiting never
displaces them) and, for the others, ranks ``waiting_since``: the longest-waiting gets 1, the
next ``(k-1)/k``, ... the newest ``1/k``; mentees without ``waiting_since`` get 0. So an active
pair only moves when the programme gains more than ``stability_bonus`` per move, and the last
free slot goes to the longer-waiting of two mentees unless the other's score is higher by more
than ``wait_bonus`` times their priority gap.

Without ``max_moves`` (or when it does not bind) this is a min-cost flow (:func:`matchsvc.assign`,
exact and certified). When it binds, the side constraint breaks the network structure and the
problem is solved as an integer program with HiGHS at zero relative gap (exact up to HiGHS's
absolute tolerance of 1e-6 on the objective; seconds for a few hundred people, slower beyond).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from matchsvc.assignment import assign
from matchsvc.errors import InfeasibleError, InvalidInputError
from matchsvc.explain import Explanation, SlotHolders, explain_pair, unmatched_reasons
from matchsvc.matching import MatchOptions, MentorLoad, compatibility
from matchsvc.profiles import Profile
from matchsvc.scoring import Compatibility, Embedder

__all__ = [
    "CurrentPair",
    "PastPair",
    "RematchAction",
    "RematchPolicy",
    "RematchReport",
    "RematchSummary",
    "rematch",
]

ActionKind = Literal["kept", "moved", "new", "released", "unmatched"]


@dataclass(frozen=True, slots=True)
class CurrentPair:
    """A pair in the programme now. Ratings are 1-5 from either side (None = not rated)."""

    mentee_id: str
    mentor_id: str
    status: Literal["active", "ended"] = "active"
    mentee_rating: float | None = None
    mentor_rating: float | None = None
    goals_met: bool = False
    started_at: datetime | None = None

    @property
    def rating(self) -> float | None:
        """The lower of the two ratings given (the unhappier side decides)."""
        given = [r for r in (self.mentee_rating, self.mentor_rating) if r is not None]
        return min(given) if given else None


@dataclass(frozen=True, slots=True)
class PastPair:
    """A pair that existed before. ``outcome == "bad"`` forbids it from coming back."""

    mentee_id: str
    mentor_id: str
    outcome: Literal["good", "neutral", "bad"] = "neutral"
    rating: float | None = None


@dataclass(frozen=True, slots=True)
class RematchPolicy:
    """What the re-match may change. See the module docstring for the exact objective."""

    stability_bonus: float = 0.1
    locked: tuple[tuple[str, str], ...] = ()
    max_moves: int | None = None
    min_rating_to_keep: float | None = None
    release_goals_met: bool = True
    waiting_since: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))
    wait_bonus: float = 0.5


@dataclass(frozen=True, slots=True)
class RematchAction:
    """What happens to one (mentee, slot).

    ``reason`` codes: ``locked``, ``stable`` (kept: moving would not gain more than the
    stability bonus), ``goals_met``, ``low_rating``, ``better_fit`` (moved: the programme
    gains), ``no_longer_allowed`` (the pair now breaks a hard constraint), ``slot_reassigned``
    (released: the mentor's slot serves the programme better elsewhere and no other mentor
    fits), ``open_slot`` (new),
    and for ``unmatched`` the reason codes of ``POST /match`` (``no_feasible_mentor``,
    ``capacity_exhausted``, ``below_min_score``).
    """

    mentee_id: str
    action: ActionKind
    from_mentor_id: str | None
    to_mentor_id: str | None
    reason: str
    score_before: float | None
    score_after: float | None
    explanation: Explanation | None


@dataclass(frozen=True, slots=True)
class RematchSummary:
    """Counts and totals of a re-match.

    ``moves`` counts the active pairs the re-match chose to change (what ``max_moves`` and
    ``stability_bonus`` govern); ``ended_by_policy`` the active pairs the policy ended
    (goals met, low rating, no longer allowed), whose mentees may show as ``moved`` too.
    ``total_before``: scores of the active pairs now (current profiles); ``total_after``:
    scores of every pair after. ``gain_per_move``: (score + priority objective after minus
    that of the best solution that moves nobody by choice) / moves; at least
    ``stability_bonus`` whenever there are moves.
    """

    kept: int
    moves: int
    ended_by_policy: int
    released: int
    new: int
    unmatched: int
    total_before: float
    total_after: float
    gain_per_move: float | None
    optimal: bool
    solver: str
    timings_ms: dict[str, float]


@dataclass(frozen=True, slots=True)
class RematchReport:
    actions: tuple[RematchAction, ...]
    mentors: tuple[MentorLoad, ...]
    summary: RematchSummary


def _check(
    comp: Compatibility,
    current: Sequence[CurrentPair],
    history: Sequence[PastPair],
    policy: RematchPolicy,
) -> None:
    lookups = (("mentee_id", comp.mentee_index), ("mentor_id", comp.mentor_index))

    def known(where: str, mentee_id: str, mentor_id: str) -> None:
        for (side, index), pid in zip(lookups, (mentee_id, mentor_id), strict=True):
            try:
                index(pid)
            except KeyError:
                raise InvalidInputError(
                    f"{where} names {side[:-3]} {pid!r}, who is not in this request: "
                    f"add them to the {side[:-3]}s or drop the pair",
                    field=f"{where}.{side}",
                ) from None

    seen: dict[tuple[str, str], int] = {}
    for k, pair in enumerate(current):
        known(f"current[{k}]", pair.mentee_id, pair.mentor_id)
        key = (pair.mentee_id, pair.mentor_id)
        if key in seen:
            raise InvalidInputError(
                f"current[{k}] repeats the pair {key} of current[{seen[key]}]",
                field=f"current[{k}]",
            )
        seen[key] = k
        for side in ("mentee_rating", "mentor_rating"):
            value = getattr(pair, side)
            if value is not None and not 1 <= value <= 5:
                raise InvalidInputError(
                    f"current[{k}].{side} is {value}; ratings run from 1 to 5",
                    field=f"current[{k}].{side}",
                )
    for k, past in enumerate(history):
        known(f"history[{k}]", past.mentee_id, past.mentor_id)
    for k, (mentee_id, mentor_id) in enumerate(policy.locked):
        known(f"policy.locked[{k}]", mentee_id, mentor_id)
    for mentee_id in policy.waiting_since:
        try:
            comp.mentee_index(mentee_id)
        except KeyError:
            raise InvalidInputError(
                f"waiting_since names mentee {mentee_id!r}, who is not in this request",
                field=f"policy.waiting_since.{mentee_id}",
            ) from None
    checks = (
        ("stability_bonus", policy.stability_bonus),
        ("wait_bonus", policy.wait_bonus),
    )
    for name, value in checks:
        if not np.isfinite(value) or value < 0:
            raise InvalidInputError(
                f"{name} is {value}; use a finite number >= 0", field=f"policy.{name}"
            )
    if policy.max_moves is not None and policy.max_moves < 0:
        raise InvalidInputError(
            f"max_moves is {policy.max_moves}; use 0 or more, or leave it out",
            field="policy.max_moves",
        )


def _priority(
    comp: Compatibility, policy: RematchPolicy, in_programme: NDArray[np.bool_]
) -> NDArray[np.float64]:
    priority = np.where(in_programme, 1.0, 0.0)
    waiting = [
        (policy.waiting_since[mid], i)
        for i, mid in enumerate(comp.mentee_ids)
        if mid in policy.waiting_since and not in_programme[i]
    ]
    waiting.sort()
    k = len(waiting)
    for rank, (_, i) in enumerate(waiting):
        priority[i] = (k - rank) / k
    return priority


def _solve_with_move_limit(
    weights: NDArray[np.float64],
    allowed: NDArray[np.bool_],
    capacity: NDArray[np.int64],
    demand: NDArray[np.int64],
    active: NDArray[np.bool_],
    max_moves: int,
) -> NDArray[np.int64]:
    """Exact lexicographic (count, then weight) optimum with at most ``max_moves`` active
    pairs dropped, as two integer programs (HiGHS, zero gap). Returns the (k, 2) pairs."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix

    rows, cols = np.nonzero(allowed)
    nvar = rows.size
    n, m = allowed.shape
    ones = np.ones(nvar)
    var = np.arange(nvar)
    constraints = [
        LinearConstraint(csr_matrix((ones, (rows, var)), shape=(n, nvar)), 0, demand),
        LinearConstraint(csr_matrix((ones, (cols, var)), shape=(m, nvar)), 0, capacity),
    ]
    is_active = active[rows, cols].astype(np.float64)
    n_active = int(is_active.sum())
    constraints.append(LinearConstraint(is_active[None, :], n_active - max_moves, np.inf))
    options = {"mip_rel_gap": 0.0}  # HiGHS keeps its absolute gap of 1e-6
    integral = np.ones(nvar)
    first = milp(
        -ones, constraints=constraints, integrality=integral, bounds=Bounds(0, 1), options=options
    )
    if first.x is None:
        raise InfeasibleError(
            f"no assignment keeps max_moves={max_moves}: {first.message}",
            field="policy.max_moves",
        )
    count = round(-first.fun)
    constraints.append(LinearConstraint(ones[None, :], count, count))
    second = milp(
        -weights[rows, cols],
        constraints=constraints,
        integrality=integral,
        bounds=Bounds(0, 1),
        options=options,
    )
    chosen = np.flatnonzero(second.x > 0.5)
    return np.stack([rows[chosen], cols[chosen]], axis=1).astype(np.int64)


def _solve(
    weights: NDArray[np.float64],
    allowed: NDArray[np.bool_],
    capacity: NDArray[np.int64],
    demand: NDArray[np.int64],
    active: NDArray[np.bool_],
    max_moves: int | None,
    solver: str,
) -> tuple[NDArray[np.int64], bool, str]:
    result = assign(weights, capacity=capacity, demand=demand, allowed=allowed, solver=solver)
    moves = int(active.sum()) - int(active[result.pairs[:, 0], result.pairs[:, 1]].sum())
    if max_moves is None or moves <= max_moves:
        return result.pairs, result.optimal, result.solver
    pairs = _solve_with_move_limit(weights, allowed, capacity, demand, active, max_moves)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))], True, "milp"


def rematch(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    current: Sequence[CurrentPair],
    history: Sequence[PastPair],
    policy: RematchPolicy,
    options: MatchOptions,
    embedder: Embedder,
) -> RematchReport:
    """Re-match a running programme under ``policy`` (module docstring: the exact objective).

    Raises:
        InvalidInputError: unknown ids in pairs, repeated pairs, bad ratings or policy values.
        InfeasibleError: locked pairs exceed a mentor's capacity or a mentee's demand.
    """
    clock: dict[str, float] = {}
    start = time.perf_counter()
    comp = compatibility(mentees, mentors, options.scoring, embedder, None)
    clock["score"] = (time.perf_counter() - start) * 1000
    _check(comp, current, history, policy)
    n, m = comp.shape
    capacity = np.array([p.capacity for p in mentors], dtype=np.int64)
    demand = np.array([p.demand for p in mentees], dtype=np.int64)
    allowed = comp.allowed.copy()
    if options.min_score is not None:
        allowed &= comp.scores >= np.float32(options.min_score)
    before_min_score = comp.allowed.copy()
    floor = policy.min_rating_to_keep

    locked = {(comp.mentee_index(a), comp.mentor_index(b)) for a, b in policy.locked}
    released: dict[tuple[int, int], str] = {}
    active: dict[tuple[int, int], str] = {}  # pair -> "" (eligible) or why it must end
    for pair in current:
        key = (comp.mentee_index(pair.mentee_id), comp.mentor_index(pair.mentor_id))
        rating = pair.rating
        if key in locked or pair.status != "active":
            ended_badly = floor is not None and rating is not None and rating < floor
            if pair.status != "active" and ended_badly:
                allowed[key] = before_min_score[key] = False
            continue
        if policy.release_goals_met and pair.goals_met:
            released[key] = "goals_met"
            demand[key[0]] -= 1
            allowed[key] = before_min_score[key] = False
        elif floor is not None and rating is not None and rating < floor:
            active[key] = "low_rating"
            allowed[key] = before_min_score[key] = False
        else:
            active[key] = "" if allowed[key] else "no_longer_allowed"
    for past in history:
        bad = past.outcome == "bad" or (
            floor is not None and past.rating is not None and past.rating < floor
        )
        if bad:
            key = (comp.mentee_index(past.mentee_id), comp.mentor_index(past.mentor_id))
            if key not in locked:
                allowed[key] = before_min_score[key] = False

    for i, j in sorted(locked):
        capacity[j] -= 1
        demand[i] -= 1
        allowed[i, j] = False
        if capacity[j] < 0 or demand[i] < 0:
            who = comp.mentor_ids[j] if capacity[j] < 0 else comp.mentee_ids[i]
            raise InfeasibleError(
                f"locked pairs give {who!r} more pairs than their "
                f"{'capacity' if capacity[j] < 0 else 'demand'} allows: unlock some",
                field="policy.locked",
            )
    demand = np.maximum(demand, 0)

    eligible = np.zeros((n, m), dtype=bool)
    for (i, j), why in active.items():
        eligible[i, j] = why == ""
    in_programme: NDArray[np.bool_] = np.asarray(eligible.any(axis=1), dtype=bool)
    for i, _ in locked:
        in_programme[i] = True
    priority = _priority(comp, policy, in_programme)
    base = comp.scores.astype(np.float64) + policy.wait_bonus * priority[:, None]
    weights = base + policy.stability_bonus * eligible

    start = time.perf_counter()
    pairs, optimal, solver = _solve(
        weights, allowed, capacity, demand, eligible, policy.max_moves, options.solver
    )
    stay_value = None
    kept_now = eligible[pairs[:, 0], pairs[:, 1]].sum() if pairs.size else 0
    moves = int(eligible.sum()) - int(kept_now)
    if moves:
        cap_stay, dem_stay, allowed_stay = capacity.copy(), demand.copy(), allowed.copy()
        for i, j in zip(*np.nonzero(eligible), strict=True):
            cap_stay[j] -= 1
            dem_stay[i] -= 1
            allowed_stay[i, j] = False
        if (cap_stay >= 0).all() and (dem_stay >= 0).all():
            stay = assign(
                base,
                capacity=cap_stay,
                demand=dem_stay,
                allowed=allowed_stay,
                solver=options.solver,
            )
            stay_value = stay.total + float(base[eligible].sum())
    clock["solve"] = (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    all_pairs = sorted({*map(tuple, pairs.tolist()), *locked})
    arr = np.array(all_pairs, dtype=np.int64).reshape(-1, 2)
    pair_scores = comp.scores[arr[:, 0], arr[:, 1]].astype(np.float64)
    holders = SlotHolders(arr, pair_scores, m)
    full_capacity = [p.capacity for p in mentors]
    actions = _actions(
        comp, allowed, holders, full_capacity, all_pairs, locked, released, active, options.explain
    )
    unmet = np.array([p.demand for p in mentees], dtype=np.int64)
    for i, _ in released:
        unmet[i] -= 1
    for i, _ in all_pairs:
        unmet[i] -= 1
    unmet = np.maximum(unmet, 0)
    reasons = unmatched_reasons(comp, allowed, before_min_score, holders, full_capacity, unmet)
    for reason in reasons:
        actions.extend(
            RematchAction(
                reason.mentee_id, "unmatched", None, None, reason.reason, None, None, None
            )
            for _ in range(reason.unmet)
        )
    index = {mid: i for i, mid in enumerate(comp.mentee_ids)}
    actions.sort(key=lambda a: (index[a.mentee_id], a.action, a.to_mentor_id or ""))
    clock["explain"] = (time.perf_counter() - start) * 1000

    after_value = float(base[arr[:, 0], arr[:, 1]].sum()) if arr.size else 0.0
    locked_value = sum(float(base[i, j]) for i, j in locked)
    counts = {
        kind: sum(a.action == kind for a in actions)
        for kind in ("kept", "moved", "released", "new", "unmatched")
    }
    before = [
        float(comp.scores[comp.mentee_index(p.mentee_id), comp.mentor_index(p.mentor_id)])
        for p in current
        if p.status == "active"
    ]
    summary = RematchSummary(
        kept=counts["kept"],
        moves=moves,
        ended_by_policy=len(released) + sum(why != "" for why in active.values()),
        released=counts["released"],
        new=counts["new"],
        unmatched=counts["unmatched"],
        total_before=float(sum(before)),
        total_after=float(pair_scores.sum()),
        gain_per_move=(after_value - locked_value - stay_value) / moves
        if stay_value is not None
        else None,
        optimal=optimal,
        solver=solver,
        timings_ms={k: round(v, 3) for k, v in clock.items()},
    )
    loads = np.bincount(arr[:, 1], minlength=m) if arr.size else np.zeros(m, dtype=np.int64)
    mentor_loads = tuple(
        MentorLoad(comp.mentor_ids[j], int(loads[j]), int(full_capacity[j])) for j in range(m)
    )
    return RematchReport(tuple(actions), mentor_loads, summary)


def _actions(
    comp: Compatibility,
    allowed: NDArray[np.bool_],
    holders: SlotHolders,
    capacity: list[int],
    pairs: list[tuple[int, int]],
    locked: set[tuple[int, int]],
    released: dict[tuple[int, int], str],
    active: dict[tuple[int, int], str],
    explain: bool,
) -> list[RematchAction]:
    """Pair each ended active pair with one of the mentee's new pairs (best first)."""
    ids_e, ids_m = comp.mentee_ids, comp.mentor_ids

    def score(i: int, j: int) -> float:
        return float(comp.scores[i, j])

    def explanation(i: int, j: int) -> Explanation | None:
        return explain_pair(comp, allowed, holders, capacity, i, j) if explain else None

    chosen = set(pairs)
    out: list[RematchAction] = []
    for i, j in sorted(locked):
        out.append(
            RematchAction(
                ids_e[i], "kept", ids_m[j], ids_m[j], "locked", score(i, j), score(i, j), None
            )
        )
    for (i, j), why in sorted(released.items()):
        out.append(
            RematchAction(ids_e[i], "released", ids_m[j], None, why, score(i, j), None, None)
        )
    by_mentee: dict[int, list[int]] = {}
    for i, j in pairs:
        if (i, j) not in locked and (i, j) not in active:
            by_mentee.setdefault(i, []).append(j)
    for i, targets in by_mentee.items():
        row = comp.scores[i]
        targets.sort(key=lambda j: (-float(row[j]), j))
    for (i, j), why in sorted(active.items()):
        if (i, j) in chosen:
            out.append(
                RematchAction(
                    ids_e[i], "kept", ids_m[j], ids_m[j], "stable", score(i, j), score(i, j), None
                )
            )
            continue
        targets = by_mentee.get(i, [])
        if targets:
            k = targets.pop(0)
            out.append(
                RematchAction(
                    ids_e[i],
                    "moved",
                    ids_m[j],
                    ids_m[k],
                    why or "better_fit",
                    score(i, j),
                    score(i, k),
                    explanation(i, k),
                )
            )
        else:
            out.append(
                RematchAction(
                    ids_e[i],
                    "released",
                    ids_m[j],
                    None,
                    why or "slot_reassigned",
                    score(i, j),
                    None,
                    None,
                )
            )
    for i, targets in sorted(by_mentee.items()):
        for k in targets:
            out.append(
                RematchAction(
                    ids_e[i],
                    "new",
                    None,
                    ids_m[k],
                    "open_slot",
                    None,
                    score(i, k),
                    explanation(i, k),
                )
            )
    return out
