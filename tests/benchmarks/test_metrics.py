"""Metrics on hand-made assignments whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from benchmarks.metrics import (
    StageRecorder,
    bottom_decile,
    envy_pairs,
    evaluate,
    fit_power_law,
    gini,
    recovery_at,
)
from hypothesis import given, settings
from hypothesis import strategies as st

# Mentee 0 loves mentor 0 (0.9) but got mentor 1 (0.1); mentor 0 got mentee 1 (0.8) and prefers
# mentee 0 (0.9): (0, 0) is the one pair with justified envy.
SCORES = np.array([[0.9, 0.1], [0.8, 0.2]])
BAD = np.array([[0, 1], [1, 0]])


def test_known_envy_pair() -> None:
    np.testing.assert_array_equal(envy_pairs(SCORES, BAD), [[0, 0]])


def test_optimal_here_is_envy_free() -> None:
    assert len(envy_pairs(SCORES, np.array([[0, 0], [1, 1]]))) == 0


def test_forbidden_pair_cannot_envy() -> None:
    allowed = np.array([[False, True], [True, True]])
    assert len(envy_pairs(SCORES, BAD, allowed=allowed)) == 0


def test_spare_capacity_and_unmet_demand_envy() -> None:
    # Mentor 0 has a free place, so mentee 1 (unmatched) envies it; mentee 0 is on its best
    # mentor. Mentor 1 is full with mentee 0 at 0.3 and mentee 1 scores 0.5 there: envy too.
    scores = np.array([[0.9, 0.3], [0.4, 0.5]])
    pairs = np.array([[0, 0], [0, 1]])
    found = envy_pairs(scores, pairs, capacity=np.array([2, 1]), demand=np.array([2, 1]))
    np.testing.assert_array_equal(found, [[1, 0], [1, 1]])


def test_strict_preference_ties_do_not_envy() -> None:
    scores = np.array([[0.5, 0.5], [0.5, 0.5]])
    assert len(envy_pairs(scores, np.array([[0, 1], [1, 0]]))) == 0


def test_gini_known_values() -> None:
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    # sum over ordered pairs |xi - xj| = 20, 2 n^2 mean = 80
    assert gini([4, 1, 3, 2]) == pytest.approx(0.25)
    assert math.isnan(gini([]))
    assert math.isnan(gini([-1.0, 0.5]))


def test_bottom_decile_is_mean_of_lowest_tenth() -> None:
    assert bottom_decile(np.arange(20, 0, -1)) == pytest.approx(1.5)
    assert bottom_decile([5, 4, 3, 2, 1]) == pytest.approx(1.0)
    assert bottom_decile(np.arange(1, 12)) == pytest.approx(1.5)  # ceil(1.1) = 2 values
    assert math.isnan(bottom_decile([]))


def test_recovery_counts_hits_and_skips_mentees_without_truth() -> None:
    best = np.array([[0, 1], [1, 0], [-1, -1], [2, 0]])
    pairs = np.array([[0, 0], [1, 0], [3, 1]])
    assert recovery_at(pairs, best, 1) == pytest.approx(1 / 3)
    assert recovery_at(pairs, best, 2) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"k must be in 1\.\.2"):
        recovery_at(pairs, best, 3)


def test_evaluate_hand_made_assignment() -> None:
    scores = np.array(
        [
            [0.9, 0.2, 0.1],
            [0.3, 0.8, 0.4],
            [0.5, 0.6, 0.7],
            [0.2, 0.1, 0.0],
        ]
    )
    pairs = np.array([[0, 0], [1, 1], [2, 1]])
    best = np.array([[0], [1], [2], [-1]])
    out = evaluate(
        scores,
        pairs,
        capacity=np.array([1, 2, 1]),
        planted_best=np.repeat(best, 5, axis=1),
        clusters=(np.array([0, 1, 0, 1]), np.array([0, 1, 1])),
    )
    assert out["cluster_match"] == pytest.approx(2 / 3)  # (2, 1) crosses clusters
    assert out["pairs"] == 3
    assert out["total"] == pytest.approx(2.3)
    assert out["mean"] == pytest.approx(2.3 / 3)
    assert out["min"] == pytest.approx(0.6)
    assert out["bottom_decile"] == pytest.approx(0.6)
    assert out["matched_share"] == pytest.approx(0.75)
    assert out["demand_met"] == pytest.approx(0.75)
    assert out["utilisation"] == pytest.approx(0.75)
    # mentee 2 (worst 0.6) and mentor 2 (free place) both gain from (2, 2) at 0.7;
    # mentee 3 is unmatched and mentor 2 is free: (3, 2) at 0.0 > -inf also blocks.
    assert out["envy_pairs"] == 2
    assert out["recovery_at_1"] == pytest.approx(2 / 3)
    assert out["recovery_at_5"] == pytest.approx(2 / 3)
    assert out["forbidden"] == out["over_capacity"] == out["over_demand"] == 0
    assert out["duplicates"] == 0


def test_evaluate_accepts_assignment_objects_and_reports_violations() -> None:
    class Result:
        pairs = np.array([[0, 0], [1, 0], [1, 0]])

    out = evaluate(SCORES, Result(), allowed=np.array([[True, True], [False, True]]))
    assert out["over_capacity"] == 1
    assert out["over_demand"] == 1
    assert out["forbidden"] == 2
    assert out["duplicates"] == 1


def test_evaluate_empty_assignment() -> None:
    out = evaluate(SCORES, np.zeros((0, 2), dtype=np.int64))
    assert out["pairs"] == 0
    assert math.isnan(out["mean"])
    assert out["matched_share"] == 0
    assert out["envy_pairs"] == 4  # every allowed pair blocks an empty assignment


def test_evaluate_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="outside the 2 x 2"):
        evaluate(SCORES, np.array([[0, 2]]))
    with pytest.raises(ValueError, match=r"capacity has shape \(3,\)"):
        evaluate(SCORES, BAD, capacity=np.array([1, 1, 1]))
    with pytest.raises(ValueError, match=r"allowed has shape \(1, 2\)"):
        evaluate(SCORES, BAD, allowed=np.array([[True, True]]))
    with pytest.raises(ValueError, match=r"clusters have shapes \(1,\) and \(2,\)"):
        evaluate(SCORES, BAD, clusters=(np.array([0]), np.array([0, 1])))
    with pytest.raises(ValueError, match=r"pairs must have shape \(k, 2\)"):
        evaluate(SCORES, np.array([[0, 1, 2]]))


def test_stage_recorder_measures_time_and_memory() -> None:
    rec = StageRecorder()
    with rec.stage("alloc", items=3) as extra:
        block = np.ones(200 * 2**20 // 8)  # 200 MiB, touched
        extra["sum"] = float(block[:10].sum())
        del block
    m = rec.last("alloc")
    assert m.seconds > 0
    assert m.peak_rss_mib > 150
    assert m.extra == {"items": 3, "sum": 10.0}
    assert m.as_dict()["items"] == 3
    with pytest.raises(RuntimeError, match="cannot nest"), rec.stage("outer"), rec.stage("inner"):
        pass
    with pytest.raises(KeyError, match="no stage named 'missing'"):
        rec.last("missing")


def test_stage_recorder_traces_python_allocations() -> None:
    rec = StageRecorder(trace_python=True)
    with rec.stage("alloc"):
        block = np.ones(50 * 2**20 // 8)
        del block
    traced = rec.last("alloc").peak_traced_mib
    assert traced is not None and traced >= 49


def test_fit_power_law_recovers_exponent() -> None:
    n = np.array([100, 200, 400, 800])
    b, a = fit_power_law(n, 3e-6 * n**2.0)
    assert b == pytest.approx(2.0) and a == pytest.approx(3e-6)
    b, _ = fit_power_law([10, 100, 1000], [0.0, 1.0, 10.0])  # the zero is ignored
    assert b == pytest.approx(1.0)
    assert all(math.isnan(v) for v in fit_power_law([5, 5], [1.0, 2.0]))


def _envy_by_definition(scores, pairs, allowed, capacity, demand):  # type: ignore[no-untyped-def]
    """The docstring's definition, pair by pair, as the oracle for the vectorised version."""
    n, m = scores.shape
    assigned = {(int(i), int(j)) for i, j in pairs}
    out = []
    for i in range(n):
        mine = [scores[i, j] for (a, j) in assigned if a == i]
        for j in range(m):
            if not allowed[i, j] or (i, j) in assigned:
                continue
            theirs = [scores[a, j] for (a, b) in assigned if b == j]
            mentee_wants = demand[i] > 0 and (len(mine) < demand[i] or scores[i, j] > min(mine))
            mentor_wants = capacity[j] > 0 and (
                len(theirs) < capacity[j] or scores[i, j] > min(theirs)
            )
            if mentee_wants and mentor_wants:
                out.append((i, j))
    return out


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_envy_matches_its_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    scores = np.round(rng.random((n, m)), 1)  # coarse values: ties happen
    allowed = rng.random((n, m)) > 0.2
    capacity = rng.integers(0, 3, size=m)
    demand = rng.integers(0, 3, size=n)
    # a random feasible assignment: visit allowed pairs in random order, take what fits
    pairs, load_i, load_j = [], np.zeros(n, int), np.zeros(m, int)
    for flat in rng.permutation(n * m):
        i, j = divmod(int(flat), m)
        if (
            allowed[i, j]
            and load_i[i] < demand[i]
            and load_j[j] < capacity[j]
            and rng.random() < 0.7
        ):
            pairs.append((i, j))
            load_i[i] += 1
            load_j[j] += 1
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    found = envy_pairs(scores, arr, allowed=allowed, capacity=capacity, demand=demand)
    assert [tuple(p) for p in found.tolist()] == _envy_by_definition(
        scores, arr, allowed, capacity, demand
    )
