"""Peer matching within one pool: exact pairs and circles, explained.

::

    people -> ONE compatibility of the pool with itself -> mutual scores -> PeerProblem
           -> assign_peers (pairs, exact, certified) | form_circles (circles, with a bound)
           -> explanations, and a reason for everyone left out

The pool is scored against itself with the facets of ``/match``
(:func:`~matchsvc.scoring.build_compatibility` with the pool on both sides): row = the person
whose wants are compared, column = the partner, so ``fit[a, b]`` is how well ``b`` suits ``a``
(``b``'s skills against ``a``'s wanted skills, the goals, communication, soft criteria, and
``b``'s wishes about ``a`` when wishes are given). Missing data follows the project's rule (a
facet either person left empty adds 0, see :mod:`matchsvc.scoring`).

**Mutual score** (``options.mutual``), symmetric, in [0, 1], computed in float64 from the
float32 fits:

* ``"mean"`` (default): ``(fit[a, b] + fit[b, a]) / 2``: each side counts half;
* ``"min"``: ``min(fit[a, b], fit[b, a])``: a pair is worth its weaker side, so neither person
  carries it.

**Constraints hold both ways**: a pair is *feasible* when ``allowed[a, b]`` and
``allowed[b, a]`` of the compatibility (shared language, availability overlap, ``exclude`` on
either side, hard criteria; a ``gap`` criterion is the one rule that is not symmetric), and
nobody is their own partner. It is *allowed* when it is feasible and its mutual score is at
least ``min_score``.

**Pairs** (:func:`peer_match`): as many pairs as possible, then the largest total mutual score,
solved exactly by :func:`~matchsvc.assignment.assign_peers` with a certificate
(:meth:`PeerProblem.solve` returns it; :func:`~matchsvc.assignment.verify_peer_certificate` on
:attr:`PeerProblem.mutual` and :attr:`PeerProblem.allowed` checks it).

**Circles** (:func:`peer_circles`): groups of ``min_size..max_size`` people maximising the sum
of within-circle mutual scores (as many people placed as possible first), by the heuristic of
:func:`~matchsvc.assignment.form_circles`, which reports a proven upper bound and the gap. With
``leaders``, every circle has one leader: a member's *leader fit* is their fit for the leader
in a pool x leaders compatibility (the member as mentee, the leader as mentor, so the leader's
wishes count as in ``/match``); a leader leads at most ``capacity`` circles; a circle's value
adds its members' leader fits. ``min_score`` does not apply to leader fits.

Pure core: no web types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from matchsvc.assignment import Circles, PeerAssignment, assign_peers, form_circles
from matchsvc.bounds import MAX_CIRCLE_SIZE, MAX_COUNT, MAX_SEED, MIN_CIRCLE_SIZE, check_text
from matchsvc.errors import InvalidInputError, LimitExceededError
from matchsvc.explain import COVER_THRESHOLD, FOCUS_TOP, FacetShare, SkillMatch
from matchsvc.pipelines._timing import Stopwatch
from matchsvc.problem import check_min_score
from matchsvc.profiles import Profile
from matchsvc.scoring import (
    Compatibility,
    Embedder,
    ScoringOptions,
    build_compatibility,
    validate_people,
)

__all__ = [
    "CIRCLE_METHOD",
    "MUTUAL_RULES",
    "PEER_SOLVER",
    "BusyPartner",
    "Circle",
    "CircleContribution",
    "CircleExplanation",
    "CircleLink",
    "CircleMember",
    "CircleOptions",
    "CirclesReport",
    "CirclesSummary",
    "PeerExplanation",
    "PeerMatchReport",
    "PeerMatchSummary",
    "PeerOptions",
    "PeerPair",
    "PeerProblem",
    "PeerSide",
    "PeerUnmatched",
    "check_pool",
    "check_pool_limits",
    "peer_circles",
    "peer_match",
    "peer_problem",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

Mutual = Literal["mean", "min"]
MUTUAL_RULES: tuple[str, ...] = ("mean", "min")
"""The values of ``options.mutual``."""

PEER_SOLVER = "blossom"
"""``summary.solver`` of a peer match: :func:`~matchsvc.assignment.assign_peers`."""

CIRCLE_METHOD = "merge_local_search"
"""``summary.method`` of circles: :func:`~matchsvc.assignment.form_circles`' heuristic (exact
matchings of groups, then local search, two-circle re-splits and seeded perturbations)."""

PeerReasonCode = Literal[
    "no_allowed_partner",
    "no_partner_left",
    "too_few_allowed_partners",
    "no_leader_capacity",
    "pool_size",
    "not_placed",
]

_TOP = 3  # best partners named in an unmatched reason


# ---------------------------------------------------------------------------- options


@dataclass(frozen=True, slots=True)
class PeerOptions:
    """Scoring plus how a pair's two fits combine.

    Attributes:
        scoring: weights, criteria and hard constraints, as in ``/match``.
        mutual: ``"mean"`` or ``"min"`` (see the module docstring).
        min_score: pairs whose mutual score is below it are never made; in [0, 1] or None.
        explain: build explanations (both sides of every pair; every circle member's links).
        cover_threshold: similarity at which a person's skill covers another's wanted skill
            or goal theme (what a circle member brings), in [0, 1].
    """

    scoring: ScoringOptions = field(default_factory=ScoringOptions)
    mutual: Mutual = "mean"
    min_score: float | None = None
    explain: bool = True
    cover_threshold: float = COVER_THRESHOLD


@dataclass(frozen=True, slots=True)
class CircleOptions(PeerOptions):
    """:class:`PeerOptions` plus the circles' size range and the heuristic's seed.

    Attributes:
        min_size, max_size: people per circle (leaders not counted), each in
            [:data:`~matchsvc.bounds.MIN_CIRCLE_SIZE`, :data:`~matchsvc.bounds.MAX_CIRCLE_SIZE`],
            ``min_size <= max_size``.
        seed: seeds the heuristic's perturbations, in [0, :data:`~matchsvc.bounds.MAX_SEED`]
            (the same input and seed give the same circles).
    """

    min_size: int = 3
    max_size: int = 5
    seed: int = 0


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class PeerSide:
    """One direction of a pair: what ``partner_id`` offers that ``person_id`` wants.

    ``fit`` is ``fit[person, partner]`` (its ``facets`` sum to it), ``coverage`` the share of
    its weight backed by data, ``skill_pairs`` the person's wanted skills with the partner's
    closest skills (best first), ``rank`` the partner's place among the person's
    ``feasible_partners`` (allowed partners, by mutual score, ties by pool order; 1 = best).
    """

    person_id: str
    partner_id: str
    fit: float
    coverage: float
    facets: Mapping[str, FacetShare]
    skill_pairs: tuple[SkillMatch, ...]
    rank: int
    feasible_partners: int


@dataclass(frozen=True, slots=True)
class PeerExplanation:
    """Why two people were paired: both directions, and what they share.

    ``person``: what the partner offers the person; ``partner``: the reverse. The pair's
    score is ``mutual`` of the two fits. ``overlap_hours`` is None when either gave no
    availability.
    """

    mutual: Mutual
    person: PeerSide
    partner: PeerSide
    shared_languages: tuple[str, ...]
    overlap_hours: float | None
    summary: str


@dataclass(frozen=True, slots=True)
class PeerPair:
    """One pair; ``person_id`` comes first in pool order. ``explanation`` is None when
    explanations are off."""

    person_id: str
    partner_id: str
    score: float
    explanation: PeerExplanation | None


@dataclass(frozen=True, slots=True)
class BusyPartner:
    """An allowed partner of an unmatched person who is taken: their mutual ``score`` with
    the person, who they are with (their partner, or the other members of their circle) and
    that pair's or circle's score."""

    partner_id: str
    score: float
    with_ids: tuple[str, ...]
    group_score: float


@dataclass(frozen=True, slots=True)
class PeerUnmatched:
    """Why a person is in no pair (or no circle).

    ``reason``:

    * ``no_allowed_partner``: every other person is removed by a hard rule or by
      ``min_score``;
    * ``no_partner_left``: every allowed partner is paired, and no set of pairs with as many
      pairs has room for this person (an odd pool, or many wanting the same few);
    * circles: ``too_few_allowed_partners`` (fewer than ``min_size - 1`` allowed partners, or
      no allowed leader with capacity), ``no_leader_capacity`` (the leaders' capacity limits
      the circles), ``pool_size`` (the pool cannot be split entirely into circles of the size
      range), ``not_placed`` (the heuristic found no circle with room that allows them).

    Evidence: ``allowed_partners`` (partners the solver could use); ``removed_by``: how many
    others each hard rule removes, counted in this person's direction (their wants against
    the partner, as ``/match`` counts), never counting themself; ``partner_side``: partners
    removed only in the partner's direction (a ``gap`` criterion); ``min_score``: feasible
    partners below ``min_score``. ``best_score``: the best mutual score with any feasible
    partner (None without one). ``best_partners``: the best allowed partners, who are all
    taken, with whom. ``allowed_leaders``: circles with leaders only, the leaders this person
    may join (capacity above 0). ``summary``: one sentence built from these facts.
    """

    person_id: str
    reason: PeerReasonCode
    summary: str
    allowed_partners: int
    removed_by: Mapping[str, int]
    best_score: float | None
    best_partners: tuple[BusyPartner, ...]
    allowed_leaders: int | None


@dataclass(frozen=True, slots=True)
class PeerMatchSummary:
    """Totals of a peer match. ``matched``: pairs; ``unmatched``: people in no pair;
    ``optimal``: the pairs are proven to be the most pairs with the largest total;
    ``timings_ms``: ``embed``, ``score``, ``solve``, ``explain``."""

    people: int
    matched: int
    unmatched: int
    total_score: float
    mean_score: float | None
    min_score: float | None
    mutual: Mutual
    optimal: bool
    solver: str
    timings_ms: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class PeerMatchReport:
    """Everything ``POST /peer/match`` returns; pairs sorted by the first person's pool
    order, unmatched people in pool order."""

    pairs: tuple[PeerPair, ...]
    unmatched: tuple[PeerUnmatched, ...]
    summary: PeerMatchSummary


@dataclass(frozen=True, slots=True)
class CircleLink:
    """A circle member's link to another member: their mutual score."""

    partner_id: str
    score: float


@dataclass(frozen=True, slots=True)
class CircleContribution:
    """What a member brings: ``offered`` (their skill) covers ``wanted`` (a skill, or a theme
    of the goal text: ``kind``) of member ``person_id`` at ``similarity``."""

    person_id: str
    kind: Literal["skill", "goal"]
    wanted: str
    offered: str
    similarity: float


@dataclass(frozen=True, slots=True)
class CircleMember:
    """One member's place in their circle: strongest and weakest link (None when alone),
    what they bring (best first, at most 5, at or above ``cover_threshold``), and their fit
    with the circle's leader (None without one)."""

    person_id: str
    strongest: CircleLink | None
    weakest: CircleLink | None
    brings: tuple[CircleContribution, ...]
    leader_fit: float | None


@dataclass(frozen=True, slots=True)
class CircleExplanation:
    """A circle's value in parts: ``pair_score`` (sum of its pairs' mutual scores),
    ``leader_score`` (sum of its members' leader fits, None without a leader), the mean pair
    score, each member, and one sentence."""

    pair_score: float
    leader_score: float | None
    mean_pair_score: float
    members: tuple[CircleMember, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class Circle:
    """One circle: members in pool order, its leader (None without leaders), its value
    (``pair_score + leader_score``), its explanation (None when explanations are off)."""

    members: tuple[str, ...]
    leader_id: str | None
    score: float
    explanation: CircleExplanation | None


@dataclass(frozen=True, slots=True)
class CirclesSummary:
    """Totals of a circles run.

    ``upper_bound`` is a proven bound on the total of any feasible set of circles
    (``bound_method`` says how it was obtained, see
    :func:`~matchsvc.assignment._circles.circle_bound`), ``gap = (upper_bound - total_score) /
    upper_bound``; ``optimal`` is True only when the bound is met. ``method`` names the
    heuristic. ``timings_ms``: ``embed``, ``score``, ``solve``, ``bound``, ``explain``.
    """

    people: int
    circles: int
    placed: int
    unmatched: int
    total_score: float
    mean_circle_score: float | None
    upper_bound: float
    gap: float
    optimal: bool
    method: str
    bound_method: str
    min_size: int
    max_size: int
    mutual: Mutual
    seed: int
    timings_ms: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class CirclesReport:
    """Everything ``POST /peer/circles`` returns; circles ordered by their first member."""

    circles: tuple[Circle, ...]
    unmatched: tuple[PeerUnmatched, ...]
    summary: CirclesSummary


# ---------------------------------------------------------------------------- the problem


@dataclass(frozen=True, slots=True, eq=False)
class PeerProblem:
    """One pool's peer problem, scored once; every array is read-only.

    Attributes:
        comp: the pool against itself (row = the person whose wants are compared, column =
            the partner); ``comp.mentee_ids == comp.mentor_ids`` is the pool in order.
        mutual: float64 ``(n, n)``, symmetric, the mutual score of every pair (diagonal 0).
        feasible: bool ``(n, n)``, symmetric: both directions pass every hard rule; diagonal
            False.
        allowed: ``feasible`` and ``mutual >= min_score``: the pairs a solver may use.
        rule: the mutual rule.
        min_score: the floor on the mutual score, or None.
        self_failed: constraint name -> bool ``(n,)``: the rule fails a person with themself
            (``comp.removed`` counts them then; reasons subtract it).
        leaders: the pool against the leaders (rows = people, columns = leaders), or None.
        leader_capacity: int64 ``(L,)``, the circles each leader may lead.
    """

    comp: Compatibility
    mutual: FloatArray
    feasible: BoolArray
    allowed: BoolArray
    rule: Mutual
    min_score: float | None
    self_failed: Mapping[str, BoolArray]
    leaders: Compatibility | None = None
    leader_capacity: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def ids(self) -> tuple[str, ...]:
        """The pool's ids, in order."""
        return self.comp.mentee_ids

    @property
    def size(self) -> int:
        """People in the pool."""
        return len(self.comp.mentee_ids)

    def solve(self) -> PeerAssignment:
        """The exact pairs: :func:`~matchsvc.assignment.assign_peers` over :attr:`mutual` and
        :attr:`allowed`, with its certificate."""
        return assign_peers(self.mutual, self.allowed)

    def circles(self, min_size: int, max_size: int, *, seed: int = 0) -> Circles:
        """Circles of ``min_size..max_size``: :func:`~matchsvc.assignment.form_circles` over
        :attr:`mutual` and :attr:`allowed`, led by the leaders when there are any."""
        if self.leaders is None:
            return form_circles(self.mutual, min_size, max_size, self.allowed, seed=seed)
        return form_circles(
            self.mutual,
            min_size,
            max_size,
            self.allowed,
            leader_scores=self.leaders.scores.astype(np.float64),
            leader_capacity=self.leader_capacity,
            leader_allowed=np.array(self.leaders.allowed, dtype=np.bool_),
            seed=seed,
        )


_A = TypeVar("_A", bound=np.ndarray[Any, Any])


def _readonly(array: _A) -> _A:
    array.flags.writeable = False
    return array


# ---------------------------------------------------------------------------- checks


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_peer_options(options: PeerOptions) -> None:
    """Raise InvalidInputError (``field`` ``options.<name>``) for options out of range: an
    unknown ``mutual``, ``min_score`` or ``cover_threshold`` outside [0, 1]; for circles,
    sizes outside [2, 8] or ``min_size > max_size``, a seed outside [0, 2**31 - 1]. Scoring
    options are checked with the people (:func:`check_pool`)."""
    if not isinstance(options, PeerOptions):
        raise InvalidInputError(
            f"options is a {type(options).__name__}; pass PeerOptions (pairs) or CircleOptions",
            field="options",
        )
    if options.mutual not in MUTUAL_RULES:
        raise InvalidInputError(
            f"mutual is {options.mutual!r}; use 'mean' (each side counts half) or 'min' (a "
            "pair is worth its weaker side)",
            field="options.mutual",
        )
    check_min_score(options.min_score)
    t = options.cover_threshold
    if not _number(t) or not 0 <= t <= 1:
        raise InvalidInputError(
            f"cover_threshold is {t!r}; use a similarity in [0, 1]",
            field="options.cover_threshold",
        )
    if not isinstance(options, CircleOptions):
        return
    for name in ("min_size", "max_size"):
        value = getattr(options, name)
        if not _integer(value) or not MIN_CIRCLE_SIZE <= value <= MAX_CIRCLE_SIZE:
            raise InvalidInputError(
                f"{name} is {value!r}; a circle has {MIN_CIRCLE_SIZE} to {MAX_CIRCLE_SIZE} people",
                field=f"options.{name}",
            )
    if options.min_size > options.max_size:
        raise InvalidInputError(
            f"min_size is {options.min_size} but max_size is {options.max_size}; give "
            "min_size <= max_size",
            field="options.min_size",
        )
    if not _integer(options.seed) or not 0 <= options.seed <= MAX_SEED:
        raise InvalidInputError(
            f"seed is {options.seed!r}; use an integer in [0, {MAX_SEED:,}]",
            field="options.seed",
        )


def _without_excludes(people: Sequence[Profile]) -> list[Profile]:
    return [replace(p, exclude=()) if isinstance(p, Profile) else p for p in people]


def check_pool(people: Sequence[Profile], leaders: Sequence[Profile], options: PeerOptions) -> None:
    """Everything about a pool that needs no model: the options, each person (as
    :func:`~matchsvc.scoring.validate_people` checks them, with paths ``people[i]`` and
    ``leaders[i]``), the excludes and the leaders' capacities.

    A person's ``exclude`` names others of the pool (or leaders); a leader's names people of
    the pool. A leader's id may not also be in the pool.

    Raises:
        InvalidInputError: the first problem, with its field path (``people[2].exclude[0]``).
    """
    check_peer_options(options)
    if leaders and not isinstance(options, CircleOptions):
        raise InvalidInputError(
            f"{len(leaders)} leaders were given, but leaders lead circles: drop them, or "
            "form circles",
            field="leaders",
        )
    validate_people(
        _without_excludes(people),
        _without_excludes(leaders),
        options.scoring,
        sides=("people", "leaders"),
    )
    pool = {p.id for p in people}
    led = {p.id for p in leaders}
    for i, person in enumerate(leaders):
        if person.id in pool:
            raise InvalidInputError(
                f"leaders[{i}] ({person.id!r}) is also in people: a leader leads circles of "
                "others; give them once, in one list",
                field=f"leaders[{i}].id",
            )
        cap = person.capacity
        if not _integer(cap) or not 0 <= cap <= MAX_COUNT:
            raise InvalidInputError(
                f"leaders[{i}].capacity is {cap!r}; use the number of circles they may lead, "
                f"an integer in [0, {MAX_COUNT:,}]",
                field=f"leaders[{i}].capacity",
            )
    for side, group, others, what in (
        ("people", people, pool | led, "in people or leaders"),
        ("leaders", leaders, pool, "in people (leaders exclude people of the pool)"),
    ):
        for i, person in enumerate(group):
            for k, excluded in enumerate(person.exclude):
                where = f"{side}[{i}].exclude[{k}]"
                problem = check_text(excluded) if isinstance(excluded, str) else "is not text"
                if problem is not None:
                    raise InvalidInputError(f"{where} {problem}", field=where)
                if excluded == person.id:
                    raise InvalidInputError(
                        f"{side}[{i}] ({person.id!r}) excludes themself: nobody is paired with "
                        "themself; remove their own id from exclude",
                        field=where,
                    )
                if excluded not in others:
                    raise InvalidInputError(
                        f"{side}[{i}] ({person.id!r}) excludes {excluded!r}, who is not "
                        f"{what}: remove it from exclude or add that person",
                        field=where,
                    )


def check_pool_limits(
    people: Sequence[Profile],
    leaders: Sequence[Profile],
    *,
    max_people: int,
    max_leaders: int,
    max_skills: int,
    max_text_length: int,
) -> None:
    """Raise LimitExceededError (413) when a pool is larger than the limits: more than
    ``max_people`` people (``MATCHSVC_MAX_MENTEES``) or ``max_leaders`` leaders
    (``MATCHSVC_MAX_MENTORS``), a person with more than ``max_skills`` skills or wish topics
    (``MATCHSVC_MAX_SKILLS``), or a text longer than ``max_text_length`` characters
    (``MATCHSVC_MAX_TEXT_LENGTH``). Checked before any embedding."""
    for side, group, limit, setting in (
        ("people", people, max_people, "MATCHSVC_MAX_MENTEES"),
        ("leaders", leaders, max_leaders, "MATCHSVC_MAX_MENTORS"),
    ):
        if len(group) > limit:
            raise LimitExceededError(
                f"{len(group)} {side} exceed the limit of {limit} per request ({setting}); "
                "split the pool or raise the limit",
                field=side,
            )
        for i, p in enumerate(group):
            if not isinstance(p, Profile):
                continue  # reported by check_pool
            for name, items in (("skills", p.skills), ("wishes.topics", p.wishes.topics)):
                if len(items) > max_skills:
                    raise LimitExceededError(
                        f"{side}[{i}] lists {len(items)} {name.replace('.', ' ')}; the limit "
                        f"is {max_skills} (MATCHSVC_MAX_SKILLS)",
                        field=f"{side}[{i}].{name}",
                    )
            texts = {
                "goals": p.goals,
                "communication.style": p.communication.style,
                "career_stage": p.career_stage,
                "industry": p.industry,
                **{f"skills[{k}]": s for k, s in enumerate(p.skills)},
                **{f"wishes.topics[{k}]": t for k, t in enumerate(p.wishes.topics)},
            }
            for name, text in texts.items():
                if isinstance(text, str) and len(text) > max_text_length:
                    raise LimitExceededError(
                        f"{side}[{i}].{name} has {len(text)} characters; the limit is "
                        f"{max_text_length} (MATCHSVC_MAX_TEXT_LENGTH): shorten it",
                        field=f"{side}[{i}].{name}",
                    )


# ---------------------------------------------------------------------------- building


def _self_failed(
    comp: Compatibility, people: Sequence[Profile], scoring: ScoringOptions
) -> dict[str, BoolArray]:
    """Per hard rule, whether it fails a person with themself (so ``comp.removed`` counts
    them): language and exclude never do (one shares one's own languages; self-exclusion is
    refused); availability when one's own weekly hours are below ``min_overlap_hours``; a
    ``different`` criterion whenever the value is known, a ``gap`` one when 0 lies outside
    [min, max]; ``same`` and ``overlap`` never."""
    n = len(people)
    out = {name: np.zeros(n, dtype=np.bool_) for name in comp.removed}
    cons = scoring.constraints
    if cons.min_overlap_hours > 0 and n:
        has = np.array([comp.has_availability(i, i) for i in range(n)], dtype=np.bool_)
        own = np.diagonal(comp.overlap_hours)
        out["availability"] = has & (own < np.float32(cons.min_overlap_hours))
    for crit in scoring.criteria:
        if not crit.hard:
            continue
        known = np.array([p.attributes.get(crit.attribute) is not None for p in people], bool)
        if crit.kind == "different":
            out[crit.name] = known
        elif crit.kind == "gap":
            zero_ok = (crit.min is None or crit.min <= 0) and (crit.max is None or crit.max >= 0)
            out[crit.name] = known & (not zero_ok)
    return {k: _readonly(v) for k, v in out.items()}


def peer_problem(
    people: Sequence[Profile],
    options: PeerOptions,
    embedder: Embedder,
    *,
    leaders: Sequence[Profile] = (),
    watch: Stopwatch | None = None,
) -> PeerProblem:
    """Check the pool, score it against itself (and against the leaders), combine the fits.

    Args:
        people: the pool; ids unique; ``exclude`` names others of the pool or leaders.
        options: :class:`PeerOptions` (pairs) or :class:`CircleOptions` (circles).
        embedder: texts -> unit vectors.
        leaders: circles only: who may lead them (``capacity`` = circles each may lead).
        watch: times ``embed`` and ``score`` when given.

    Raises:
        InvalidInputError: see :func:`check_pool`.
    """
    check_pool(people, leaders, options)
    watch = watch if watch is not None else Stopwatch()
    pool_ids = {p.id for p in people}
    led_ids = {p.id for p in leaders}

    def keep(group: Sequence[Profile], ids: set[str]) -> list[Profile]:
        return [replace(p, exclude=tuple(x for x in p.exclude if x in ids)) for p in group]

    def build(timed: Embedder) -> tuple[Compatibility, Compatibility | None]:
        pool = keep(people, pool_ids)
        comp = build_compatibility(pool, pool, options.scoring, timed)
        if not leaders:
            return comp, None
        return comp, build_compatibility(
            keep(people, led_ids), keep(leaders, pool_ids), options.scoring, timed
        )

    comp, led = watch.scoring(build, embedder)
    fit = comp.scores.astype(np.float64)
    mutual = (fit + fit.T) / 2.0 if options.mutual == "mean" else np.minimum(fit, fit.T)
    np.fill_diagonal(mutual, 0.0)
    feasible = comp.allowed & comp.allowed.T
    np.fill_diagonal(feasible, False)
    allowed = feasible.copy()
    if options.min_score is not None:
        allowed &= mutual >= float(options.min_score)
    capacity = np.array([p.capacity for p in leaders], dtype=np.int64)
    return PeerProblem(
        comp=comp,
        mutual=_readonly(mutual),
        feasible=_readonly(feasible),
        allowed=_readonly(allowed),
        rule=options.mutual,
        min_score=options.min_score,
        self_failed=MappingProxyType(_self_failed(comp, people, options.scoring)),
        leaders=led,
        leader_capacity=_readonly(capacity),
    )


# ---------------------------------------------------------------------------- explaining


def _order(problem: PeerProblem, i: int) -> IntArray:
    """Person i's allowed partners, best mutual score first, ties by pool order."""
    cols = np.flatnonzero(problem.allowed[i])
    order = np.lexsort((cols, -problem.mutual[i, cols]))
    out: IntArray = cols[order].astype(np.int64)
    return out


def _rank(problem: PeerProblem, i: int, j: int) -> int:
    row, allowed = problem.mutual[i], problem.allowed[i]
    above = allowed & ((row > row[j]) | ((row == row[j]) & (np.arange(row.size) < j)))
    return int(above.sum()) + 1


def _side(problem: PeerProblem, i: int, j: int) -> PeerSide:
    comp = problem.comp
    facets = {}
    for name, weight in comp.weights.items():
        value = float(comp.facets[name][i, j])
        missing = value != value  # NaN
        facets[name] = FacetShare(
            similarity=None if missing else value,
            weight=weight,
            contribution=0.0 if missing else weight * value,
            missing=missing,
            coverage=comp.facet_coverage(name, i, j),
        )
    return PeerSide(
        person_id=comp.mentee_ids[i],
        partner_id=comp.mentor_ids[j],
        fit=float(comp.scores[i, j]),
        coverage=comp.coverage(i, j),
        facets=MappingProxyType(facets),
        skill_pairs=tuple(SkillMatch(a, b, s) for a, b, s in comp.skill_pairs(i, j)),
        rank=_rank(problem, i, j),
        feasible_partners=int(problem.allowed[i].sum()),
    )


def _choice(side: PeerSide) -> str:
    if side.rank == 1:
        return f"{side.partner_id} is {side.person_id}'s top choice"
    return f"{side.partner_id} is {side.person_id}'s choice {side.rank} of {side.feasible_partners}"


def _wants(side: PeerSide) -> str | None:
    if not side.skill_pairs:
        return None
    best = side.skill_pairs[0]
    return (
        f"{side.person_id} wants '{best.wanted}' ~ {side.partner_id}'s '{best.offered}' "
        f"({best.similarity:.2f})"
    )


def _explain_pair(problem: PeerProblem, i: int, j: int, score: float) -> PeerExplanation:
    comp = problem.comp
    one, two = _side(problem, i, j), _side(problem, j, i)
    languages = comp.shared_languages(i, j)
    overlap = comp.pair_overlap_hours(i, j)
    a, b = comp.mentee_ids[i], comp.mentee_ids[j]
    parts = [
        f"{a} and {b}: mutual score {score:.2f} ({problem.rule} of {a}'s fit {one.fit:.2f} and "
        f"{b}'s {two.fit:.2f})",
        f"{_choice(one)}, {_choice(two)}",
    ]
    parts += [w for w in (_wants(one), _wants(two)) if w is not None]
    if languages:
        parts.append("share " + ", ".join(languages))
    if overlap is not None:
        parts.append(f"{overlap:g} h/week overlap")
    return PeerExplanation(
        mutual=problem.rule,
        person=one,
        partner=two,
        shared_languages=languages,
        overlap_hours=overlap,
        summary="; ".join(parts) + ".",
    )


def _removed_by(problem: PeerProblem, i: int) -> dict[str, int]:
    comp = problem.comp
    out = {
        name: int(counts[i]) - int(problem.self_failed[name][i])
        for name, counts in comp.removed.items()
    }
    one_way = comp.allowed[i] & ~comp.allowed[:, i]
    one_way[i] = False
    out["partner_side"] = int(one_way.sum())
    out["min_score"] = int((problem.feasible[i] & ~problem.allowed[i]).sum())
    return out


def _rules(removed: Mapping[str, int]) -> str:
    named = [(k, v) for k, v in removed.items() if v]
    named.sort(key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{k} {v}" for k, v in named) or "nothing"


def _reason_sentence(
    person: str,
    reason: str,
    allowed: int,
    removed: Mapping[str, int],
    best: Sequence[BusyPartner],
    sizes: tuple[int, int] | None,
    allowed_leaders: int | None,
) -> str:
    if reason == "no_allowed_partner":
        if not any(removed.values()):
            return f"{person} has no allowed partner: nobody else is in the pool."
        return (
            f"{person} has no allowed partner: every other person is removed by a hard rule "
            f"or min_score (removed by: {_rules(removed)})."
        )
    if reason == "no_partner_left":
        who = (
            "their one allowed partner is"
            if allowed == 1
            else f"all {allowed} allowed partners are"
        )
        text = f"{person} is in no pair: {who} paired"
        if best:
            text += (
                f"; the best, {best[0].partner_id} ({best[0].score:.2f}), is paired with "
                f"{', '.join(best[0].with_ids)} ({best[0].group_score:.2f})"
            )
        return text + "; no set of as many pairs has room for them."
    low, high = sizes if sizes is not None else (0, 0)
    if reason == "too_few_allowed_partners":
        if allowed_leaders == 0:
            return f"{person} is in no circle: no leader with capacity may lead them."
        return (
            f"{person} is in no circle: {allowed} allowed partners, fewer than the "
            f"{low - 1} a circle of {low} needs (removed by: {_rules(removed)})."
        )
    if reason == "no_leader_capacity":
        return f"{person} is in no circle: the leaders' capacity leaves no room for more circles."
    if reason == "pool_size":
        return (
            f"{person} is in no circle: the people who can join circles cannot all be split "
            f"into circles of {low} to {high}."
        )
    text = f"{person} is in no circle: the heuristic found no circle with room that allows them"
    if best:
        text += f" (best allowed partner {best[0].partner_id}, {best[0].score:.2f}, is taken)"
    return text + "."


def _unmatched(
    problem: PeerProblem,
    people: Sequence[int],
    reasons: Sequence[str],
    groups: Mapping[int, tuple[tuple[int, ...], float]],
    *,
    sizes: tuple[int, int] | None = None,
    leader_ok: BoolArray | None = None,
) -> tuple[PeerUnmatched, ...]:
    """One :class:`PeerUnmatched` per person; ``groups``: each placed person -> (the others
    of their pair or circle, its score)."""
    ids, out = problem.ids, []
    for i, reason in zip(people, reasons, strict=True):
        order = _order(problem, i)
        busy = tuple(
            BusyPartner(ids[j], float(problem.mutual[i, j]), tuple(ids[k] for k in g), s)
            for j in order.tolist()
            if j in groups
            for g, s in [groups[j]]
        )[:_TOP]
        feasible = np.flatnonzero(problem.feasible[i])
        best_score = float(problem.mutual[i, feasible].max()) if feasible.size else None
        removed = _removed_by(problem, i)
        led = None if leader_ok is None else int(leader_ok[i].sum())
        out.append(
            PeerUnmatched(
                person_id=ids[i],
                reason=reason,  # type: ignore[arg-type]
                summary=_reason_sentence(ids[i], reason, order.size, removed, busy, sizes, led),
                allowed_partners=int(order.size),
                removed_by=MappingProxyType(removed),
                best_score=best_score,
                best_partners=busy,
                allowed_leaders=led,
            )
        )
    return tuple(out)


# ---------------------------------------------------------------------------- pairs


def peer_match(
    people: Sequence[Profile], options: PeerOptions, embedder: Embedder
) -> PeerMatchReport:
    """Pair the pool exactly (the most pairs, then the largest total mutual score) and
    explain every pair and every person left out.

    Raises:
        InvalidInputError: bad people or options (``field`` names the input, e.g.
            ``people[1].id``, ``options.mutual``).
    """
    if isinstance(options, CircleOptions):
        raise InvalidInputError(
            "CircleOptions were given to peer_match: pass PeerOptions, or call peer_circles",
            field="options",
        )
    watch = Stopwatch()
    problem = peer_problem(people, options, embedder, watch=watch)
    with watch.stage("solve"):
        result = problem.solve()
    with watch.stage("explain"):
        ids = problem.ids
        pairs_ix = [(int(i), int(j)) for i, j in result.pairs.tolist()]
        scores = result.scores.tolist()
        pairs = tuple(
            PeerPair(
                person_id=ids[i],
                partner_id=ids[j],
                score=float(s),
                explanation=_explain_pair(problem, i, j, float(s)) if options.explain else None,
            )
            for (i, j), s in zip(pairs_ix, scores, strict=True)
        )
        groups: dict[int, tuple[tuple[int, ...], float]] = {}
        for (i, j), s in zip(pairs_ix, scores, strict=True):
            groups[i], groups[j] = ((j,), float(s)), ((i,), float(s))
        unmatched = _unmatched(problem, result.unmatched.tolist(), result.unmatched_reasons, groups)
    values = result.scores
    summary = PeerMatchSummary(
        people=problem.size,
        matched=len(pairs),
        unmatched=len(unmatched),
        total_score=float(result.total),
        mean_score=float(values.mean()) if values.size else None,
        min_score=float(values.min()) if values.size else None,
        mutual=options.mutual,
        optimal=bool(result.optimal),
        solver=PEER_SOLVER,
        timings_ms=MappingProxyType(watch.timings()),
    )
    return PeerMatchReport(pairs, unmatched, summary)


# ---------------------------------------------------------------------------- circles


def _brings(
    problem: PeerProblem, p: int, others: Sequence[int], threshold: float
) -> tuple[CircleContribution, ...]:
    comp, items = problem.comp, []
    for q in others:
        for kind, wanted, offered, sim in comp.cover(q, p):
            if sim >= threshold:
                items.append(CircleContribution(comp.mentee_ids[q], kind, wanted, offered, sim))  # type: ignore[arg-type]
    items.sort(key=lambda c: (-c.similarity, c.kind != "skill", c.person_id, c.wanted))
    return tuple(items[:FOCUS_TOP])


def _explain_circle(
    problem: PeerProblem,
    members: Sequence[int],
    leader: int | None,
    threshold: float,
) -> CircleExplanation:
    ids, mutual = problem.ids, problem.mutual
    fits = (
        None
        if leader is None or problem.leaders is None
        else {p: float(problem.leaders.scores[p, leader]) for p in members}
    )
    out = []
    for p in members:
        others = [q for q in members if q != p]
        ranked = sorted(others, key=lambda q: (-mutual[p, q], q))
        links = [CircleLink(ids[q], float(mutual[p, q])) for q in ranked]
        out.append(
            CircleMember(
                person_id=ids[p],
                strongest=links[0] if links else None,
                weakest=links[-1] if links else None,
                brings=_brings(problem, p, others, threshold),
                leader_fit=None if fits is None else fits[p],
            )
        )
    pair_ix = [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
    pair_score = float(sum(mutual[a, b] for a, b in pair_ix))
    leader_score = None if fits is None else float(sum(fits.values()))
    mean = pair_score / len(pair_ix) if pair_ix else 0.0
    names = ", ".join(ids[p] for p in members)
    led = (
        ""
        if leader is None or problem.leaders is None
        else (f" led by {problem.leaders.mentor_ids[leader]}")
    )
    text = f"Circle of {names}{led}: mean pair score {mean:.2f}"
    if pair_ix:
        strong = max(pair_ix, key=lambda ab: (mutual[ab], -ab[0], -ab[1]))
        weak = min(pair_ix, key=lambda ab: (mutual[ab], ab[0], ab[1]))
        text += (
            f"; strongest link {ids[strong[0]]}-{ids[strong[1]]} ({mutual[strong]:.2f}), "
            f"weakest {ids[weak[0]]}-{ids[weak[1]]} ({mutual[weak]:.2f})"
        )
    if leader_score is not None:
        text += f"; leader fit {leader_score / len(members):.2f} on average"
    return CircleExplanation(pair_score, leader_score, mean, tuple(out), text + ".")


def _circle_list(
    problem: PeerProblem, result: Circles, options: CircleOptions
) -> tuple[list[Circle], dict[int, tuple[tuple[int, ...], float]]]:
    """The circles as results (explained when asked), and each member's circle-mates and
    circle score (for the unmatched reasons)."""
    ids = problem.ids
    circles = []
    groups: dict[int, tuple[tuple[int, ...], float]] = {}
    for c in range(result.n_circles):
        members = [int(x) for x in result.circle(c).tolist()]
        leader = None if result.leaders is None else int(result.leaders[c])
        score = float(result.scores[c])
        for p in members:
            groups[p] = (tuple(q for q in members if q != p), score)
        circles.append(
            Circle(
                members=tuple(ids[p] for p in members),
                leader_id=(
                    None
                    if leader is None or problem.leaders is None
                    else problem.leaders.mentor_ids[leader]
                ),
                score=score,
                explanation=(
                    _explain_circle(problem, members, leader, options.cover_threshold)
                    if options.explain
                    else None
                ),
            )
        )
    return circles, groups


def _circle_timings(watch: Stopwatch, bound_ms: float) -> dict[str, float]:
    """The stage timings, the bound's share of the solve stage reported on its own."""
    timings = watch.timings()
    bound = round(min(bound_ms, timings.get("solve", 0.0)), 3)
    return {
        "embed": timings["embed"],
        "score": timings["score"],
        "solve": round(timings["solve"] - bound, 3),
        "bound": bound,
        "explain": timings["explain"],
    }


def peer_circles(
    people: Sequence[Profile],
    options: CircleOptions,
    embedder: Embedder,
    *,
    leaders: Sequence[Profile] = (),
) -> CirclesReport:
    """Split the pool into circles of ``options.min_size..max_size`` (optionally each led by
    one of ``leaders``), with a proven upper bound, the gap to it, explanations and a reason
    for everyone left out.

    Raises:
        InvalidInputError: bad people, leaders or options (``field`` names the input, e.g.
            ``options.min_size``, ``leaders[0].id``).
    """
    if not isinstance(options, CircleOptions):
        raise InvalidInputError(
            "peer_circles needs CircleOptions (min_size, max_size, seed)", field="options"
        )
    watch = Stopwatch()
    problem = peer_problem(people, options, embedder, leaders=leaders, watch=watch)
    with watch.stage("solve"):
        result = problem.circles(options.min_size, options.max_size, seed=options.seed)
    with watch.stage("explain"):
        circles, groups = _circle_list(problem, result, options)
        leader_ok = None
        if problem.leaders is not None:
            leader_ok = problem.leaders.allowed & (problem.leader_capacity > 0)[None, :]
        unmatched = _unmatched(
            problem,
            result.unmatched.tolist(),
            result.unmatched_reasons,
            groups,
            sizes=(options.min_size, options.max_size),
            leader_ok=leader_ok,
        )
    timings = _circle_timings(watch, result.stats.seconds_bound * 1000)
    n_circles = len(circles)
    summary = CirclesSummary(
        people=problem.size,
        circles=n_circles,
        placed=problem.size - len(unmatched),
        unmatched=len(unmatched),
        total_score=float(result.total),
        mean_circle_score=float(result.total) / n_circles if n_circles else None,
        upper_bound=float(result.upper_bound),
        gap=float(result.gap),
        optimal=bool(result.gap == 0.0),
        method=CIRCLE_METHOD,
        bound_method=result.bound_method,
        min_size=options.min_size,
        max_size=options.max_size,
        mutual=options.mutual,
        seed=options.seed,
        timings_ms=MappingProxyType(timings),
    )
    return CirclesReport(tuple(circles), unmatched, summary)
