"""Learning facet weights from feedback: recovery of planted weights, refusals, evidence, metrics."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pytest
from benchmarks.encoders import HashingEncoder
from benchmarks.generator import (
    OutcomeTruth,
    draw_feedback,
    generate_programme,
    history_pairs,
    synthetic_facets,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.stats import spearmanr

from matchsvc.errors import InvalidInputError
from matchsvc.learning import (  # private: unit checks
    LearnResult,
    _comparisons,
    _fit,
    _folds,
    _levels,
    feedback_target,
    fit_weights,
    min_rated_pairs,
    rank_metrics,
)
from matchsvc.scoring import Criterion, EmbeddingCache, ScoringOptions, build_compatibility

NAMES = ("skills", "goals", "communication", "senior")
DEFAULTS = {"skills": 0.5, "goals": 0.3, "communication": 0.2}  # the service's defaults
TRUE = {"skills": 0.2, "goals": 0.45, "communication": 0.1, "senior": 0.25}


def _vec(
    weights: Mapping[str, float] | None, names: tuple[str, ...] = NAMES
) -> NDArray[np.float64]:
    assert weights is not None
    w = np.array([weights.get(n, 0.0) for n in names])
    out: NDArray[np.float64] = w / w.sum()
    return out


def _history(
    k: int,
    seed: int,
    *,
    truth: OutcomeTruth | None = None,
    per_mentee: int = 2,
    missing_rate: float = 0.05,
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str], list[str]]:
    """``k`` synthetic rated records: 4 facets (the last a pass/fail criterion), both sides'
    ratings and outcomes drawn from ``truth``; mentee ``i // per_mentee``, mentor ``i``."""
    truth = truth or OutcomeTruth(TRUE, noise=1.0)
    x = synthetic_facets(k, 4, seed=seed, missing_rate=missing_rate, binary=(3,))
    fb = draw_feedback(truth, x, NAMES, seed=seed + 1000)
    t = feedback_target(
        mentee_rating=fb.mentee_rating, mentor_rating=fb.mentor_rating, outcome=fb.outcome
    )
    return x, t, [f"e{i // per_mentee}" for i in range(k)], [f"m{i}" for i in range(k)]


def _fit_history(
    k: int, seed: int, *, truth: OutcomeTruth | None = None, **kw: object
) -> LearnResult:
    x, t, me, mo = _history(k, seed, truth=truth)
    return fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=seed, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the targets


def test_generated_programme_2000_pairs_recovers_hidden_weights_and_beats_defaults() -> None:
    """A generated programme carries hidden weights; facets come from the real scoring code."""
    truth = OutcomeTruth(
        {"skills": 0.35, "goals": 0.15, "communication": 0.3, "senior": 0.2}, noise=1.0
    )
    prog = generate_programme(1500, seed=5, outcome_truth=truth)
    assert prog.outcome_truth is truth
    options = ScoringOptions(
        weights={**DEFAULTS, "senior": 0.1},
        criteria=(Criterion("senior", "years_experience", "gap", min=10),),
    )
    compat = build_compatibility(
        prog.mentees, prog.mentors, options, EmbeddingCache(HashingEncoder(), None, lru_size=0)
    )
    facets = np.stack([compat.facets[n] for n in NAMES], axis=-1).astype(np.float64)
    i, j = history_pairs(prog, 2000, seed=0)
    x = facets[i, j]
    fb = draw_feedback(truth, x, NAMES, seed=100)
    t = feedback_target(
        mentee_rating=fb.mentee_rating, mentor_rating=fb.mentor_rating, outcome=fb.outcome
    )
    me = [prog.mentees[a].id for a in i.tolist()]
    mo = [prog.mentors[b].id for b in j.tolist()]
    res = fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=0)

    assert res.data.pairs >= 1900  # about 2% of records carry no signal at all
    err = np.abs(_vec(res.learned_weights) - truth.weight_vector(NAMES)).max()
    assert err <= 0.05
    assert res.adopted and res.reason == "improved"
    assert dict(res.weights) == dict(res.learned_weights or {})
    ev = res.evidence
    assert ev.grouped and ev.folds == 5 and ev.bootstrap == 1000
    assert ev.discordant_share.difference.high < 0  # fewer held-out pairs of pairs misordered
    assert ev.spearman.difference.low > 0
    assert ev.auc is not None and ev.auc.difference.low > 0
    assert ev.spearman.learned.low <= ev.spearman.learned.value <= ev.spearman.learned.high


def test_synthetic_2000_pairs_within_005_of_truth_and_better_held_out() -> None:
    res = _fit_history(2000, seed=1)
    assert np.abs(_vec(res.learned_weights) - _vec(TRUE)).max() <= 0.05
    assert res.adopted and res.reason == "improved"
    d = res.evidence.discordant_share
    assert d.learned.value < d.current.value and d.difference.high < 0
    assert "using the learned weights" in res.message


def test_pure_noise_feedback_keeps_current_weights_and_says_so() -> None:
    res = _fit_history(2000, seed=2, truth=OutcomeTruth(TRUE, signal=0.0, noise=1.0))
    assert not res.adopted and res.reason == "not_better"
    assert dict(res.weights) == pytest.approx({**DEFAULTS, "senior": 0.0})
    assert dict(res.weights) == dict(res.current_weights)
    d = res.evidence.discordant_share.difference
    assert d.low < 0 < d.high or d.value > 0  # no evidence of improvement
    assert abs(res.evidence.spearman.learned.value) < 0.06  # nothing to learn
    assert "keeping the current weights" in res.message


def test_learned_weights_equal_to_current_are_not_called_better() -> None:
    """When the current weights are already the truth, there is nothing to gain."""
    res = _fit_history(2000, seed=3, truth=OutcomeTruth({**DEFAULTS, "senior": 0.0}))
    assert np.abs(_vec(res.learned_weights) - _vec(DEFAULTS)).max() <= 0.05
    assert not res.adopted and res.reason == "not_better"


# --------------------------------------------------------------------------- awkward histories


def test_class_imbalance_mostly_good_pairs() -> None:
    truth = OutcomeTruth(TRUE, noise=1.0, rating_shares=(0.005, 0.01, 0.03, 0.2, 0.755))
    res = _fit_history(2000, seed=4, truth=truth)
    assert res.data.bad < 0.05 * res.data.pairs < res.data.good / 10
    assert np.abs(_vec(res.learned_weights) - _vec(TRUE)).max() <= 0.06
    assert res.adopted


def test_ratings_from_one_side_only() -> None:
    x, _, me, mo = _history(2000, seed=5)
    fb = draw_feedback(OutcomeTruth(TRUE, noise=1.0, report_rate=1.0), x, NAMES, seed=5)
    t = feedback_target(mentee_rating=fb.mentee_rating)  # mentors never rated, no outcomes
    res = fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=0)
    assert res.data.pairs == 2000 and res.data.levels == 5
    assert np.abs(_vec(res.learned_weights) - _vec(TRUE)).max() <= 0.06
    assert res.adopted


def test_mixed_sides_and_missing_feedback_are_counted() -> None:
    x, t, me, mo = _history(600, seed=6)
    expected_unrated = int(np.isnan(t).sum())
    assert expected_unrated > 0
    res = fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=0, bootstrap=200)
    assert res.data.records == 600 and res.data.unrated == expected_unrated
    assert res.data.pairs == 600 - expected_unrated
    lev = _levels(t[~np.isnan(t)])
    assert (res.data.good, res.data.neutral, res.data.bad) == (
        int((lev > 4).sum()),
        int((lev == 4).sum()),
        int((lev < 4).sum()),
    )


def test_duplicate_records_are_merged_by_mean_target() -> None:
    """Records repeating a pair give exactly the fit of the pre-merged history."""
    x, t, me, mo = _history(400, seed=7)
    keep = ~np.isnan(t)
    x, t = x[keep], t[keep]
    me = [a for a, k in zip(me, keep, strict=True) if k]
    mo = [b for b, k in zip(mo, keep, strict=True) if k]
    rep = np.arange(0, len(t), 3)  # every third pair rated again, more gently
    t2 = np.clip(t[rep] - 0.125, 0, 1)
    xd = np.concatenate([x, x[rep]])
    td = np.concatenate([t, t2])
    med = me + [me[r] for r in rep.tolist()]
    mod = mo + [mo[r] for r in rep.tolist()]
    merged_t = t.copy()
    merged_t[rep] = (t[rep] + t2) / 2
    a = fit_weights(xd, td, med, mod, NAMES, DEFAULTS, seed=0, bootstrap=200)
    b = fit_weights(x, merged_t, me, mo, NAMES, DEFAULTS, seed=0, bootstrap=200)
    assert a.data.merged_duplicates == rep.size and b.data.merged_duplicates == 0
    assert a.data.pairs == b.data.pairs == len(t)
    assert a.learned_weights == b.learned_weights
    assert a.evidence == b.evidence


def test_duplicate_pair_with_different_features_is_refused() -> None:
    x, t, me, mo = _history(100, seed=8, missing_rate=0.0)
    x = np.concatenate([x, x[:1] * 0.5])
    t = np.concatenate([t, t[:1]])
    with pytest.raises(InvalidInputError, match=r"rows 0 and 100 are the same pair") as e:
        fit_weights(x, t, [*me, me[0]], [*mo, mo[0]], NAMES, DEFAULTS)
    assert e.value.field == "features[100]"


def test_people_who_appear_once() -> None:
    """Every mentee and mentor appears once: folds are still grouped (trivially)."""
    x, t, _, mo = _history(1000, seed=9)
    me = [f"solo{i}" for i in range(1000)]
    res = fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=0, bootstrap=200)
    assert res.evidence.grouped
    assert res.data.single_pair_mentees == res.data.mentees == res.data.pairs
    assert res.adopted


def test_few_mentees_fall_back_to_ungrouped_folds() -> None:
    x, t, _, mo = _history(300, seed=10)
    me = [f"e{i % 3}" for i in range(300)]  # three mentees rated 100 mentors each
    res = fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=0, bootstrap=200)
    assert not res.evidence.grouped and res.data.mentees == 3


def test_no_facet_rises_with_feedback() -> None:
    x, _, me, mo = _history(500, seed=11, missing_rate=0.0)
    t = 1.0 - x.mean(axis=1)  # every facet hurts
    res = fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=0, bootstrap=200)
    assert res.learned_weights is None
    assert not res.adopted and res.reason == "no_positive_weight"
    assert dict(res.weights) == dict(res.current_weights)


def test_facet_without_data_keeps_its_current_share() -> None:
    """A column that is all NaN cannot be informed: the penalty keeps it near its current share
    (without the penalty the tiny ridge would take it to 0)."""
    x, t, me, mo = _history(2000, seed=12)
    x[:, 3] = np.nan
    current = {"skills": 0.4, "goals": 0.3, "communication": 0.2, "senior": 0.1}
    res = fit_weights(x, t, me, mo, NAMES, current, seed=0, bootstrap=200)
    assert res.learned_weights is not None
    assert res.learned_weights["senior"] == pytest.approx(0.1, abs=0.02)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("n_facets", "need"), [(4, 50), (5, 50), (8, 80)])
def test_too_little_data_names_how_many_pairs_are_needed(n_facets: int, need: int) -> None:
    assert min_rated_pairs(n_facets) == need
    names = tuple(f"f{c}" for c in range(n_facets))
    k = need - 1
    x = synthetic_facets(k, n_facets, seed=0)
    t = np.linspace(0, 1, k)
    ids = [str(i) for i in range(k)]
    with pytest.raises(InvalidInputError, match=rf"{k} distinct rated pairs given, {need} needed"):
        fit_weights(x, t, ids, ids, names, {"f0": 1.0})
    # one more pair is enough to be heard (the answer may still be "not better")
    x = synthetic_facets(need, n_facets, seed=0)
    ids = [str(i) for i in range(need)]
    res = fit_weights(x, np.linspace(0, 1, need), ids, ids, names, {"f0": 1.0}, bootstrap=100)
    assert res.data.pairs == need


def test_duplicates_do_not_count_towards_the_minimum() -> None:
    x = synthetic_facets(30, 4, seed=0)
    t = np.linspace(0, 1, 30)
    ids = [str(i) for i in range(30)]
    with pytest.raises(InvalidInputError, match="30 distinct rated pairs given, 50 needed"):
        fit_weights(np.vstack([x, x]), np.concatenate([t, t]), ids * 2, ids * 2, NAMES, DEFAULTS)


def test_feedback_that_barely_varies_is_refused() -> None:
    x = synthetic_facets(200, 4, seed=0)
    t = np.full(200, 1.0)
    t[:9] = 0.0
    ids = [str(i) for i in range(200)]
    with pytest.raises(InvalidInputError, match="only 9 of 200 rated pairs differ"):
        fit_weights(x, t, ids, ids, NAMES, DEFAULTS)


# --------------------------------------------------------------------------- validation

_X = synthetic_facets(60, 4, seed=0)
_T = np.linspace(0, 1, 60)
_IDS = [str(i) for i in range(60)]


def _bad_x(value: float) -> NDArray[np.float64]:
    x = _X.copy()
    x[2, 1] = value
    return x


@pytest.mark.parametrize(
    ("kwargs", "match", "field"),
    [
        ({"features": _X[:, :3]}, r"features has shape \(60, 3\) but 4 facet", "features"),
        ({"target": _T[:10]}, r"target has shape \(10,\) but features has 60", "target"),
        ({"mentee_ids": _IDS[:5]}, "mentee_ids has 5 entries", "mentee_ids"),
        ({"mentor_ids": _IDS[:5]}, "mentor_ids has 5 entries", "mentor_ids"),
        ({"features": _bad_x(np.inf)}, r"features\[2, 1\] is inf", "features[2][1]"),
        ({"features": _bad_x(1.5)}, r"features\[2, 1\] is 1.5", "features[2][1]"),
        ({"target": np.r_[_T[:59], 2.0]}, r"target\[59\] is 2.0", "target[59]"),
        ({"facet_names": ("a", "a", "b", "c")}, "distinct and non-empty", "facet_names"),
        (
            {"current_weights": {"skill": 1.0}},
            "'skill', which is not a facet",
            "current_weights.skill",
        ),
        (
            {"current_weights": {"goals": -0.1, "skills": 1}},
            "goals is -0.1",
            "current_weights.goals",
        ),
        ({"current_weights": {"goals": math.nan}}, "goals is nan", "current_weights.goals"),
        ({"current_weights": {"goals": 0.0}}, "are all 0", "current_weights"),
        ({"folds": 1}, "folds is 1", "folds"),
        ({"bootstrap": 99}, "bootstrap is 99", "bootstrap"),
        ({"confidence": 1.0}, "confidence is 1.0", "confidence"),
        ({"regularization": -1.0}, "regularization is -1.0", "regularization"),
        ({"min_improvement": math.inf}, "min_improvement is inf", "min_improvement"),
        ({"max_comparisons": 999}, "max_comparisons is 999", "max_comparisons"),
        ({"calibration_bands": 1}, "calibration_bands is 1", "calibration_bands"),
    ],
)
def test_each_validation_branch(kwargs: dict[str, object], match: str, field: str) -> None:
    args: dict[str, object] = {
        "features": _X,
        "target": _T,
        "mentee_ids": _IDS,
        "mentor_ids": _IDS,
        "facet_names": NAMES,
        "current_weights": DEFAULTS,
    }
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=match) as e:
        fit_weights(**args)  # type: ignore[arg-type]
    assert e.value.field == field


# --------------------------------------------------------------------------- target rule


def test_feedback_target_rule() -> None:
    nan = math.nan
    t = feedback_target(
        rating=[5, nan, nan, nan, nan, 3, nan],
        mentee_rating=[nan, 4, 2, nan, nan, 5, nan],
        mentor_rating=[nan, nan, 4, nan, nan, nan, nan],
        outcome=[None, None, "bad", "good", None, "neutral", None],
        declined=np.array([False, False, False, False, True, False, False]),
    )
    np.testing.assert_allclose(t[:6], [1.0, 0.75, (0.25 + 0.75 + 0.0) / 3, 1.0, 0.0, 2 / 3])
    assert math.isnan(t[6])  # nothing known: unrated


def test_levels_round_to_eighths_half_up() -> None:
    np.testing.assert_array_equal(
        _levels(np.array([0.0, 1 / 16, 0.1, 2 / 3, 0.5, 1.0])), [0, 1, 1, 5, 4, 8]
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "no feedback given"),
        ({"rating": [1, 6]}, r"rating\[1\] is 6.0"),
        ({"mentee_rating": [0.5]}, r"mentee_rating\[0\] is 0.5"),
        ({"rating": [[1, 2]]}, "must be a 1-D array"),
        ({"rating": [1, 2], "mentor_rating": [3]}, "mentor_rating has 1 entries"),
        ({"outcome": ["great"]}, r"outcome\[0\] is 'great'"),
        ({"declined": [1, 0]}, "declined must be a 1-D bool array"),
        ({"rating": [3.0], "declined": np.array([True])}, "declined proposal but also has"),
    ],
)
def test_feedback_target_refuses(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        feedback_target(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- determinism


def test_same_input_same_result_and_row_order_does_not_matter() -> None:
    x, t, me, mo = _history(800, seed=13)
    a = fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=4, bootstrap=200, calibrate=True)
    b = fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=4, bootstrap=200, calibrate=True)
    assert a == b
    perm = np.random.default_rng(0).permutation(len(t))
    c = fit_weights(
        x[perm],
        t[perm],
        [me[p] for p in perm],
        [mo[p] for p in perm],
        NAMES,
        DEFAULTS,
        seed=4,
        bootstrap=200,
        calibrate=True,
    )
    assert c == a
    d = fit_weights(x, t, me, mo, NAMES, DEFAULTS, seed=5, bootstrap=200)
    assert d.evidence.spearman.current.value == a.evidence.spearman.current.value
    assert d.evidence.spearman.current.low != a.evidence.spearman.current.low  # new resamples


# --------------------------------------------------------------------------- calibration


def test_calibration_bands() -> None:
    res = _fit_history(1000, seed=14, calibrate=True, bootstrap=200)
    bands = res.calibration
    assert bands is not None and len(bands) == 5
    assert sum(b.pairs for b in bands) == res.data.pairs
    probs = [b.probability for b in bands]
    assert probs == sorted(probs)
    assert probs[-1] - probs[0] > 0.3  # a good score band ends well far more often
    assert all(bands[i].high == bands[i + 1].low for i in range(4))
    # the bands' observed shares add up to every pair that ended well
    assert sum(b.observed * b.pairs for b in bands) == pytest.approx(res.data.good)
    assert _fit_history(1000, seed=14, bootstrap=200).calibration is None  # off by default


# --------------------------------------------------------------------------- metrics


def _brute(score: NDArray[np.float64], lev: NDArray[np.int64]) -> tuple[float, float | None, float]:
    """Spearman via scipy; AUC and discordant share by looping over all pairs of items."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: scipy warns and returns NaN
        sp = float(spearmanr(score, lev).statistic)
    wins = n = 0.0
    conc = comp = 0.0
    for a in range(score.size):
        for b in range(score.size):
            if lev[a] > lev[b]:
                k = 1.0 if score[a] > score[b] else 0.5 if score[a] == score[b] else 0.0
                conc += k
                comp += 1
                if lev[a] > 4 and lev[b] < 4:
                    wins += k
                    n += 1
    return sp, (wins / n if n else None), 1.0 - conc / comp


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 8), st.integers(1, 3)),
        min_size=3,
        max_size=40,
    )
)
def test_rank_metrics_match_brute_force_with_ties_and_copies(
    rows: list[tuple[int, int, int]],
) -> None:
    """Score ties (few distinct scores), level ties, and items repeated ``copies`` times."""
    score = np.array([r[0] / 6 for r in rows])
    lev = np.array([r[1] for r in rows])
    copies = np.array([r[2] for r in rows])
    if np.unique(lev).size < 2:
        return
    sp, auc, disc = _brute(np.repeat(score, copies), np.repeat(lev, copies))
    got = rank_metrics(np.repeat(score, copies), np.repeat(lev / 8, copies))
    if math.isnan(sp):
        assert math.isnan(got.spearman)
    else:
        assert got.spearman == pytest.approx(sp, abs=1e-12)
    assert got.auc == (None if auc is None else pytest.approx(auc, abs=1e-12))
    assert got.discordant_share == pytest.approx(disc, abs=1e-12)
    # the bootstrap path: the same copies as cluster multiplicities give the same numbers
    from matchsvc.learning import _by_score, _metrics

    m = _metrics(_by_score(score, lev, np.arange(lev.size)), copies[None, :].astype(np.int64))
    assert m[0, 2] == pytest.approx(disc, abs=1e-12)
    assert (math.isnan(m[0, 0]) and math.isnan(sp)) or m[0, 0] == pytest.approx(sp, abs=1e-12)


def test_rank_metrics_refuses() -> None:
    with pytest.raises(InvalidInputError, match="one target per score"):
        rank_metrics([0.1, 0.2], [0.5])
    with pytest.raises(InvalidInputError, match=r"score\[1\] is nan"):
        rank_metrics([0.1, math.nan], [0.5, 1.0])
    with pytest.raises(InvalidInputError, match=r"target\[0\] is -1.0"):
        rank_metrics([0.1, 0.2], [-1.0, 1.0])
    with pytest.raises(InvalidInputError, match="same level"):
        rank_metrics([0.1, 0.2, 0.3], [1.0, 1.0, math.nan])


# --------------------------------------------------------------------------- internals


def test_fit_satisfies_kkt_conditions() -> None:
    """The L-BFGS-B answer is the optimum: zero gradient on free weights, >= 0 at the bound."""
    x, t, _, _ = _history(200, seed=15, missing_rate=0.0)
    keep = ~np.isnan(t)
    x, lev = x[keep], _levels(t[keep])
    x[:, 2] = np.clip(1.0 - t[keep] + 0.1 * np.random.default_rng(0).random(t[keep].size), 0, 1)
    # communication now falls as feedback rises: its weight goes to the bound 0
    w0 = np.array([0.5, 0.3, 0.2, 0.0])
    lam, mu = 1.0, 1e-3
    v, m = _fit(x, lev, w0, lam=lam, mu=mu, cap=10**6, rng=np.random.default_rng(0))
    hi, lo = _comparisons(lev, 10**6, np.random.default_rng(0))
    assert m == hi.size  # all comparable pairs used at this size
    d = x[hi] - x[lo]
    sig = 1.0 / (1.0 + np.exp(d @ v))
    proj = np.eye(4) - np.outer(w0, np.ones(4))
    grad = -(x.shape[0] / m) * d.T @ sig + (lam * proj.T @ proj + mu * np.eye(4)) @ v
    free = v > 1e-8
    assert (~free).any() and free.any()
    np.testing.assert_allclose(grad[free], 0.0, atol=1e-4)
    assert (grad[~free] > -1e-4).all()


def test_sampled_comparisons_are_uniform_over_comparable_pairs() -> None:
    lev = np.repeat(np.array([0, 3, 8]), [50, 300, 650])
    hi, lo = _comparisons(lev, 200_000, np.random.default_rng(1))
    assert (lev[hi] > lev[lo]).all() and hi.size == 200_000
    kinds = {(3, 0): 300 * 50, (8, 0): 650 * 50, (8, 3): 650 * 300}
    total = sum(kinds.values())
    for (a, b), n in kinds.items():
        share = float(((lev[hi] == a) & (lev[lo] == b)).mean())
        assert share == pytest.approx(n / total, abs=0.005)


def test_folds_keep_each_mentee_together_and_balance_sizes() -> None:
    group = np.repeat(np.arange(40), np.arange(1, 41))  # mentee g has g + 1 pairs
    fold, grouped = _folds(group, 40, 5, np.random.default_rng(0))
    assert grouped
    for g in range(40):
        assert np.unique(fold[group == g]).size == 1
    sizes = np.bincount(fold, minlength=5)
    assert sizes.max() - sizes.min() <= 40  # greedy: within one largest group
    fold2, grouped2 = _folds(np.zeros(20, dtype=np.int64), 1, 5, np.random.default_rng(0))
    assert not grouped2 and np.bincount(fold2).tolist() == [4, 4, 4, 4, 4]
