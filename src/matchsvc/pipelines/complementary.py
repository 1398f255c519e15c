"""Complementary mentors: for mentees who want several mentors, cover different wanted skills.

The plain optimum maximises the sum of pair scores, so a mentee with demand 3 may get three
mentors who all cover the same skill well. With ``complementary`` the match maximises instead

    F(X) = sum_{(i, j) in X} score[i, j] + gamma * sum_{i in M} cov_i(X_i)

over the assignments with as many pairs as the plain optimum, where ``M`` are the mentees with
demand > 1 who list skills, ``X_i`` the mentors mentee ``i`` gets, and

    cov_i(S) = mean over the mentee's skills s of max_{j in S} c[i, s, j]

the share of the mentee's skills the *set* covers (``c[i, s, j]``: the similarity of the
mentor's closest skill to ``s``, on the facets' scale, :func:`~matchsvc.scoring.cosine_to_unit`;
0 for a mentor who lists no skills). ``cov_i`` is a
facility-location function: a second mentor who covers the same skills as the first adds
nothing, one who covers the others adds their share. ``gamma`` is the caller's
``complementary_weight`` (default 1: a mentee's whole skill list covered is worth one perfect
pair).

Algorithm (local search from the plain optimum, deterministic):

1. Start from the exact plain optimum ``X0`` (same pairs count, same objective rule).
2. Sweep the pairs ``(i, j)`` of the mentees in ``M`` in order; for each, evaluate every move
   that keeps the number of pairs: *replace* ``j`` by a mentor ``j'`` with a free slot, or
   *exchange* with another pair ``(i', j')`` (``i`` takes ``j'``, ``i'`` takes ``j``). Then, for
   each mentee of ``M`` with unmet demand, evaluate *taking over* a pair ``(i', j)`` of another
   mentee (``i'`` gives up ``j``). Every new pair must be allowed (hard constraints and
   ``min_score``) and, for ``objective="fair"``, score at least the plain optimum's lowest pair.
   Apply the best move if it raises ``F`` (by more than a relative 1e-9).
3. Repeat sweeps until one changes nothing (or ``max_passes``).

Guarantees (each checked by the tests):

* the same number of pairs as the plain optimum (the most the constraints allow), every mentor
  within capacity, every mentee within demand, only allowed pairs; with ``fair`` no pair scores
  below the plain optimum's lowest pair (a take-over may move a pair to a mentee who had none,
  so which mentees are matched can change, never how many pairs);
* ``F(result) >= F(X0)``: the total score given up is at most ``gamma`` times the coverage
  gained (summed over ``M``);
* no constant-factor approximation is claimed. Instead each run reports an upper bound on the
  best ``F``: ``UB = T + gamma * sum_{i in M} mean_s max_{j allowed} c[i, s, j]``, where ``T`` is
  the maximum total over assignments with that many pairs (the plain ``total`` optimum), and
  the measured ratio ``F / UB`` (a lower bound on how close the result is to the best).

Reference for the structure: maximising a monotone submodular function (here a modular term
plus facility-location terms) over the intersection of two partition matroids (mentor
capacities, mentee demands); see Nemhauser, Wolsey and Fisher, "An analysis of approximations
for maximizing submodular set functions - II", Math. Programming Study 8 (1978), and Lee,
Sviridenko and Vondrak, "Submodular maximization over multiple matroids via generalized
exchange properties", Math. of OR 35 (2010), for local search with exchanges.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from matchsvc.assignment import Assignment
from matchsvc.explain import COVER_THRESHOLD
from matchsvc.problem import MatchProblem

__all__ = ["ComplementarySummary", "complementary"]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class ComplementarySummary:
    """What ``options.complementary`` changed, against the plain optimum.

    Attributes:
        mentees: mentees with demand > 1 who list skills (the set ``M``).
        weight: ``gamma``, the weight of coverage in the objective.
        coverage_plain, coverage: mean over ``M`` of ``cov_i`` (in [0, 1]) for the plain
            optimum and for the result; ``coverage_gain`` their difference.
        gaps_plain, gaps: wanted skills of ``M``'s mentees that no assigned mentor covers at
            :data:`~matchsvc.explain.COVER_THRESHOLD` or above, before and after.
        total_plain, total: the sum of pair scores before and after.
        objective_plain, objective: ``F`` before and after (``objective >= objective_plain``).
        upper_bound: ``UB >= max F`` (see the module docstring); ``bound_ratio = objective /
            upper_bound`` (1 when ``UB`` is 0).
        moves: moves applied; passes: sweeps made; converged: the last sweep changed nothing.
    """

    mentees: int
    weight: float
    coverage_plain: float
    coverage: float
    coverage_gain: float
    gaps_plain: int
    gaps: int
    total_plain: float
    total: float
    objective_plain: float
    objective: float
    upper_bound: float
    bound_ratio: float
    moves: int
    passes: int
    converged: bool


class _State:
    """The assignment being improved, with what each move needs."""

    def __init__(self, problem: MatchProblem, plain: Assignment, gamma: float) -> None:
        comp = problem.comp
        self.scores = problem.scores.astype(np.float64)
        self.allowed = problem.allowed
        self.capacity = problem.capacity
        self.demand = problem.demand
        self.gamma = gamma
        n, m = problem.shape
        self.pairs = plain.pairs.copy()
        self.load = np.bincount(self.pairs[:, 1], minlength=m).astype(np.int64)
        self.of: dict[int, list[int]] = {}
        for i, j in self.pairs.tolist():
            self.of.setdefault(i, []).append(j)
        self.eligible = [
            i
            for i in range(n)
            if problem.demand[i] > 1 and any(k == "skill" for k, _ in comp.wanted(i))
        ]
        # float64, so that a move's gain and the objective agree to ~1e-15 (float32 rounding
        # of 1e-8 would let equal sets look better than each other and cycle)
        self.cover = {
            i: np.nan_to_num(comp.skill_cover(i).astype(np.float64), nan=0.0) for i in self.eligible
        }

    def mentors_of(self, i: int) -> list[int]:
        return sorted(self.of.get(i, ()))

    def take_over(self, i: int, k: int) -> None:
        """Mentee i takes pair ``k`` over from its mentee (same mentor, same loads)."""
        i2, j = int(self.pairs[k, 0]), int(self.pairs[k, 1])
        self.pairs[k, 0] = i
        self.of[i2].remove(j)
        self.of.setdefault(i, []).append(j)

    def move(self, i: int, j: int, j2: int, k: int) -> None:
        """Mentee i gives up j for j2; pair ``k`` (-1: none) gives up j2 for j."""
        row = int(np.flatnonzero((self.pairs[:, 0] == i) & (self.pairs[:, 1] == j))[0])
        self.pairs[row, 1] = j2
        self.of[i][self.of[i].index(j)] = j2
        if k < 0:
            self.load[j] -= 1
            self.load[j2] += 1
        else:
            i2 = int(self.pairs[k, 0])
            self.pairs[k, 1] = j
            self.of[i2][self.of[i2].index(j2)] = j

    def cov(self, i: int, mentors: list[int]) -> float:
        if not mentors:
            return 0.0
        return float(self.cover[i][:, mentors].max(axis=1).mean())

    def objective(self) -> float:
        total = float(self.scores[self.pairs[:, 0], self.pairs[:, 1]].sum())
        return total + self.gamma * sum(self.cov(i, self.mentors_of(i)) for i in self.eligible)


def _best_move(state: _State, i: int, j: int, floor: float | None) -> tuple[float, int, int]:
    """The best move for pair (i, j): ``(gain, j', k)`` with ``k`` the index of the exchanged
    pair in ``state.pairs`` (-1 for a replacement by a free mentor); gain -inf when none."""
    s, allowed, gamma = state.scores, state.allowed, state.gamma
    mine = state.mentors_of(i)
    rest = [t for t in mine if t != j]
    cover = state.cover[i]
    base = cover[:, rest].max(axis=1) if rest else np.zeros(cover.shape[0])
    cov_now = state.cov(i, mine)
    cov_new = np.maximum(base[:, None], cover).mean(axis=0)  # (m,): i keeps rest, gains j'
    gain_i = s[i] - s[i, j] + gamma * (cov_new - cov_now)  # i's side of any move j -> j'
    usable = allowed[i].copy()
    usable[mine] = False
    if floor is not None:
        usable &= s[i] >= floor
    # (a) replace j by a mentor with a free slot
    free = usable & (state.load < state.capacity)
    best = (-np.inf, -1, -1)
    if free.any():
        jj = int(np.argmax(np.where(free, gain_i, -np.inf)))
        best = (float(gain_i[jj]), jj, -1)
    # (b) exchange with another pair (i2, j2): i takes j2, i2 takes j
    p = state.pairs
    i2, j2 = p[:, 0], p[:, 1]
    ok = (i2 != i) & usable[j2] & allowed[i2, j]
    if floor is not None:
        ok &= s[i2, j] >= floor
    if ok.any():
        holds_j = np.zeros(s.shape[0], dtype=np.bool_)
        holds_j[p[p[:, 1] == j, 0]] = True
        ok &= ~holds_j[i2]  # i2 must not have j already
        gain = gain_i[j2] + s[i2, j] - s[i2, j2]
        for k in np.flatnonzero(ok & np.isin(i2, state.eligible)).tolist():
            other = state.mentors_of(int(i2[k]))
            swapped = [t for t in other if t != j2[k]] + [j]
            gain[k] += gamma * (state.cov(int(i2[k]), swapped) - state.cov(int(i2[k]), other))
        gain = np.where(ok, gain, -np.inf)
        k = int(np.argmax(gain))
        if gain[k] > best[0]:
            best = (float(gain[k]), int(j2[k]), k)
    return best


def _best_takeover(state: _State, i: int, floor: float | None) -> tuple[float, int]:
    """The best pair for mentee i (who has room) to take over from another mentee:
    ``(gain, k)`` with ``k`` the pair's index in ``state.pairs``; gain -inf when none."""
    s, allowed, gamma = state.scores, state.allowed, state.gamma
    mine = state.mentors_of(i)
    cover = state.cover[i]
    base = cover[:, mine].max(axis=1) if mine else np.zeros(cover.shape[0])
    gain_cov = np.maximum(base[:, None], cover).mean(axis=0) - state.cov(i, mine)  # (m,)
    p = state.pairs
    i2, j2 = p[:, 0], p[:, 1]
    ok = (i2 != i) & allowed[i, j2]
    ok[np.isin(j2, mine)] = False
    if floor is not None:
        ok &= s[i, j2] >= floor
    if not ok.any():
        return -np.inf, -1
    gain = s[i, j2] - s[i2, j2] + gamma * gain_cov[j2]
    for k in np.flatnonzero(ok & np.isin(i2, state.eligible)).tolist():
        other = state.mentors_of(int(i2[k]))
        left = [t for t in other if t != j2[k]]
        gain[k] -= gamma * (state.cov(int(i2[k]), other) - state.cov(int(i2[k]), left))
    gain = np.where(ok, gain, -np.inf)
    k = int(np.argmax(gain))
    return float(gain[k]), k


def _improve(
    state: _State, floor: float | None, max_passes: int, eps: float
) -> tuple[int, int, bool]:
    """Local search (step 2-3 of the module docstring): ``(moves, passes, converged)``."""
    moves = passes = 0
    while state.eligible and passes < max_passes:
        passes += 1
        changed = False
        for i in state.eligible:
            for j in state.mentors_of(i):
                if j not in state.mentors_of(i):
                    continue  # moved away earlier in this sweep
                gain, j2, k = _best_move(state, i, j, floor)
                if gain > eps:
                    state.move(i, j, j2, k)
                    moves += 1
                    changed = True
        for i in state.eligible:
            while len(state.of.get(i, ())) < state.demand[i]:
                gain, k = _best_takeover(state, i, floor)
                if gain <= eps:
                    break
                state.take_over(i, k)
                moves += 1
                changed = True
        if not changed:
            return moves, passes, True
    return moves, passes, not state.eligible


def complementary(
    problem: MatchProblem,
    plain: Assignment,
    *,
    weight: float = 1.0,
    max_passes: int = 20,
    threshold: float = COVER_THRESHOLD,
) -> tuple[Assignment, ComplementarySummary]:
    """Improve the plain optimum ``plain`` of ``problem`` for complementary coverage.

    Args:
        problem: the problem ``plain`` solves.
        plain: its exact assignment (objective ``"total"`` or ``"fair"``).
        weight: ``gamma >= 0``, the weight of coverage (see the module docstring).
        max_passes: most sweeps over the pairs.
        threshold: the cover threshold of the ``gaps`` counts.

    Returns:
        The assignment (``plain`` itself when no move helps; otherwise solver
        ``"<solver>+complementary"``, ``optimal`` False, pairs sorted) and the summary.
    """
    gamma = float(weight)
    state = _State(problem, plain, gamma)
    floor = float(plain.scores.min()) if plain.objective == "fair" and plain.scores.size else None
    objective_plain = state.objective()
    coverage_plain = [state.cov(i, state.mentors_of(i)) for i in state.eligible]
    gaps_plain = _gaps(state, threshold)
    moves, passes, converged = _improve(state, floor, max_passes, _EPS * max(1.0, objective_plain))
    if plain.objective == "fair":
        total_max = float(problem.solve(objective="total").total)
    else:
        total_max = float(plain.total)
    best_cover = sum(
        float(np.where(problem.allowed[i], state.cover[i], 0.0).max(axis=1).mean())
        if problem.allowed[i].any()
        else 0.0
        for i in state.eligible
    )
    upper = total_max + gamma * best_cover
    objective = state.objective()
    coverage = [state.cov(i, state.mentors_of(i)) for i in state.eligible]
    result = plain if moves == 0 else _assignment(plain, state, moves, passes)
    summary = ComplementarySummary(
        mentees=len(state.eligible),
        weight=gamma,
        coverage_plain=float(np.mean(coverage_plain)) if coverage_plain else 0.0,
        coverage=float(np.mean(coverage)) if coverage else 0.0,
        coverage_gain=float(np.mean(coverage) - np.mean(coverage_plain)) if coverage else 0.0,
        gaps_plain=gaps_plain,
        gaps=_gaps(state, threshold),
        total_plain=float(plain.total),
        total=float(result.total),
        objective_plain=objective_plain,
        objective=objective,
        upper_bound=upper,
        bound_ratio=objective / upper if upper > 0 else 1.0,
        moves=moves,
        passes=passes,
        converged=converged,
    )
    return result, summary


def _gaps(state: _State, threshold: float) -> int:
    count = 0
    for i in state.eligible:
        mine = state.mentors_of(i)
        best = state.cover[i][:, mine].max(axis=1) if mine else np.zeros(state.cover[i].shape[0])
        count += int((best < threshold).sum())
    return count


def _assignment(plain: Assignment, state: _State, moves: int, passes: int) -> Assignment:
    order = np.lexsort((state.pairs[:, 1], state.pairs[:, 0]))
    pairs: NDArray[np.int64] = state.pairs[order].astype(np.int64)
    scores = state.scores[pairs[:, 0], pairs[:, 1]]
    loads = np.bincount(pairs[:, 1], minlength=state.capacity.size).astype(np.int64)
    counts = np.bincount(pairs[:, 0], minlength=state.demand.size)
    return replace(
        plain,
        pairs=pairs,
        scores=scores,
        total=float(scores.sum()),
        unmatched=(state.demand - counts).astype(np.int64),
        loads=loads,
        solver=f"{plain.solver}+complementary",
        optimal=False,
        certificate=None,
        stats=MappingProxyType({"complementary_moves": moves, "complementary_passes": passes}),
    )
