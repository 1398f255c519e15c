"""The suite's plumbing end to end on a tiny programme, with the model-free encoder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from benchmarks.compare import SolverSpec
from benchmarks.encoders import HashingEncoder
from benchmarks.generator import generate_programme
from benchmarks.report import render_report
from benchmarks.suite import main

from benchmarks import compare_on_profiles, compare_solvers, evaluate, plot_solver_metrics


@pytest.mark.slow
def test_suite_writes_every_output_and_the_report_matches_results(tmp_path: Path) -> None:
    out = tmp_path / "quick"
    args = ["--quick", "--out", str(out), "--encoder", "hashing", "--sizes", "40,80"]
    assert main([*args, "--peer-sizes", "30,41:120:40"]) == 0
    for name in (
        "results.json", "scaling.csv", "solvers.csv", "reference.csv", "report.md",
        "scaling.png", "solvers.png", "scores.png", "reference.png", "peer.csv", "peer.png",
    ):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "results.json").read_text())
    # the report is a pure function of the results
    assert (out / "report.md").read_text() == render_report(results)
    assert results["meta"]["encoder"] == "hashing"
    assert results["meta"]["machine"]["cores"] >= 1
    solvers = results["solvers"]
    assert solvers["checks"]["never_below"] is True
    assert solvers["checks"]["exact_spread"] == pytest.approx(0.0, abs=1e-9)
    exact = solvers["runs"][solvers["checks"]["exact"]]["metrics"]
    for run in solvers["runs"].values():
        assert run["metrics"]["total"] <= exact["total"] + 1e-9
        assert run["metrics"]["forbidden"] == run["metrics"]["over_capacity"] == 0
    assert solvers["runs"]["stable"]["metrics"]["envy_pairs"] == 0
    assert results["reference"]["objectives_equal"] is True
    with (out / "scaling.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["stage"] for r in rows} == {"embed", "score", "solve", "explain"}
    assert sorted({int(r["n_mentees"]) for r in rows}) == [40, 80]
    peer = results["peer"]
    assert sorted(peer["pairs"], key=int) == ["30", "41"]
    for row in peer["pairs"].values():
        # networkx is exact too: the same number of pairs and total; greedy never above
        assert row["networkx"]["pairs"] == row["ours"]["pairs"]
        assert row["networkx"]["total"] == pytest.approx(row["ours"]["total"], abs=1e-9)
        assert row["greedy"]["total"] <= row["ours"]["total"] + 1e-9
        assert row["ours"]["certificate_valid"] is True
    assert peer["pairs"]["41"]["ours"]["pairs"] == 20  # an odd pool leaves one out
    assert peer["dense"]["certificate_valid"] is True and peer["dense"]["n"] == 120
    c = peer["circles"]
    assert c["value"] <= c["upper_bound"] + 1e-9 and c["gap"] >= 0 and c["n"] == 40
    assert "## Peer pairs and circles" in (out / "report.md").read_text()


def test_library_use_on_a_plain_matrix(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    scores = rng.random((30, 10))
    capacity = np.full(10, 3)
    runs = compare_solvers(scores, capacity=capacity)
    assert runs["flow"].metrics["total"] >= runs["greedy"].metrics["total"]
    assert runs["flow"].metrics == evaluate(scores, runs["flow"].pairs, capacity=capacity)
    png = plot_solver_metrics({k: r.metrics for k, r in runs.items()}, tmp_path / "s.png")
    assert png.stat().st_size > 0


def test_library_use_on_profiles() -> None:
    from matchsvc.scoring import EmbeddingCache

    prog = generate_programme(60, seed=4)
    runs = compare_on_profiles(
        prog.mentees,
        prog.mentors,
        embedder=EmbeddingCache(HashingEncoder()),
        planted_best=prog.truth.best,
        clusters=(prog.truth.mentee_cluster, prog.truth.mentor_cluster),
        solvers=[SolverSpec("flow", "flow", exact=True), SolverSpec("greedy", "greedy")],
    )
    assert list(runs) == ["flow", "greedy"]
    exact, greedy = runs["flow"].metrics, runs["greedy"].metrics
    assert exact["total"] >= greedy["total"] - 1e-9
    assert exact["forbidden"] == exact["over_capacity"] == exact["over_demand"] == 0
    assert 0.0 <= exact["recovery_at_1"] <= exact["recovery_at_5"] <= 1.0
    assert exact["pairs"] == len(runs["flow"].pairs) > 0
