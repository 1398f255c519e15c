"""Profiles -> compatibility matrix, constraint mask and the facts explanations need.

This module owns the id <-> index mapping: everything after it (the solvers) sees arrays only.

**Missing data: shrinkage to 0.** A facet (or a part of a blended facet, or a soft criterion)
that either person left empty is *missing* for that pair: nothing was compared, its value in
:attr:`Compatibility.facets` is NaN and it adds 0 to the score. Real evidence, however weak, adds
``weight * value >= 0``. So

* missing evidence never outranks real evidence: with the weights fixed, a pair's score can only
  grow when data is added (the one step that changes the weights: the first mentor wish that can
  be compared switches the mentor side on for the whole request, see
  :attr:`ScoringOptions.mentor_side_weight`);
* a profile with no data at all (only an id) scores exactly 0 with everybody;
* the score stays linear in the weights: ``score = sum_f weights[f] * nan_to_0(facets[f])``, and
  each pair's :meth:`Compatibility.coverage` is the sum of the weights of the evidence present
  (in [0, 1]; 1 = every facet and part was compared), so a reader can tell "low score" from
  "little data".

A blended facet (communication, the mentor side) is the sum of its present parts times their
blend weights (missing parts add 0); it is NaN only when every part is missing, and its
coverage is the sum of the blend weights of the parts present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from itertools import chain
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from matchsvc.profiles import CHANNELS, FREQUENCIES, AttributeValue, Profile
from matchsvc.scoring._calendar import SLOT_MINUTES, availability_matrix
from matchsvc.scoring._evidence import (
    Evidence,
    any_shared,
    bits,
    blank_missing,
    readonly,
    simple,
    zero_missing,
)
from matchsvc.scoring._facets import (
    MISSING,
    cosine_facet,
    cosine_to_unit,
    jaccard_from_counts,
    overlap_slots,
    skills_facet,
)
from matchsvc.scoring._options import (
    CONSTRAINT_NAMES,
    MENTOR_FACET,
    Criterion,
    ScoringOptions,
    normalized_weights,
)
from matchsvc.scoring._validate import validate_people
from matchsvc.scoring._wishes import NO_MENTOR_SIDE, MentorSide, mentor_facet, mentor_side
from matchsvc.scoring.cache import Embedder, goal_themes, normalize_text

__all__ = [
    "COMMUNICATION_BLEND",
    "Compatibility",
    "build_compatibility",
    "goal_themes",
]

COMMUNICATION_BLEND: Mapping[str, float] = MappingProxyType(
    {"style": 0.4, "channels": 0.2, "frequency": 0.2, "availability": 0.2}
)
"""How the communication facet mixes its parts (the weights sum to 1).

* ``style``: similarity of the two style texts (:func:`~matchsvc.scoring.cosine_to_unit`).
* ``channels``: Jaccard index of the channel sets.
* ``frequency``: 1 for the same frequency, 0.5 one step apart (weekly/biweekly), 0 two apart.
* ``availability``: ``min(1, overlap_hours / options.overlap_target_hours)``.

A part is missing (adds 0) when either person left that field empty.
"""

_HOURS_PER_SLOT = SLOT_MINUTES / 60
_COMM_BITS = {"style": 1, "channels": 2, "frequency": 4, "availability": 8}


@dataclass(frozen=True, slots=True, eq=False)
class Compatibility:
    """Scores, facets and constraint mask for every mentee (row) x mentor (column) pair.

    Rows follow the order of the mentees given, columns that of the mentors. All arrays are
    read-only.

    Attributes:
        mentee_ids, mentor_ids: the ids, in row / column order.
        scores: ``(n, m)`` float32 in [0, 1], ``sum(weights[f] * facets[f])`` over every facet,
            a missing (NaN) facet counting 0, so ``weights[f] * facets[f][i, j]`` is facet
            ``f``'s exact share of a score (see the module docstring for the missing-data rule).
        facets: name -> ``(n, m)`` float32 in [0, 1], NaN where the facet is missing for the
            pair: ``"skills"``, ``"goals"``, ``"communication"``, then one per soft criterion,
            then :data:`~matchsvc.scoring.MENTOR_FACET` when the mentor side applies.
        weights: the weights the score uses (sum 1), same keys and order as ``facets``: the
            mentee side's normalised weights times ``1 - mentor_side_weight``, and
            ``mentor_side_weight`` for the mentor facet.
        mentee_weights: the mentee side's normalised weights (sum 1, without the mentor facet):
            ``mentee_fit = sum(mentee_weights[f] * facets[f])``.
        mentor_side_weight: the share ``beta`` of the mentor -> mentee fit in the score; 0 when
            the mentor side does not apply (no mentor wish comparable with any mentee, or
            ``options.mentor_side_weight == 0``).
        allowed: ``(n, m)`` bool, True where no hard constraint removes the pair.
        removed: constraint name -> int64 array of length n: how many mentors that constraint
            removes for each mentee. Each constraint counts every pair it fails on its own,
            so a pair failing two rules counts for both and the counts may add up to more
            than ``m - allowed.sum(axis=1)``. Keys: ``"language"``, ``"availability"``,
            ``"exclude"``, then each hard criterion; inactive rules count 0. (A score floor is
            the problem's, not the matrix's: see :class:`matchsvc.problem.MatchProblem`.)
        overlap_hours: ``(n, m)`` float32 weekly hours of shared availability (0 where either
            person gave none; see :meth:`has_availability`).
    """

    mentee_ids: tuple[str, ...]
    mentor_ids: tuple[str, ...]
    scores: NDArray[np.float32]
    facets: Mapping[str, NDArray[np.float32]]
    weights: Mapping[str, float]
    mentee_weights: Mapping[str, float]
    mentor_side_weight: float
    allowed: NDArray[np.bool_]
    removed: Mapping[str, NDArray[np.int64]]
    overlap_hours: NDArray[np.float32]
    _texts: tuple[str, ...] = field(repr=False)
    _skill_vectors: NDArray[np.float32] = field(repr=False)
    _mentee_skills: tuple[tuple[int, ...], ...] = field(repr=False)
    _mentor_skills: tuple[tuple[int, ...], ...] = field(repr=False)
    _mentee_themes: tuple[tuple[int, ...], ...] = field(repr=False)
    _mentee_languages: tuple[frozenset[str], ...] = field(repr=False)
    _mentor_languages: tuple[frozenset[str], ...] = field(repr=False)
    _mentee_has_availability: NDArray[np.bool_] = field(repr=False)
    _mentor_has_availability: NDArray[np.bool_] = field(repr=False)
    _mentee_index: Mapping[str, int] = field(repr=False)
    _mentor_index: Mapping[str, int] = field(repr=False)
    _evidence: Mapping[str, Evidence] = field(repr=False)
    _mentor_side: MentorSide = field(repr=False)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle support (for process pools and job queues): mapping proxies become dicts."""
        values = tuple(
            dict(v) if isinstance(v, MappingProxyType) else v
            for v in (getattr(self, f.name) for f in fields(self))
        )
        return (_restore_compatibility, values)

    @property
    def shape(self) -> tuple[int, int]:
        """``(number of mentees, number of mentors)``."""
        return len(self.mentee_ids), len(self.mentor_ids)

    def mentee_index(self, mentee_id: str) -> int:
        """Row of a mentee id. Raises ``KeyError`` for an unknown id."""
        return self._mentee_index[mentee_id]

    def mentor_index(self, mentor_id: str) -> int:
        """Column of a mentor id. Raises ``KeyError`` for an unknown id."""
        return self._mentor_index[mentor_id]

    def contributions(self, i: int, j: int) -> dict[str, float]:
        """Each facet's share ``weights[f] * facets[f][i, j]`` of ``scores[i, j]`` (0 if missing)."""
        out = {}
        for name, w in self.weights.items():
            value = float(self.facets[name][i, j])
            out[name] = 0.0 if value != value else w * value
        return out

    def facet_coverage(self, name: str, i: int, j: int) -> float:
        """The share of facet ``name`` compared for the pair: 1 when every part of it was
        filled on both sides, 0 when it is missing, the present parts' blend weight between."""
        ev = self._evidence[name]
        return float(ev.table[ev.mentees[i], ev.mentors[j]])

    def coverage(self, i: int, j: int) -> float:
        """The pair's coverage: ``sum_f weights[f] * facet_coverage(f)``, in [0, 1]."""
        return sum(w * self.facet_coverage(name, i, j) for name, w in self.weights.items())

    def coverage_matrix(self) -> NDArray[np.float32]:
        """:meth:`coverage` of every pair, ``(n, m)`` float32 (computed on each call)."""
        out = np.zeros(self.shape, dtype=np.float32)
        for name, w in self.weights.items():
            if w != 0.0:
                ev = self._evidence[name]
                out += (w * ev.table[np.ix_(ev.mentees, ev.mentors)]).astype(np.float32)
        return out

    def mentee_fit(self, i: int, j: int) -> float:
        """The mentee -> mentor fit: ``sum(mentee_weights[f] * facets[f][i, j])`` in [0, 1]."""
        total = 0.0
        for name, w in self.mentee_weights.items():
            value = float(self.facets[name][i, j])
            if value == value:
                total += w * value
        return total

    def mentor_fit(self, i: int, j: int) -> float | None:
        """The mentor -> mentee fit (the mentor facet, missing parts 0), or None when the
        mentor side does not apply or nothing of it could be compared for this pair."""
        if MENTOR_FACET not in self.facets:
            return None
        value = float(self.facets[MENTOR_FACET][i, j])
        return None if value != value else value

    def mentor_side_parts(self, i: int, j: int) -> dict[str, float | None]:
        """Each part of the mentor facet for the pair (``WISHES_BLEND`` keys), None where
        missing. Empty when the mentor side does not apply."""
        if MENTOR_FACET not in self.facets:
            return {}
        side = self._mentor_side
        topics = self._best_matches(self._mentee_skills[i], side.mentor_topics[j])
        out: dict[str, float | None] = {
            "topics": float(np.mean([t[2] for t in topics])) if topics else None
        }
        for name, mine, theirs in (
            ("career_stage", side.mentee_stage[i], side.mentor_stages[j]),
            ("industry", side.mentee_industry[i], side.mentor_industries[j]),
        ):
            out[name] = float(mine in theirs) if mine and theirs else None
        langs, wished = self._mentee_languages[i], side.mentor_languages[j]
        out["languages"] = float(bool(langs & wished)) if langs and wished else None
        return out

    def topic_pairs(self, i: int, j: int, k: int = 3) -> list[tuple[str, str, float]]:
        """The ``k`` best (mentee skill, mentor wish topic, similarity) pairs, as
        :meth:`skill_pairs` does for the mentor's skills. Empty without the mentor side."""
        if MENTOR_FACET not in self.facets or k <= 0:
            return []
        pairs = self._best_matches(self._mentee_skills[i], self._mentor_side.mentor_topics[j])
        pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
        return pairs[:k]

    def _best_matches(
        self, wanted: Sequence[int], offered: Sequence[int]
    ) -> list[tuple[str, str, float]]:
        """For each wanted text row, the closest offered row: (wanted, offered, similarity)."""
        if not wanted or not offered:
            return []
        vectors, texts = self._skill_vectors, self._texts
        sims = cosine_to_unit(vectors[list(wanted)] @ vectors[list(offered)].T)
        best = sims.argmax(axis=1)  # first of equal maxima: the one listed first
        values = sims[np.arange(best.size), best].tolist()
        return [
            (texts[s], texts[offered[b]], v)
            for s, b, v in zip(wanted, best.tolist(), values, strict=True)
        ]

    def skill_pairs(self, i: int, j: int, k: int = 3) -> list[tuple[str, str, float]]:
        """The ``k`` best (mentee skill, mentor skill, similarity) pairs of mentee i, mentor j.

        Each mentee skill is paired with its closest mentor skill (the term the skills facet
        averages, on the same scale (:func:`~matchsvc.scoring.cosine_to_unit`); among equally
        close mentor skills the one
        listed first); the list is sorted by similarity, highest first, ties by the skill texts.
        Skills appear normalised (see :func:`~matchsvc.scoring.normalize_text`). Empty when
        either person lists no skills.
        """
        if k <= 0:
            return []
        pairs = self._best_matches(self._mentee_skills[i], self._mentor_skills[j])
        pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
        return pairs[:k]

    def wanted(self, i: int) -> list[tuple[str, str]]:
        """What mentee i wants, as ``(kind, text)``: each skill (``"skill"``), then each theme
        of the goal text (``"goal"``, see :func:`goal_themes`) that is not also a skill."""
        skills = [("skill", self._texts[s]) for s in self._mentee_skills[i]]
        rows = set(self._mentee_skills[i])
        themes = [("goal", self._texts[t]) for t in self._mentee_themes[i] if t not in rows]
        return skills + themes

    def cover(self, i: int, j: int) -> list[tuple[str, str, str, float]]:
        """How mentor j covers each item of :meth:`wanted` ``(i)``: ``(kind, wanted, mentor
        skill, similarity)`` with the closest mentor skill; empty when the mentor lists none."""
        kinds = self.wanted(i)
        rows = list(self._mentee_skills[i]) + [
            t for t in self._mentee_themes[i] if t not in set(self._mentee_skills[i])
        ]
        matches = self._best_matches(rows, self._mentor_skills[j])
        return [(kind, w, o, s) for (kind, _), (w, o, s) in zip(kinds, matches, strict=False)]

    def skill_cover(self, i: int, mentors: NDArray[np.int64] | None = None) -> NDArray[np.float32]:
        """``(len(skills of i), len(mentors))`` float32: how well each mentor covers each
        skill mentee i wants (the closest mentor skill, on the facets' scale); NaN for a mentor
        who lists no skills. ``mentors``: column indices (default: all, in order)."""
        cols = np.arange(self.shape[1]) if mentors is None else np.asarray(mentors)
        wanted = list(self._mentee_skills[i])
        out = np.full((len(wanted), cols.size), MISSING, dtype=np.float32)
        lists = [self._mentor_skills[j] for j in cols.tolist()]
        has = np.array([bool(t) for t in lists], dtype=np.bool_)
        if not wanted or not has.any():
            return out
        flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64)
        counts = np.array([len(t) for t in lists], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[has]
        sims = cosine_to_unit(self._skill_vectors[wanted] @ self._skill_vectors[flat].T)
        out[:, has] = np.maximum.reduceat(sims, starts, axis=1)
        return out

    def shared_languages(self, i: int, j: int) -> tuple[str, ...]:
        """Languages (lower-case ISO 639-1) both people list, sorted."""
        return tuple(sorted(self._mentee_languages[i] & self._mentor_languages[j]))

    def has_availability(self, i: int, j: int) -> bool:
        """Whether both people gave availability windows (else overlap is undefined)."""
        return bool(self._mentee_has_availability[i] and self._mentor_has_availability[j])

    def pair_overlap_hours(self, i: int, j: int) -> float | None:
        """Weekly shared hours, or ``None`` when either person gave no windows."""
        if not self.has_availability(i, j):
            return None
        return float(self.overlap_hours[i, j])


def _restore_compatibility(*values: Any) -> Compatibility:
    """Inverse of :meth:`Compatibility.__reduce__`: read-only mappings and arrays again."""
    restored = []
    for value in values:
        if isinstance(value, dict):
            value = MappingProxyType(value)
            for array in value.values():
                if isinstance(array, np.ndarray):
                    array.flags.writeable = False
        elif isinstance(value, np.ndarray):
            value.flags.writeable = False
        restored.append(value)
    return Compatibility(*restored)


@dataclass(frozen=True, slots=True)
class _Side:
    ids: tuple[str, ...]
    skills: tuple[tuple[int, ...], ...]
    goals: NDArray[np.int64]  # row into the text table, -1 when empty
    themes: tuple[tuple[int, ...], ...]  # goal themes (mentees), rows into the text table
    styles: NDArray[np.int64]
    languages: tuple[frozenset[str], ...]
    comm_codes: NDArray[np.int64]  # channel bitmask * 4 + frequency rank (3 = none)
    slots: NDArray[np.bool_]
    has_availability: NDArray[np.bool_]
    topics: tuple[tuple[int, ...], ...]  # mentors' wish topics (empty unless read)


class _TextTable:
    """Distinct normalised texts in first-seen order."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.memo: dict[str, int] = {}  # raw text -> row: skills repeat a lot across people

    def add(self, text: str) -> int:
        row = self.memo.get(text)
        if row is None:
            key = normalize_text(text)
            row = self.index.setdefault(key, len(self.index)) if key else -1
            self.memo[text] = row
        return row


def _rows(table: _TextTable, texts: Sequence[str]) -> tuple[int, ...]:
    memo, add = table.memo, table.add
    rows = [memo[s] if s in memo else add(s) for s in texts]
    return tuple(dict.fromkeys(rows)) if len(rows) > 1 else tuple(rows)


def _side(
    people: Sequence[Profile],
    table: _TextTable,
    options: ScoringOptions,
    *,
    themes: bool,
    topics: bool,
) -> _Side:
    n = len(people)
    skills, languages, goal_rows, topic_rows = [], [], [], []
    split: dict[str, tuple[int, ...]] = {}  # goal text -> theme rows: goals repeat
    goals = np.empty(n, dtype=np.int64)
    styles = np.empty(n, dtype=np.int64)
    codes = np.empty(n, dtype=np.int64)
    for i, person in enumerate(people):
        comm = person.communication
        skills.append(_rows(table, person.skills))
        goals[i] = table.add(person.goals)
        if themes:
            rows = split.get(person.goals)
            if rows is None:
                parts = goal_themes(person.goals) if goals[i] >= 0 else []
                # One theme is the goal itself: no new text to embed.
                rows = (int(goals[i]),) if len(parts) == 1 else tuple(map(table.add, parts))
                split[person.goals] = rows
            goal_rows.append(rows)
        styles[i] = table.add(comm.style)
        languages.append(frozenset(code.lower() for code in comm.languages))
        mask = sum(1 << CHANNELS.index(c) for c in set(comm.channels))
        rank = FREQUENCIES.index(comm.frequency) if comm.frequency is not None else 3
        codes[i] = mask * 4 + rank
        topic_rows.append(_rows(table, person.wishes.topics) if topics else ())
    slots, has_availability = availability_matrix(
        [
            (p.communication.availability, p.communication.timezone)
            if p.communication.availability and p.communication.timezone is not None
            else None
            for p in people
        ],
        options.reference_date,
    )
    return _Side(
        ids=tuple(p.id for p in people),
        skills=tuple(skills),
        goals=goals,
        themes=tuple(goal_rows) if themes else tuple(() for _ in people),
        styles=styles,
        languages=tuple(languages),
        comm_codes=codes,
        slots=slots,
        has_availability=has_availability,
        topics=tuple(topic_rows),
    )


@cache
def _structured_table() -> NDArray[np.float32]:
    """Channel + frequency parts of the communication blend for every pair of codes
    (a missing part adds 0)."""
    masks = np.arange(1 << len(CHANNELS))
    pop = np.bitwise_count(masks).astype(np.float32)
    inter = np.bitwise_count(masks[:, None] & masks[None, :]).astype(np.float32)
    union = np.bitwise_count(masks[:, None] | masks[None, :]).astype(np.float32)
    channels = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    channels[(pop[:, None] == 0) | (pop[None, :] == 0)] = 0.0
    ranks = np.arange(4)
    frequency = 1.0 - np.abs(ranks[:, None] - ranks[None, :]).astype(np.float32) / 2
    frequency[(ranks[:, None] == 3) | (ranks[None, :] == 3)] = 0.0
    table = COMMUNICATION_BLEND["channels"] * np.repeat(
        np.repeat(channels, 4, 0), 4, 1
    ) + COMMUNICATION_BLEND["frequency"] * np.tile(frequency, (len(masks), len(masks)))
    out = table.astype(np.float32)
    out.flags.writeable = False
    return out


def _gather_rows(vectors: NDArray[np.float32], rows: NDArray[np.int64]) -> NDArray[np.float32]:
    """``vectors[rows]`` with zero rows where ``rows`` is -1."""
    if vectors.shape[0] == 0:
        return np.zeros((rows.size, vectors.shape[1]), dtype=np.float32)
    out = vectors[np.maximum(rows, 0)]
    out[rows < 0] = 0.0
    return out


def _canonical(value: AttributeValue) -> object:
    if isinstance(value, tuple | list | set | frozenset):
        return frozenset(_canonical(v) for v in value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("num", float(value))
    return ("str", value)


def _elements(value: AttributeValue) -> frozenset[object]:
    canon = _canonical(value)
    return canon if isinstance(canon, frozenset) else frozenset([canon])


def _multi_hot(sets: Sequence[frozenset[object]], vocab: Mapping[object, int]) -> sp.csr_array:
    """Sparse 0/1 rows, one per set, over ``vocab``'s columns (memory: the set sizes)."""
    ptr = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sets], out=ptr[1:])
    cols = np.fromiter((vocab[e] for s in sets for e in s), dtype=np.int64, count=int(ptr[-1]))
    data = np.ones(cols.size, dtype=np.float32)
    return sp.csr_array((data, cols, ptr), shape=(len(sets), len(vocab)))


def _criterion(
    crit: Criterion, mentees: Sequence[Profile], mentors: Sequence[Profile]
) -> tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.bool_]]:
    """``(value, mentee_known, mentor_known)``: value in [0, 1] (1 = passes) for every pair;
    it means something where both people have the attribute (``known``)."""
    left = [p.attributes.get(crit.attribute) for p in mentees]
    right = [p.attributes.get(crit.attribute) for p in mentors]
    known_l = np.array([v is not None for v in left], dtype=np.bool_)
    known_r = np.array([v is not None for v in right], dtype=np.bool_)
    value: NDArray[np.float32]
    if crit.kind == "gap":
        a = np.array([float(v) if v is not None else np.nan for v in left])  # type: ignore[arg-type]
        b = np.array([float(v) if v is not None else np.nan for v in right])  # type: ignore[arg-type]
        diff = b[None, :] - a[:, None]
        ok = np.ones(diff.shape, dtype=np.bool_)
        if crit.min is not None:
            ok &= diff >= crit.min
        if crit.max is not None:
            ok &= diff <= crit.max
        value = ok.astype(np.float32)
    elif crit.kind == "overlap":
        sets_l = [_elements(v) if v is not None else frozenset() for v in left]
        sets_r = [_elements(v) if v is not None else frozenset() for v in right]
        vocab: dict[object, int] = {}
        for s in (*sets_l, *sets_r):
            for e in s:
                vocab.setdefault(e, len(vocab))
        hot_l, hot_r = (_multi_hot(sets, vocab) for sets in (sets_l, sets_r))
        jaccard, inter = jaccard_from_counts(hot_l, hot_r)
        value = jaccard if not crit.hard else (inter > 0).astype(np.float32)
        known_l &= np.array([bool(s) for s in sets_l], dtype=np.bool_)
        known_r &= np.array([bool(s) for s in sets_r], dtype=np.bool_)
    else:
        codes: dict[object, int] = {}
        a_codes = np.array(
            [codes.setdefault(_canonical(v), len(codes)) if v is not None else -1 for v in left],
            dtype=np.int64,
        )
        b_codes = np.array(
            [codes.setdefault(_canonical(v), len(codes)) if v is not None else -1 for v in right],
            dtype=np.int64,
        )
        same = a_codes[:, None] == b_codes[None, :]
        value = (same if crit.kind == "same" else ~same).astype(np.float32)
    return value, known_l, known_r


def _communication(
    vectors: NDArray[np.float32],
    left: _Side,
    right: _Side,
    hours: NDArray[np.float32],
    options: ScoringOptions,
) -> tuple[NDArray[np.float32], Evidence]:
    """The communication facet (missing parts 0; NaN where every part is missing)."""
    comm = zero_missing(
        cosine_facet(
            _gather_rows(vectors, left.styles),
            _gather_rows(vectors, right.styles),
            left.styles >= 0,
            right.styles >= 0,
        )
    )
    comm *= np.float32(COMMUNICATION_BLEND["style"])
    # At most 128 codes: look up each distinct mentee code's row once, then copy rows.
    codes, inverse = np.unique(left.comm_codes, return_inverse=True)
    comm += _structured_table()[np.ix_(codes, right.comm_codes)][inverse]
    availability = np.minimum(hours, np.float32(options.overlap_target_hours))
    availability *= np.float32(COMMUNICATION_BLEND["availability"] / options.overlap_target_hours)
    availability[~left.has_availability, :] = 0.0
    availability[:, ~right.has_availability] = 0.0
    comm += availability
    del availability
    np.clip(comm, 0.0, 1.0, out=comm)
    b = _COMM_BITS

    def pattern(side: _Side) -> NDArray[np.uint8]:
        return bits(
            (b["style"], side.styles >= 0),
            (b["channels"], side.comm_codes >= 4),
            (b["frequency"], side.comm_codes % 4 != 3),
            (b["availability"], side.has_availability),
        )

    ev = Evidence(tuple(COMMUNICATION_BLEND.values()), pattern(left), pattern(right))
    blank_missing(comm, ev)
    return comm, ev


def build_compatibility(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: ScoringOptions | None = None,
    embedder: Embedder | None = None,
) -> Compatibility:
    """Score every mentee x mentor pair and apply the hard constraints.

    Validates the input first (:func:`validate_people` with ``options``). All distinct texts
    (skills, goals and their themes, styles, mentors' wish topics) are embedded in ONE
    ``embedder.embed`` call, each once.

    Facets, each ``(n, m)`` in [0, 1] or NaN (missing), cosines mapped by
    :func:`~matchsvc.scoring.cosine_to_unit` (strictly increasing, 0.05 for unrelated texts):

    * ``skills``: mean over the mentee's skills of the best similarity to any of the mentor's
      skills (coverage); missing when either lists no skills.
    * ``goals``: similarity of the two goal texts; missing when either is empty.
    * ``communication``: :data:`COMMUNICATION_BLEND` of style similarity, channel Jaccard,
      frequency agreement and availability overlap; a part either side left empty adds 0,
      missing when every part is.
    * one facet per soft criterion (:class:`Criterion`); missing when either side lacks the
      value.
    * :data:`~matchsvc.scoring.MENTOR_FACET`, the mentor -> mentee fit
      (:data:`~matchsvc.scoring.WISHES_BLEND`),
      only when the mentor side applies (see :attr:`ScoringOptions.mentor_side_weight`).

    Missing data adds 0 to the score (the module docstring states the rule and what it
    guarantees); the weights stay global, so ``scores`` decomposes exactly into
    ``weights[f] * facets[f]`` and is linear in the weights.

    Hard constraints (each counted in :attr:`Compatibility.removed`): no shared language (when
    both list languages), weekly overlap below ``min_overlap_hours`` (when both give windows),
    ``exclude`` on either side, hard criteria (when both have the value).

    Args:
        mentees, mentors: the two sides; ids unique per side.
        options: weights, criteria, constraints; default :class:`ScoringOptions()`.
        embedder: texts -> unit vectors, e.g. an :class:`EmbeddingCache`. May be ``None`` only
            when nobody gives any text (skills, goals, style or wish topics).

    Returns:
        A :class:`Compatibility`; same input, byte-identical arrays. When no pair can be
        compared on the mentor side, every array equals the one built with
        ``mentor_side_weight=0``.

    Raises:
        InvalidInputError: from validation, with a field path.
    """
    options = options if options is not None else ScoringOptions()
    validate_people(mentees, mentors, options)
    base = normalized_weights(options)
    n, m = len(mentees), len(mentors)
    beta = float(options.mentor_side_weight)
    wishes_given = beta > 0 and any(p.wishes.given for p in mentors)

    table = _TextTable()
    left = _side(mentees, table, options, themes=True, topics=False)
    right = _side(mentors, table, options, themes=False, topics=wishes_given)
    texts = list(table.index)
    if texts and embedder is None:
        raise TypeError("build_compatibility needs an embedder: the profiles contain text")
    if texts:
        assert embedder is not None
        vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"embedder returned shape {vectors.shape} for {len(texts)} texts")
    else:
        vectors = np.zeros((0, 1), dtype=np.float32)

    def known(rows: Sequence[Sequence[int]] | NDArray[np.int64]) -> NDArray[np.bool_]:
        if isinstance(rows, np.ndarray):
            return rows >= 0
        return np.array([bool(r) for r in rows], dtype=np.bool_)

    facets: dict[str, NDArray[np.float32]] = {}
    evidence: dict[str, Evidence] = {}
    facets["skills"] = skills_facet(vectors, left.skills, right.skills)
    evidence["skills"] = simple(known(left.skills), known(right.skills))
    facets["goals"] = cosine_facet(
        _gather_rows(vectors, left.goals),
        _gather_rows(vectors, right.goals),
        left.goals >= 0,
        right.goals >= 0,
    )
    evidence["goals"] = simple(known(left.goals), known(right.goals))
    # Shared quarter hours are exact small integers in float32; * 0.25 keeps them exact.
    hours = overlap_slots(left.slots, right.slots)
    hours *= np.float32(_HOURS_PER_SLOT)
    facets["communication"], evidence["communication"] = _communication(
        vectors, left, right, hours, options
    )

    hard_failures: dict[str, NDArray[np.bool_]] = {}
    for crit in options.criteria:
        value, known_l, known_r = _criterion(crit, mentees, mentors)
        if crit.hard:
            hard_failures[crit.name] = known_l[:, None] & known_r[None, :] & (value < 0.5)
        else:
            evidence[crit.name] = simple(known_l, known_r)
            blank_missing(value, evidence[crit.name])
            facets[crit.name] = value

    side, applies = NO_MENTOR_SIDE, False
    if wishes_given:
        side, wish_ev = mentor_side(mentees, mentors, left.skills, left.languages, right.topics)
        applies = bool(
            np.bitwise_or.reduce(wish_ev.mentees, initial=0)
            & np.bitwise_or.reduce(wish_ev.mentors, initial=0)
        )
    weights = dict(base)
    if applies:
        facets[MENTOR_FACET] = mentor_facet(vectors, left.skills, left.languages, side, wish_ev)
        evidence[MENTOR_FACET] = wish_ev
        weights = {name: w * (1.0 - beta) for name, w in base.items()} | {MENTOR_FACET: beta}

    scores = np.zeros((n, m), dtype=np.float32)
    term = np.empty((n, m), dtype=np.float32)
    for name, w in weights.items():
        if w != 0.0:
            np.multiply(facets[name], np.float32(w), out=term)
            scores += zero_missing(term)
    del term

    allowed, removed = _constraints(options, mentees, mentors, left, right, hours, hard_failures)
    return Compatibility(
        mentee_ids=left.ids,
        mentor_ids=right.ids,
        scores=readonly(scores),
        facets=MappingProxyType({k: readonly(v) for k, v in facets.items()}),
        weights=MappingProxyType(weights),
        mentee_weights=MappingProxyType(dict(base)),
        mentor_side_weight=beta if applies else 0.0,
        allowed=readonly(allowed),
        removed=MappingProxyType({k: readonly(v) for k, v in removed.items()}),
        overlap_hours=readonly(hours),
        _texts=tuple(table.index),
        _skill_vectors=readonly(vectors),
        _mentee_skills=left.skills,
        _mentor_skills=right.skills,
        _mentee_themes=left.themes,
        _mentee_languages=left.languages,
        _mentor_languages=right.languages,
        _mentee_has_availability=readonly(left.has_availability),
        _mentor_has_availability=readonly(right.has_availability),
        _mentee_index=MappingProxyType({pid: i for i, pid in enumerate(left.ids)}),
        _mentor_index=MappingProxyType({pid: j for j, pid in enumerate(right.ids)}),
        _evidence=MappingProxyType(evidence),
        _mentor_side=side,
    )


def _constraints(
    options: ScoringOptions,
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    left: _Side,
    right: _Side,
    hours: NDArray[np.float32],
    hard_failures: Mapping[str, NDArray[np.bool_]],
) -> tuple[NDArray[np.bool_], dict[str, NDArray[np.int64]]]:
    """The allowed mask and, per constraint, how many mentors it removes for each mentee."""
    n, m = len(mentees), len(mentors)
    cons = options.constraints
    removed: dict[str, NDArray[np.int64]] = {}
    allowed = np.ones((n, m), dtype=np.bool_)

    def apply(name: str, fail: NDArray[np.bool_] | None) -> None:
        """Count ``fail`` per mentee, then clear those pairs (``fail`` is consumed)."""
        if fail is None:
            removed[name] = np.zeros(n, dtype=np.int64)
            return
        removed[name] = np.count_nonzero(fail, axis=1).astype(np.int64)
        np.logical_and(allowed, np.logical_not(fail, out=fail), out=allowed)

    if cons.require_shared_language:
        fail = any_shared(left.languages, right.languages) == 0
        # The rule needs languages on both sides.
        fail[np.array([not s for s in left.languages], dtype=np.bool_), :] = False
        fail[:, np.array([not s for s in right.languages], dtype=np.bool_)] = False
        apply("language", fail)
    else:
        apply("language", None)
    if cons.min_overlap_hours > 0:
        fail = hours < np.float32(cons.min_overlap_hours)
        fail[~left.has_availability, :] = False  # no windows = flexible
        fail[:, ~right.has_availability] = False
        apply("availability", fail)
    else:
        apply("availability", None)
    if cons.use_exclude:
        mentor_pos = {pid: j for j, pid in enumerate(right.ids)}
        mentee_pos = {pid: i for i, pid in enumerate(left.ids)}
        pairs = {(i, mentor_pos[o]) for i, p in enumerate(mentees) for o in p.exclude}
        pairs |= {(mentee_pos[o], j) for j, p in enumerate(mentors) for o in p.exclude}
        rows = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        cols = np.fromiter((j for _, j in pairs), dtype=np.int64, count=len(pairs))
        removed["exclude"] = np.bincount(rows, minlength=n).astype(np.int64)
        allowed[rows, cols] = False
    else:
        apply("exclude", None)
    for name, fail in hard_failures.items():
        apply(name, fail.copy())
    assert tuple(removed)[: len(CONSTRAINT_NAMES)] == CONSTRAINT_NAMES
    return allowed, removed
