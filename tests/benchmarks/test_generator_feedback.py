"""The generator's feedback extension: hidden true weights -> ratings, history pairs, facets."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.generator import (
    OutcomeTruth,
    draw_feedback,
    generate_programme,
    history_pairs,
    synthetic_facets,
)

NAMES = ("skills", "goals", "communication")
TRUTH = OutcomeTruth({"skills": 0.2, "goals": 0.6, "communication": 0.2}, noise=0.5)


def test_outcome_truth_is_carried_and_changes_nothing_else() -> None:
    plain = generate_programme(80, seed=11)
    carried = generate_programme(80, seed=11, outcome_truth=TRUTH)
    assert plain.outcome_truth is None and carried.outcome_truth is TRUTH
    assert carried.mentees == plain.mentees and carried.mentors == plain.mentors
    assert carried.truth.best.tobytes() == plain.truth.best.tobytes()
    assert carried.subset(40, 10).outcome_truth is TRUTH


def test_feedback_follows_the_hidden_weights() -> None:
    x = synthetic_facets(20_000, 3, seed=0)
    fb = draw_feedback(TRUTH, x, NAMES, seed=1)
    np.testing.assert_allclose(fb.true_score, x @ np.array([0.2, 0.6, 0.2]))
    both = ~np.isnan(fb.mentee_rating) & ~np.isnan(fb.mentor_rating)
    mean = (fb.mentee_rating[both] + fb.mentor_rating[both]) / 2
    # the facet with the largest true weight drives the ratings most
    corr = [np.corrcoef(x[both, c], mean)[0, 1] for c in range(3)]
    assert corr[1] > 0.6 and corr[0] < 0.35 and corr[2] < 0.35
    assert np.corrcoef(fb.true_score[both], mean)[0, 1] > 0.75
    # ratings come out in about the configured shares (exact for normal true scores)
    r = fb.mentee_rating[~np.isnan(fb.mentee_rating)]
    shares = np.bincount(r.astype(int), minlength=6)[1:] / r.size
    np.testing.assert_allclose(shares, TRUTH.rating_shares, atol=0.03)


def test_pure_noise_feedback_ignores_the_facets() -> None:
    x = synthetic_facets(20_000, 3, seed=0)
    fb = draw_feedback(OutcomeTruth(TRUTH.weights, signal=0.0, noise=1.0), x, NAMES, seed=1)
    r = fb.mentee_rating
    given = ~np.isnan(r)
    assert abs(np.corrcoef(fb.true_score[given], r[given])[0, 1]) < 0.03


def test_reporting_rates_and_outcomes() -> None:
    x = synthetic_facets(20_000, 3, seed=0)
    truth = OutcomeTruth(TRUTH.weights, report_rate=0.6, outcome_rate=0.3)
    fb = draw_feedback(truth, x, NAMES, seed=2)
    assert np.isnan(fb.mentee_rating).mean() == pytest.approx(0.4, abs=0.015)
    assert np.isnan(fb.mentor_rating).mean() == pytest.approx(0.4, abs=0.015)
    outcome = np.array([o or "" for o in fb.outcome])
    assert (outcome != "").mean() == pytest.approx(0.3, abs=0.015)
    both = ~np.isnan(fb.mentee_rating) & ~np.isnan(fb.mentor_rating)
    mean = (fb.mentee_rating + fb.mentor_rating) / 2
    assert (mean[both & (outcome == "good")] >= 4).all()
    assert (mean[both & (outcome == "bad")] <= 2).all()
    assert (
        (mean[both & (outcome == "neutral")] > 2) & (mean[both & (outcome == "neutral")] < 4)
    ).all()
    again = draw_feedback(truth, x, NAMES, seed=2)
    np.testing.assert_array_equal(again.mentee_rating, fb.mentee_rating)
    assert again.outcome == fb.outcome


def test_history_pairs_distinct_then_repeats() -> None:
    prog = generate_programme(300, seed=3)
    i, j = history_pairs(prog, 2000, seed=4, repeat_rate=0.1)
    assert i.size == j.size == 2200
    keys = i * len(prog.mentors) + j
    assert np.unique(keys[:2000]).size == 2000
    assert np.isin(keys[2000:], keys[:2000]).all()
    t = prog.truth
    same = (t.mentee_domain[i[:2000]] == t.mentor_domain[j[:2000]]).mean()
    assert 0.5 < same < 0.7  # half drawn within the domain, plus chance matches in the rest
    i2, j2 = history_pairs(prog, 2000, seed=4, repeat_rate=0.1)
    np.testing.assert_array_equal(i, i2)
    np.testing.assert_array_equal(j, j2)
    with pytest.raises(ValueError, match="n_pairs must be in"):
        history_pairs(prog, len(prog.mentees) * len(prog.mentors), seed=0)
    with pytest.raises(ValueError, match="must be in"):
        history_pairs(prog, 10, seed=0, repeat_rate=2.0)


def test_synthetic_facets() -> None:
    x = synthetic_facets(10_000, 4, seed=0, missing_rate=0.1, binary=(2,))
    assert np.isnan(x).mean() == pytest.approx(0.1, abs=0.01)
    given = x[~np.isnan(x)]
    assert ((given >= 0) & (given <= 1)).all()
    col = x[:, 2][~np.isnan(x[:, 2])]
    assert set(np.unique(col).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(
        x, synthetic_facets(10_000, 4, seed=0, missing_rate=0.1, binary=(2,))
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": {"skills": -1.0}}, "weights must be"),
        ({"weights": {"skills": 0.0}}, "weights must be"),
        ({"weights": {"skills": 1.0}, "signal": 0.0, "noise": 0.0}, "signal and noise"),
        ({"weights": {"skills": 1.0}, "rating_shares": (0.5, 0.5)}, "five positive shares"),
        ({"weights": {"skills": 1.0}, "report_rate": 1.5}, "report_rate must be"),
        ({"weights": {"skills": 1.0}, "outcome_rate": -0.1}, "outcome_rate must be"),
    ],
)
def test_outcome_truth_refuses(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        OutcomeTruth(**kwargs)  # type: ignore[arg-type]


def test_weight_vector_orders_and_normalises() -> None:
    truth = OutcomeTruth({"goals": 3.0, "skills": 1.0})
    np.testing.assert_allclose(truth.weight_vector(NAMES), [0.25, 0.75, 0.0])
    with pytest.raises(ValueError, match="unknown facets"):
        truth.weight_vector(("skills",))
