"""Exact solvers against independent exact methods on seeded random instances."""

from __future__ import annotations

import numpy as np
import pytest

from matchsvc.assignment import assign, verify_certificate
from tests.assignment.helpers import brute_force, check_assignment, ortools_optimum, random_instance

KINDS = ["tight", "spare", "forbidden", "demand", "empty_rows", "ties"]
SEEDS = range(40)  # 6 kinds x 40 seeds = 240 instances per solver
EXACT = ["flow", "pricing", "hungarian"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", EXACT)
def test_matches_ortools(kind: str, solver: str) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng([seed, KINDS.index(kind)])
        s, cap, dem, ok = random_instance(rng, kind)
        if solver == "hungarian" and (dem > 1).any():
            continue
        a = assign(s, capacity=cap, demand=dem, allowed=ok, solver=solver)
        check_assignment(a, s, cap, dem, ok)
        count, total = ortools_optimum(s.astype(np.int64), cap, dem, ok)
        assert (a.n_matched, a.total) == (count, total), (kind, seed)
        assert a.optimal
        if a.certificate is not None:
            report = verify_certificate(a, s, cap, dem, ok)
            assert report.valid, (kind, seed, report.reasons)


@pytest.mark.parametrize("solver", EXACT)
def test_matches_brute_force_float(solver: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        n, m = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s = rng.normal(size=(n, m))
        cap = rng.integers(0, 3, size=m)
        dem = rng.integers(0, 2 if solver == "hungarian" else 3, size=n)
        ok = rng.random((n, m)) < 0.8
        a = assign(s, capacity=cap, demand=dem, allowed=ok, solver=solver)
        count, _, total = brute_force(s, cap, dem, ok)
        assert a.n_matched == count
        assert a.total == pytest.approx(total, abs=1e-9)
