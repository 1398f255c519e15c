"""Audit a match: who it served well and who it did not (:func:`matchsvc.audit.audit`).

profiles + a match's pairs -> :class:`MatchProblem` (the same scores, constraints and
``min_score`` as the match, from the same options) -> each unmatched mentee's reason (by the
rule of :func:`matchsvc.explain.unmatched_reasons`) -> the audit by the attributes
asked for: per group of mentees (and of mentors), loads, scores and, with the programme's
history, re-matches, ends and ratings over time. Pure core: no web types.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from matchsvc.audit import AuditReport, HistoryPair
from matchsvc.audit import audit as audit_core
from matchsvc.bounds import MAX_AUDIT_ATTRIBUTES, MAX_COUNT, MAX_HISTOGRAM_BINS
from matchsvc.errors import InvalidInputError
from matchsvc.pipelines._groups import Grouping, group_people
from matchsvc.pipelines.match import MatchOptions, build_problem
from matchsvc.problem import MatchProblem
from matchsvc.profiles import Profile
from matchsvc.scoring import Embedder

__all__ = ["OPEN_SLOT_LEFT", "AuditSettings", "audit", "check_audit_input"]

OPEN_SLOT_LEFT = "open_slot_left"
"""Unmatched reason of a mentee with a feasible mentor who still has room: the audited pairs
left a slot open that the mentee could have taken (an exact match never does)."""


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """How the figures are read (see :mod:`matchsvc.audit`).

    Attributes:
        four_fifths: flag a group whose ratio to the best group is below this, in (0, 1].
        min_group_size: a flag on fewer slots (or pairs) than this carries a caution,
            0 to ``MAX_COUNT``.
        bins: bins of the score histogram, 1 to ``MAX_HISTOGRAM_BINS``.
    """

    four_fifths: float = 0.8
    min_group_size: int = 30
    bins: int = 20


def _check_settings(settings: AuditSettings) -> None:
    ff = settings.four_fifths
    if not (
        isinstance(ff, numbers.Real) and not isinstance(ff, bool) and math.isfinite(ff)
    ) or not (0 < float(ff) <= 1):
        raise InvalidInputError(
            f"four_fifths is {ff!r}; use a ratio above 0 and at most 1 (0.8: the four-fifths rule)",
            field="four_fifths",
        )
    for name, low, high in (
        ("min_group_size", 0, MAX_COUNT),
        ("bins", 1, MAX_HISTOGRAM_BINS),
    ):
        value = getattr(settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidInputError(f"{name} is {value!r}; use {low} to {high:,}", field=name)


def _groupings(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    attributes: Sequence[str],
) -> tuple[list[Grouping], list[Grouping]]:
    if isinstance(attributes, str) or len(attributes) > MAX_AUDIT_ATTRIBUTES:
        raise InvalidInputError(
            f"attributes must be a list of at most {MAX_AUDIT_ATTRIBUTES} names",
            field="attributes",
        )
    on_mentees: list[Grouping] = []
    on_mentors: list[Grouping] = []
    for k, name in enumerate(attributes):
        field = f"attributes[{k}]"
        if not isinstance(name, str) or not name:
            raise InvalidInputError(f"{field} is {name!r}; give an attribute name", field=field)
        if name in attributes[:k]:
            raise InvalidInputError(f"{field}: {name!r} is listed twice", field=field)
        e = group_people(mentees, name, side="mentees", field=field)
        r = group_people(mentors, name, side="mentors", field=field)
        if e is None and r is None:
            known = sorted({a for p in (*mentees, *mentors) for a in p.attributes})
            listed = ", ".join(map(repr, known[:20])) or "none"
            raise InvalidInputError(
                f"{field}: no mentee or mentor has attribute {name!r} (attributes given: {listed})",
                field=field,
            )
        if e is not None:
            on_mentees.append(e)
        if r is not None:
            on_mentors.append(r)
    return on_mentees, on_mentors


def _check_ids(
    mentees: Sequence[Profile], mentors: Sequence[Profile], pairs: Sequence[tuple[str, str]]
) -> None:
    ids = {"mentee": {p.id for p in mentees}, "mentor": {p.id for p in mentors}}
    for k, pair in enumerate(pairs):
        for side, pid in zip(("mentee", "mentor"), pair, strict=True):
            if pid not in ids[side]:
                raise InvalidInputError(
                    f"pairs[{k}] names {side} {pid!r}, who is not among the {side}s: add their "
                    "profile or drop the pair",
                    field=f"pairs[{k}].{side}_id",
                )


def check_audit_input(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    pairs: Sequence[tuple[str, str]],
    attributes: Sequence[str],
    settings: AuditSettings,
) -> tuple[list[Grouping], list[Grouping]]:
    """The checks of :func:`audit` that need no scores (the doors run them before anything is
    embedded, and at job submission); the mentee and mentor groups of the attributes.

    Raises:
        InvalidInputError: as :func:`audit`, for the settings, the attributes and the ids of
            the pairs.
    """
    _check_settings(settings)
    groupings = _groupings(mentees, mentors, attributes)
    _check_ids(mentees, mentors, pairs)
    return groupings


def _indices(problem: MatchProblem, pairs: Sequence[tuple[str, str]]) -> NDArray[np.int64]:
    comp = problem.comp
    out = np.array(
        [(comp.mentee_index(a), comp.mentor_index(b)) for a, b in pairs], dtype=np.int64
    ).reshape(-1, 2)
    if out.size:
        ok = problem.allowed[out[:, 0], out[:, 1]]
        if not ok.all():
            k = int(np.flatnonzero(~ok)[0])
            i, j = out[k].tolist()
            why = (
                f"it scores {float(comp.scores[i, j]):.4f}, below min_score {problem.min_score}"
                if problem.feasible[i, j]
                else "a hard constraint removes it"
            )
            raise InvalidInputError(
                f"pairs[{k}] ({pairs[k][0]!r}, {pairs[k][1]!r}) is not allowed under these "
                f"options: {why}; audit with the options the match ran with",
                field=f"pairs[{k}]",
            )
    return out


_BLOCK = 4096  # unmatched mentees per block of the reasons' boolean rows
_CODES = (OPEN_SLOT_LEFT, "capacity_exhausted", "below_min_score", "no_feasible_mentor")


def _reasons(problem: MatchProblem, pairs: NDArray[np.int64]) -> list[str | None]:
    """Each mentee's unmatched reason (None when its demand is met).

    The rule of :func:`matchsvc.explain.unmatched_reasons`, vectorised: ``capacity_exhausted``
    when an allowed mentor is not yet theirs, else ``below_min_score`` when ``min_score``
    removed some feasible mentor, else ``no_feasible_mentor``; and :data:`OPEN_SLOT_LEFT`
    instead of ``capacity_exhausted`` when such a mentor still has room (an exact match
    never leaves one).
    """
    n, m = problem.shape
    got = np.bincount(pairs[:, 0], minlength=n)
    room = np.bincount(pairs[:, 1], minlength=m) < problem.capacity
    rows = np.flatnonzero(got < problem.demand)
    out: list[str | None] = [None] * n
    for b0 in range(0, rows.size, _BLOCK):
        block = rows[b0 : b0 + _BLOCK]
        where = np.full(n, -1, dtype=np.int64)
        where[block] = np.arange(block.size)
        theirs = np.zeros((block.size, m), dtype=np.bool_)
        mine = where[pairs[:, 0]] >= 0
        theirs[where[pairs[mine, 0]], pairs[mine, 1]] = True
        allowed = problem.allowed[block]
        others = allowed & ~theirs
        has_room = np.asarray((others & room[None, :]).any(axis=1))
        has_others = np.asarray(others.any(axis=1))
        only_score = np.asarray((problem.feasible[block] & ~allowed).any(axis=1))
        code = np.select([has_room, has_others, only_score], [0, 1, 2], default=3)
        for i, c in zip(block.tolist(), code.tolist(), strict=True):
            out[i] = _CODES[c]
    return out


def audit(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    pairs: Sequence[tuple[str, str]],
    options: MatchOptions,
    embedder: Embedder,
    *,
    attributes: Sequence[str] = (),
    history: Sequence[HistoryPair] | None = None,
    settings: AuditSettings | None = None,
) -> AuditReport:
    """Audit the pairs of a match by mentee and mentor attributes.

    Args:
        mentees, mentors: the programme's people (their profiles give the scores).
        pairs: (mentee id, mentor id) of the match.
        options: the options the match ran with: the scoring gives each pair's score and each
            mentee's top-ranked feasible mentor, the hard constraints and ``min_score`` the
            feasible pairs and the unmatched reasons; ``fairness`` is not read.
        embedder: texts -> unit vectors.
        attributes: attributes to group by; each must be held by some mentee or mentor
            (mentee groups get the full figures, mentor groups loads and mean scores). People
            without it form the group None.
        history: the programme's past pairs, for re-match, end and rating figures.
        settings: the flag threshold, the small-group size and the histogram bins.

    Returns:
        The :class:`~matchsvc.audit.AuditReport`; a group's ``value`` is the attribute value.
        Unmatched reasons are ``no_feasible_mentor``, ``below_min_score``,
        ``capacity_exhausted`` or :data:`OPEN_SLOT_LEFT`.

    Raises:
        InvalidInputError: bad people or options; an attribute nobody has, a list-valued one,
            one listed twice or more than ``MAX_AUDIT_ATTRIBUTES``; a pair naming someone not
            given, one the options do not allow, a repeated pair, more pairs than a mentee's
            demand or a mentor's capacity; bad history (an end before the start, a rating
            outside 1-5); settings out of range.
    """
    settings = settings if settings is not None else AuditSettings()
    on_mentees, on_mentors = check_audit_input(mentees, mentors, pairs, attributes, settings)
    problem = build_problem(mentees, mentors, options, embedder)
    index = _indices(problem, pairs)
    comp = problem.comp
    report = audit_core(
        comp.mentee_ids,
        comp.mentor_ids,
        index,
        scores=problem.scores,
        allowed=problem.allowed,
        demand=problem.demand,
        capacity=problem.capacity,
        unmatched_reasons=_reasons(problem, index),
        mentee_groups={g.attribute: g.codes for g in on_mentees},
        mentor_groups={g.attribute: g.codes for g in on_mentors},
        history=history,
        bins=settings.bins,
        four_fifths=float(settings.four_fifths),
        min_group_size=settings.min_group_size,
    )
    values = {g.attribute: g.values for g in on_mentees}
    mentor_values = {g.attribute: g.values for g in on_mentors}
    return replace(
        report,
        groups=tuple(replace(g, value=values[g.attribute][g.value]) for g in report.groups),
        mentor_groups=tuple(
            replace(g, value=mentor_values[g.attribute][g.value]) for g in report.mentor_groups
        ),
    )
