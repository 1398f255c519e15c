"""Benchmarks for matchsvc, usable as a library by data scientists.

Run everything: ``python -m benchmarks.suite --quick --out bench-out/quick`` (``make bench``).

On your own data::

    from benchmarks import compare_solvers, evaluate, plot_solver_metrics

    metrics = evaluate(scores, assignment, allowed=mask, capacity=cap, demand=dem)
    runs = compare_solvers(scores, capacity=cap, demand=dem, allowed=mask)
    plot_solver_metrics({k: r.metrics for k, r in runs.items()}, "solvers.png")

With profiles instead of a matrix, :func:`compare_on_profiles` scores them with the service and
compares the solvers; :func:`benchmarks.pipeline.run_pipeline` runs the pipeline stage by stage
with timings. Synthetic
programmes with a planted truth come from :func:`generate_programme`.
"""

from __future__ import annotations

from benchmarks.compare import (
    DEFAULT_SOLVERS,
    SolverRun,
    SolverSpec,
    compare_on_profiles,
    compare_solvers,
)
from benchmarks.generator import PlantedTruth, Programme, generate_programme
from benchmarks.metrics import (
    StageMeasurement,
    StageRecorder,
    envy_pairs,
    evaluate,
    fit_power_law,
    gini,
    recovery_at,
)
from benchmarks.plots import (
    plot_reference_times,
    plot_scaling,
    plot_score_distributions,
    plot_solver_metrics,
)

__all__ = [
    "DEFAULT_SOLVERS",
    "PlantedTruth",
    "Programme",
    "SolverRun",
    "SolverSpec",
    "StageMeasurement",
    "StageRecorder",
    "compare_on_profiles",
    "compare_solvers",
    "envy_pairs",
    "evaluate",
    "fit_power_law",
    "generate_programme",
    "gini",
    "plot_reference_times",
    "plot_scaling",
    "plot_score_distributions",
    "plot_solver_metrics",
    "recovery_at",
]
