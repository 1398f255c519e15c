"""Who a matching served well, and who it did not: group figures, loads, scores, history.

Pure numpy core (no web types): ids, indices and arrays in, frozen dataclasses out.
:func:`audit` takes a finished assignment and the attributes to audit by; the figures and
their exact definitions are documented on the result classes.

Definitions used throughout:

* A group is one value of one attribute; every mentee (or mentor) with that value is in it.
* A mentee's *slots* are its demand; *matched slots* the pairs it got. A group's *matched
  share* is ``matched slots / demand`` summed over its members (the quantity the fairness
  floors of :func:`matchsvc.assignment.assign_group_fair` bound).
* Four-fifths rule (US EEOC Uniform Guidelines, 29 CFR 1607.4(D)): a group whose rate is
  below 0.8 of the best group's rate is flagged. Applied to the matched share and, when the
  best group's mean score is positive, to the mean score.
* Small groups: a flag on a few people is weak evidence. Each group's matched share carries a
  95% Wilson score interval (slots as trials); a share flag is *robust* when it holds at both
  ends of the intervals (the group's upper end below 0.8 x the best group's lower end, or,
  unflagged, its lower end at or above 0.8 x the best's upper end). ``caution`` is set when a
  flag is not robust or the group has fewer than ``min_group_size`` slots (for the score
  ratio: fewer than ``min_group_size`` pairs).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from matchsvc.errors import InvalidInputError

__all__ = [
    "AuditReport",
    "CohortRatings",
    "GroupAudit",
    "HistoryAudit",
    "HistoryPair",
    "MentorGroupAudit",
    "MentorLoadAudit",
    "ScoreDistribution",
    "audit",
    "gini",
    "pairs_from_ids",
    "wilson_interval",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EndReason = Literal["goals_met", "policy", "bad_outcome", "rematch", "other"]
_ROWS = 1024  # mentee rows per block when reading the score matrix


@dataclass(frozen=True, slots=True)
class GroupAudit:
    """One group of mentees (one value of one attribute).

    Attributes:
        people: mentees in the group; ``demand``: their slots; ``matched``: their pairs;
            ``people_matched``: members with at least one pair.
        matched_share: ``matched / demand`` (None without demand); ``share_interval`` its 95%
            Wilson interval.
        mean_score, min_score: over the group's pairs (None without pairs);
            bottom_decile_score: the 10th percentile of those scores, the smallest pair score
            with at least 10% of the group's pairs at or below it (an observed score).
        top_choice_share: among members with demand and at least one feasible mentor, the
            share whose pairs include their top-ranked feasible mentor (highest score, ties to
            the lowest mentor index); ``top_choice_base`` counts those members. None when the
            audit was given pair scores only.
        unmatched_reasons: members with unmet demand per reason code.
        share_ratio / score_ratio: matched share / mean score over the best group's (score
            ratio only when the best mean is positive); ``share_flag`` / ``score_flag``: ratio
            below the four-fifths threshold.
        share_robust: the share flag (or its absence) holds at both ends of the intervals.
        caution: a flag that rests on too few people (see the module docstring);
            ``caution_reason`` says which rule.
    """

    attribute: str
    value: Any
    people: int
    demand: int
    matched: int
    people_matched: int
    matched_share: float | None
    share_interval: tuple[float, float] | None
    pairs: int
    mean_score: float | None
    min_score: float | None
    bottom_decile_score: float | None
    top_choice_share: float | None
    top_choice_base: int
    unmatched_reasons: Mapping[str, int]
    share_ratio: float | None
    score_ratio: float | None
    share_flag: bool
    score_flag: bool
    share_robust: bool
    caution: bool
    caution_reason: str | None


@dataclass(frozen=True, slots=True)
class MentorGroupAudit:
    """One group of mentors: ``capacity`` and ``load`` summed, ``utilisation = load /
    capacity`` (None without capacity), mean score of their pairs (None without pairs)."""

    attribute: str
    value: Any
    people: int
    capacity: int
    load: int
    utilisation: float | None
    mean_score: float | None


@dataclass(frozen=True, slots=True)
class MentorLoadAudit:
    """How the pairs spread over mentors.

    ``utilisation``: total load / total capacity. ``gini``: Gini coefficient of the loads of
    mentors with capacity (0: equal loads; ``(n-1)/n``: one mentor has every pair), computed
    as ``sum_i (2i - n - 1) x_(i) / (n sum x)`` over the sorted loads. ``full``: mentors at
    capacity; ``idle``: mentors with capacity and no pair. ``load_counts[k]``: mentors with
    load ``k``; ``utilisation_counts``: mentors with capacity per utilisation bin
    ``utilisation_edges`` (ten bins of width 0.1, the last closed).
    """

    mentors: int
    capacity: int
    load: int
    utilisation: float | None
    gini: float
    full: int
    idle: int
    load_counts: tuple[int, ...]
    utilisation_edges: tuple[float, ...]
    utilisation_counts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ScoreDistribution:
    """Scores of the matched pairs: summary and a histogram (``bins`` equal-width bins from
    the lowest to the highest pair score, ``numpy.histogram`` conventions). Quantiles use the
    inverted CDF (each is an observed score). Empty fields are None / ()."""

    count: int
    mean: float | None
    minimum: float | None
    p10: float | None
    median: float | None
    p90: float | None
    maximum: float | None
    bin_edges: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class HistoryPair:
    """A pair of the programme's history.

    ``end`` None: still running. ``end_reason``: why it ended (``goals_met`` and ``policy``
    are ends by the programme's rules, ``bad_outcome`` a failed pair, ``rematch`` a move to a
    better fit). ``outcome``: how it went. ``ratings``: ``(when, rating 1-5)``.
    """

    mentee_id: str
    mentor_id: str
    start: date
    end: date | None = None
    end_reason: EndReason | None = None
    outcome: Literal["good", "neutral", "bad"] | None = None
    ratings: tuple[tuple[date, float], ...] = ()


@dataclass(frozen=True, slots=True)
class CohortRatings:
    """Ratings of the pairs that started in ``cohort`` (``YYYY-MM``), by ``period``: whole
    30-day periods from the pair's start to the rating (0 = first 30 days)."""

    cohort: str
    pairs: int
    period: tuple[int, ...]
    count: tuple[int, ...]
    mean: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class HistoryAudit:
    """Figures from the history.

    * ``rematch_rate``: ``rematched / mentees``: ``mentees`` have at least one pair in the
      history; ``rematched`` of them started a pair with another mentor on or after the end
      of one of their pairs (None without mentees).
    * ``ended``: pairs with an end. Each is counted once, in this order:
      ``ended_bad_outcome`` (``outcome == "bad"`` or ``end_reason == "bad_outcome"``),
      ``ended_by_policy`` (``end_reason`` ``goals_met`` or ``policy``), ``ended_by_rematch``
      (``rematch``), ``ended_other`` (anything else, a missing reason included).
    * ``cohorts``: ratings over time per start month.
    """

    pairs: int
    mentees: int
    rematched: int
    rematch_rate: float | None
    ended: int
    ended_by_policy: int
    ended_bad_outcome: int
    ended_by_rematch: int
    ended_other: int
    cohorts: tuple[CohortRatings, ...]


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The result of :func:`audit`: totals, per-group figures (mentee groups in attribute
    order, values sorted), mentor groups, loads, scores and the history figures.
    ``unmatched_reasons``: mentees with unmet demand per reason code, over everyone (empty
    without ``unmatched_reasons``)."""

    mentees: int
    mentors: int
    demand: int
    matched: int
    matched_share: float | None
    unmatched_reasons: Mapping[str, int]
    groups: tuple[GroupAudit, ...]
    mentor_groups: tuple[MentorGroupAudit, ...]
    mentor_load: MentorLoadAudit
    scores: ScoreDistribution
    history: HistoryAudit | None
    four_fifths: float
    min_group_size: int


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of ``successes / trials`` (95% for the default ``z``);
    ``(0, 1)`` without trials."""
    if trials <= 0:
        return (0.0, 1.0)
    p = successes / trials
    den = 1 + z * z / trials
    mid = (p + z * z / (2 * trials)) / den
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def gini(values: npt.ArrayLike) -> float:
    """Gini coefficient of non-negative ``values`` (0 for an empty or all-zero array)."""
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n = x.size
    total = float(x.sum())
    if n == 0 or total == 0.0:
        return 0.0
    rank = np.arange(1, n + 1, dtype=np.float64)
    return float(((2 * rank - n - 1) * x).sum() / (n * total))


def pairs_from_ids(
    mentee_ids: Sequence[str], mentor_ids: Sequence[str], id_pairs: Sequence[tuple[str, str]]
) -> IntArray:
    """``(mentee_id, mentor_id)`` pairs as an int64 ``(k, 2)`` array of indices.

    Raises:
        InvalidInputError: an id that is not among the mentees or mentors.
    """
    e = {pid: i for i, pid in enumerate(mentee_ids)}
    r = {pid: j for j, pid in enumerate(mentor_ids)}
    out = np.empty((len(id_pairs), 2), dtype=np.int64)
    for k, (a, b) in enumerate(id_pairs):
        if a not in e or b not in r:
            side, pid = ("mentee", a) if a not in e else ("mentor", b)
            raise InvalidInputError(
                f"pairs[{k}] names {side} {pid!r}, who is not among the {side}s; add them or "
                "drop the pair",
                field=f"pairs[{k}].{side}_id",
            )
        out[k] = (e[a], r[b])
    return out


def _counts(value: Any, size: int, name: str) -> IntArray:
    arr = np.asarray(1 if value is None else value)
    if arr.ndim == 0:
        arr = np.full(size, arr)
    if arr.shape != (size,) or not np.issubdtype(arr.dtype, np.integer) or (arr < 0).any():
        raise InvalidInputError(
            f"{name} must be {size} non-negative integers (or one for all), got "
            f"shape {arr.shape} dtype {arr.dtype}",
            field=name,
        )
    return arr.astype(np.int64)


def _labels(values: Any, size: int, field: str) -> tuple[tuple[Any, ...], IntArray]:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != size:
        raise InvalidInputError(
            f"{field} has shape {arr.shape}; give one value per person ({size})", field=field
        )
    try:
        uniq, codes = np.unique(arr, return_inverse=True)
    except TypeError:
        raise InvalidInputError(
            f"{field} mixes value types that cannot be ordered; use one type (e.g. strings, "
            "with 'unknown' for a missing value)",
            field=field,
        ) from None
    return tuple(uniq.tolist()), codes.astype(np.int64).reshape(-1)


def _pairs(pairs: Any, n: int, m: int) -> IntArray:
    p = np.asarray(pairs)
    if p.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if p.ndim != 2 or p.shape[1] != 2 or not np.issubdtype(p.dtype, np.integer):
        raise InvalidInputError(
            f"pairs must be an integer array of shape (k, 2), got shape {p.shape} dtype "
            f"{p.dtype}; use pairs_from_ids for id pairs",
            field="pairs",
        )
    p = p.astype(np.int64)
    bad = (p[:, 0] < 0) | (p[:, 0] >= n) | (p[:, 1] < 0) | (p[:, 1] >= m)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"pairs[{k}] = {tuple(p[k].tolist())} is out of range for {n} mentees x {m} mentors",
            field=f"pairs[{k}]",
        )
    key = p[:, 0] * m + p[:, 1]
    if np.unique(key).size != key.size:
        raise InvalidInputError("pairs repeats a (mentee, mentor) pair", field="pairs")
    return p


def _pair_scores_and_top(
    scores: Any, allowed: Any, pairs: IntArray, n: int, m: int
) -> tuple[FloatArray, IntArray]:
    """Scores of the pairs and each mentee's top-ranked feasible mentor (-1: none), read in
    row blocks."""
    s = scores
    if not (hasattr(s, "shape") and tuple(s.shape) == (n, m)):
        raise InvalidInputError(
            f"scores must have shape ({n}, {m}), got {getattr(s, 'shape', None)}",
            field="scores",
        )
    mask = None
    if allowed is not None:
        mask = np.asarray(allowed)
        if mask.shape != (n, m) or mask.dtype != np.bool_:
            raise InvalidInputError(
                f"allowed must be a bool array of shape ({n}, {m}), got shape {mask.shape} "
                f"dtype {mask.dtype}",
                field="allowed",
            )
    top = np.full(n, -1, dtype=np.int64)
    out = np.empty(pairs.shape[0], dtype=np.float64)
    order = np.argsort(pairs[:, 0], kind="stable")
    sp = pairs[order]
    starts = np.searchsorted(sp[:, 0], np.arange(0, n + _ROWS, _ROWS))
    for b, i0 in enumerate(range(0, n, _ROWS)):
        i1 = min(i0 + _ROWS, n)
        blk = np.asarray(s[i0:i1], dtype=np.float64)
        ok = np.ones(blk.shape, dtype=np.bool_) if mask is None else mask[i0:i1]
        bad = ok & ~np.isfinite(blk)
        if bad.any():
            r, c = (int(x) for x in np.argwhere(bad)[0])
            raise InvalidInputError(
                f"scores contains {blk[r, c]} at ({i0 + r}, {c}); use allowed=False to forbid "
                "a pair",
                field="scores",
            )
        masked = np.where(ok, blk, -np.inf)
        if m:  # with no mentor every top stays -1 (argmax of nothing is an error)
            arg = masked.argmax(axis=1)  # first maximum: ties to the lowest mentor index
            top[i0:i1] = np.where(ok.any(axis=1), arg, -1)
        lo, hi = int(starts[b]), int(starts[b + 1])
        out[order[lo:hi]] = blk[sp[lo:hi, 0] - i0, sp[lo:hi, 1]]
    return out, top


def _quantile(x: FloatArray, q: float) -> float:
    return float(np.quantile(x, q, method="inverted_cdf"))


def _score_distribution(x: FloatArray, bins: int) -> ScoreDistribution:
    if x.size == 0:
        return ScoreDistribution(0, None, None, None, None, None, None, (), ())
    counts, edges = np.histogram(x, bins=bins)
    return ScoreDistribution(
        count=int(x.size),
        mean=float(x.mean()),
        minimum=float(x.min()),
        p10=_quantile(x, 0.1),
        median=_quantile(x, 0.5),
        p90=_quantile(x, 0.9),
        maximum=float(x.max()),
        bin_edges=tuple(float(v) for v in edges),
        counts=tuple(int(v) for v in counts),
    )


def _mentor_load(load: IntArray, capacity: IntArray) -> MentorLoadAudit:
    has = capacity > 0
    total_cap = int(capacity.sum())
    util = load[has] / capacity[has]
    edges = np.array([k / 10 for k in range(11)])
    ucounts, _ = np.histogram(np.minimum(util, 1.0), bins=edges)
    return MentorLoadAudit(
        mentors=int(load.size),
        capacity=total_cap,
        load=int(load.sum()),
        utilisation=float(load.sum()) / total_cap if total_cap else None,
        gini=gini(load[has]),
        full=int((has & (load >= capacity)).sum()),
        idle=int((has & (load == 0)).sum()),
        load_counts=tuple(int(v) for v in np.bincount(load, minlength=1)),
        utilisation_edges=tuple(float(v) for v in edges),
        utilisation_counts=tuple(int(v) for v in ucounts),
    )


def _groups(
    attribute: str,
    values: tuple[Any, ...],
    codes: IntArray,
    demand: IntArray,
    got: IntArray,
    pairs: IntArray,
    ps: FloatArray,
    top_hit: BoolArray | None,
    top_base: BoolArray | None,
    reasons: Sequence[str | None] | None,
    four_fifths: float,
    min_size: int,
) -> list[GroupAudit]:
    ng = len(values)
    dem = np.bincount(codes, weights=demand, minlength=ng).astype(np.int64)
    mat = np.bincount(codes, weights=got, minlength=ng).astype(np.int64)
    people = np.bincount(codes, minlength=ng)
    pm = np.bincount(codes, weights=got > 0, minlength=ng).astype(np.int64)
    pair_group = codes[pairs[:, 0]]
    order = np.argsort(pair_group, kind="stable")
    bounds = np.searchsorted(pair_group[order], np.arange(ng + 1))
    share = [float(mat[k] / dem[k]) if dem[k] else None for k in range(ng)]
    inter = [wilson_interval(int(mat[k]), int(dem[k])) if dem[k] else None for k in range(ng)]
    means: list[float | None] = []
    for k in range(ng):
        x = ps[order[bounds[k] : bounds[k + 1]]]
        means.append(float(x.mean()) if x.size else None)
    known = [(s, k) for k, s in enumerate(share) if s is not None]
    best_share = max(known)[0] if known else None
    best_k = max(known, key=lambda t: (t[0], -t[1]))[1] if known else -1
    best_mean = max((v for v in means if v is not None), default=None)
    unmet_reason: list[Counter[str]] = [Counter() for _ in range(ng)]
    if reasons is not None:
        for i in np.flatnonzero(got < demand).tolist():
            code = reasons[i]
            if code is not None:
                unmet_reason[codes[i]][code] += 1
    out = []
    for k in range(ng):
        x = ps[order[bounds[k] : bounds[k + 1]]]
        s = share[k]
        sr = s / best_share if s is not None and best_share else None
        if s is not None and best_share == 0.0:
            sr = 1.0  # no group got anything: nobody is below four fifths of the best
        mk = means[k]
        mr = mk / best_mean if mk is not None and best_mean is not None and best_mean > 0 else None
        s_flag = bool(sr is not None and sr < four_fifths)
        m_flag = bool(mr is not None and mr < four_fifths)
        robust = True
        if inter[k] is not None and best_k >= 0 and k != best_k:
            lo_b, hi_b = inter[best_k]  # type: ignore[misc]
            lo_g, hi_g = inter[k]  # type: ignore[misc]
            robust = bool(hi_g < four_fifths * lo_b if s_flag else lo_g >= four_fifths * hi_b)
        why = None
        if (s_flag or m_flag) and dem[k] < min_size:
            why = f"fewer than {min_size} slots"
        elif m_flag and x.size < min_size:
            why = f"fewer than {min_size} pairs"
        elif not robust:
            why = "the share flag changes within the 95% intervals"
        base = int(top_base[codes == k].sum()) if top_base is not None else 0
        hits = int(top_hit[codes == k].sum()) if top_hit is not None else 0
        out.append(
            GroupAudit(
                attribute=attribute,
                value=values[k],
                people=int(people[k]),
                demand=int(dem[k]),
                matched=int(mat[k]),
                people_matched=int(pm[k]),
                matched_share=s,
                share_interval=inter[k],
                pairs=int(x.size),
                mean_score=means[k],
                min_score=float(x.min()) if x.size else None,
                bottom_decile_score=_quantile(x, 0.1) if x.size else None,
                top_choice_share=(hits / base if base else None) if top_base is not None else None,
                top_choice_base=base,
                unmatched_reasons=dict(sorted(unmet_reason[k].items())),
                share_ratio=sr,
                score_ratio=mr,
                share_flag=s_flag,
                score_flag=m_flag,
                share_robust=robust,
                caution=why is not None,
                caution_reason=why,
            )
        )
    return out


def _as_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


def _history(history: Sequence[HistoryPair]) -> HistoryAudit:
    by_mentee: dict[str, list[HistoryPair]] = {}
    ended = policy = bad = moved = other = 0
    cohorts: dict[str, dict[int, list[float]]] = {}
    cohort_pairs: Counter[str] = Counter()
    for k, h in enumerate(history):
        start = _as_date(h.start)
        end = _as_date(h.end) if h.end is not None else None
        if end is not None and end < start:
            raise InvalidInputError(
                f"history[{k}] ends ({end}) before it starts ({start})", field=f"history[{k}].end"
            )
        by_mentee.setdefault(h.mentee_id, []).append(h)
        if end is not None:
            ended += 1
            if h.outcome == "bad" or h.end_reason == "bad_outcome":
                bad += 1
            elif h.end_reason in ("goals_met", "policy"):
                policy += 1
            elif h.end_reason == "rematch":
                moved += 1
            else:
                other += 1
        key = f"{start.year:04d}-{start.month:02d}"
        cohort_pairs[key] += 1
        for j, (when, rating) in enumerate(h.ratings):
            if not 1 <= rating <= 5:
                raise InvalidInputError(
                    f"history[{k}].ratings[{j}] is {rating}; ratings run from 1 to 5",
                    field=f"history[{k}].ratings[{j}]",
                )
            days = (_as_date(when) - start).days
            if days < 0:
                raise InvalidInputError(
                    f"history[{k}].ratings[{j}] is dated before the pair started",
                    field=f"history[{k}].ratings[{j}]",
                )
            cohorts.setdefault(key, {}).setdefault(days // 30, []).append(float(rating))
    rematched = 0
    for hs in by_mentee.values():
        ends = [(_as_date(h.end), h.mentor_id) for h in hs if h.end is not None]
        if any(_as_date(h.start) >= e and h.mentor_id != mentor for h in hs for e, mentor in ends):
            rematched += 1
    out = []
    for key in sorted(cohort_pairs):
        per = cohorts.get(key, {})
        ks = sorted(per)
        out.append(
            CohortRatings(
                cohort=key,
                pairs=cohort_pairs[key],
                period=tuple(ks),
                count=tuple(len(per[p]) for p in ks),
                mean=tuple(float(np.mean(per[p])) for p in ks),
            )
        )
    mentees = len(by_mentee)
    return HistoryAudit(
        pairs=len(history),
        mentees=mentees,
        rematched=rematched,
        rematch_rate=rematched / mentees if mentees else None,
        ended=ended,
        ended_by_policy=policy,
        ended_bad_outcome=bad,
        ended_by_rematch=moved,
        ended_other=other,
        cohorts=tuple(out),
    )


def audit(
    mentee_ids: Sequence[str],
    mentor_ids: Sequence[str],
    pairs: npt.ArrayLike,
    *,
    scores: Any = None,
    allowed: npt.ArrayLike | None = None,
    pair_scores: npt.ArrayLike | None = None,
    demand: npt.ArrayLike | None = None,
    capacity: npt.ArrayLike | None = None,
    unmatched_reasons: Sequence[str | None] | None = None,
    mentee_groups: Mapping[str, Any] | None = None,
    mentor_groups: Mapping[str, Any] | None = None,
    history: Sequence[HistoryPair] | None = None,
    bins: int = 20,
    four_fifths: float = 0.8,
    min_group_size: int = 30,
) -> AuditReport:
    """Audit an assignment by mentee and mentor groups.

    Args:
        mentee_ids, mentor_ids: one id per row / column (unique).
        pairs: int ``(k, 2)`` (mentee index, mentor index); :func:`pairs_from_ids` converts
            id pairs.
        scores: the ``(n, m)`` score matrix (an array, or anything sliceable by rows with that
            shape); with ``allowed`` (bool, False = forbidden) it gives the pair scores and
            each mentee's top-ranked feasible mentor. Or pass ``pair_scores`` instead (one per
            pair; the top-choice figures are then None).
        demand, capacity: per mentee / mentor (default 1).
        unmatched_reasons: per mentee, the reason code of its unmet demand (None if met).
        mentee_groups, mentor_groups: attribute -> one value per person.
        history: the programme's past pairs, for :class:`HistoryAudit`.
        bins: histogram bins of the score distribution.
        four_fifths, min_group_size: the flag threshold and the small-group size.

    Returns:
        AuditReport (definitions in the module docstring and on each class).

    Raises:
        InvalidInputError: duplicate ids, shapes that disagree, pairs out of range or
            repeated, a pair over a mentee's demand or a mentor's capacity, neither or both
            of ``scores`` / ``pair_scores``, non-finite scores on allowed pairs, bad history.
    """
    n, m = len(mentee_ids), len(mentor_ids)
    for name, ids in (("mentee_ids", mentee_ids), ("mentor_ids", mentor_ids)):
        if len(set(ids)) != len(ids):
            dup = next(x for x, c in Counter(ids).items() if c > 1)
            raise InvalidInputError(f"{name} repeats {dup!r}; ids must be unique", field=name)
    p = _pairs(pairs, n, m)
    dem = _counts(demand, n, "demand")
    cap = _counts(capacity, m, "capacity")
    got = np.bincount(p[:, 0], minlength=n).astype(np.int64)
    load = np.bincount(p[:, 1], minlength=m).astype(np.int64)
    if (got > dem).any():
        i = int(np.flatnonzero(got > dem)[0])
        raise InvalidInputError(
            f"mentee {mentee_ids[i]!r} has {got[i]} pairs but demand {dem[i]}", field="pairs"
        )
    if (load > cap).any():
        j = int(np.flatnonzero(load > cap)[0])
        raise InvalidInputError(
            f"mentor {mentor_ids[j]!r} has {load[j]} pairs but capacity {cap[j]}", field="pairs"
        )
    if (scores is None) == (pair_scores is None):
        raise InvalidInputError(
            "give exactly one of scores (the matrix) and pair_scores (one per pair)",
            field="scores",
        )
    top_hit = top_base = None
    if scores is not None:
        ps, top = _pair_scores_and_top(scores, allowed, p, n, m)
        # A mentee may have several pairs: count the hits per mentee (a fancy-index ``|=``
        # would keep only the last pair's answer).
        hit = np.bincount(p[:, 0], weights=top[p[:, 0]] == p[:, 1], minlength=n) > 0
        top_base = (top >= 0) & (dem > 0)
        top_hit = hit & top_base
        if allowed is not None and p.size:
            ok = np.asarray(allowed)[p[:, 0], p[:, 1]]
            if not ok.all():
                k = int(np.flatnonzero(~ok)[0])
                raise InvalidInputError(
                    f"pairs[{k}] is a forbidden pair (allowed is False there)", field="pairs"
                )
    else:
        ps = np.asarray(pair_scores, dtype=np.float64).reshape(-1)
        if ps.shape != (p.shape[0],) or not np.isfinite(ps).all():
            raise InvalidInputError(
                f"pair_scores must hold {p.shape[0]} finite numbers, one per pair",
                field="pair_scores",
            )
    if unmatched_reasons is not None and len(unmatched_reasons) != n:
        raise InvalidInputError(
            f"unmatched_reasons has {len(unmatched_reasons)} entries for {n} mentees",
            field="unmatched_reasons",
        )
    if not 0 < four_fifths <= 1 or min_group_size < 0 or bins < 1:
        raise InvalidInputError(
            f"four_fifths must be in (0, 1], min_group_size >= 0, bins >= 1 (got "
            f"{four_fifths}, {min_group_size}, {bins})",
            field="four_fifths",
        )
    groups: list[GroupAudit] = []
    for attr, vals in (mentee_groups or {}).items():
        values, codes = _labels(vals, n, f"mentee_groups.{attr}")
        groups += _groups(
            attr, values, codes, dem, got, p, ps, top_hit, top_base, unmatched_reasons,
            four_fifths, min_group_size,
        )  # fmt: skip
    mgroups: list[MentorGroupAudit] = []
    for attr, vals in (mentor_groups or {}).items():
        values, codes = _labels(vals, m, f"mentor_groups.{attr}")
        ng = len(values)
        c = np.bincount(codes, weights=cap, minlength=ng).astype(np.int64)
        ld = np.bincount(codes, weights=load, minlength=ng).astype(np.int64)
        ppl = np.bincount(codes, minlength=ng)
        ssum = np.bincount(codes[p[:, 1]], weights=ps, minlength=ng)
        for k in range(ng):
            mgroups.append(
                MentorGroupAudit(
                    attribute=attr,
                    value=values[k],
                    people=int(ppl[k]),
                    capacity=int(c[k]),
                    load=int(ld[k]),
                    utilisation=float(ld[k] / c[k]) if c[k] else None,
                    mean_score=float(ssum[k] / ld[k]) if ld[k] else None,
                )
            )
    total_dem = int(dem.sum())
    unmet: Counter[str] = Counter()
    if unmatched_reasons is not None:
        for i in np.flatnonzero(got < dem).tolist():
            code = unmatched_reasons[i]
            if code is not None:
                unmet[code] += 1
    return AuditReport(
        mentees=n,
        mentors=m,
        demand=total_dem,
        matched=int(p.shape[0]),
        matched_share=p.shape[0] / total_dem if total_dem else None,
        unmatched_reasons=dict(sorted(unmet.items())),
        groups=tuple(groups),
        mentor_groups=tuple(mgroups),
        mentor_load=_mentor_load(load, cap),
        scores=_score_distribution(ps, bins),
        history=_history(history) if history is not None else None,
        four_fifths=four_fifths,
        min_group_size=min_group_size,
    )
