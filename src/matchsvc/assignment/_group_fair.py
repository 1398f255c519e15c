"""The public entry point :func:`assign_group_fair`: floors on each group's matched share."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._assign import _finish
from matchsvc.assignment._floors import (
    FloorCertificate,
    FloorsFail,
    PartitionResult,
    PartitionSolver,
)
from matchsvc.assignment._floors_milp import milp_floors, milp_max_group
from matchsvc.assignment._types import Assignment, Problem, SolverResult
from matchsvc.assignment._validate import validate
from matchsvc.errors import (
    FloorInfeasibleError,
    InfeasibleError,
    InvalidInputError,
    LimitExceededError,
)

__all__ = [
    "FLOORS_MILP_LIMIT",
    "GroupFairAssignment",
    "GroupFloor",
    "GroupOutcome",
    "assign_group_fair",
    "share_floor",
]

IntArray = npt.NDArray[np.int64]

# Floors on two or more attributes are an integer program with one variable per allowed pair;
# larger programs are refused (HiGHS took 6 s at 10,500 pairs with binding floors on a busy
# 2-core machine, 22 s at 20,000).
FLOORS_MILP_LIMIT = 10_000


@dataclass(frozen=True)
class GroupFloor:
    """A fairness rule on one mentee attribute; set exactly one of the two forms.

    Attributes
    ----------
    attribute : str
        A key of the ``groups`` mapping given to :func:`assign_group_fair`.
    min_matched_share : float, optional
        Absolute form: each group (value) of the attribute gets at least
        ``ceil(min_matched_share * group demand)`` matched slots.
    max_share_gap : float, optional
        Relative form: no group's matched share below the overall share minus this gap.
        Floors never lower the matched count (see :func:`assign_group_fair`), so the overall
        share is fixed in advance, ``v* / D`` (``v*`` the maximum count, ``D`` the total
        demand), and the rule is the floor ``ceil((v*/D - max_share_gap) * group demand)``.
    """

    attribute: str
    min_matched_share: float | None = None
    max_share_gap: float | None = None


@dataclass(frozen=True)
class GroupOutcome:
    """One group of one attribute: its size, floor and matched slots with and without floors."""

    attribute: str
    value: Any
    people: int
    demand: int
    floor: int
    matched: int
    matched_unconstrained: int

    @property
    def matched_share(self) -> float | None:
        """``matched / demand`` (None for a group without demand)."""
        return self.matched / self.demand if self.demand else None


@dataclass(frozen=True)
class GroupFairAssignment:
    """The result of :func:`assign_group_fair`.

    Attributes
    ----------
    assignment : Assignment
        The floor-respecting optimum (``certificate`` None there: its proof is
        ``certificate`` below, which has group prices).
    unconstrained : Assignment
        The optimum without floors (certified), for the cost of fairness.
    groups : tuple of GroupOutcome
        Every group of every attribute with a rule, attributes in rule order, values sorted.
    method : str
        ``"unconstrained"`` (no rule asked for a positive floor), ``"flow"`` (one attribute's
        floors by the network repair, or a one-attribute optimum that meets every rule) or
        ``"milp+flow"`` (several attributes: integer program, then the network repair on the
        joint cells with the program's cell counts as floors).
    certificate : FloorCertificate or None
        Proof of optimality for ``"flow"`` (over the rule's attribute, floors as in
        ``groups``) and for ``"milp+flow"`` (over the joint cells and their counts: optimal
        given those counts; the counts come from HiGHS).
    """

    assignment: Assignment
    unconstrained: Assignment
    groups: tuple[GroupOutcome, ...]
    method: str
    certificate: FloorCertificate | None

    @property
    def cost_of_fairness(self) -> float:
        """Total score without floors minus total score with them (>= 0)."""
        return self.unconstrained.total - self.assignment.total


def share_floor(share: float, group_demand: int) -> int:
    """``ceil(share * group_demand)`` with ``share`` read as the shortest decimal that gives
    back the float (``repr``): ``0.7`` is exactly 7/10, so 0.7 of 10 is 7, not 8."""
    return max(0, math.ceil(Fraction(repr(float(share))) * group_demand))


def _gap_floor(count: int, total_demand: int, gap: float, group_demand: int) -> int:
    if total_demand == 0:
        return 0
    share = Fraction(count, total_demand) - Fraction(repr(float(gap)))
    return max(0, math.ceil(share * group_demand))


@dataclass(frozen=True)
class _Rule:
    index: int
    attribute: str
    values: tuple[Any, ...]
    codes: IntArray
    group_demand: IntArray
    people: IntArray
    floors: IntArray
    floor_spec: GroupFloor


def _check_rules(
    floors: Sequence[GroupFloor], groups: Mapping[str, Any], n: int
) -> list[tuple[int, GroupFloor, tuple[Any, ...], IntArray]]:
    out = []
    seen: set[str] = set()
    for idx, rule in enumerate(floors):
        field = f"fairness[{idx}]"
        if not isinstance(rule, GroupFloor):
            raise InvalidInputError(
                f"{field} must be a GroupFloor, got {type(rule).__name__}", field=field
            )
        if rule.attribute in seen:
            raise InvalidInputError(
                f"{field}: attribute {rule.attribute!r} has two rules; give one per attribute",
                field=f"{field}.attribute",
            )
        seen.add(rule.attribute)
        if rule.attribute not in groups:
            known = ", ".join(map(repr, sorted(groups))) or "none"
            raise InvalidInputError(
                f"{field}: attribute {rule.attribute!r} has no values in groups (known: "
                f"{known}); pass groups[{rule.attribute!r}] with one value per mentee",
                field=f"{field}.attribute",
            )
        forms = (rule.min_matched_share is not None) + (rule.max_share_gap is not None)
        if forms != 1:
            raise InvalidInputError(
                f"{field}: set exactly one of min_matched_share and max_share_gap (got {forms})",
                field=field,
            )
        name, value = (
            ("min_matched_share", rule.min_matched_share)
            if rule.min_matched_share is not None
            else ("max_share_gap", rule.max_share_gap)
        )
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
        if not ok or not 0.0 <= float(value) <= 1.0:  # type: ignore[arg-type]
            raise InvalidInputError(
                f"{field}.{name} = {value!r} must be a number between 0 and 1",
                field=f"{field}.{name}",
            )
        labels = np.asarray(groups[rule.attribute])
        if labels.ndim != 1 or labels.shape[0] != n:
            raise InvalidInputError(
                f"groups[{rule.attribute!r}] has shape {labels.shape} but there are {n} "
                "mentees; give one value per mentee",
                field=f"groups.{rule.attribute}",
            )
        try:
            uniq, codes = np.unique(labels, return_inverse=True)
        except TypeError:
            raise InvalidInputError(
                f"groups[{rule.attribute!r}] mixes value types that cannot be ordered; "
                "use one type (e.g. all strings, with 'unknown' for a missing value)",
                field=f"groups.{rule.attribute}",
            ) from None
        out.append((idx, rule, tuple(uniq.tolist()), codes.astype(np.int64).reshape(-1)))
    return out


def _outcomes(
    rules: Sequence[_Rule], pairs: IntArray, base: IntArray, n: int
) -> list[GroupOutcome]:
    got = np.bincount(pairs[:, 0], minlength=n)
    got0 = np.bincount(base[:, 0], minlength=n)
    out = []
    for r in rules:
        f = np.bincount(r.codes, weights=got, minlength=len(r.values)).astype(np.int64)
        f0 = np.bincount(r.codes, weights=got0, minlength=len(r.values)).astype(np.int64)
        for k, v in enumerate(r.values):
            out.append(
                GroupOutcome(
                    attribute=r.attribute,
                    value=v,
                    people=int(r.people[k]),
                    demand=int(r.group_demand[k]),
                    floor=int(r.floors[k]),
                    matched=int(f[k]),
                    matched_unconstrained=int(f0[k]),
                )
            )
    return out


def _meets(rules: Sequence[_Rule], pairs: IntArray, n: int) -> bool:
    got = np.bincount(pairs[:, 0], minlength=n)
    return all(
        (np.bincount(r.codes, weights=got, minlength=len(r.values)) >= r.floors).all()
        for r in rules
    )


def _raise_floor(
    rule: _Rule, k: int, largest: int, context: str, total_share: Fraction
) -> FloorInfeasibleError:
    spec = rule.floor_spec
    dem = int(rule.group_demand[k])
    ask = int(rule.floors[k])
    if spec.min_matched_share is not None:
        field = f"fairness[{rule.index}].min_matched_share"
        rule_text = f"min_matched_share {spec.min_matched_share}"
        top = math.floor(largest / dem * 10_000) / 10_000 if dem else 0.0
        fix = f"lower min_matched_share to at most {top:.4f}"
    else:
        field = f"fairness[{rule.index}].max_share_gap"
        rule_text = f"max_share_gap {spec.max_share_gap}, overall share {float(total_share):.4f}"
        need = float(total_share - Fraction(largest, dem)) if dem else 0.0
        fix = f"raise max_share_gap to at least {math.ceil(need * 10_000) / 10_000:.4f}"
    msg = (
        f"fairness floor cannot hold for group {rule.values[k]!r} of attribute "
        f"{rule.attribute!r}: it asks {ask} of the group's {dem} slots ({rule_text}) but at "
        f"most {largest} can be matched {context}; {fix}, or add mentors these mentees may "
        "be matched with"
    )
    return FloorInfeasibleError(
        msg,
        field=field,
        attribute=rule.attribute,
        group=rule.values[k],
        floor=ask,
        largest_floor=largest,
        group_demand=dem,
    )


def _partition_error(
    ps: PartitionSolver, rule: _Rule, k: int, total_share: Fraction
) -> FloorInfeasibleError:
    """The error for a failed floor of group ``k``, with the largest floor that can hold."""
    m = ps.problem.shape[1]
    base_keys = ps.base_keys
    alone = ps.max_into(rule.codes, np.zeros_like(rule.floors), k, base_keys)
    if rule.floors[k] > alone:
        return _raise_floor(rule, k, alone, "even with no other floor", total_share)
    others = rule.floors.copy()
    others[k] = 0
    try:
        res = ps.solve(rule.codes, others)
    except FloorsFail as again:
        other = rule.values[again.group]
        return _raise_floor(
            rule,
            k,
            alone,
            f"with no other floor, and the other groups' floors (e.g. {other!r}) cannot all "
            "hold either",
            total_share,
        )
    keys = res.pairs[:, 0] * m + res.pairs[:, 1]
    best = ps.max_into(rule.codes, others, k, keys)
    return _raise_floor(
        rule,
        k,
        best,
        f"while the other groups keep their floors ({alone} with no other floor)",
        total_share,
    )


def _assignment(
    problem: Problem, pairs: IntArray, scores: npt.NDArray[np.float64], name: str
) -> Assignment:
    res = SolverResult(pairs=pairs, optimal=True, scores=scores)
    return _finish(problem, res, name, "total")


def assign_group_fair(
    scores: Any,
    groups: Mapping[str, Any],
    floors: Sequence[GroupFloor],
    capacity: Any = None,
    demand: Any = None,
    allowed: Any = None,
    min_score: float | None = None,
    milp_limit: int = FLOORS_MILP_LIMIT,
) -> GroupFairAssignment:
    """Match as many pairs as possible, then the best total, with a floor on every group's
    matched slots.

    Parameters
    ----------
    scores, capacity, demand, allowed, min_score
        As for :func:`matchsvc.assign` (a :class:`BlockScores` source works with one rule).
    groups : mapping of str to array_like, each of shape (n_mentees,)
        Per attribute, one value per mentee (strings or integers, one type per attribute);
        every distinct value is a group. A missing value is whatever the caller passes for
        it (e.g. ``"unknown"``), a group like the others.
    floors : sequence of GroupFloor
        At most one rule per attribute. A group's demand is the sum of its mentees' demand;
        its floor is computed by :func:`share_floor` (absolute form) or from the overall share
        (relative form, see :class:`GroupFloor`).
    milp_limit : int
        Most allowed pairs for the integer program that rules on two or more attributes need.

    Returns
    -------
    GroupFairAssignment
        The floor-respecting optimum, the unconstrained optimum, per-group figures, the cost
        of fairness and a certificate.

    Raises
    ------
    InvalidInputError
        Bad arrays (as :func:`matchsvc.assign`), a rule that names an unknown attribute,
        sets both or neither form, a share outside [0, 1], two rules on one attribute.
    FloorInfeasibleError
        A group's floor cannot hold; names the group and the largest floor that can (with the
        other groups' floors kept where those can hold, else with no other floor).
    InfeasibleError
        Several attributes' floors hold one by one but not together.
    LimitExceededError
        Rules on two or more attributes whose floors bind, with more than ``milp_limit``
        allowed pairs.

    Notes
    -----
    Objective: among assignments meeting every floor, first the most pairs, then the highest
    total score. Floors are lower bounds on flows leaving the source, which never lowers the
    maximum flow, so when the floors can hold the count is the unconstrained maximum ``v*``;
    only who is matched, and the total, change.

    One attribute (or one whose optimum happens to meet the other rules): the network
    ``source -> group [floor, demand] -> mentee -> mentor -> sink`` solved exactly: a few
    solves with a score bonus on the short-changed groups (a bonus is a group price) get
    close to the floors, then successive shortest paths route each missing slot from its
    group to the source (:class:`~matchsvc.assignment._floors.PartitionSolver`), with a
    :class:`FloorCertificate` (potentials of every node, group nodes included, and a cut)
    that :func:`verify_floor_certificate` checks over every pair. No big-M constant: floors
    are routed as mandatory excess before any score is compared.

    Two or more attributes with binding floors: the groups cross, the problem is no longer a
    network, and it is solved as an integer program (HiGHS, zero relative gap; exact up to
    HiGHS's absolute gap of 1e-6 on the total) over at most ``milp_limit`` allowed pairs. Its
    counts per joint cell (one value of every attribute) then become floors of a one-partition
    network problem, solved and certified as above: that result meets every rule, has the
    same count and a total at least the program's.

    References: Ahuja, Magnanti & Orlin, *Network Flows* (1993), sec. 6.7 (lower bounds),
    9.3 and 9.7 (reduced-cost optimality, successive shortest paths); Hoffman's circulation
    theorem for infeasibility.
    """
    problem = validate(scores, capacity, demand, allowed, "total", min_score)
    n = problem.shape[0]
    if not isinstance(groups, Mapping):
        raise InvalidInputError(
            f"groups must map attribute names to per-mentee values, got {type(groups).__name__}",
            field="groups",
        )
    checked = _check_rules(floors, groups, n)
    ps = PartitionSolver(problem)
    base_pairs = ps.base.pairs
    base_scores = ps.base.scores
    assert base_scores is not None
    unconstrained = _finish(problem, ps.base, ps.solver_name, "total")
    v_star = int(base_pairs.shape[0])
    total_demand = int(problem.demand.sum())
    total_share = Fraction(v_star, total_demand) if total_demand else Fraction(0)
    rules: list[_Rule] = []
    for idx, spec, values, codes in checked:
        gd = np.bincount(codes, weights=problem.demand, minlength=len(values)).astype(np.int64)
        people = np.bincount(codes, minlength=len(values)).astype(np.int64)
        if spec.min_matched_share is not None:
            fl = [share_floor(spec.min_matched_share, int(d)) for d in gd]
        else:
            assert spec.max_share_gap is not None
            fl = [_gap_floor(v_star, total_demand, spec.max_share_gap, int(d)) for d in gd]
        rules.append(
            _Rule(idx, spec.attribute, values, codes, gd, people, np.array(fl, np.int64), spec)
        )
    active = [r for r in rules if (r.floors > 0).any()]
    name = f"{ps.solver_name}+floors"
    if not active:
        return GroupFairAssignment(
            assignment=unconstrained,
            unconstrained=unconstrained,
            groups=tuple(_outcomes(rules, base_pairs, base_pairs, n)),
            method="unconstrained",
            certificate=None,
        )
    first: tuple[PartitionResult, _Rule] | None = None
    for r in active:
        try:
            res = ps.solve(r.codes, r.floors)
        except FloorsFail as fail:
            raise _partition_error(ps, r, fail.group, total_share) from None
        if _meets(active, res.pairs, n):
            first = (res, r)
            break
    if first is not None:
        res, _ = first
        fair = _assignment(problem, res.pairs, res.scores, name)
        return GroupFairAssignment(
            assignment=fair,
            unconstrained=unconstrained,
            groups=tuple(_outcomes(rules, fair.pairs, unconstrained.pairs, n)),
            method="flow",
            certificate=res.certificate,
        )
    return _solve_several(problem, ps, rules, active, unconstrained, milp_limit, total_share)


def _solve_several(
    problem: Problem,
    ps: PartitionSolver,
    rules: list[_Rule],
    active: list[_Rule],
    unconstrained: Assignment,
    milp_limit: int,
    total_share: Fraction,
) -> GroupFairAssignment:
    n, _ = problem.shape
    n_pairs = 0
    for i0 in range(0, n, 4096):
        n_pairs += int(problem.block(i0, min(i0 + 4096, n))[1].sum())
    if n_pairs > milp_limit:
        names = ", ".join(repr(r.attribute) for r in active)
        raise LimitExceededError(
            f"floors on attributes {names} hold one by one but not together, which needs an "
            f"integer program over {n_pairs:,} allowed pairs (limit {milp_limit:,}); keep "
            "floors on one attribute (solved exactly at any size), combine the attributes "
            "into one (e.g. 'region/gender'), or raise milp_limit",
            field="fairness",
        )
    codes = [r.codes for r in active]
    lowers = [r.floors for r in active]
    pairs = milp_floors(problem, codes, lowers, int(unconstrained.n_matched))
    if pairs is None:
        for a, r in enumerate(active):
            for k in np.flatnonzero(r.floors > 0).tolist():
                best = milp_max_group(problem, codes, lowers, a, k)
                if best is not None and best < r.floors[k]:
                    raise _raise_floor(
                        r, k, best, "while every other floor (all attributes) holds", total_share
                    )
        names = ", ".join(repr(r.attribute) for r in active)
        raise InfeasibleError(
            f"the floors of attributes {names} hold one by one but not together, and no "
            "single group's floor is the obstacle; lower the shares of several groups",
            field="fairness",
        )
    stacked = np.stack(codes, axis=1)
    _, cells = np.unique(stacked, axis=0, return_inverse=True)
    cells = cells.astype(np.int64).reshape(-1)
    cell_floor = np.bincount(cells[pairs[:, 0]], minlength=int(cells.max()) + 1)
    try:
        res = ps.solve(cells, cell_floor.astype(np.int64))
    except FloorsFail as err:  # the program's own counts are feasible
        raise RuntimeError("group floors: the integer program's cell counts failed") from err
    fair = _assignment(problem, res.pairs, res.scores, "milp+floors")
    return GroupFairAssignment(
        assignment=fair,
        unconstrained=unconstrained,
        groups=tuple(_outcomes(rules, fair.pairs, unconstrained.pairs, n)),
        method="milp+flow",
        certificate=res.certificate,
    )
