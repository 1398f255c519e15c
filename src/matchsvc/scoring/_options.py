"""What the caller can tune: facet weights, extra criteria, hard constraints.

Everything here is a frozen dataclass holding data only; :func:`validate_options` checks it and
:func:`normalized_weights` turns the weights into the ones the score uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal, get_args

from matchsvc.bounds import MAX_ABS_ATTRIBUTE, MAX_CRITERIA, MAX_WEIGHT
from matchsvc.errors import InvalidInputError

__all__ = [
    "CONSTRAINT_NAMES",
    "DEFAULT_REFERENCE_DATE",
    "DEFAULT_WEIGHTS",
    "FACETS",
    "MENTOR_FACET",
    "Constraints",
    "Criterion",
    "CriterionKind",
    "ScoringOptions",
    "normalized_weights",
    "validate_options",
]

FACETS: tuple[str, ...] = ("skills", "goals", "communication")
"""The three built-in facets, in the order they appear in :attr:`Compatibility.facets`."""

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"skills": 0.5, "goals": 0.3, "communication": 0.2}
)
"""Default facet weights: skills 0.5, goals 0.3, communication 0.2 (they already sum to 1)."""

MENTOR_FACET = "mentor_wishes"
"""The mentor -> mentee facet: how well the mentee fits the mentor's :class:`~matchsvc.profiles.Wishes`."""

CONSTRAINT_NAMES: tuple[str, ...] = ("language", "availability", "exclude")
"""Built-in hard constraints, as keys of :attr:`Compatibility.removed` (hard criteria add theirs)."""

DEFAULT_REFERENCE_DATE = date(2025, 1, 6)
"""Monday 6 January 2025: the week in which local availability windows are converted to UTC.

A fixed date keeps results independent of when the service runs. January has no daylight-saving
change in almost every zone; northern zones are then on winter time, southern ones on summer time.
Pass another ``reference_date`` (any day of the wanted week) to use that week's offsets.
"""

CriterionKind = Literal["same", "different", "gap", "overlap"]
_KINDS: tuple[str, ...] = get_args(CriterionKind)


@dataclass(frozen=True, slots=True)
class Criterion:
    """A rule on one entry of :attr:`Profile.attributes`, compared between mentee and mentor.

    ``kind`` decides when a pair *passes* (``a`` = mentee's value, ``b`` = mentor's):

    * ``"same"``: ``a == b`` (tuples compare as sets).
    * ``"different"``: ``a != b`` (tuples compare as sets).
    * ``"gap"``: numeric; ``min <= b - a <= max`` (either bound may be ``None`` = open).
    * ``"overlap"``: the values share an element (a scalar is a one-element set). As a soft
      criterion the value is the Jaccard index of the two sets rather than pass/fail.

    A ``hard`` criterion removes the pairs that fail it (a constraint named ``name`` in
    :attr:`Compatibility.removed`). A soft one adds a facet ``name`` in [0, 1] (1 pass, 0 fail)
    whose weight is ``ScoringOptions.weights[name]``.

    Missing values: when either side lacks the attribute, a hard criterion keeps the pair and a
    soft one is *missing* for that pair (NaN in its facet): it adds 0 to the score, like every
    facet without data, so a missing value never outranks a real one.
    """

    name: str
    attribute: str
    kind: CriterionKind
    min: float | None = None
    max: float | None = None
    hard: bool = False


@dataclass(frozen=True, slots=True)
class Constraints:
    """The built-in hard constraints.

    Attributes:
        require_shared_language: remove pairs with no language in common; applies only when both
            people list at least one language.
        min_overlap_hours: remove pairs whose weekly availability overlaps by fewer hours. ``0``
            disables the rule. Applies only when both people give availability windows: a
            person without windows is taken to be flexible.
        use_exclude: honour :attr:`Profile.exclude` on either side.
    """

    require_shared_language: bool = True
    min_overlap_hours: float = 0.0
    use_exclude: bool = True


@dataclass(frozen=True, slots=True)
class ScoringOptions:
    """How to score and filter mentee-mentor pairs.

    Attributes:
        weights: weight per facet (``"skills"``, ``"goals"``, ``"communication"``) and per soft
            criterion. Non-negative, finite, not all zero; normalised to sum 1. A facet left out
            has weight 0; a soft criterion must be given a weight. Defaults: skills 0.5,
            goals 0.3, communication 0.2.
        criteria: extra rules on :attr:`Profile.attributes`; names unique and distinct from the
            facet and constraint names.
        constraints: the built-in hard constraints.
        reference_date: any day of the week used to convert local availability windows to UTC;
            see :data:`DEFAULT_REFERENCE_DATE`.
        overlap_target_hours: weekly overlap at which the availability part of the communication
            facet reaches 1 (it grows linearly from 0 hours).
        mentor_side_weight: ``beta`` in [0, 1], the share of the score given to the mentor ->
            mentee fit (facet :data:`MENTOR_FACET`): ``score = (1 - beta) * mentee_fit + beta *
            mentor_fit``, where ``mentee_fit`` is the weighted sum of the other facets. It applies
            only when the mentor-side facet has data for at least one pair of the request (some
            mentor gave wishes that can be compared with some mentee); otherwise ``beta`` is 0
            and the scores are exactly those without the mentor side. Default 0.25: the mentee's
            needs lead, the mentors' wishes count for a quarter.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    criteria: tuple[Criterion, ...] = ()
    constraints: Constraints = field(default_factory=Constraints)
    reference_date: date = DEFAULT_REFERENCE_DATE
    overlap_target_hours: float = 2.0
    mentor_side_weight: float = 0.25


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate_options(options: ScoringOptions) -> None:
    """Check ``options`` on its own (the people are checked by ``validate_people``).

    Raises:
        InvalidInputError: with ``field`` such as ``"options.weights.goals"`` or
            ``"options.criteria[1].kind"``; the message names the value and the fix.
    """
    seen: dict[str, int] = {}
    reserved = set(FACETS) | set(CONSTRAINT_NAMES) | {MENTOR_FACET}
    if len(options.criteria) > MAX_CRITERIA:
        raise InvalidInputError(
            f"{len(options.criteria)} criteria given; at most {MAX_CRITERIA} are allowed "
            "(each adds a facet matrix): merge or drop some",
            field="options.criteria",
        )
    for k, crit in enumerate(options.criteria):
        where = f"options.criteria[{k}]"
        if not isinstance(crit.name, str) or not crit.name:
            raise InvalidInputError(
                f"criterion {k} has no name: give it a non-empty name", field=f"{where}.name"
            )
        if crit.name in reserved:
            raise InvalidInputError(
                f"criterion name {crit.name!r} is reserved for a facet or constraint: "
                "rename the criterion",
                field=f"{where}.name",
            )
        if crit.name in seen:
            raise InvalidInputError(
                f"criterion name {crit.name!r} is used by criteria {seen[crit.name]} and {k}: "
                "names must be unique",
                field=f"{where}.name",
            )
        seen[crit.name] = k
        if not isinstance(crit.attribute, str) or not crit.attribute:
            raise InvalidInputError(
                f"criterion {crit.name!r} names no attribute", field=f"{where}.attribute"
            )
        if crit.kind not in _KINDS:
            raise InvalidInputError(
                f"criterion {crit.name!r} has kind {crit.kind!r}; use one of {list(_KINDS)}",
                field=f"{where}.kind",
            )
        if crit.kind == "gap":
            for bound in ("min", "max"):
                value = getattr(crit, bound)
                if value is not None and (
                    not _is_number(value) or not abs(value) <= MAX_ABS_ATTRIBUTE
                ):
                    raise InvalidInputError(
                        f"criterion {crit.name!r} has {bound}={value!r}; use a finite number "
                        f"in [-{MAX_ABS_ATTRIBUTE:g}, {MAX_ABS_ATTRIBUTE:g}] or None",
                        field=f"{where}.{bound}",
                    )
            if crit.min is None and crit.max is None:
                raise InvalidInputError(
                    f"gap criterion {crit.name!r} has neither min nor max: give at least one",
                    field=f"{where}.min",
                )
            if crit.min is not None and crit.max is not None and crit.min > crit.max:
                raise InvalidInputError(
                    f"gap criterion {crit.name!r} has min {crit.min} > max {crit.max}",
                    field=f"{where}.min",
                )
        elif crit.min is not None or crit.max is not None:
            raise InvalidInputError(
                f"criterion {crit.name!r} of kind {crit.kind!r} takes no min/max; "
                "they apply to kind 'gap' only",
                field=f"{where}.min",
            )
    normalized_weights(options)
    cons = options.constraints
    if not _is_number(cons.min_overlap_hours) or not 0 <= cons.min_overlap_hours <= 168:
        raise InvalidInputError(
            f"min_overlap_hours is {cons.min_overlap_hours!r}; use a number of hours in [0, 168]",
            field="options.constraints.min_overlap_hours",
        )
    target = options.overlap_target_hours
    if not _is_number(target) or not 0 < target <= 168:
        raise InvalidInputError(
            f"overlap_target_hours is {target!r}; use a number of hours in (0, 168]",
            field="options.overlap_target_hours",
        )
    beta = options.mentor_side_weight
    if not _is_number(beta) or not 0 <= beta <= 1:
        raise InvalidInputError(
            f"mentor_side_weight is {beta!r}; use a number in [0, 1] (0 ignores mentors' wishes)",
            field="options.mentor_side_weight",
        )
    if not isinstance(options.reference_date, date):
        raise InvalidInputError(
            f"reference_date is {options.reference_date!r}; use a datetime.date",
            field="options.reference_date",
        )


def normalized_weights(options: ScoringOptions) -> dict[str, float]:
    """The mentee side's weights: one per facet then per soft criterion, summing to 1.

    The score uses these times ``1 - beta`` when the mentor side applies (see
    :attr:`ScoringOptions.mentor_side_weight`), else these.

    Facets missing from ``options.weights`` get 0. The order of the result is the facet order
    (:data:`FACETS`, then soft criteria in the order given).

    Raises:
        InvalidInputError: ``field="options.weights.<name>"`` for an unknown name, a hard
            criterion given a weight, a soft criterion without one, or a negative / NaN /
            infinite weight; ``field="options.weights"`` when all weights are zero.
    """
    soft = [c.name for c in options.criteria if not c.hard]
    hard = {c.name for c in options.criteria if c.hard}
    known = [*FACETS, *soft]
    for name, value in options.weights.items():
        where = f"options.weights.{name}"
        if name in hard:
            raise InvalidInputError(
                f"criterion {name!r} is hard: hard criteria filter pairs and take no weight; "
                "remove the weight or make the criterion soft",
                field=where,
            )
        if name == MENTOR_FACET:
            raise InvalidInputError(
                f"{MENTOR_FACET!r} takes no entry in weights: set options.mentor_side_weight "
                "(the mentor side's share of the score) instead",
                field=where,
            )
        if name not in known:
            raise InvalidInputError(
                f"unknown weight {name!r}: weights name a facet ({', '.join(FACETS)}) "
                "or a soft criterion",
                field=where,
            )
        if not _is_number(value) or not math.isfinite(value):
            raise InvalidInputError(
                f"weight {name!r} is {value!r}; use a finite number in [0, {MAX_WEIGHT:g}]",
                field=where,
            )
        if not 0 <= value <= MAX_WEIGHT:
            raise InvalidInputError(
                f"weight {name!r} is {value}; use a number in [0, {MAX_WEIGHT:g}] (weights are "
                "normalised to sum 1, so only their ratios matter)",
                field=where,
            )
    for name in soft:
        if name not in options.weights:
            raise InvalidInputError(
                f"soft criterion {name!r} has no weight: add weights[{name!r}]",
                field=f"options.weights.{name}",
            )
    raw = {name: float(options.weights[name]) if name in options.weights else 0.0 for name in known}
    total = math.fsum(raw.values())
    if total <= 0:
        raise InvalidInputError(
            "all weights are zero: give at least one facet a positive weight",
            field="options.weights",
        )
    return {name: value / total for name, value in raw.items()}
