"""Learning facet weights from the programme's own feedback: fit, held-out evidence, refusals.

A pure numeric core: arrays in, a frozen :class:`LearnResult` out. The caller builds one row of
facet similarities per rated pair (the same facets, in the same order, as the score uses: skills,
goals, communication, then the soft criteria) and one target per row (:func:`feedback_target`).

**Score.** ``score = sum_f w_f * x_f`` with ``w >= 0`` and ``sum(w) = 1``. ``x_f`` is in [0, 1];
a facet without data for a pair is ``NaN`` and contributes 0 (missing evidence never adds), so
the score stays linear in ``w``.

**Target** (:func:`feedback_target`): every given signal is put on [0, 1] and the target is their
mean: a rating ``r`` in 1..5 (overall, mentee's, mentor's) gives ``(r - 1) / 4``, an outcome gives
good 1, neutral 0.5, bad 0. A proposal that was declined is the lowest level, 0. A record with no
signal is unrated. Duplicate records of one (mentee, mentor) pair are merged into one pair whose
target is the mean of the records' targets. The target is then rounded to the nearest eighth
(half a rating point, half up): nine **levels** 0..8. Only the order of the levels matters; pairs
at the same level are never compared. A pair "ends well" (AUC, calibration) above level 4
(target 0.5) and "ends badly" below it.

**Model** (pairwise logistic ranking, RankNet/Bradley-Terry on score differences): for two pairs
``a, b`` with ``t_a > t_b``, ``P(a ranked above b) = sigmoid(v . (x_a - x_b))`` with ``v >= 0``;
the learned weights are ``w = v / sum(v)`` (the length of ``v`` is the model's confidence, free).
``v`` minimises, by scipy's bounded truncated Newton (``minimize(method="TNC")``, bounds
``v >= 0``)::

    k * mean_c log(1 + exp(-v . d_c))  +  (lam / 2) * ||v - sum(v) * w0||^2  +  (mu / 2) * ||v||^2

over the comparisons ``c`` (pairs of rated pairs at different levels, ``d_c`` the higher
minus the lower one's facet row, NaN as 0): all of them when there are at most
``max_comparisons``, else that many drawn uniformly (seeded). ``k`` is the number of rated pairs,
so the data term grows like a log-likelihood of ``k`` observations and the pull toward the current
weights ``w0`` (``lam``) fades as data accumulate. That penalty is convex and zero exactly when
``v`` is a multiple of ``w0`` (any confidence, the current direction), so a facet the data cannot
inform (no data, or constant) stays near its current share: the penalty is the only force on it.
``mu`` is a tiny ridge that keeps the optimum finite when the data are perfectly ordered.
(TNC rather than L-BFGS-B: since scipy 1.15 L-BFGS-B makes LAPACK calls that, with
multi-threaded OpenBLAS on busy cores, cost milliseconds each even for 4 variables,
scipy/scipy#22438; TNC's C code has no such calls and reaches the same optimum, checked by a KKT
test.)

Why pairwise: it uses only the order of the targets, so ratings, outcomes and declines mix without
a scale assumption; and every comparable pair of pairs counts once whatever the class shares, so
a 95 % good / 5 % bad history is weighted like a balanced one (each of the few bad pairs is
compared with every good one: the loss is a smooth version of the Mann-Whitney AUC). No class
weights are needed on top; one-sided ratings are just fewer signals in the mean; people who appear
once are ordinary rows (they inform the fit through comparisons with everyone else).

**Held-out evidence.** ``folds``-fold cross-validation grouped by mentee: all of a mentee's pairs
fall in the same fold (groups are shuffled with the seed, then placed largest first into the
fold with the fewest pairs so far). With fewer distinct mentees than folds the folds are drawn
over pairs instead (``Evidence.grouped`` is then False). Each fold's weights are fitted on the
other folds and score the held-out fold; the held-out scores of all folds are pooled and compared
with the current weights' scores on the same pairs:

* ``spearman``: Spearman rank correlation of score with target (higher is better);
* ``auc``: probability that a pair that ended well outscores one that ended badly, ties half
  (higher is better; ``None`` without both kinds);
* ``discordant_share``: among pairs of pairs at different levels, the share the score orders
  against the levels, score ties counting half (lower is better; ``1 - C`` of Harrell's C).

Intervals are percentile intervals of a paired cluster bootstrap: mentees are resampled with
replacement (``bootstrap`` times, seeded), every resample scoring both weight sets, so the
``difference`` (learned minus current) has its own interval.

**Decision.** The learned weights are adopted only when they are *better*: the upper end of the
interval of the held-out ``discordant_share`` difference (learned minus current) is below
``-min_improvement`` (default 0), i.e. the learned weights order strictly more of the held-out
pairs of pairs correctly, at the stated confidence. Otherwise the current weights come back with
``adopted=False`` and a reason code. With pure-noise feedback this is nominally a one-sided test
at level ``(1 - confidence) / 2`` (2.5 % at the default 0.95): measured, 6 of 200 pure-noise
histories of 500 pairs adopted (3 %), in line with it (``benchmarks/bench_learn.py`` counts
them). Raise ``confidence`` or ``min_improvement`` for fewer false adoptions.

**Minimum data** (:func:`min_rated_pairs`): ``max(50, 10 * F)`` distinct rated pairs, of which at
least 10 are at a level other than the most common one. Ten per weight is the usual
events-per-parameter rule for logistic models (Peduzzi et al. 1996); 50 gives each of 5 held-out
folds about 10 pairs, below which a fold's metrics are mostly noise. Above the minimum the
decision rule guards the rest: at small sizes the interval is wide and the current weights stay.

Optional calibration (off by default): on the held-out scores of the weights returned, the share
of pairs that ended well per score band (quantile bands), made non-decreasing by isotonic
regression (:func:`scipy.optimize.isotonic_regression`).

References: Burges et al., "Learning to rank using gradient descent" (ICML 2005); Herbrich,
Graepel, Obermayer, "Large margin rank boundaries for ordinal regression" (2000); Efron &
Tibshirani, "An Introduction to the Bootstrap" (1993), ch. 13 (percentile intervals) and
Davison & Hinkley (1997) sec. 3.8 (resampling clusters).

Deterministic: the same arrays and seed give identical results, and the order of the input rows
does not matter (pairs are sorted by (mentee id, mentor id) first).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import isotonic_regression, minimize

from matchsvc._learning_kernel import LEVELS as _LEVELS
from matchsvc._learning_kernel import MID as _MID
from matchsvc._learning_kernel import ranking_metrics
from matchsvc.errors import InvalidInputError

__all__ = [
    "CalibrationBand",
    "DataSummary",
    "Evidence",
    "Interval",
    "LearnReason",
    "LearnResult",
    "MetricComparison",
    "RankMetrics",
    "feedback_target",
    "fit_weights",
    "min_rated_pairs",
    "rank_metrics",
]

LearnReason = Literal["improved", "not_better", "no_positive_weight"]
"""Why :attr:`LearnResult.weights` are what they are.

* ``improved``: the learned weights are adopted (held-out discordant share lower, interval
  excludes 0).
* ``not_better``: the held-out evidence does not show the learned weights are better; the
  current weights are returned.
* ``no_positive_weight``: the fit on all pairs put weight 0 on every facet (no facet rises with
  the feedback); the current weights are returned.
"""

OUTCOME_VALUE: Mapping[str, float] = MappingProxyType({"good": 1.0, "neutral": 0.5, "bad": 0.0})
"""An outcome's place on the target's [0, 1] scale."""

_MIN_PAIRS = 50
_PAIRS_PER_WEIGHT = 10
_MIN_MINORITY = 10


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate with its bootstrap percentile interval (``low <= high``)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One held-out metric for the learned and the current weights, and their difference.

    ``difference`` is learned minus current, from the same bootstrap resamples (paired).
    ``higher_is_better`` says which sign is an improvement.
    """

    name: Literal["spearman", "auc", "discordant_share"]
    higher_is_better: bool
    learned: Interval
    current: Interval
    difference: Interval


@dataclass(frozen=True, slots=True)
class Evidence:
    """Cross-validated comparison of learned and current weights (see the module docstring).

    Attributes:
        folds: folds used.
        grouped: True when no mentee's pairs are split between train and test.
        bootstrap: bootstrap resamples (over mentees).
        confidence: coverage of every interval.
        spearman, discordant_share: always present.
        auc: ``None`` when the held-out pairs do not include both a pair that ended well and one
            that ended badly.
    """

    folds: int
    grouped: bool
    bootstrap: int
    confidence: float
    spearman: MetricComparison
    auc: MetricComparison | None
    discordant_share: MetricComparison


@dataclass(frozen=True, slots=True)
class DataSummary:
    """What the fit saw.

    Attributes:
        records: rows given.
        unrated: rows without any signal (dropped).
        pairs: distinct rated (mentee, mentor) pairs used.
        merged_duplicates: rated rows merged into an earlier row of the same pair.
        mentees: distinct mentees among the pairs; ``single_pair_mentees`` of them have one pair.
        good, neutral, bad: pairs with target above, at, below 0.5.
        levels: distinct target values.
        comparisons: pairs of pairs the final fit compared (all or a uniform sample).
    """

    records: int
    unrated: int
    pairs: int
    merged_duplicates: int
    mentees: int
    single_pair_mentees: int
    good: int
    neutral: int
    bad: int
    levels: int
    comparisons: int


@dataclass(frozen=True, slots=True)
class CalibrationBand:
    """Share of pairs that ended well among held-out pairs scoring in ``[low, high]``.

    ``observed`` is the raw share of the ``pairs`` in the band; ``probability`` the isotonic
    (non-decreasing in score) estimate to show.
    """

    low: float
    high: float
    pairs: int
    observed: float
    probability: float


@dataclass(frozen=True, slots=True)
class LearnResult:
    """The outcome of :func:`fit_weights`.

    Attributes:
        weights: the weights to use, per facet, non-negative, summing to 1: the learned ones
            when ``adopted``, else the current ones (normalised).
        adopted: whether ``weights`` are the learned weights.
        reason: machine-readable :data:`LearnReason`; ``message`` says it in words.
        learned_weights: the weights fitted on all pairs (``None`` when every weight came out
            0), reported even when not adopted.
        current_weights: the current weights, normalised.
        evidence: held-out metrics, learned vs current.
        data: counts of what was used.
        calibration: bands by score, when asked for; else ``None``.
        mentor_side_weight: when the features include the mentor-side facet, its weight in
            ``weights`` taken out as ``options.mentor_side_weight`` (the caller's split, see
            :func:`matchsvc.pipelines.learn`); else ``None``.
    """

    weights: Mapping[str, float]
    adopted: bool
    reason: LearnReason
    message: str
    learned_weights: Mapping[str, float] | None
    current_weights: Mapping[str, float]
    evidence: Evidence
    data: DataSummary
    calibration: tuple[CalibrationBand, ...] | None
    mentor_side_weight: float | None = None


def min_rated_pairs(n_facets: int) -> int:
    """Distinct rated pairs needed to fit ``n_facets`` weights: ``max(50, 10 * n_facets)``."""
    return max(_MIN_PAIRS, _PAIRS_PER_WEIGHT * n_facets)


# --------------------------------------------------------------------------- target


def _rating_column(values: ArrayLike | None, k: int | None, name: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or (k is not None and arr.shape[0] != k):
        raise InvalidInputError(
            f"{name} must be a 1-D array of {k} entries, got shape {arr.shape}: "
            "give one value per record (NaN where not given)",
            field=name,
        )
    given = ~np.isnan(arr)
    bad = given & ~((arr >= 1.0) & (arr <= 5.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"{name}[{i}] is {arr[i]}: ratings must be between 1 and 5 (NaN when not given)",
            field=f"{name}[{i}]",
        )
    return arr


def feedback_target(
    *,
    rating: ArrayLike | None = None,
    mentee_rating: ArrayLike | None = None,
    mentor_rating: ArrayLike | None = None,
    outcome: Sequence[str | None] | None = None,
    declined: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Combine each record's signals into one target in [0, 1] (NaN = no signal).

    Rule: the mean over the signals given of ``(r - 1) / 4`` per rating ``r`` (overall, mentee's,
    mentor's; each counted once, so do not also pass a rating derived from the other two) and
    good 1 / neutral 0.5 / bad 0 for the outcome. A declined proposal is 0 (the lowest level) and
    must carry no rating or outcome (it never ran).

    Args:
        rating, mentee_rating, mentor_rating: ``(k,)`` ratings in [1, 5], NaN where not given.
        outcome: ``k`` entries ``"good"``, ``"neutral"``, ``"bad"`` or ``None``.
        declined: ``(k,)`` bool, True for a proposal that was declined.

    Returns:
        ``(k,)`` float64 targets; NaN for records with no signal.

    Raises:
        InvalidInputError: no argument given, lengths differ, a rating outside [1, 5], an
            unknown outcome, or a declined record that also has a rating or outcome.
    """
    k: int | None = None
    for name, col in (
        ("rating", rating),
        ("mentee_rating", mentee_rating),
        ("mentor_rating", mentor_rating),
        ("outcome", outcome),
        ("declined", declined),
    ):
        if col is not None:
            size = len(col) if name == "outcome" else np.asarray(col).size  # type: ignore[arg-type]
            if k is None:
                k = size
            elif size != k:
                raise InvalidInputError(
                    f"{name} has {size} entries but earlier columns have {k}: "
                    "give one value per record",
                    field=name,
                )
    if k is None:
        raise InvalidInputError(
            "no feedback given: pass at least one of rating, mentee_rating, mentor_rating, "
            "outcome, declined",
            field="history",
        )
    total = np.zeros(k)
    count = np.zeros(k)
    for name, col in (
        ("rating", rating),
        ("mentee_rating", mentee_rating),
        ("mentor_rating", mentor_rating),
    ):
        if col is None:
            continue
        arr = _rating_column(col, k, name)
        given = ~np.isnan(arr)
        total[given] += (arr[given] - 1.0) / 4.0
        count[given] += 1.0
    if outcome is not None:
        for i, o in enumerate(outcome):
            if o is None:
                continue
            if o not in OUTCOME_VALUE:
                raise InvalidInputError(
                    f"outcome[{i}] is {o!r}: use 'good', 'neutral', 'bad' or None",
                    field=f"outcome[{i}]",
                )
            total[i] += OUTCOME_VALUE[o]
            count[i] += 1.0
    out = np.full(k, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    if declined is not None:
        dec = np.asarray(declined)
        if dec.dtype != np.bool_ or dec.ndim != 1:
            raise InvalidInputError(
                f"declined must be a 1-D bool array, got dtype {dec.dtype} and shape {dec.shape}",
                field="declined",
            )
        clash = dec & (count > 0)
        if clash.any():
            i = int(np.flatnonzero(clash)[0])
            raise InvalidInputError(
                f"record {i} is a declined proposal but also has a rating or outcome: a declined "
                "proposal never ran; give it as a past pair instead, or drop its feedback",
                field=f"declined[{i}]",
            )
        out[dec] = 0.0
    return out


# --------------------------------------------------------------------------- validation


def _check_weights(current: Mapping[str, float], names: tuple[str, ...]) -> NDArray[np.float64]:
    unknown = sorted(set(current) - set(names))
    if unknown:
        raise InvalidInputError(
            f"current_weights has {unknown[0]!r}, which is not a facet ({list(names)}): "
            "give weights for the facets of the feature columns only",
            field=f"current_weights.{unknown[0]}",
        )
    w = np.array([float(current.get(n, 0.0)) for n in names])
    for n, x in zip(names, w, strict=True):
        if not math.isfinite(x) or x < 0:
            raise InvalidInputError(
                f"current_weights.{n} is {x}: weights must be finite and non-negative",
                field=f"current_weights.{n}",
            )
    if w.sum() <= 0:
        raise InvalidInputError(
            "current_weights are all 0: give at least one positive weight",
            field="current_weights",
        )
    out: NDArray[np.float64] = w / w.sum()
    return out


@dataclass(frozen=True, slots=True)
class _Pairs:
    x: NDArray[np.float64]  # (k, F), NaN as 0
    t: NDArray[np.float64]  # (k,)
    group: NDArray[np.int64]  # (k,) mentee index
    n_groups: int
    records: int
    unrated: int
    merged: int


def _prepare(
    features: ArrayLike,
    target: ArrayLike,
    mentee_ids: Sequence[str],
    mentor_ids: Sequence[str],
    names: tuple[str, ...],
) -> _Pairs:
    x = np.asarray(features, dtype=np.float64)
    f = len(names)
    if x.ndim != 2 or x.shape[1] != f:
        raise InvalidInputError(
            f"features has shape {x.shape} but {f} facet names were given: pass a (pairs, "
            f"{f}) array, one column per facet in the order of facet_names",
            field="features",
        )
    k = x.shape[0]
    t = np.asarray(target, dtype=np.float64)
    if t.shape != (k,):
        raise InvalidInputError(
            f"target has shape {t.shape} but features has {k} rows: give one target per row",
            field="target",
        )
    for name, ids in (("mentee_ids", mentee_ids), ("mentor_ids", mentor_ids)):
        if len(ids) != k:
            raise InvalidInputError(
                f"{name} has {len(ids)} entries but features has {k} rows: give one id per row",
                field=name,
            )
    if np.isinf(x).any():
        i, j = (int(v) for v in np.argwhere(np.isinf(x))[0])
        raise InvalidInputError(
            f"features[{i}, {j}] is {x[i, j]}: similarities must be in [0, 1] (NaN = missing)",
            field=f"features[{i}][{j}]",
        )
    outside = ~np.isnan(x) & ((x < 0.0) | (x > 1.0))
    if outside.any():
        i, j = (int(v) for v in np.argwhere(outside)[0])
        raise InvalidInputError(
            f"features[{i}, {j}] is {x[i, j]}: similarities must be in [0, 1] (NaN = missing)",
            field=f"features[{i}][{j}]",
        )
    bad_t = ~np.isnan(t) & ((t < 0.0) | (t > 1.0))
    if bad_t.any():
        i = int(np.flatnonzero(bad_t)[0])
        raise InvalidInputError(
            f"target[{i}] is {t[i]}: targets are in [0, 1] (see feedback_target), NaN = unrated",
            field=f"target[{i}]",
        )
    rated = np.flatnonzero(~np.isnan(t))
    # merge duplicates; order pairs by (mentee id, mentor id) so row order never matters
    mentees, mentee_code = np.unique(
        np.array([str(mentee_ids[r]) for r in rated.tolist()], dtype=object), return_inverse=True
    )
    mentors, mentor_code = np.unique(
        np.array([str(mentor_ids[r]) for r in rated.tolist()], dtype=object), return_inverse=True
    )
    key = mentee_code.astype(np.int64) * max(len(mentors), 1) + mentor_code
    uniq, first, pair = np.unique(key, return_index=True, return_inverse=True)
    rows = x[rated[first]]
    clash = ~((x[rated] == rows[pair]) | (np.isnan(x[rated]) & np.isnan(rows[pair]))).all(axis=1)
    if clash.any():
        r = int(np.flatnonzero(clash)[0])
        a, b = int(rated[first[pair[r]]]), int(rated[r])
        raise InvalidInputError(
            f"rows {min(a, b)} and {max(a, b)} are the same pair ({mentee_ids[b]!r}, "
            f"{mentor_ids[b]!r}) with different features: compute a pair's features once, "
            "from the current profiles",
            field=f"features[{max(a, b)}]",
        )
    n_pairs = uniq.size
    tt = np.bincount(pair, weights=t[rated], minlength=n_pairs) / np.bincount(
        pair, minlength=n_pairs
    )
    group = (uniq // max(len(mentors), 1)).astype(np.int64)
    return _Pairs(
        x=np.nan_to_num(rows, nan=0.0),
        t=tt,
        group=group,
        n_groups=len(mentees),
        records=k,
        unrated=k - rated.size,
        merged=rated.size - n_pairs,
    )


def _levels(t: NDArray[np.float64]) -> NDArray[np.int64]:
    """Level 0..8 of each target: the target rounded to the nearest eighth, half up."""
    lev: NDArray[np.int64] = np.floor(t * (_LEVELS - 1) + 0.5).astype(np.int64)
    return lev


# --------------------------------------------------------------------------- fit


def _comparisons(
    lev: NDArray[np.int64], cap: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(higher, lower) row indices of pairs of pairs with different targets: all, or ``cap``
    drawn uniformly with replacement."""
    k = lev.size
    if k * (k - 1) // 2 <= cap:
        a, b = np.triu_indices(k, 1)
    else:
        # uniform over ordered comparable (a, b): P(a) ~ #rows at another level, b uniform there
        order = np.argsort(lev, kind="stable")
        counts = np.bincount(lev)
        start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        other = k - counts[lev]
        p = other / other.sum()
        a = rng.choice(k, size=cap, p=p)
        u = (rng.random(cap) * other[a]).astype(np.int64)
        la = lev[a]
        pos = np.where(u < start[la], u, u + counts[la])
        b = order[pos]
    keep = lev[a] != lev[b]
    a, b = a[keep], b[keep]
    hi = np.where(lev[a] > lev[b], a, b)
    lo = np.where(lev[a] > lev[b], b, a)
    return hi.astype(np.int64), lo.astype(np.int64)


def _fit(
    x: NDArray[np.float64],
    lev: NDArray[np.int64],
    w0: NDArray[np.float64],
    *,
    lam: float,
    mu: float,
    cap: int,
    rng: np.random.Generator,
    start: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], int]:
    """``v`` of the penalised pairwise logistic model (module docstring) and the number of
    comparisons used. ``start`` is the optimiser's first point (default ``w0``); the problem is
    convex, so it changes the work, not the answer (up to the tolerance)."""
    hi, lo = _comparisons(lev, cap, rng)
    d = x[hi] - x[lo]
    m = d.shape[0]
    f = x.shape[1]
    if m == 0:
        return np.zeros(f), 0
    scale = x.shape[0] / m
    proj = np.eye(f) - np.outer(w0, np.ones(f))  # v - sum(v) * w0 = proj @ v
    q = lam * proj.T @ proj + mu * np.eye(f)

    def fun(v: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        z = d @ v
        e = np.exp(-np.abs(z))  # stable softplus(-z) = max(-z, 0) + log1p(exp(-|z|))
        loss = float(np.maximum(-z, 0.0).sum() + np.log1p(e).sum())
        g = np.where(z >= 0, e, 1.0) / (1.0 + e)  # sigmoid(-z) = -d/dz softplus(-z)
        grad = -scale * (d.T @ g) + q @ v
        return scale * loss + 0.5 * float(v @ q @ v), grad

    res = minimize(
        fun,
        (w0 if start is None else start).copy(),
        jac=True,
        method="TNC",
        bounds=[(0.0, None)] * f,
        options={"maxfun": 1000, "gtol": 1e-8},
    )
    v: NDArray[np.float64] = np.maximum(np.asarray(res.x, dtype=np.float64), 0.0)
    return v, m


def _folds(
    group: NDArray[np.int64], n_groups: int, folds: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], bool]:
    """Fold of each row; grouped by mentee when there are at least ``folds`` mentees."""
    k = group.size
    if n_groups >= folds:
        sizes = np.bincount(group, minlength=n_groups)
        shuffle = rng.permutation(n_groups)
        order = np.lexsort((shuffle, -sizes))  # largest first, ties in shuffled order
        load = np.zeros(folds, dtype=np.int64)
        fold_of_group = np.empty(n_groups, dtype=np.int64)
        for g in order.tolist():
            target = int(np.argmin(load))  # first fold of least load
            fold_of_group[g] = target
            load[target] += sizes[g]
        return fold_of_group[group], True
    perm = rng.permutation(k)
    fold = np.empty(k, dtype=np.int64)
    fold[perm] = np.arange(k) % folds
    return fold, False


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True, slots=True)
class _ByScore:
    """Items sorted by one score, in the layout :func:`ranking_metrics` reads."""

    cluster: NDArray[np.int64]
    level: NDArray[np.int64]
    block_start: NDArray[np.int64]


def _by_score(
    score: NDArray[np.float64], lev: NDArray[np.int64], cluster: NDArray[np.int64]
) -> _ByScore:
    order = np.argsort(score, kind="stable")
    sv = score[order]
    starts = np.flatnonzero(np.concatenate([[True], sv[1:] != sv[:-1]]))
    block_start = np.concatenate([starts, [sv.size]]).astype(np.int64)
    return _ByScore(
        np.ascontiguousarray(cluster[order], dtype=np.int64),
        np.ascontiguousarray(lev[order], dtype=np.int64),
        block_start,
    )


def _metrics(sorted_: _ByScore, counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """``(B, 3)``: Spearman, AUC, discordant share per row of cluster multiplicities."""
    out: NDArray[np.float64] = ranking_metrics(
        counts, sorted_.cluster, sorted_.level, sorted_.block_start
    )
    return out


@dataclass(frozen=True, slots=True)
class RankMetrics:
    """How well one score orders rated pairs (definitions in the module docstring).

    ``auc`` is ``None`` without both a pair that ended well and one that ended badly;
    ``spearman`` is NaN when the score or the levels are constant.
    """

    spearman: float
    auc: float | None
    discordant_share: float


def rank_metrics(score: ArrayLike, target: ArrayLike) -> RankMetrics:
    """Spearman, AUC and discordant share of ``score`` against ``target`` on every rated row.

    The same definitions and levels as :class:`Evidence` (targets rounded to eighths), without
    folds or bootstrap: for scoring any fixed weights against a history.

    Args:
        score: ``(k,)`` finite scores.
        target: ``(k,)`` targets in [0, 1] (:func:`feedback_target`); NaN rows are dropped.

    Raises:
        InvalidInputError: shapes differ, a score is not finite, a target is outside [0, 1],
            or no two rated rows are at different levels.
    """
    s = np.asarray(score, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    if s.ndim != 1 or s.shape != t.shape:
        raise InvalidInputError(
            f"score has shape {s.shape} and target {t.shape}: give one target per score",
            field="target",
        )
    if not np.isfinite(s).all():
        i = int(np.flatnonzero(~np.isfinite(s))[0])
        raise InvalidInputError(f"score[{i}] is {s[i]}: scores must be finite", field=f"score[{i}]")
    if (~np.isnan(t) & ((t < 0.0) | (t > 1.0))).any():
        i = int(np.flatnonzero(~np.isnan(t) & ((t < 0.0) | (t > 1.0)))[0])
        raise InvalidInputError(
            f"target[{i}] is {t[i]}: targets are in [0, 1], NaN = unrated", field=f"target[{i}]"
        )
    keep = ~np.isnan(t)
    lev = _levels(t[keep])
    if np.unique(lev).size < 2:
        raise InvalidInputError(
            "every rated row is at the same level: nothing to order", field="target"
        )
    k = int(keep.sum())
    out = _metrics(_by_score(s[keep], lev, np.arange(k, dtype=np.int64)), np.ones((1, k), np.int64))
    sp, auc, disc = (float(v) for v in out[0])
    return RankMetrics(sp, auc if math.isfinite(auc) else None, disc)


def _interval(point: float, boot: NDArray[np.float64], confidence: float) -> Interval:
    finite = boot[np.isfinite(boot)]
    if not math.isfinite(point) or finite.size == 0:
        return Interval(point, math.nan, math.nan)
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(finite, [alpha, 1.0 - alpha])
    return Interval(float(point), float(lo), float(hi))


# --------------------------------------------------------------------------- calibration


def _calibration(
    score: NDArray[np.float64], lev: NDArray[np.int64], bands: int
) -> tuple[CalibrationBand, ...]:
    edges = np.unique(np.quantile(score, np.linspace(0.0, 1.0, bands + 1)))
    if edges.size < 2:
        edges = np.array([score.min(), score.max()])
    band = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, edges.size - 2)
    good = (lev > _MID).astype(np.float64)
    n = np.bincount(band, minlength=edges.size - 1).astype(np.float64)
    keep = n > 0
    share = np.bincount(band, weights=good, minlength=edges.size - 1)[keep] / n[keep]
    iso = isotonic_regression(share, weights=n[keep], increasing=True).x
    lows, highs = edges[:-1][keep], edges[1:][keep]
    return tuple(
        CalibrationBand(float(a), float(b), int(c), float(o), float(p))
        for a, b, c, o, p in zip(lows, highs, n[keep], share, iso, strict=True)
    )


# --------------------------------------------------------------------------- entry point


def fit_weights(
    features: ArrayLike,
    target: ArrayLike,
    mentee_ids: Sequence[str],
    mentor_ids: Sequence[str],
    facet_names: Sequence[str],
    current_weights: Mapping[str, float],
    *,
    folds: int = 5,
    seed: int = 0,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    min_improvement: float = 0.0,
    regularization: float = 1.0,
    max_comparisons: int = 50_000,
    calibrate: bool = False,
    calibration_bands: int = 5,
) -> LearnResult:
    """Fit facet weights to feedback; adopt them only if held-out evidence says they are better.

    Args:
        features: ``(k, F)`` facet similarities of each record's pair, in [0, 1], NaN where the
            facet has no data for that pair (contributes 0 to the score).
        target: ``(k,)`` from :func:`feedback_target`: in [0, 1], NaN = unrated (dropped).
        mentee_ids, mentor_ids: ``k`` ids each; rows with the same (mentee, mentor) are one pair
            (merged, their features must be equal); mentees define the CV groups and the
            bootstrap clusters.
        facet_names: ``F`` distinct names, the columns of ``features`` (skills, goals,
            communication, then soft criteria).
        current_weights: the weights in use, per facet name (absent = 0); non-negative, not
            all 0; normalised here.
        folds: cross-validation folds, at least 2.
        seed: seeds every random draw (fold shuffle, comparison sample, bootstrap).
        bootstrap: bootstrap resamples for the intervals, at least 100.
        confidence: coverage of the intervals, in (0, 1).
        min_improvement: how much lower the learned held-out discordant share must be, at
            least, at the interval's upper end (default 0: strictly lower).
        regularization: ``lam``, the pull toward the current weights (non-negative).
        max_comparisons: most pairs of pairs one fit uses (all of them when fewer exist), at
            least 1,000.
        calibrate: also return :class:`CalibrationBand` s (off by default).
        calibration_bands: number of quantile bands, at least 2.

    Returns:
        A :class:`LearnResult`; ``weights`` are the learned ones only when ``adopted``.

    Raises:
        InvalidInputError: malformed input (shape, range, NaN outside features, unknown facet,
            negative weight, bad option), duplicate pair rows with different features, or too
            little data: fewer than :func:`min_rated_pairs` distinct rated pairs, or fewer than
            10 whose target differs from the most common one (the message says how many are
            needed).
    """
    names = tuple(str(n) for n in facet_names)
    if not names or len(set(names)) != len(names):
        raise InvalidInputError(
            f"facet_names must be distinct and non-empty, got {list(names)}",
            field="facet_names",
        )
    if folds < 2:
        raise InvalidInputError(f"folds is {folds}: use at least 2", field="folds")
    if bootstrap < 100:
        raise InvalidInputError(
            f"bootstrap is {bootstrap}: use at least 100 resamples for a usable interval",
            field="bootstrap",
        )
    if not 0.0 < confidence < 1.0:
        raise InvalidInputError(
            f"confidence is {confidence}: give a level in (0, 1), e.g. 0.95", field="confidence"
        )
    if not (math.isfinite(regularization) and regularization >= 0):
        raise InvalidInputError(
            f"regularization is {regularization}: give a finite value >= 0",
            field="regularization",
        )
    if not (math.isfinite(min_improvement) and min_improvement >= 0):
        raise InvalidInputError(
            f"min_improvement is {min_improvement}: give a finite value >= 0",
            field="min_improvement",
        )
    if max_comparisons < 1000:
        raise InvalidInputError(
            f"max_comparisons is {max_comparisons}: use at least 1000",
            field="max_comparisons",
        )
    if calibration_bands < 2:
        raise InvalidInputError(
            f"calibration_bands is {calibration_bands}: use at least 2",
            field="calibration_bands",
        )
    w0 = _check_weights(current_weights, names)
    data = _prepare(features, target, mentee_ids, mentor_ids, names)
    k, f = data.x.shape
    need = min_rated_pairs(f)
    if k < need:
        raise InvalidInputError(
            f"{k} distinct rated pairs given, {need} needed to learn {f} weights "
            f"(max({_MIN_PAIRS}, {_PAIRS_PER_WEIGHT} per weight)): collect more feedback",
            field="history",
        )
    lev = _levels(data.t)
    minority = k - int(np.bincount(lev).max())
    if minority < _MIN_MINORITY:
        raise InvalidInputError(
            f"only {minority} of {k} rated pairs differ from the most common feedback, "
            f"{_MIN_MINORITY} needed: the feedback must vary to say which pairs work better",
            field="history",
        )

    streams = np.random.SeedSequence(seed).spawn(folds + 3)
    mu = 1e-3
    v_all, n_comp = _fit(
        data.x,
        lev,
        w0,
        lam=regularization,
        mu=mu,
        cap=max_comparisons,
        rng=np.random.default_rng(streams[0]),
    )
    learned = v_all / v_all.sum() if v_all.sum() > 1e-12 else None
    fold, grouped = _folds(data.group, data.n_groups, folds, np.random.default_rng(streams[1]))
    oof = np.empty(k)
    for q in range(folds):
        test = fold == q
        train = ~test
        v, _ = _fit(
            data.x[train],
            lev[train],
            w0,
            lam=regularization,
            mu=mu,
            cap=max_comparisons,
            rng=np.random.default_rng(streams[q + 2]),
            start=v_all if v_all.sum() > 1e-12 else None,
        )
        w = v / v.sum() if v.sum() > 1e-12 else w0  # a fold without signal: current weights
        oof[test] = data.x[test] @ w
    cur = data.x @ w0

    # paired cluster bootstrap over mentees: both weight sets scored on the same resamples
    by_l = _by_score(oof, lev, data.group)
    by_c = _by_score(cur, lev, data.group)
    ones = np.ones((1, data.n_groups), dtype=np.int64)
    point_l, point_c = _metrics(by_l, ones)[0], _metrics(by_c, ones)[0]
    rng_b = np.random.default_rng(streams[folds + 2])
    g = data.n_groups
    boot_l = np.empty((bootstrap, 3))
    boot_c = np.empty((bootstrap, 3))
    block = max(1, min(bootstrap, 2_000_000 // g))
    for lo in range(0, bootstrap, block):
        b = min(block, bootstrap - lo)
        draw = rng_b.integers(0, g, size=(b, g)) + g * np.arange(b)[:, None]
        counts = np.bincount(draw.ravel(), minlength=b * g).reshape(b, g)
        boot_l[lo : lo + b] = _metrics(by_l, counts)
        boot_c[lo : lo + b] = _metrics(by_c, counts)
    comparisons: list[MetricComparison | None] = []
    for i, (name, higher) in enumerate(
        (("spearman", True), ("auc", True), ("discordant_share", False))
    ):
        pl, pc = float(point_l[i]), float(point_c[i])
        if not (math.isfinite(pl) and math.isfinite(pc)):
            comparisons.append(None)
            continue
        comparisons.append(
            MetricComparison(
                name=name,  # type: ignore[arg-type]
                higher_is_better=higher,
                learned=_interval(pl, boot_l[:, i], confidence),
                current=_interval(pc, boot_c[:, i], confidence),
                difference=_interval(pl - pc, boot_l[:, i] - boot_c[:, i], confidence),
            )
        )
    spearman, auc, disc = comparisons
    assert spearman is not None and disc is not None  # >= 10 pairs off the mode: both defined
    evidence = Evidence(
        folds=folds,
        grouped=grouped,
        bootstrap=bootstrap,
        confidence=confidence,
        spearman=spearman,
        auc=auc,
        discordant_share=disc,
    )

    current_map = MappingProxyType({n: float(x) for n, x in zip(names, w0, strict=True)})
    learned_map = (
        MappingProxyType({n: float(x) for n, x in zip(names, learned, strict=True)})
        if learned is not None
        else None
    )
    pct = f"{100 * confidence:g}%"
    d = disc.difference
    if learned_map is None:
        reason: LearnReason = "no_positive_weight"
        adopted = False
        message = (
            "no facet rises with the feedback (every learned weight is 0): keeping the current "
            "weights"
        )
    elif d.high < -min_improvement:
        reason, adopted = "improved", True
        message = (
            f"held-out discordant share {disc.learned.value:.3f} vs {disc.current.value:.3f} "
            f"with the current weights (difference {d.value:+.3f}, {pct} interval "
            f"[{d.low:+.3f}, {d.high:+.3f}]): using the learned weights"
        )
    else:
        reason, adopted = "not_better", False
        message = (
            f"the learned weights are not better on held-out pairs: discordant share "
            f"{disc.learned.value:.3f} vs {disc.current.value:.3f} (difference {d.value:+.3f}, "
            f"{pct} interval [{d.low:+.3f}, {d.high:+.3f}] does not lie below "
            f"{-min_improvement:+.3f}): keeping the current weights"
        )
    weights = learned_map if adopted and learned_map is not None else current_map

    per_mentee = np.bincount(data.group, minlength=data.n_groups)
    summary = DataSummary(
        records=data.records,
        unrated=data.unrated,
        pairs=k,
        merged_duplicates=data.merged,
        mentees=data.n_groups,
        single_pair_mentees=int((per_mentee == 1).sum()),
        good=int((lev > _MID).sum()),
        neutral=int((lev == _MID).sum()),
        bad=int((lev < _MID).sum()),
        levels=int(np.unique(lev).size),
        comparisons=n_comp,
    )
    calibration = (
        _calibration(oof if adopted else cur, lev, calibration_bands) if calibrate else None
    )
    return LearnResult(
        weights=weights,
        adopted=adopted,
        reason=reason,
        message=message,
        learned_weights=learned_map,
        current_weights=current_map,
        evidence=evidence,
        data=summary,
        calibration=calibration,
    )
