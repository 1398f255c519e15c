"""bench_fair's measured pair of solves on a small planted programme."""

from __future__ import annotations

import numpy as np
from benchmarks.bench_assign import make_scores
from benchmarks.bench_fair import PENALTY, solve_pair


def test_solve_pair_reports_a_certified_floor_and_its_cost() -> None:
    n, m = 400, 80
    s = make_scores(n, m, seed=3)
    region = np.random.default_rng(3).integers(0, 4, n)
    s[region == 3] -= PENALTY
    out = solve_pair(s, region, 4, 0.78, repeat=1)
    out.pop("_fair")
    assert out["certificate_valid"] is True and out["method"] == "flow"
    assert out["matched"] == out["matched_unconstrained"] == 320
    low = out["groups"][3]
    assert low["matched_unconstrained"] < low["floor"] <= low["matched"]
    assert all(g["matched"] >= g["floor"] for g in out["groups"])
    assert out["cost_of_fairness"] > 0
    assert out["total_unconstrained"] - out["total_fair"] == out["cost_of_fairness"]
    assert out["same_unconstrained_total"]
