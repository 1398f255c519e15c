"""Profiles -> compatibility matrix, constraint mask and the facts explanations need.

This module owns the id <-> index mapping: everything after it (the solvers) sees arrays only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from matchsvc.profiles import CHANNELS, FREQUENCIES, AttributeValue, Profile
from matchsvc.scoring._calendar import SLOT_MINUTES, availability_matrix
from matchsvc.scoring._facets import (
    NEUTRAL,
    cosine_facet,
    jaccard_from_counts,
    overlap_slots,
    skills_facet,
)
from matchsvc.scoring._options import (
    CONSTRAINT_NAMES,
    Criterion,
    ScoringOptions,
    normalized_weights,
)
from matchsvc.scoring._validate import validate_people
from matchsvc.scoring.cache import Embedder, normalize_text

__all__ = ["COMMUNICATION_BLEND", "Compatibility", "build_compatibility"]

COMMUNICATION_BLEND: Mapping[str, float] = MappingProxyType(
    {"style": 0.4, "channels": 0.2, "frequency": 0.2, "availability": 0.2}
)
"""How the communication facet mixes its parts (the weights sum to 1).

* ``style``: ``clip(cos, 0, 1)`` of the two style texts.
* ``channels``: Jaccard index of the channel sets.
* ``frequency``: 1 for the same frequency, 0.5 one step apart (weekly/biweekly), 0 two apart.
* ``availability``: ``min(1, overlap_hours / options.overlap_target_hours)``.

Each part is :data:`NEUTRAL` (0.5) when either person left that field empty.
"""

_HOURS_PER_SLOT = SLOT_MINUTES / 60
_A = TypeVar("_A", bound=np.ndarray[Any, Any])


@dataclass(frozen=True, slots=True, eq=False)
class Compatibility:
    """Scores, facets and constraint mask for every mentee (row) x mentor (column) pair.

    Rows follow the order of the mentees given, columns that of the mentors. All arrays are
    read-only.

    Attributes:
        mentee_ids, mentor_ids: the ids, in row / column order.
        scores: ``(n, m)`` float32, ``sum(weights[f] * facets[f])`` over every facet, so
            ``weights[f] * facets[f][i, j]`` is facet ``f``'s exact share of a score.
        facets: name -> ``(n, m)`` float32 in [0, 1]: ``"skills"``, ``"goals"``,
            ``"communication"``, then one per soft criterion.
        weights: the normalised weights (sum 1), same keys and order as ``facets``.
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
    allowed: NDArray[np.bool_]
    removed: Mapping[str, NDArray[np.int64]]
    overlap_hours: NDArray[np.float32]
    _texts: tuple[str, ...] = field(repr=False)
    _skill_vectors: NDArray[np.float32] = field(repr=False)
    _mentee_skills: tuple[tuple[int, ...], ...] = field(repr=False)
    _mentor_skills: tuple[tuple[int, ...], ...] = field(repr=False)
    _mentee_languages: tuple[frozenset[str], ...] = field(repr=False)
    _mentor_languages: tuple[frozenset[str], ...] = field(repr=False)
    _mentee_has_availability: NDArray[np.bool_] = field(repr=False)
    _mentor_has_availability: NDArray[np.bool_] = field(repr=False)
    _mentee_index: Mapping[str, int] = field(repr=False)
    _mentor_index: Mapping[str, int] = field(repr=False)

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
        """Each facet's share ``weights[f] * facets[f][i, j]`` of ``scores[i, j]``."""
        return {name: w * float(self.facets[name][i, j]) for name, w in self.weights.items()}

    def skill_pairs(self, i: int, j: int, k: int = 3) -> list[tuple[str, str, float]]:
        """The ``k`` best (mentee skill, mentor skill, similarity) pairs of mentee i, mentor j.

        Each mentee skill is paired with its closest mentor skill (the term the skills facet
        averages; among equally close mentor skills the one listed first); the list is sorted
        by similarity, highest first, ties by the skill texts.
        Skills appear normalised (see :func:`~matchsvc.scoring.normalize_text`). Empty when
        either person lists no skills.
        """
        mine, theirs = self._mentee_skills[i], self._mentor_skills[j]
        if not mine or not theirs or k <= 0:
            return []
        sims = self._skill_vectors[list(mine)] @ self._skill_vectors[list(theirs)].T
        np.clip(sims, 0.0, 1.0, out=sims)
        best = sims.argmax(axis=1)
        pairs = [
            (self._texts[s], self._texts[theirs[b]], float(sims[r, b]))
            for r, (s, b) in enumerate(zip(mine, best, strict=True))
        ]
        pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
        return pairs[:k]

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
    styles: NDArray[np.int64]
    languages: tuple[frozenset[str], ...]
    comm_codes: NDArray[np.int64]  # channel bitmask * 4 + frequency rank (3 = none)
    slots: NDArray[np.bool_]
    has_availability: NDArray[np.bool_]


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


def _side(people: Sequence[Profile], table: _TextTable, options: ScoringOptions) -> _Side:
    n = len(people)
    skills, languages = [], []
    goals = np.empty(n, dtype=np.int64)
    styles = np.empty(n, dtype=np.int64)
    codes = np.empty(n, dtype=np.int64)
    memo, add = table.memo, table.add
    for i, person in enumerate(people):
        comm = person.communication
        rows = [memo[s] if s in memo else add(s) for s in person.skills]
        skills.append(tuple(dict.fromkeys(rows)) if len(rows) > 1 else tuple(rows))
        goals[i] = table.add(person.goals)
        styles[i] = table.add(comm.style)
        languages.append(frozenset(code.lower() for code in comm.languages))
        mask = sum(1 << CHANNELS.index(c) for c in set(comm.channels))
        rank = FREQUENCIES.index(comm.frequency) if comm.frequency is not None else 3
        codes[i] = mask * 4 + rank
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
        styles=styles,
        languages=tuple(languages),
        comm_codes=codes,
        slots=slots,
        has_availability=has_availability,
    )


@cache
def _structured_table() -> NDArray[np.float32]:
    """Channel + frequency parts of the communication blend for every pair of codes."""
    masks = np.arange(1 << len(CHANNELS))
    pop = np.bitwise_count(masks).astype(np.float32)
    inter = np.bitwise_count(masks[:, None] & masks[None, :]).astype(np.float32)
    union = np.bitwise_count(masks[:, None] | masks[None, :]).astype(np.float32)
    channels = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    channels[(pop[:, None] == 0) | (pop[None, :] == 0)] = NEUTRAL
    ranks = np.arange(4)
    frequency = 1.0 - np.abs(ranks[:, None] - ranks[None, :]).astype(np.float32) / 2
    frequency[(ranks[:, None] == 3) | (ranks[None, :] == 3)] = NEUTRAL
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
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """``(value, known)``: value in [0, 1] (1 = passes); known where both sides have it."""
    left = [p.attributes.get(crit.attribute) for p in mentees]
    right = [p.attributes.get(crit.attribute) for p in mentors]
    known = (
        np.array([v is not None for v in left], dtype=np.bool_)[:, None]
        & np.array([v is not None for v in right], dtype=np.bool_)[None, :]
    )
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
        empty_l = np.array([not s for s in sets_l], dtype=np.bool_)
        empty_r = np.array([not s for s in sets_r], dtype=np.bool_)
        known &= ~empty_l[:, None] & ~empty_r[None, :]
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
    return value, known


def _readonly(array: _A) -> _A:
    array.flags.writeable = False
    return array


def _communication(vectors: NDArray[np.float32], left: _Side, right: _Side) -> NDArray[np.float32]:
    """Style, channel and frequency parts of the communication facet.

    The availability part is added by the caller, which needs the overlap hours anyway.
    """
    comm = cosine_facet(
        _gather_rows(vectors, left.styles),
        _gather_rows(vectors, right.styles),
        left.styles >= 0,
        right.styles >= 0,
    )
    comm *= np.float32(COMMUNICATION_BLEND["style"])
    # At most 128 codes: look up each distinct mentee code's row once, then copy rows.
    codes, inverse = np.unique(left.comm_codes, return_inverse=True)
    comm += _structured_table()[np.ix_(codes, right.comm_codes)][inverse]
    return comm


def build_compatibility(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: ScoringOptions | None = None,
    embedder: Embedder | None = None,
) -> Compatibility:
    """Score every mentee x mentor pair and apply the hard constraints.

    Validates the input first (:func:`validate_people` with ``options``). All distinct texts
    (skills, goals, styles) are embedded in ONE ``embedder.embed`` call, each once.

    Facets, each ``(n, m)`` in [0, 1], cosines mapped by ``clip(cos, 0, 1)``:

    * ``skills``: mean over the mentee's skills of the best cosine to any of the mentor's
      skills (coverage); 0.5 when either lists no skills.
    * ``goals``: cosine of the two goal texts; 0.5 when either is empty.
    * ``communication``: :data:`COMMUNICATION_BLEND` of style cosine, channel Jaccard,
      frequency agreement and availability overlap; each part 0.5 when either side is empty.
    * one facet per soft criterion (:class:`Criterion`); 0.5 when either side lacks the value.

    Missing data gets the neutral 0.5 rather than a redistributed weight, so the weights stay
    global and ``scores`` decomposes exactly into ``weights[f] * facets[f]``.

    Hard constraints (each counted in :attr:`Compatibility.removed`): no shared language (when
    both list languages), weekly overlap below ``min_overlap_hours`` (when both give windows),
    ``exclude`` on either side, hard criteria (when both have the value).

    Args:
        mentees, mentors: the two sides; ids unique per side.
        options: weights, criteria, constraints; default :class:`ScoringOptions()`.
        embedder: texts -> unit vectors, e.g. an :class:`EmbeddingCache`. May be ``None`` only
            when nobody gives any text (skills, goals or style).

    Returns:
        A :class:`Compatibility`; same input, byte-identical arrays.

    Raises:
        InvalidInputError: from validation, with a field path.
    """
    options = options if options is not None else ScoringOptions()
    validate_people(mentees, mentors, options)
    weights = normalized_weights(options)
    n, m = len(mentees), len(mentors)

    table = _TextTable()
    left = _side(mentees, table, options)
    right = _side(mentors, table, options)
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

    facets: dict[str, NDArray[np.float32]] = {}
    facets["skills"] = skills_facet(vectors, left.skills, right.skills)
    facets["goals"] = cosine_facet(
        _gather_rows(vectors, left.goals),
        _gather_rows(vectors, right.goals),
        left.goals >= 0,
        right.goals >= 0,
    )
    facets["communication"] = _communication(vectors, left, right)
    # Shared quarter hours are exact small integers in float32; * 0.25 keeps them exact.
    hours = overlap_slots(left.slots, right.slots)
    hours *= np.float32(_HOURS_PER_SLOT)
    availability = np.minimum(hours, np.float32(options.overlap_target_hours))
    availability *= np.float32(COMMUNICATION_BLEND["availability"] / options.overlap_target_hours)
    availability[~left.has_availability, :] = NEUTRAL * COMMUNICATION_BLEND["availability"]
    availability[:, ~right.has_availability] = NEUTRAL * COMMUNICATION_BLEND["availability"]
    facets["communication"] += availability
    del availability
    np.clip(facets["communication"], 0.0, 1.0, out=facets["communication"])

    hard_failures: dict[str, NDArray[np.bool_]] = {}
    for crit in options.criteria:
        value, known = _criterion(crit, mentees, mentors)
        if crit.hard:
            hard_failures[crit.name] = known & (value < 0.5)
        else:
            value[~known] = NEUTRAL
            facets[crit.name] = value

    scores = np.zeros((n, m), dtype=np.float32)
    term = np.empty((n, m), dtype=np.float32)
    for name, w in weights.items():
        if w != 0.0:
            np.multiply(facets[name], np.float32(w), out=term)
            scores += term
    del term

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
        vocab = sorted(set().union(*left.languages, *right.languages))
        pos = {code: k for k, code in enumerate(vocab)}
        hot_l = np.zeros((n, len(vocab)), dtype=np.float32)
        hot_r = np.zeros((m, len(vocab)), dtype=np.float32)
        for hot, langs in ((hot_l, left.languages), (hot_r, right.languages)):
            for i, codes in enumerate(langs):
                hot[i, [pos[c] for c in codes]] = 1.0
        fail = (hot_l @ hot_r.T) == 0
        fail[hot_l.sum(axis=1) == 0, :] = False  # the rule needs languages on both sides
        fail[:, hot_r.sum(axis=1) == 0] = False
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
        apply(name, fail)
    assert tuple(removed)[: len(CONSTRAINT_NAMES)] == CONSTRAINT_NAMES

    return Compatibility(
        mentee_ids=left.ids,
        mentor_ids=right.ids,
        scores=_readonly(scores),
        facets=MappingProxyType({k: _readonly(v) for k, v in facets.items()}),
        weights=MappingProxyType(dict(weights)),
        allowed=_readonly(allowed),
        removed=MappingProxyType({k: _readonly(v) for k, v in removed.items()}),
        overlap_hours=_readonly(hours),
        _texts=tuple(table.index),
        _skill_vectors=_readonly(vectors),
        _mentee_skills=left.skills,
        _mentor_skills=right.skills,
        _mentee_languages=left.languages,
        _mentor_languages=right.languages,
        _mentee_has_availability=_readonly(left.has_availability),
        _mentor_has_availability=_readonly(right.has_availability),
        _mentee_index=MappingProxyType({pid: i for i, pid in enumerate(left.ids)}),
        _mentor_index=MappingProxyType({pid: j for j, pid in enumerate(right.ids)}),
    )
