"""Group-fair matching: the match's solve step under floors on groups' matched shares.

``options.fairness`` holds rules (:class:`~matchsvc.assignment.GroupFloor`) on mentee
attributes: each group (one value of the attribute, see :mod:`matchsvc.pipelines._groups`) gets
at least ``ceil(min_matched_share x its demand)`` matched slots, or at least its share of the
overall matched share minus ``max_share_gap``. :func:`check_fairness` checks the rules against
the people before anything is embedded; :func:`solve_with_floors` replaces
:meth:`MatchProblem.solve` for the match and reports the cost of fairness (the total score
without the floors minus the total with them) and every group's outcome. The floors are solved
exactly by :func:`matchsvc.assignment.assign_group_fair`. Pure core: no web types.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from matchsvc.assignment import Assignment, GroupFloor, assign_group_fair
from matchsvc.bounds import MAX_FAIRNESS_RULES
from matchsvc.errors import FloorInfeasibleError, InvalidInputError, MatchsvcError
from matchsvc.pipelines._groups import Grouping, GroupLabel, GroupValue, group_people
from matchsvc.problem import MatchProblem
from matchsvc.profiles import Profile

if TYPE_CHECKING:
    from matchsvc.pipelines.match import MatchOptions

__all__ = ["FairnessGroup", "FairnessOutcome", "check_fairness", "solve_with_floors"]

FIELD = "options.fairness"


@dataclass(frozen=True, slots=True)
class FairnessGroup:
    """One group of a fairness rule's attribute, with the floors and without them.

    Attributes:
        attribute, value: the group (value None: mentees without the attribute).
        people: mentees in the group; demand: their slots.
        floor: the slots the rule asks for the group.
        matched, matched_without_floors: the group's matched slots in the answer and in the
            best assignment without floors.
        matched_share, matched_share_without_floors: those over ``demand`` (None without
            demand).
    """

    attribute: str
    value: GroupValue
    people: int
    demand: int
    floor: int
    matched: int
    matched_without_floors: int
    matched_share: float | None
    matched_share_without_floors: float | None


@dataclass(frozen=True, slots=True)
class FairnessOutcome:
    """What the floors cost and whom they served (``summary.fairness`` of a match).

    Attributes:
        total_score: the answer's total score (with the floors).
        total_score_without_floors: the best total without them (same matched count: floors
            never lower it).
        cost_of_fairness: ``total_score_without_floors - total_score``, >= 0 (a difference
            below 1e-9 from rounding the two sums is reported as 0).
        method: ``unconstrained`` (no rule asked for a positive floor), ``flow`` (one
            attribute's floors, exact network solve) or ``milp+flow`` (several attributes).
        groups: every group of every rule's attribute, rules in order, groups in group order.
    """

    total_score: float
    total_score_without_floors: float
    cost_of_fairness: float
    method: str
    groups: tuple[FairnessGroup, ...]


def _rule_error(k: int, message: str, suffix: str = "") -> InvalidInputError:
    return InvalidInputError(f"fairness[{k}]{suffix}: {message}", field=f"{FIELD}[{k}]{suffix}")


def check_fairness(mentees: Sequence[Profile], options: MatchOptions) -> tuple[Grouping, ...]:
    """Check ``options.fairness`` against the mentees; the groups of each rule's attribute.

    Needs no scores: the doors run it before anything is embedded (and at job submission).

    Raises:
        InvalidInputError: more than ``MAX_FAIRNESS_RULES`` rules; a rule that is not a
            ``GroupFloor``, names an attribute twice or one no mentee has, sets neither or
            both of ``min_matched_share`` and ``max_share_gap`` or one outside [0, 1]; a
            list-valued attribute; ``objective`` ``"fair"`` or a ``solver`` other than
            ``"auto"`` with rules (floors have their own exact solver and maximise the total).
    """
    rules = options.fairness
    if not isinstance(rules, Sequence) or len(rules) > MAX_FAIRNESS_RULES:
        count = len(rules) if isinstance(rules, Sequence) else type(rules).__name__
        raise InvalidInputError(
            f"fairness holds {count} rules; give at most {MAX_FAIRNESS_RULES} (one per attribute)",
            field=FIELD,
        )
    if not rules:
        return ()
    if options.objective != "total":
        raise InvalidInputError(
            f"fairness floors maximise the total score, but objective is "
            f"{options.objective!r}: use objective 'total' with fairness",
            field=FIELD,
        )
    if options.solver != "auto":
        raise InvalidInputError(
            f"solver {options.solver!r} cannot enforce fairness floors (they are solved by "
            "their own exact network solver): leave solver 'auto' with fairness",
            field="options.solver",
        )
    for i, person in enumerate(mentees):
        if not isinstance(person, Profile):
            raise InvalidInputError(
                f"mentees[{i}] is a {type(person).__name__}, not a Profile", field=f"mentees[{i}]"
            )
    seen: set[str] = set()
    out: list[Grouping] = []
    for k, rule in enumerate(rules):
        out.append(_check_rule(k, rule, seen, mentees))
        seen.add(rule.attribute)
    return tuple(out)


def _check_rule(k: int, rule: object, seen: set[str], mentees: Sequence[Profile]) -> Grouping:
    """Rule ``k`` checked against the rules before it (``seen``) and the mentees."""
    if not isinstance(rule, GroupFloor):
        raise _rule_error(k, f"must be a GroupFloor, got {type(rule).__name__}")
    if not isinstance(rule.attribute, str) or not rule.attribute:
        raise _rule_error(k, "attribute must be a non-empty name", ".attribute")
    if rule.attribute in seen:
        raise _rule_error(
            k, f"attribute {rule.attribute!r} has two rules; give one per attribute", ".attribute"
        )
    forms = [
        (name, value)
        for name, value in (
            ("min_matched_share", rule.min_matched_share),
            ("max_share_gap", rule.max_share_gap),
        )
        if value is not None
    ]
    if len(forms) != 1:
        raise _rule_error(
            k, f"set exactly one of min_matched_share and max_share_gap (got {len(forms)})"
        )
    name, value = forms[0]
    number = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
    if not number or not 0.0 <= float(value) <= 1.0:
        raise _rule_error(k, f"{name} is {value!r}; use a share from 0 to 1", f".{name}")
    grouping = group_people(
        mentees, rule.attribute, side="mentees", field=f"{FIELD}[{k}].attribute"
    )
    if grouping is None:
        known = sorted({a for p in mentees for a in p.attributes})
        listed = ", ".join(map(repr, known[:20])) or "none"
        raise _rule_error(
            k,
            f"no mentee has attribute {rule.attribute!r} (mentees' attributes: {listed}); "
            "name one of them, or give the mentees this attribute",
            ".attribute",
        )
    return grouping


def solve_with_floors(
    problem: MatchProblem, rules: Sequence[GroupFloor], groupings: Sequence[Grouping]
) -> tuple[Assignment, FairnessOutcome]:
    """The exact assignment of ``problem`` under the floors of ``rules``, and what they cost.

    Args:
        problem: the match's problem (its ``allowed`` pairs, capacities and demands).
        rules: the checked rules; ``groupings``: their groups, from :func:`check_fairness`.

    Returns:
        The floor-respecting optimum (most pairs first, then the best total; the same count
        as without floors) and the :class:`FairnessOutcome`.

    Raises:
        FloorInfeasibleError: a group's floor cannot hold (422 ``infeasible``): the message
            names the group and the largest floor that can hold; ``field``
            ``options.fairness[k].min_matched_share`` (or ``.max_share_gap``).
        InfeasibleError: floors on several attributes that hold one by one, not together.
        LimitExceededError: floors on several attributes that bind, over more allowed pairs
            than the integer program takes (see :data:`~matchsvc.assignment._group_fair.
            FLOORS_MILP_LIMIT`).
    """
    groups = {g.attribute: g.labels() for g in groupings}
    try:
        result = assign_group_fair(
            problem.scores,
            groups,
            list(rules),
            capacity=problem.capacity,
            demand=problem.demand,
            allowed=problem.allowed,
        )
    except MatchsvcError as exc:
        if exc.field is not None and exc.field.startswith("fairness"):
            exc.field = f"options.{exc.field}"
        if isinstance(exc, FloorInfeasibleError) and isinstance(exc.group, GroupLabel):
            exc.group = exc.group.value  # the attribute value, as the caller gave it
        raise
    cost = float(result.unconstrained.total - result.assignment.total)
    outcome = FairnessOutcome(
        total_score=float(result.assignment.total),
        total_score_without_floors=float(result.unconstrained.total),
        cost_of_fairness=cost if cost > 1e-9 else 0.0,
        method=result.method,
        groups=tuple(
            FairnessGroup(
                attribute=g.attribute,
                value=g.value.value if isinstance(g.value, GroupLabel) else g.value,
                people=g.people,
                demand=g.demand,
                floor=g.floor,
                matched=g.matched,
                matched_without_floors=g.matched_unconstrained,
                matched_share=g.matched / g.demand if g.demand else None,
                matched_share_without_floors=(
                    g.matched_unconstrained / g.demand if g.demand else None
                ),
            )
            for g in result.groups
        ),
    )
    return result.assignment, outcome
