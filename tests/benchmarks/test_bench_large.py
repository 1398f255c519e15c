"""bench_large's pieces on a small instance: the block source and the measured run."""

from __future__ import annotations

import numpy as np
from benchmarks.bench_large import EmbeddingScores, change_mentees, make_vectors, run_child


def test_blocks_do_not_depend_on_how_rows_are_asked_for() -> None:
    a, b = make_vectors(1100, 30, seed=1)
    whole = np.concatenate([a[k : k + 256] @ b.T for k in range(0, 1100, 256)])  # tile by tile
    for step in (1, 97, 419, 512, 1100):
        src = EmbeddingScores(a, b, tile=256)
        got = np.concatenate([src.block(i, min(i + step, 1100)) for i in range(0, 1100, step)])
        np.testing.assert_array_equal(got, whole)


def test_change_moves_the_requested_share_of_mentees() -> None:
    a, _ = make_vectors(400, 5, seed=2)
    b = change_mentees(a, 0.05, seed=2)
    assert int((a != b).any(axis=1).sum()) == 20
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, rtol=1e-5)


def test_run_child_certifies_the_solve_and_the_rematch() -> None:
    out = run_child(600, 60, 10, seed=0, verify=True, change=0.05)
    assert out["optimal"] and out["certificate_valid"] and out["matched"] == 600
    assert out["rematch_optimal"] and out["rematch_totals_equal"]
