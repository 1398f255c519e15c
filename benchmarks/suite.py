"""The benchmark suite: one command, results as JSON/CSV, a Markdown report and PNG plots.

Usage::

    python -m benchmarks.suite --quick --out bench-out/quick   # make bench (< 5 min, 2 cores)
    python -m benchmarks.suite --out bench-out/full            # make bench-full

Sections, all on programmes from :func:`benchmarks.generator.generate_programme` (one seed):

1. **Scaling**: nested prefixes of one programme (quick 100..2,000 mentees, full 100..10,000;
   mentors = mentees / 2.5), the service pipeline stage by stage (embed, score, solve,
   explain; :func:`benchmarks.pipeline.run_pipeline`): time and peak RSS per stage, then a
   second untimed pass for the tracemalloc peak per stage; fitted growth exponents.
2. **Solvers**: on one of those instances (quick 1,000 mentees, full 3,000) the exact solvers,
   the exact ``fair`` objective, and the greedy, stable and random baselines, each evaluated by
   :func:`benchmarks.metrics.evaluate` against the planted truth.
3. **Reference**: on the largest instance with demand 1, the service's ``assign`` vs scipy's
   ``linear_sum_assignment`` on the repeated-column matrix and OR-Tools ``SimpleMinCostFlow``
   on every allowed arc (:mod:`benchmarks.baselines`): time, peak memory, objective.
4. **Peers** (:mod:`benchmarks.bench_peer`'s functions, on its clustered cosine pools): pairs
   by ``assign_peers`` (certified) vs ``networkx.max_weight_matching(maxcardinality=True)``
   vs greedy on the same pools (quick 100 and 200 people, full 100, 200, 400), ours alone
   on a larger dense pool (quick 1,000, full 2,000) with its certificate checked, and circles
   of 4 (quick 200, full 1,000) with the upper bound and the gap.

Outputs in ``--out``: ``results.json`` (everything), ``scaling.csv``, ``solvers.csv``,
``reference.csv``, ``peer.csv``, ``report.md`` and ``scaling.png``, ``solvers.png``,
``scores.png``, ``reference.png``, ``peer.png``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.baselines import flow_all_arcs, scipy_repeated_columns, total_score
from benchmarks.compare import DEFAULT_SOLVERS, SolverRun, compare_solvers
from benchmarks.generator import Programme, generate_programme
from benchmarks.metrics import StageRecorder, fit_power_law, recovery_at
from benchmarks.pipeline import PipelineRun, run_pipeline
from benchmarks.plots import (
    plot_reference_times,
    plot_scaling,
    plot_score_distributions,
    plot_solver_metrics,
)
from benchmarks.report import render_report

__all__ = ["FULL", "QUICK", "SuiteConfig", "machine_info", "main", "run_suite"]

DEFAULT_SEED = 2026


@dataclass(frozen=True, slots=True)
class SuiteConfig:
    """What one suite run does.

    Attributes:
        quick: the quick profile (labels the report).
        sizes: mentee counts of the scaling curve, ascending; the last is the largest programme.
        compare_size: mentees of the solver-comparison instance (one of ``sizes``).
        seed: generator seed.
        encoder: ``"model"`` (all-MiniLM-L6-v2) or ``"hashing"`` (model-free, smoke runs only).
        repeats: timed passes per size; ``score``, ``solve`` and ``explain`` report the fastest
            (wall-clock minimum: other processes only ever add time). ``embed`` is timed on the
            first pass, the only one that encodes.
        cache: an on-disk embedding cache (SQLite), kept across runs; ``None`` = in memory for
            this run only. Either way one cache serves every size, as in the service, so a run
            encodes each distinct text once (about 1,050 texts quick, 1,900 full) and a size's
            ``embed`` stage encodes only the texts the smaller sizes did not have.
        peer_sizes: pools where pairs are compared with networkx and greedy (networkx is
            pure Python and cubic: 0.2 s at 100 people, 2 s at 200, 17 s at 400).
        peer_dense: the dense pool solved by ``assign_peers`` alone, certificate checked.
        peer_circles: the pool split into circles of 4.
    """

    quick: bool
    sizes: tuple[int, ...]
    compare_size: int
    seed: int = DEFAULT_SEED
    repeats: int = 3
    encoder: str = "model"
    cache: Path | None = None
    peer_sizes: tuple[int, ...] = (100, 200)
    peer_dense: int = 1000
    peer_circles: int = 200


QUICK = SuiteConfig(quick=True, sizes=(100, 200, 500, 1000, 2000), compare_size=1000, repeats=5)
FULL = SuiteConfig(
    quick=False,
    sizes=(100, 300, 1000, 3000, 10000),
    compare_size=3000,
    repeats=2,
    peer_sizes=(100, 200, 400),
    peer_dense=2000,
    peer_circles=1000,
)
FIT_SIZES = 3
"""Growth exponents are fitted on the largest this-many sizes, where fixed costs fade."""


def n_mentors_for(n_mentees: int) -> int:
    """The generator's default number of mentors for ``n_mentees``."""
    return max(1, math.ceil(n_mentees / 2.5))


def machine_info() -> dict[str, Any]:
    """Cores, CPU model (``/proc/cpuinfo``), memory, platform, package versions, torch threads."""
    cpu_model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gib = math.nan
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    memory_gib = int(line.split()[1]) / 2**20
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    packages = {}
    for name in ("numpy", "scipy", "ortools", "numba", "torch", "sentence-transformers"):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = "absent"
    torch = sys.modules.get("torch")  # only when the model was loaded; never imported here
    return {
        "torch_threads": int(torch.get_num_threads()) if torch is not None else None,
        "cpu_model": cpu_model,
        "cores": cores,
        "logical_cpus": os.cpu_count() or 1,
        "memory_gib": memory_gib,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": packages,
    }


def _load_average() -> float | None:
    """The 1-minute load average (other processes competing for the cores), if known."""
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):  # pragma: no cover - not Unix
        return None


def _commit() -> str | None:
    """HEAD's short hash, with ``+modified`` when ``src/`` or ``benchmarks/`` differ from it."""
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
        )
        dirty = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", "src", "benchmarks"],
            capture_output=True,
            cwd=root,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    head = out.stdout.strip()
    if not head:
        return None
    return head + ("+modified" if dirty.returncode == 1 else "")


def _load_encoder(kind: str, recorder: StageRecorder) -> Any:
    with recorder.stage("load_model"):
        if kind == "model":
            from matchsvc.scoring.encoder import load_encoder

            return load_encoder()
        if kind == "hashing":
            from benchmarks.encoders import HashingEncoder

            return HashingEncoder()
    raise ValueError(f"unknown encoder {kind!r}; use 'model' or 'hashing'")


def _instance(
    prog: Programme, run: PipelineRun, demand: np.ndarray | None = None
) -> dict[str, Any]:
    dem = run.demand if demand is None else demand
    return {
        "n_mentees": len(prog.mentees),
        "n_mentors": len(prog.mentors),
        "demand": int(dem.sum()),
        "capacity": int(run.capacity.sum()),
        "allowed_share": float(run.allowed.mean()),
    }


def _warm_up(programme: Programme, log: Any) -> None:
    """Run every code path once on a tiny instance, unmeasured, so that one-off costs (numba
    compilation, first imports) do not land in the smallest size of the scaling curve."""
    from benchmarks.encoders import HashingEncoder
    from matchsvc.scoring import EmbeddingCache

    start = time.perf_counter()
    prog = programme.subset(min(30, len(programme.mentees)), min(12, len(programme.mentors)))
    run = run_pipeline(
        prog.mentees, prog.mentors, EmbeddingCache(HashingEncoder()), StageRecorder()
    )
    demand = np.ones(len(prog.mentees), dtype=np.int64)
    for spec in DEFAULT_SOLVERS:
        compare_solvers(
            run.compatibility.scores,
            capacity=run.capacity,
            demand=demand,
            allowed=run.allowed,
            solvers=[spec],
        )
    log(f"warm-up (compilation, imports) took {time.perf_counter() - start:.1f}s, not measured")


def _scaling(
    config: SuiteConfig, programme: Programme, encoder: Any, log: Any
) -> tuple[list[dict[str, Any]], dict[int, tuple[Programme, PipelineRun]], Any]:
    """Run the pipeline at every size; keep the runs the later sections need."""
    from matchsvc.scoring import EmbeddingCache

    cache = EmbeddingCache(encoder, config.cache)
    keep = {config.compare_size, config.sizes[-1]}
    rows: list[dict[str, Any]] = []
    runs: dict[int, tuple[Programme, PipelineRun]] = {}
    for n in config.sizes:
        prog = programme.subset(n, n_mentors_for(n))
        recorder = StageRecorder()
        run = run_pipeline(prog.mentees, prog.mentors, cache, recorder)
        best = {rec.stage: rec for rec in recorder.records}
        for _ in range(config.repeats - 1):
            again = StageRecorder()
            run_pipeline(prog.mentees, prog.mentors, cache, again)
            for rec in again.records:
                if rec.stage != "embed" and rec.seconds < best[rec.stage].seconds:
                    best[rec.stage] = replace(
                        best[rec.stage], seconds=rec.seconds, cpu_seconds=rec.cpu_seconds
                    )
        # a second, untimed pass under tracemalloc: numpy/Python peak per stage, which unlike
        # RSS does not depend on what the allocator kept from earlier stages
        traced = StageRecorder(trace_python=True)
        run_pipeline(prog.mentees, prog.mentors, cache, traced)
        for rec, pass_traced in zip(best.values(), traced.records, strict=True):
            row = {"n_mentees": n, "n_mentors": len(prog.mentors), **rec.as_dict()}
            row["peak_traced_mib"] = pass_traced.peak_traced_mib
            row["repeats"] = 1 if rec.stage == "embed" else config.repeats
            if rec.stage == "solve":
                row["solver"] = str(run.assignment.solver)
            rows.append(row)
        log(f"scaling n={n}: " + ", ".join(f"{r.stage} {r.seconds:.2f}s" for r in best.values()))
        if n in keep:
            runs[n] = (prog, run)
    return rows, runs, cache


def _solvers(prog: Programme, run: PipelineRun, log: Any) -> dict[str, Any]:
    """Every solver of :data:`DEFAULT_SOLVERS` on one instance, evaluated, plus the checks.

    Every mentee's demand is set to 1 here, because ``hungarian`` and ``stable`` take only
    that; scores, capacities and mask are the pipeline's.
    """
    scores = np.asarray(run.compatibility.scores)
    demand = np.ones(len(prog.mentees), dtype=np.int64)
    results: dict[str, Any] = {}
    solved: dict[str, SolverRun] = {}
    for spec in DEFAULT_SOLVERS:
        try:
            one = compare_solvers(
                scores,
                capacity=run.capacity,
                demand=demand,
                allowed=run.allowed,
                planted_best=prog.truth.best,
                clusters=(prog.truth.mentee_cluster, prog.truth.mentor_cluster),
                solvers=[spec],
            )[spec.name]
        except Exception as exc:  # a solver that cannot take this instance is reported
            results[spec.name] = {"error": f"{type(exc).__name__}: {exc}", "exact": spec.exact}
            log(f"solver {spec.name}: {type(exc).__name__}: {exc}")
            continue
        solved[spec.name] = one
        results[spec.name] = {
            "solver": spec.solver,
            "objective": spec.objective,
            "exact": spec.exact,
            "optimal_claimed": one.optimal,
            "seconds": one.seconds,
            "metrics": one.metrics,
        }
        log(f"solver {spec.name}: {one.seconds:.3f}s total={one.metrics['total']:.4f}")
    exact_total = [k for k, r in solved.items() if r.spec.exact and r.spec.objective == "total"]
    out: dict[str, Any] = {"instance": _instance(prog, run, demand), "runs": results}
    if not exact_total:
        return out
    exact = max(exact_total, key=lambda k: solved[k].metrics["total"])
    best = solved[exact].metrics
    versus = []
    for name, r in solved.items():
        if name in exact_total:
            continue
        tolerance = 1e-9 * max(1.0, abs(best["total"]))
        versus.append(
            {
                "baseline": name,
                "exact_total": best["total"],
                "baseline_total": r.metrics["total"],
                "exact_pairs": int(best["pairs"]),
                "baseline_pairs": int(r.metrics["pairs"]),
                "exact_not_below": best["total"] >= r.metrics["total"] - tolerance,
            }
        )
    spread = max(solved[k].metrics["total"] for k in exact_total) - min(
        solved[k].metrics["total"] for k in exact_total
    )
    out["checks"] = {
        "exact": exact,
        "exact_solvers": exact_total,
        "exact_spread": spread,
        "versus": versus,
        "never_below": all(v["exact_not_below"] for v in versus),
    }
    if "greedy" in solved:
        g = solved["greedy"].metrics
        fair = solved["fair"].metrics if "fair" in solved else None
        out["vs_greedy"] = {
            "total_gain": best["total"] - g["total"],
            "total_gain_pct": 100.0 * (best["total"] / g["total"] - 1.0),
            "min_exact": best["min"],
            "min_greedy": g["min"],
            "min_gain": best["min"] - g["min"],
            "bottom_exact": best["bottom_decile"],
            "bottom_greedy": g["bottom_decile"],
            "unmatched_exact": _unmet(solved[exact].pairs, demand),
            "unmatched_greedy": _unmet(solved["greedy"].pairs, demand),
            "min_fair": fair["min"] if fair else None,
            "fair_total_cost_pct": 100.0 * (1.0 - fair["total"] / best["total"]) if fair else None,
        }
    masked = np.where(run.allowed, scores, -np.inf)
    argmax = np.argmax(masked, axis=1)
    has = np.isfinite(masked[np.arange(len(argmax)), argmax])
    top = np.stack([np.flatnonzero(has), argmax[has]], axis=1).astype(np.int64)
    out["scoring_only"] = {
        "recovery_at_1": recovery_at(top, prog.truth.best, 1),
        "recovery_at_5": recovery_at(top, prog.truth.best, 5),
        "over_capacity_mentors": int(
            (np.bincount(top[:, 1], minlength=len(run.capacity)) > run.capacity).sum()
        ),
    }
    out["matched_scores"] = {k: r.matched_scores for k, r in solved.items()}
    return out


def _unmet(pairs: np.ndarray, demand: np.ndarray) -> int:
    got = np.bincount(pairs[:, 0], minlength=demand.size)
    return int((got < demand).sum())


def _reference(
    prog: Programme, run: PipelineRun, stage_rows: Sequence[dict[str, Any]], log: Any
) -> dict[str, Any]:
    """assign vs scipy (repeated columns) vs OR-Tools (all arcs), demand 1, same matrix."""
    from matchsvc.assignment import assign

    scores = np.asarray(run.compatibility.scores)
    capacity, allowed = run.capacity, run.allowed
    demand = np.ones(len(prog.mentees), dtype=np.int64)
    recorder = StageRecorder()
    pairs: dict[str, np.ndarray] = {}
    notes: dict[str, str] = {}
    with recorder.stage("service assign (auto)"):
        result = assign(scores, capacity=capacity, demand=demand, allowed=allowed, solver="auto")
    pairs["service assign (auto)"] = np.asarray(result.pairs, dtype=np.int64)
    notes["service assign (auto)"] = f"solver {result.solver}, optimal={result.optimal}"
    with recorder.stage("scipy linear_sum_assignment"):
        pairs["scipy linear_sum_assignment"] = scipy_repeated_columns(
            scores, capacity, allowed=allowed, mode="max_cardinality"
        )
    notes["scipy linear_sum_assignment"] = f"{int(capacity.sum()):,} repeated columns"
    with recorder.stage("OR-Tools SimpleMinCostFlow"):
        pairs["OR-Tools SimpleMinCostFlow"] = flow_all_arcs(
            scores, capacity, demand, allowed=allowed, mode="max_cardinality"
        )
    notes["OR-Tools SimpleMinCostFlow"] = f"{int(allowed.sum()):,} arcs, costs rounded to 1e-6"
    service = recorder.records[0].seconds
    runs: dict[str, Any] = {}
    totals = {k: total_score(scores, p) for k, p in pairs.items()}
    for rec in recorder.records:
        runs[rec.stage] = {
            "seconds": rec.seconds,
            "peak_rss_mib": rec.peak_rss_mib,
            "total": totals[rec.stage],
            "pairs": len(pairs[rec.stage]),
            "ratio_to_service": rec.seconds / service if service > 0 else None,
            "note": notes[rec.stage],
        }
        log(f"reference {rec.stage}: {rec.seconds:.3f}s total={totals[rec.stage]:.6f}")
    runs["service end-to-end (embed+score+solve+explain)"] = {
        "seconds": sum(r["seconds"] for r in stage_rows),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in stage_rows),
        "total": None,
        "pairs": None,
        "ratio_to_service": None,
        "note": "the scaling run at this size (its own demand)",
    }
    n_pairs = max(len(p) for p in pairs.values())
    diffs = [abs(t - totals["service assign (auto)"]) for t in totals.values()]
    same_count = len({len(p) for p in pairs.values()}) == 1
    return {
        "instance": _instance(prog, run, demand),
        "runs": runs,
        "max_abs_difference": max(diffs),
        "objectives_equal": same_count and max(diffs) <= 1e-6 * max(1, n_pairs),
    }


def _peers(config: SuiteConfig, log: Any) -> dict[str, Any]:
    """Section 4: :func:`benchmarks.bench_peer.run_one` in this process (one instance per
    size, seeded by the suite's seed), in the shape :func:`benchmarks.bench_peer.plot` reads."""
    from benchmarks.bench_peer import PAIR_METHODS, run_one

    out: dict[str, Any] = {"seed": config.seed, "pairs": {}}
    for n in config.peer_sizes:
        row = {m: run_one("pairs", m, n, config.seed) for m in PAIR_METHODS}
        best = row["ours"]["total"]
        for r in row.values():
            r["gap"] = (best - r["total"]) / abs(best) if best else 0.0
        out["pairs"][str(n)] = row
        log(
            f"peer pairs n={n}: "
            + ", ".join(
                f"{m} {r['seconds']:.3f}s gap {100 * r['gap']:.3f}%" for m, r in row.items()
            )
        )
    dense = run_one("pairs", "ours", config.peer_dense, config.seed)
    out["dense"] = {**dense, "n": config.peer_dense}
    log(f"peer pairs dense n={config.peer_dense}: {dense['seconds']:.3f}s")
    circles = run_one("circles", "ours", config.peer_circles, config.seed)
    out["circles"] = {**circles, "n": config.peer_circles}
    log(f"peer circles of 4, n={config.peer_circles}: gap {100 * circles['gap']:.2f}%")
    return out


def run_suite(config: SuiteConfig, out: Path, *, log: Any = print) -> dict[str, Any]:
    """Run every section, write results, CSVs, plots and the report to ``out``; return results."""
    if list(config.sizes) != sorted(set(config.sizes)) or config.compare_size not in config.sizes:
        raise ValueError(
            f"sizes must be ascending and distinct and include compare_size {config.compare_size}, "
            f"got {config.sizes}"
        )
    started = time.perf_counter()
    load_start = _load_average()
    out.mkdir(parents=True, exist_ok=True)
    recorder = StageRecorder()
    encoder = _load_encoder(config.encoder, recorder)
    log(f"encoder {encoder.model_id} loaded in {recorder.records[0].seconds:.1f}s")
    largest = config.sizes[-1]
    programme = generate_programme(largest, seed=config.seed)

    _warm_up(programme, log)
    rows, runs, _ = _scaling(config, programme, encoder, log)
    # embed is left out: with one cache for all sizes it encodes only each size's new texts
    stages = [s for s in dict.fromkeys(r["stage"] for r in rows) if s != "embed"]
    fit_sizes = set(config.sizes[-FIT_SIZES:])
    exponents = {
        s: fit_power_law(
            [r["n_mentees"] for r in rows if r["stage"] == s and r["n_mentees"] in fit_sizes],
            [r["seconds"] for r in rows if r["stage"] == s and r["n_mentees"] in fit_sizes],
        )[0]
        for s in stages
    }
    embeds = [r for r in rows if r["stage"] == "embed"]
    encoded = sum(int(r.get("encoded", r["texts"])) for r in embeds)
    embed_s = sum(r["seconds"] for r in embeds)
    embed_rate = encoded / embed_s if embed_s > 0 else None

    solvers = _solvers(*runs[config.compare_size], log)
    reference = _reference(*runs[largest], [r for r in rows if r["n_mentees"] == largest], log)
    matched_scores = solvers.pop("matched_scores", {})
    peer = _peers(config, log)

    results: dict[str, Any] = {
        "meta": {
            "seed": config.seed,
            "quick": config.quick,
            "encoder": config.encoder,
            "cache": str(config.cache) if config.cache else None,
            "sizes": list(config.sizes),
            "repeats": config.repeats,
            "fit_sizes": sorted(fit_sizes),
            "compare_size": config.compare_size,
            "machine": machine_info(),
            "commit": _commit(),
            "wall_s": 0.0,
        },
        "embedding": {
            "model_id": encoder.model_id,
            "load_s": recorder.records[0].seconds,
            "texts": encoded,
            "seconds": embed_s,
            "texts_per_s": embed_rate,
        },
        "scaling": {"rows": rows, "exponents": exponents},
        "solvers": solvers,
        "reference": reference,
        "peer": peer,
    }

    plot_scaling(rows, out / "scaling.png", fit_sizes=sorted(fit_sizes))
    ok = {k: r["metrics"] for k, r in solvers["runs"].items() if "metrics" in r}
    if ok:
        plot_solver_metrics(
            ok, out / "solvers.png", reference=solvers.get("checks", {}).get("exact")
        )
        plot_score_distributions(matched_scores, out / "scores.png")
    plot_reference_times(
        {k: r["seconds"] for k, r in reference["runs"].items()}, out / "reference.png"
    )
    from benchmarks.bench_peer import plot as plot_peer

    plot_peer(peer, out / "peer.png")
    _write_csv(out / "peer.csv", _peer_rows(peer))
    _write_csv(out / "scaling.csv", rows)
    _write_csv(
        out / "solvers.csv",
        [
            {"solver": k, "seconds": r.get("seconds"), **r.get("metrics", {})}
            for k, r in solvers["runs"].items()
        ],
    )
    _write_csv(
        out / "reference.csv",
        [{"implementation": k, **r} for k, r in reference["runs"].items()],
    )
    results["meta"]["wall_s"] = time.perf_counter() - started
    results["meta"]["load_average"] = [load_start, _load_average()]
    (out / "results.json").write_text(json.dumps(results, indent=1, default=_json_default) + "\n")
    (out / "report.md").write_text(render_report(results))
    log(f"wrote {out}/report.md in {results['meta']['wall_s']:.1f}s")
    return results


def _peer_rows(peer: dict[str, Any]) -> list[dict[str, Any]]:
    """One CSV row per peer measurement."""
    rows = [
        {"kind": "pairs", "people": int(n), "method": m, **r}
        for n, row in peer["pairs"].items()
        for m, r in row.items()
    ]
    rows.append(
        {"kind": "pairs dense", "people": peer["dense"]["n"], "method": "ours", **peer["dense"]}
    )
    rows.append(
        {
            "kind": "circles of 4",
            "people": peer["circles"]["n"],
            "method": "ours",
            **peer["circles"],
        }
    )
    for row in rows:
        row.pop("n", None)
    return rows


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see the module docstring and ``--help``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.suite", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="the quick suite (make bench)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    parser.add_argument(
        "--encoder",
        choices=("model", "hashing"),
        default="model",
        help="'hashing' skips the model (smoke runs; numbers are not the model's)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="on-disk embedding cache kept across runs (later runs embed warm, faster)",
    )
    parser.add_argument(
        "--sizes", type=str, default=None, help="comma-separated mentee counts (overrides)"
    )
    parser.add_argument(
        "--peer-sizes",
        type=str,
        default=None,
        help="peer pools compared with networkx and greedy, comma-separated, then the dense "
        "pool and the circles pool, e.g. 60,80:200:60 (overrides)",
    )
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    sizes = base.sizes
    compare = base.compare_size
    if args.sizes:
        sizes = tuple(sorted({int(x) for x in args.sizes.split(",")}))
        compare = max((s for s in sizes if s <= base.compare_size), default=sizes[0])
    config = SuiteConfig(
        quick=args.quick,
        sizes=sizes,
        compare_size=compare,
        seed=args.seed,
        encoder=args.encoder,
        cache=args.cache,
        peer_sizes=base.peer_sizes,
        peer_dense=base.peer_dense,
        peer_circles=base.peer_circles,
    )
    if args.peer_sizes:
        pairs, dense, circles = args.peer_sizes.split(":")
        config = replace(
            config,
            peer_sizes=tuple(sorted({int(x) for x in pairs.split(",")})),
            peer_dense=int(dense),
            peer_circles=int(circles),
        )
    run_suite(config, args.out, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
