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

In terms of the :class:`~matchsvc.problem.MatchProblem`: the policy's bans are
:meth:`~matchsvc.problem.MatchProblem.without`, locked pairs :meth:`~matchsvc.problem.MatchProblem.reserve`
their slots, and the bonuses are the ``weights`` the solver maximises. Explanations and unmatched
reasons read the problem with the bans applied and every mentor's full capacity.

Without ``max_moves`` (or when it does not bind) this is a min-cost flow (:func:`matchsvc.assign`,
exact and certified). When it binds, the side constraint breaks the network structure and the
problem is solved by :class:`~matchsvc.assignment.MoveLimitSolver`, an integer program with HiGHS at
zero relative gap (exact up to HiGHS's absolute tolerance of 1e-6 on the objective; seconds for a
few hundred people, slower beyond).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from matchsvc.assignment import Assignment, BlockExecutor, MoveLimitSolver
from matchsvc.bounds import MAX_BONUS, MAX_COUNT, RATING_MAX, RATING_MIN
from matchsvc.errors import InfeasibleError, InvalidInputError
from matchsvc.explain import Explanation, SlotHolders, explain_pair, unmatched_reasons
from matchsvc.pipelines._timing import Stopwatch
from matchsvc.pipelines.match import MatchOptions, MentorLoad, build_problem, mentor_loads
from matchsvc.problem import MatchProblem
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
    """What the re-match may change. See the module docstring for the exact objective.

    Attributes:
        stability_bonus: score units an active pair earns for staying, in [0, 10].
        locked: (mentee id, mentor id) pairs kept whatever else holds.
        max_moves: most active pairs that may change, in [0, 1,000,000]; None = no limit.
        min_rating_to_keep: pairs rated lower (by either side, 1-5) end and never return.
        release_goals_met: end pairs whose goals are met (their slot closes).
        waiting_since: per mentee id, since when they wait; a time without a zone is UTC.
        wait_bonus: score units the longest wait is worth, in [0, 10].
    """

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
            _rating(getattr(pair, side), f"current[{k}].{side}")
    for k, past in enumerate(history):
        known(f"history[{k}]", past.mentee_id, past.mentor_id)
        _rating(past.rating, f"history[{k}].rating")
    _rating(policy.min_rating_to_keep, "policy.min_rating_to_keep")
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
        if not 0 <= value <= MAX_BONUS:  # False for NaN
            raise InvalidInputError(
                f"{name} is {value}; use a number of score units in [0, {MAX_BONUS:g}]",
                field=f"policy.{name}",
            )
    if policy.max_moves is not None and not 0 <= policy.max_moves <= MAX_COUNT:
        raise InvalidInputError(
            f"max_moves is {policy.max_moves}; use a number in [0, {MAX_COUNT:,}], or leave it out",
            field="policy.max_moves",
        )


def _rating(value: float | None, field: str) -> None:
    if value is not None and not RATING_MIN <= value <= RATING_MAX:
        raise InvalidInputError(
            f"{field} is {value}; ratings run from {RATING_MIN} to {RATING_MAX}", field=field
        )


def _priority(
    comp: Compatibility, policy: RematchPolicy, in_programme: NDArray[np.bool_]
) -> NDArray[np.float64]:
    priority = np.where(in_programme, 1.0, 0.0)
    waiting = [
        (_aware(policy.waiting_since[mid]), i)
        for i, mid in enumerate(comp.mentee_ids)
        if mid in policy.waiting_since and not in_programme[i]
    ]
    waiting.sort()
    k = len(waiting)
    for rank, (_, i) in enumerate(waiting):
        priority[i] = (k - rank) / k
    return priority


def _aware(moment: datetime) -> datetime:
    """``moment`` with UTC as its zone when it has none (times without an offset are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True, slots=True, eq=False)
class _Plan:
    """The policy applied to a problem (module docstring, step 1).

    Attributes:
        view: the problem with the policy's bans: what explanations read (full capacities).
        solvable: ``view`` with the locked pairs' slots taken and the released pairs' slots
            closed: what the solver sees.
        locked: locked (mentee, mentor) index pairs.
        released: pairs ended with their slot closed -> reason (``goals_met``).
        active: active pairs the re-match may keep or end -> ``""`` (may stay) or the reason
            they must end (``low_rating``, ``no_longer_allowed``).
        eligible: bool ``(n, m)``, the active pairs that may stay (they earn the stability bonus).
        base: float64 ``(n, m)``, score plus the wait bonus; ``weights`` adds the stability bonus.
    """

    view: MatchProblem
    solvable: MatchProblem
    locked: frozenset[tuple[int, int]]
    released: dict[tuple[int, int], str]
    active: dict[tuple[int, int], str]
    eligible: NDArray[np.bool_]
    base: NDArray[np.float64]
    weights: NDArray[np.float64]


def _plan(
    problem: MatchProblem,
    current: Sequence[CurrentPair],
    history: Sequence[PastPair],
    policy: RematchPolicy,
) -> _Plan:
    comp = problem.comp
    floor = policy.min_rating_to_keep
    locked = frozenset((comp.mentee_index(a), comp.mentor_index(b)) for a, b in policy.locked)
    banned = np.zeros(problem.shape, dtype=np.bool_)
    demand = problem.demand.copy()
    released: dict[tuple[int, int], str] = {}
    active: dict[tuple[int, int], str] = {}
    for pair in current:
        key = (comp.mentee_index(pair.mentee_id), comp.mentor_index(pair.mentor_id))
        low = floor is not None and pair.rating is not None and pair.rating < floor
        if key in locked or pair.status != "active":
            banned[key] |= pair.status != "active" and low
        elif policy.release_goals_met and pair.goals_met:
            released[key] = "goals_met"
            demand[key[0]] -= 1
            banned[key] = True
        elif low:
            active[key] = "low_rating"
            banned[key] = True
        else:
            active[key] = "" if problem.allowed[key] else "no_longer_allowed"
    for past in history:
        low = floor is not None and past.rating is not None and past.rating < floor
        if past.outcome == "bad" or low:
            key = (comp.mentee_index(past.mentee_id), comp.mentor_index(past.mentor_id))
            banned[key] |= key not in locked
    view = problem.without(banned)
    solvable = view.reserve(locked, demand=demand)
    eligible = np.zeros(problem.shape, dtype=np.bool_)
    for (i, j), why in active.items():
        eligible[i, j] = why == ""
    in_programme: NDArray[np.bool_] = np.asarray(eligible.any(axis=1), dtype=bool)
    for i, _ in locked:
        in_programme[i] = True
    priority = _priority(comp, policy, in_programme)
    base = comp.scores.astype(np.float64) + policy.wait_bonus * priority[:, None]
    weights = base + policy.stability_bonus * eligible
    return _Plan(view, solvable, locked, released, active, eligible, base, weights)


def _solve(
    plan: _Plan, max_moves: int | None, solver: str, executor: BlockExecutor | None
) -> Assignment:
    """The exact optimum of the plan; with the move limit only when the plain one breaks it."""
    result = plan.solvable.solve(weights=plan.weights, solver=solver, executor=executor)
    pairs, eligible = result.pairs, plan.eligible
    moves = int(eligible.sum()) - int(eligible[pairs[:, 0], pairs[:, 1]].sum())
    if max_moves is None or moves <= max_moves:
        return result
    try:
        return plan.solvable.solve(
            weights=plan.weights, solver=MoveLimitSolver(eligible, max_moves)
        )
    except InfeasibleError as exc:
        raise InfeasibleError(exc.message, field="policy.max_moves") from None


def _stay_value(plan: _Plan, solver: str, executor: BlockExecutor | None) -> float | None:
    """The objective of the best solution that keeps every eligible active pair, or None when
    keeping them all is impossible (their slots exceed what is left)."""
    keep = zip(*np.nonzero(plan.eligible), strict=True)
    try:
        stay = plan.solvable.reserve(((int(i), int(j)) for i, j in keep))
    except InfeasibleError:
        return None
    best = stay.solve(weights=plan.base, solver=solver, executor=executor)
    return best.total + float(plan.base[plan.eligible].sum())


def rematch(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    current: Sequence[CurrentPair],
    history: Sequence[PastPair],
    policy: RematchPolicy,
    options: MatchOptions,
    embedder: Embedder,
    *,
    executor: BlockExecutor | None = None,
) -> RematchReport:
    """Re-match a running programme under ``policy`` (module docstring: the exact objective).

    ``executor``: where the ``pricing`` solver's full passes run (None: in this process).

    Raises:
        InvalidInputError: unknown ids in pairs, repeated pairs, bad ratings or policy values,
            bad people or options.
        InfeasibleError: locked pairs exceed a mentor's capacity or a mentee's demand, or no
            assignment keeps ``max_moves``.
    """
    watch = Stopwatch()
    problem = build_problem(mentees, mentors, options, embedder, watch)
    _check(problem.comp, current, history, policy)
    plan = _plan(problem, current, history, policy)
    with watch.stage("solve"):
        result = _solve(plan, policy.max_moves, options.solver, executor)
        eligible = plan.eligible
        kept = int(eligible[result.pairs[:, 0], result.pairs[:, 1]].sum())
        moves = int(eligible.sum()) - kept
        stay_value = _stay_value(plan, options.solver, executor) if moves else None
    with watch.stage("explain"):
        pairs = np.array(sorted({*map(tuple, result.pairs.tolist()), *plan.locked}), np.int64)
        pairs = pairs.reshape(-1, 2)
        actions = _all_actions(plan, pairs, options.explain)
    summary = _summary(plan, current, actions, pairs, moves, stay_value, result, watch)
    return RematchReport(tuple(actions), mentor_loads(plan.view, pairs), summary)


def _all_actions(plan: _Plan, pairs: NDArray[np.int64], explain: bool) -> list[RematchAction]:
    """Every action: the pairs' (see :func:`_actions`), then one per unmet slot, in mentee
    order."""
    view = plan.view
    comp = view.comp
    pair_scores = comp.scores[pairs[:, 0], pairs[:, 1]].astype(np.float64)
    holders = SlotHolders(pairs, pair_scores, view.shape[1])
    actions = _actions(plan, holders, [(int(i), int(j)) for i, j in pairs.tolist()], explain)
    unmet = view.demand - np.bincount(pairs[:, 0], minlength=view.shape[0])
    for i, _ in plan.released:
        unmet[i] -= 1
    for reason in unmatched_reasons(view, holders, np.maximum(unmet, 0)):
        actions.extend(
            RematchAction(
                reason.mentee_id, "unmatched", None, None, reason.reason, None, None, None
            )
            for _ in range(reason.unmet)
        )
    index = {mid: i for i, mid in enumerate(comp.mentee_ids)}
    actions.sort(key=lambda a: (index[a.mentee_id], a.action, a.to_mentor_id or ""))
    return actions


def _summary(
    plan: _Plan,
    current: Sequence[CurrentPair],
    actions: Sequence[RematchAction],
    pairs: NDArray[np.int64],
    moves: int,
    stay_value: float | None,
    result: Assignment,
    watch: Stopwatch,
) -> RematchSummary:
    comp = plan.view.comp
    base = plan.base
    after_value = float(base[pairs[:, 0], pairs[:, 1]].sum()) if pairs.size else 0.0
    locked_value = sum(float(base[i, j]) for i, j in plan.locked)
    counts = {
        kind: sum(a.action == kind for a in actions)
        for kind in ("kept", "moved", "released", "new", "unmatched")
    }
    before = [
        float(comp.scores[comp.mentee_index(p.mentee_id), comp.mentor_index(p.mentor_id)])
        for p in current
        if p.status == "active"
    ]
    gain = None if stay_value is None else (after_value - locked_value - stay_value) / moves
    return RematchSummary(
        kept=counts["kept"],
        moves=moves,
        ended_by_policy=len(plan.released) + sum(why != "" for why in plan.active.values()),
        released=counts["released"],
        new=counts["new"],
        unmatched=counts["unmatched"],
        total_before=float(sum(before)),
        total_after=float(comp.scores[pairs[:, 0], pairs[:, 1]].astype(np.float64).sum()),
        gain_per_move=gain,
        optimal=bool(result.optimal),
        solver=result.solver,
        timings_ms=watch.timings(),
    )


def _actions(
    plan: _Plan, holders: SlotHolders, pairs: list[tuple[int, int]], explain: bool
) -> list[RematchAction]:
    """The actions of the pairs: locked (kept), released, each active pair kept or paired with
    one of the mentee's new pairs (best first: moved) or ended (released), then new pairs."""
    comp = plan.view.comp
    ids_e, ids_m = comp.mentee_ids, comp.mentor_ids

    def score(i: int, j: int) -> float:
        return float(comp.scores[i, j])

    def explanation(i: int, j: int) -> Explanation | None:
        return explain_pair(plan.view, holders, i, j) if explain else None

    def action(i: int, kind: ActionKind, j: int | None, k: int | None, why: str) -> RematchAction:
        return RematchAction(
            ids_e[i],
            kind,
            None if j is None else ids_m[j],
            None if k is None else ids_m[k],
            why,
            None if j is None else score(i, j),
            None if k is None else score(i, k),
            explanation(i, k) if k is not None and k != j else None,
        )

    out = [action(i, "kept", j, j, "locked") for i, j in sorted(plan.locked)]
    out += [action(i, "released", j, None, why) for (i, j), why in sorted(plan.released.items())]
    new = _new_pairs(plan, pairs)
    chosen = set(pairs)
    for (i, j), why in sorted(plan.active.items()):
        if (i, j) in chosen:
            out.append(action(i, "kept", j, j, "stable"))
        elif new.get(i):
            out.append(action(i, "moved", j, new[i].pop(0), why or "better_fit"))
        else:
            out.append(action(i, "released", j, None, why or "slot_reassigned"))
    for i, targets in sorted(new.items()):
        out += [action(i, "new", None, k, "open_slot") for k in targets]
    return out


def _new_pairs(plan: _Plan, pairs: list[tuple[int, int]]) -> dict[int, list[int]]:
    """Each mentee's pairs that are neither locked nor active now, best score first."""
    by_mentee: dict[int, list[int]] = {}
    for i, j in pairs:
        if (i, j) not in plan.locked and (i, j) not in plan.active:
            by_mentee.setdefault(i, []).append(j)
    for i, targets in by_mentee.items():
        row = plan.view.comp.scores[i]
        targets.sort(key=lambda j: (-float(row[j]), j))
    return by_mentee
