"""Explanations: why each pair was matched, what was given up, why anyone is left out.

Pure core (dataclasses out). Every number here is read off the compatibility matrix and the
assignment, so an explanation is an exact account, not a story: facet contributions sum to the
score, the "best mentor not given" really was full, and an unmatched reason is checked against
the constraint mask.

A facet nobody could compare for a pair is shown as ``missing`` (similarity None, contribution 0),
never as a made-up similarity; each pair states its ``coverage``, the share of the score's weight
backed by data (:meth:`matchsvc.scoring.Compatibility.coverage`).

**What to work on.** :func:`focus_areas` lists, for a pair, the mentee's wanted skills and goal
themes that the mentor's skills cover at or above :data:`COVER_THRESHOLD`, best first;
:func:`mentee_gaps` lists each mentee's wanted skills that none of their assigned mentors covers
at that level. Similarities are on the scale of every facet
(:func:`~matchsvc.scoring.cosine_to_unit`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from matchsvc.problem import MatchProblem
from matchsvc.scoring import Compatibility

__all__ = [
    "COVER_THRESHOLD",
    "FOCUS_TOP",
    "Explanation",
    "FacetShare",
    "FocusArea",
    "ForgoneMentor",
    "Holder",
    "MenteeGaps",
    "MentorSide",
    "SkillGap",
    "SkillMatch",
    "SlotHolders",
    "UnmatchedReason",
    "explain_pair",
    "focus_areas",
    "mentee_gaps",
    "unmatched_reasons",
    "unmatched_summary",
]

COVER_THRESHOLD = 0.43
"""A mentor skill *covers* a wanted skill or goal theme at this similarity or above: 0.43 is
cosine 0.4 on the scale of :func:`~matchsvc.scoring.cosine_to_unit`. Chosen on all-MiniLM-L6-v2
with hand-picked pairs: related skills ("public speaking" / "presentation skills", "leadership" /
"team management", "sql" / "databases") have cosines 0.39-0.91, unrelated ones ("python" /
"apache airflow", "budgeting" / "python") 0.07-0.19. Short skill names are noisy (e.g.
"frontend" / "react" 0.25), so a gap is a prompt to check, not a verdict; callers can pass
another threshold."""

FOCUS_TOP = 5
"""At most this many focus areas per pair."""

ReasonCode = Literal["no_feasible_mentor", "capacity_exhausted", "below_min_score"]


@dataclass(frozen=True, slots=True)
class FacetShare:
    """One facet's part of a score: ``contribution == weight * similarity``.

    ``missing``: nothing of the facet could be compared (either person left it empty); then
    ``similarity`` is None and ``contribution`` 0. ``coverage``: the share of the facet that was
    compared (1 for a plain facet with data, the present parts' blend weight for a blended one,
    whose ``similarity`` counts its missing parts as 0).
    """

    similarity: float | None
    weight: float
    contribution: float
    missing: bool
    coverage: float


@dataclass(frozen=True, slots=True)
class SkillMatch:
    """A skill the mentee wants and the closest skill the mentor offers."""

    wanted: str
    offered: str
    similarity: float


@dataclass(frozen=True, slots=True)
class MentorSide:
    """The mentor -> mentee side of a pair's score (when the mentor side applies).

    ``fit`` is the mentor facet (None when nothing of it could be compared for this pair),
    ``weight`` its share ``beta`` of the score: ``score = (1 - weight) * mentee_fit + weight *
    fit``. ``parts`` gives each wish compared (topics, career_stage, industry, languages; None
    where missing) and ``topic_pairs`` the mentee's skills closest to the topics the mentor
    wants to mentor on.
    """

    fit: float | None
    weight: float
    parts: Mapping[str, float | None]
    topic_pairs: tuple[SkillMatch, ...]


@dataclass(frozen=True, slots=True)
class FocusArea:
    """Something the mentee wants that this mentor covers: ``kind`` is ``"skill"`` (a wanted
    skill) or ``"goal"`` (a theme of the goal text); ``mentor_skill`` is the mentor's closest
    skill and ``similarity`` how close (at least :data:`COVER_THRESHOLD`)."""

    kind: Literal["skill", "goal"]
    skill: str
    mentor_skill: str
    similarity: float


@dataclass(frozen=True, slots=True)
class SkillGap:
    """A wanted skill none of the mentee's mentors covers: ``similarity`` is the best cover any
    of them offers and ``mentor_id`` who offers it (both None when none lists skills)."""

    skill: str
    similarity: float | None
    mentor_id: str | None


@dataclass(frozen=True, slots=True)
class MenteeGaps:
    """A mentee's wanted skills against the mentors they were given.

    ``mentors``: the assigned mentor ids; ``wanted``: how many skills the mentee lists;
    ``covered``: how many of them some assigned mentor covers (:data:`COVER_THRESHOLD`);
    ``gaps``: the others, in the mentee's order.
    """

    mentee_id: str
    mentors: tuple[str, ...]
    wanted: int
    covered: int
    gaps: tuple[SkillGap, ...]


@dataclass(frozen=True, slots=True)
class Holder:
    """A mentee holding one of a mentor's slots, with that pair's score."""

    mentee_id: str
    score: float


@dataclass(frozen=True, slots=True)
class ForgoneMentor:
    """A feasible mentor a mentee did not get. ``reason`` is ``"at_capacity"`` when every slot
    is taken (``held_by`` lists who holds them, best score first), else ``"lower_total"``."""

    mentor_id: str
    score: float
    reason: Literal["at_capacity", "lower_total"]
    held_by: tuple[Holder, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why mentee i got mentor j. ``rank`` is 1 for the mentee's best-scoring feasible mentor.

    ``coverage``: the share of the score's weight backed by data for this pair (in [0, 1]).
    ``mentee_fit``: the mentee -> mentor side (the mentee-side facets, weighted to sum 1);
    ``mentor_side``: the mentor -> mentee side, None when it does not apply to the request.
    """

    facets: Mapping[str, FacetShare]
    skill_pairs: tuple[SkillMatch, ...]
    shared_languages: tuple[str, ...]
    overlap_hours: float | None
    rank: int
    feasible_mentors: int
    best_not_given: ForgoneMentor | None
    summary: str
    coverage: float
    mentee_fit: float
    mentor_side: MentorSide | None


@dataclass(frozen=True, slots=True)
class UnmatchedReason:
    """Why a mentee's demand is not (fully) met.

    ``reason``:
      * ``no_feasible_mentor``: hard constraints leave too few mentors; ``removed_by`` counts
        how many mentors each constraint removed for this mentee (a mentor failing two rules
        counts for both).
      * ``below_min_score``: mentors pass every constraint but score below ``min_score``;
        ``best_score`` is the best such score.
      * ``capacity_exhausted``: feasible mentors exist but their slots are taken;
        ``best_mentors`` lists the best of them and who holds their slots.
    """

    mentee_id: str
    unmet: int
    reason: ReasonCode
    feasible_mentors: int
    removed_by: Mapping[str, int]
    best_mentors: tuple[ForgoneMentor, ...]
    best_score: float | None


class SlotHolders:
    """Who holds each mentor's slots (and which mentors each mentee has), from an assignment."""

    def __init__(self, pairs: NDArray[np.int64], pair_scores: NDArray[np.float64], m: int) -> None:
        self.by_mentor: list[list[tuple[int, float]]] = [[] for _ in range(m)]
        self.by_mentee: dict[int, set[int]] = {}
        for (i, j), s in zip(pairs.tolist(), pair_scores.tolist(), strict=True):
            self.by_mentor[j].append((i, s))
            self.by_mentee.setdefault(i, set()).add(j)


def _feasible_order(comp: Compatibility, allowed: NDArray[np.bool_], i: int) -> NDArray[np.int64]:
    """Mentor columns feasible for mentee i, best score first, ties by column."""
    cols = np.flatnonzero(allowed[i])
    order = np.lexsort((cols, -comp.scores[i, cols].astype(np.float64)))
    return cols[order].astype(np.int64)


def _forgone(
    comp: Compatibility, loads: SlotHolders, capacity: NDArray[np.int64], i: int, j: int
) -> ForgoneMentor:
    holders = sorted(loads.by_mentor[j], key=lambda h: (-h[1], h[0]))
    full = len(holders) >= capacity[j]
    return ForgoneMentor(
        mentor_id=comp.mentor_ids[j],
        score=float(comp.scores[i, j]),
        reason="at_capacity" if full else "lower_total",
        held_by=tuple(Holder(comp.mentee_ids[h], s) for h, s in holders) if full else (),
    )


def _summary(
    comp: Compatibility,
    i: int,
    j: int,
    rank: int,
    feasible: int,
    facets: Mapping[str, FacetShare],
    skills: Sequence[SkillMatch],
    languages: Sequence[str],
    overlap: float | None,
    forgone: ForgoneMentor | None,
    mentor_side: MentorSide | None = None,
) -> str:
    ordinal = "top choice" if rank == 1 else f"choice {rank} of {feasible} feasible mentors"
    parts = [
        f"{comp.mentor_ids[j]} is {comp.mentee_ids[i]}'s {ordinal} "
        f"(score {float(comp.scores[i, j]):.2f})"
    ]
    present = [(name, f) for name, f in facets.items() if f.similarity is not None]
    if present:
        name, share = max(present, key=lambda kv: (kv[1].contribution, kv[0]))
        facet_text = f"strongest on {name} ({share.similarity:.2f})"
        if name == "skills" and skills:
            facet_text += f", e.g. '{skills[0].wanted}' ~ '{skills[0].offered}'"
        parts.append(facet_text)
    else:
        parts.append("no data to compare")
    missing = [name for name, f in facets.items() if f.missing and f.weight > 0]
    if missing:
        parts.append("missing " + ", ".join(missing))
    if mentor_side is not None and mentor_side.fit is not None:
        parts.append(f"fits {comp.mentor_ids[j]}'s wishes ({mentor_side.fit:.2f})")
    if languages:
        parts.append("shares " + ", ".join(languages))
    if overlap is not None:
        parts.append(f"{overlap:g} h/week overlap")
    sentence = "; ".join(parts) + "."
    if forgone is not None and forgone.reason == "at_capacity":
        held = ", ".join(f"{h.mentee_id} {h.score:.2f}" for h in forgone.held_by[:3])
        # a tie ranks by mentor order: the forgone mentor may score the same, not better
        better = "Better" if forgone.score > float(comp.scores[i, j]) else "Equally"
        sentence += (
            f" {better}-scoring {forgone.mentor_id} ({forgone.score:.2f}) was full ({held}); "
            "taking a slot there would lower the programme's total."
        )
    return sentence


def explain_pair(
    problem: MatchProblem,
    loads: SlotHolders,
    i: int,
    j: int,
    *,
    with_forgone: bool = True,
) -> Explanation:
    """Explain the pair (mentee i, mentor j) of an assignment whose slots ``loads`` records.

    The mentor's rank counts the mentors in ``problem.allowed[i]``; a mentor is full when
    ``loads`` holds ``problem.capacity[j]`` of their slots. With ``with_forgone`` (an
    assignment), ``best_not_given`` is the best allowed mentor ranked above j that the mentee
    did not get; without it (recommendations) it is None.
    """
    comp, allowed = problem.comp, problem.allowed
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
    skills = tuple(SkillMatch(a, b, s) for a, b, s in comp.skill_pairs(i, j))
    mentor_side = None
    if comp.mentor_side_weight > 0:
        mentor_side = MentorSide(
            fit=comp.mentor_fit(i, j),
            weight=comp.mentor_side_weight,
            parts=comp.mentor_side_parts(i, j),
            topic_pairs=tuple(SkillMatch(a, b, s) for a, b, s in comp.topic_pairs(i, j)),
        )
    row = comp.scores[i]
    feasible = allowed[i]
    # Rank order: higher score first, then lower column (the order _feasible_order gives).
    above = feasible & ((row > row[j]) | ((row == row[j]) & (np.arange(row.size) < j)))
    rank = int(above.sum()) + 1
    forgone = None
    if with_forgone and rank > 1:
        candidates = above.copy()
        candidates[list(loads.by_mentee.get(i, ()))] = False
        if candidates.any():
            best = int(np.argmax(np.where(candidates, row, -np.inf)))  # first max: lowest column
            forgone = _forgone(comp, loads, problem.capacity, i, best)
    languages = comp.shared_languages(i, j)
    overlap = comp.pair_overlap_hours(i, j)
    n_feasible = int(feasible.sum())
    summary = _summary(
        comp, i, j, rank, n_feasible, facets, skills, languages, overlap, forgone, mentor_side
    )
    return Explanation(
        facets=facets,
        skill_pairs=skills,
        shared_languages=languages,
        overlap_hours=overlap,
        rank=rank,
        feasible_mentors=n_feasible,
        best_not_given=forgone,
        summary=summary,
        coverage=comp.coverage(i, j),
        mentee_fit=comp.mentee_fit(i, j),
        mentor_side=mentor_side,
    )


Cover = list[tuple[str, str, str, float]]
"""What :meth:`~matchsvc.scoring.Compatibility.cover` returns for one pair."""


def focus_areas(
    comp: Compatibility,
    i: int,
    j: int,
    *,
    threshold: float = COVER_THRESHOLD,
    top: int = FOCUS_TOP,
    cover: Cover | None = None,
) -> tuple[FocusArea, ...]:
    """What mentee i and mentor j could work on: the mentee's wanted skills and goal themes
    (:meth:`~matchsvc.scoring.Compatibility.wanted`) whose closest mentor skill has similarity
    ``>= threshold``, best first (ties: skills before goal themes, then by text), at most
    ``top``. Empty when the mentor lists no skills or nothing is covered. ``cover``: the
    pair's ``comp.cover(i, j)`` when the caller has it already."""
    items = [
        FocusArea(kind, wanted, offered, sim)  # type: ignore[arg-type]
        for kind, wanted, offered, sim in (comp.cover(i, j) if cover is None else cover)
        if sim >= threshold
    ]
    items.sort(key=lambda f: (-f.similarity, f.kind != "skill", f.skill, f.mentor_skill))
    return tuple(items[:top])


def mentee_gaps(
    comp: Compatibility,
    loads: SlotHolders,
    *,
    threshold: float = COVER_THRESHOLD,
    covers: Mapping[tuple[int, int], Cover] | None = None,
) -> tuple[MenteeGaps, ...]:
    """One :class:`MenteeGaps` per mentee, in mentee order: which wanted skills none of the
    mentors ``loads`` assigns to them covers at ``threshold`` or above. Among equally close
    mentors the first in mentor order is named. ``covers``: ``comp.cover(i, j)`` of the
    assigned pairs when the caller has them already."""
    out = []
    for i, mentee_id in enumerate(comp.mentee_ids):
        mine = sorted(loads.by_mentee.get(i, ()))
        skills = [text for kind, text in comp.wanted(i) if kind == "skill"]
        best: list[tuple[float, str] | None] = [None] * len(skills)
        for j in mine:
            cover = comp.cover(i, j) if covers is None else covers[(i, j)]
            for s, (_, _, _, sim) in enumerate(cover[: len(skills)]):
                current = best[s]
                if current is None or sim > current[0]:
                    best[s] = (sim, comp.mentor_ids[j])
        gaps = [
            SkillGap(skill, None, None) if b is None else SkillGap(skill, b[0], b[1])
            for skill, b in zip(skills, best, strict=True)
            if b is None or b[0] < threshold
        ]
        out.append(
            MenteeGaps(
                mentee_id=mentee_id,
                mentors=tuple(comp.mentor_ids[j] for j in mine),
                wanted=len(skills),
                covered=len(skills) - len(gaps),
                gaps=tuple(gaps),
            )
        )
    return tuple(out)


def unmatched_reasons(
    problem: MatchProblem,
    loads: SlotHolders,
    unmet: NDArray[np.int64],
    *,
    top: int = 3,
) -> list[UnmatchedReason]:
    """One reason per mentee with unmet demand, in mentee order.

    ``problem.allowed`` is the mask the solver used, ``problem.feasible`` the mask before the
    ``min_score`` rule. The reason is ``capacity_exhausted`` when some feasible mentor of the
    mentee is not theirs (it must then be full: an optimal solver fills a free feasible slot);
    otherwise every feasible mentor is already theirs, and the shortfall comes from the
    constraints: ``below_min_score`` if mentors were removed only by ``min_score``, else
    ``no_feasible_mentor``.
    """
    comp, allowed, capacity = problem.comp, problem.allowed, problem.capacity
    out = []
    for i in np.flatnonzero(unmet > 0).tolist():
        order = _feasible_order(comp, allowed, i)
        mine = loads.by_mentee.get(i, set())
        others = [k for k in order.tolist() if k not in mine]
        removed = {name: int(counts[i]) for name, counts in comp.removed.items()}
        only_score = np.flatnonzero(problem.feasible[i] & ~allowed[i])
        best_score = float(comp.scores[i, only_score].max()) if only_score.size else None
        if others:
            reason: ReasonCode = "capacity_exhausted"
            best = tuple(_forgone(comp, loads, capacity, i, k) for k in others[:top])
        else:
            reason = "below_min_score" if only_score.size else "no_feasible_mentor"
            best = ()
        out.append(
            UnmatchedReason(
                mentee_id=comp.mentee_ids[i],
                unmet=int(unmet[i]),
                reason=reason,
                feasible_mentors=len(order),
                removed_by=removed | {"min_score": int(only_score.size)},
                best_mentors=best,
                best_score=best_score,
            )
        )
    return out


def unmatched_summary(reason: UnmatchedReason) -> str:
    """One sentence on why a mentee is (partly) unmatched, built from the reason's facts."""
    need = f"{reason.mentee_id} still needs {reason.unmet} mentor{'s' if reason.unmet != 1 else ''}"
    if reason.reason == "capacity_exhausted":
        best = reason.best_mentors[0] if reason.best_mentors else None
        text = f"{need}: all {reason.feasible_mentors} feasible mentors are full"
        if best is not None:
            held = ", ".join(f"{h.mentee_id} {h.score:.2f}" for h in best.held_by[:3])
            text += f"; the best, {best.mentor_id} ({best.score:.2f}), is held by {held}"
        return text + "."
    if reason.reason == "below_min_score":
        best_score = "" if reason.best_score is None else f" (best {reason.best_score:.2f})"
        return f"{need}: every feasible mentor scores below min_score{best_score}."
    removed = ", ".join(
        f"{name} {count}"
        for name, count in sorted(reason.removed_by.items(), key=lambda kv: (-kv[1], kv[0]))
        if count
    )
    return f"{need}: no mentor passes the hard constraints (mentors removed by: {removed})."
