"""Benchmark learning facet weights from feedback: a learning curve and the fit time at 10,000.

A generated programme (2,500 mentees, 1,000 mentors) carries hidden true weights
(:class:`benchmarks.generator.OutcomeTruth`); facets come from the service's own scoring code
(skills, goals, communication, and a soft criterion ``senior``: the mentor has at least 10 more
years of experience) with the model-free hashing encoder, so no model is loaded. For each number
of rated pairs (50 to 5,000) and each noise level, ``--reps`` independent histories are drawn
(half the pairs within the mentee's domain, 5 % of records repeated, each side's rating reported
with probability 0.8, an outcome with probability 0.5; about 2 % of records carry no signal, so
"50" gives about 49 distinct rated pairs, below the minimum of 50, and is refused) and :func:`matchsvc.learning.fit_weights`
runs with its defaults (5 grouped folds, 1,000 bootstrap resamples) against the service's
default weights. Reported per size: the learned weights' max abs error against the truth, the
held-out discordant share and Spearman of the learned and the default weights and of the true
weights (a ceiling), how often the learned weights were adopted; with pure-noise feedback, how
often they were adopted anyway (false adoptions); and the wall time of one fit on 10,000 rated
pairs. Prints a Markdown table, writes ``bench_learn.json`` and ``bench_learn.png`` to ``--out``.

    python benchmarks/bench_learn.py --out bench-out            # 10 reps, a few minutes on 2 cores
    python benchmarks/bench_learn.py --quick --out bench-out    # 3 reps, sizes up to 2,000
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.encoders import HashingEncoder
from benchmarks.generator import OutcomeTruth, draw_feedback, generate_programme, history_pairs
from matchsvc.errors import InvalidInputError
from matchsvc.learning import feedback_target, fit_weights, rank_metrics
from matchsvc.scoring import Criterion, EmbeddingCache, ScoringOptions, build_compatibility

NAMES = ("skills", "goals", "communication", "senior")
CURRENT = {"skills": 0.5, "goals": 0.3, "communication": 0.2, "senior": 0.0}  # service defaults
TRUE = {"skills": 0.35, "goals": 0.15, "communication": 0.3, "senior": 0.2}
SIZES = (50, 100, 200, 500, 1000, 2000, 5000)
NOISES = (1.0, 2.0)
NOISE_SIZES = (200, 1000)


def facet_table(seed: int) -> tuple[Any, NDArray[np.float64]]:
    """The programme and its ``(n, m, 4)`` facet array (the service's scoring, hashing encoder)."""
    prog = generate_programme(2500, seed=seed, outcome_truth=OutcomeTruth(TRUE))
    options = ScoringOptions(
        weights={"skills": 0.5, "goals": 0.3, "communication": 0.2, "senior": 0.1},
        criteria=(Criterion("senior", "years_experience", "gap", min=10),),
    )
    compat = build_compatibility(
        prog.mentees, prog.mentors, options, EmbeddingCache(HashingEncoder(), None, lru_size=0)
    )
    facets = np.stack([compat.facets[n] for n in NAMES], axis=-1).astype(np.float64)
    return prog, facets


def one_history(
    prog: Any, facets: NDArray[np.float64], n: int, truth: OutcomeTruth, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str], list[str]]:
    """``n`` distinct pairs (plus 5 % repeats) with feedback drawn from ``truth``."""
    i, j = history_pairs(prog, n, seed=seed, repeat_rate=0.05)
    x = facets[i, j]
    fb = draw_feedback(truth, x, NAMES, seed=seed + 1)
    t = feedback_target(
        mentee_rating=fb.mentee_rating, mentor_rating=fb.mentor_rating, outcome=fb.outcome
    )
    return x, t, [f"e{a}" for a in i.tolist()], [f"m{b}" for b in j.tolist()]


def run_case(
    prog: Any, facets: NDArray[np.float64], n: int, truth: OutcomeTruth, seed: int
) -> dict[str, Any]:
    """Fit one history; returns what the learning curve needs."""
    x, t, me, mo = one_history(prog, facets, n, truth, seed)
    t0 = time.perf_counter()
    try:
        res = fit_weights(x, t, me, mo, NAMES, CURRENT, seed=seed)
    except InvalidInputError as e:  # too little data: the refusal is a result too
        return {"refused": e.message, "seconds": time.perf_counter() - t0}
    secs = time.perf_counter() - t0
    w_true = truth.weight_vector(NAMES)
    lw = res.learned_weights
    err = float(np.abs(np.array([lw[k] for k in NAMES]) - w_true).max()) if lw else None
    rated = ~np.isnan(t)
    oracle = rank_metrics(np.nan_to_num(x[rated], nan=0.0) @ w_true, t[rated])
    ev = res.evidence
    return {
        "refused": None,
        "pairs": res.data.pairs,
        "seconds": secs,
        "max_abs_error": err,
        "adopted": res.adopted,
        "reason": res.reason,
        "discordant_learned": ev.discordant_share.learned.value,
        "discordant_current": ev.discordant_share.current.value,
        "discordant_diff_high": ev.discordant_share.difference.high,
        "spearman_learned": ev.spearman.learned.value,
        "spearman_current": ev.spearman.current.value,
        "discordant_true_weights": oracle.discordant_share,
        "spearman_true_weights": oracle.spearman,
        "learned_weights": dict(lw) if lw else None,
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians (and the error's 90th percentile and max) over the fitted repetitions of one
    size; ``refused`` counts the repetitions refused for too little data."""
    refused = sum(r["refused"] is not None for r in rows)
    rows = [r for r in rows if r["refused"] is None]
    if not rows:
        return {"reps": refused, "refused": refused}
    errs = np.array([r["max_abs_error"] for r in rows if r["max_abs_error"] is not None])

    def med(key: str) -> float:
        return float(np.median([r[key] for r in rows]))

    return {
        "reps": len(rows) + refused,
        "refused": refused,
        "pairs_median": med("pairs"),
        "error_median": float(np.median(errs)) if errs.size else None,
        "error_p90": float(np.quantile(errs, 0.9)) if errs.size else None,
        "error_max": float(errs.max()) if errs.size else None,
        "adopted": sum(bool(r["adopted"]) for r in rows),
        "discordant_learned": med("discordant_learned"),
        "discordant_current": med("discordant_current"),
        "discordant_true_weights": med("discordant_true_weights"),
        "spearman_learned": med("spearman_learned"),
        "spearman_current": med("spearman_current"),
        "spearman_true_weights": med("spearman_true_weights"),
        "seconds_median": med("seconds"),
    }


def plot(curves: dict[str, dict[int, dict[str, Any]]], path: Path) -> Path:
    """Weight error and held-out discordant share against the number of rated pairs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.grid": True, "grid.alpha": 0.3})
    fig, (ax_e, ax_d) = plt.subplots(1, 2, figsize=(13, 4))
    for noise, all_sizes in curves.items():
        by_size = {n: v for n, v in all_sizes.items() if v["refused"] < v["reps"]}
        sizes = sorted(by_size)
        med = [by_size[s]["error_median"] for s in sizes]
        p90 = [by_size[s]["error_p90"] for s in sizes]
        (line,) = ax_e.plot(sizes, med, "o-", label=f"noise {noise}: median")
        ax_e.plot(sizes, p90, ":", color=line.get_color(), label=f"noise {noise}: 90th pct")
        c = line.get_color()
        ax_d.plot(sizes, [by_size[s]["discordant_learned"] for s in sizes], "o-", color=c,
                  label=f"noise {noise}: learned (held out)")  # fmt: skip
        ax_d.plot(sizes, [by_size[s]["discordant_current"] for s in sizes], "s--", color=c,
                  alpha=0.6, label=f"noise {noise}: defaults")  # fmt: skip
        ax_d.plot(sizes, [by_size[s]["discordant_true_weights"] for s in sizes], ":", color=c,
                  label=f"noise {noise}: true weights")  # fmt: skip
    ax_e.axhline(0.05, color="k", lw=0.8, ls="--")
    ax_e.set_xscale("log")
    ax_e.set_yscale("log")
    ax_e.set_xlabel("rated pairs")
    ax_e.set_ylabel("max |learned - true| weight")
    ax_e.set_title("Weight error (dashed: 0.05)")
    ax_e.legend(fontsize=7)
    ax_d.set_xscale("log")
    ax_d.set_xlabel("rated pairs")
    ax_d.set_ylabel("share of pairs of pairs misordered (lower is better)")
    ax_d.set_title("Held-out discordant share (medians)")
    ax_d.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 reps, sizes up to 2,000")
    ap.add_argument("--out", type=Path, default=Path("bench-out"), help="output directory")
    ap.add_argument("--reps", type=int, help="histories per size (default 10, quick 3)")
    ap.add_argument("--noise-reps", type=int, help="pure-noise histories per size (40, quick 10)")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    reps = args.reps or (3 if args.quick else 10)
    sizes = [s for s in SIZES if not args.quick or s <= 2000]
    load_start = os.getloadavg()
    t_all = time.perf_counter()
    prog, facets = facet_table(args.seed)

    # first call: numba kernel (compiled or loaded from its cache) and imports warm up
    t0 = time.perf_counter()
    run_case(prog, facets, 200, OutcomeTruth(TRUE), args.seed)
    first_call = time.perf_counter() - t0

    curves: dict[str, dict[int, dict[str, Any]]] = {}
    raw: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for noise in NOISES:
        truth = OutcomeTruth(TRUE, noise=noise)
        key = f"{noise:g}"
        raw[key] = {}
        for n in sizes:
            raw[key][n] = [
                run_case(prog, facets, n, truth, args.seed + 1000 * r + n) for r in range(reps)
            ]
        curves[key] = {n: summarise(rows) for n, rows in raw[key].items()}

    noise_truth = OutcomeTruth(TRUE, signal=0.0, noise=1.0)
    false_adoptions: dict[int, dict[str, Any]] = {}
    noise_reps = args.noise_reps or (10 if args.quick else 40)
    for n in [s for s in NOISE_SIZES if s in sizes]:
        rows = [
            run_case(prog, facets, n, noise_truth, args.seed + 7919 * (r + 1) + n)
            for r in range(noise_reps)
        ]
        false_adoptions[n] = {
            "reps": noise_reps,
            "adopted": sum(bool(r.get("adopted")) for r in rows),
            "refused": sum(r["refused"] is not None for r in rows),
        }

    load_fit = os.getloadavg()
    fit_secs = []
    for r in range(3):
        x, t, me, mo = one_history(prog, facets, 10_000, OutcomeTruth(TRUE), args.seed + r)
        t0 = time.perf_counter()
        res = fit_weights(x, t, me, mo, NAMES, CURRENT, seed=r)
        fit_secs.append(time.perf_counter() - t0)
    pairs_10k = res.data.pairs
    load_end = os.getloadavg()

    print(f"\nlearning curve: true weights {TRUE}, current = service defaults {CURRENT}")
    print(f"{reps} histories per size; load average {load_start[0]:.1f} at start, "
          f"{load_end[0]:.1f} at end, {os.cpu_count()} cores\n")  # fmt: skip
    print("| noise | rated pairs | error median | error p90 | error max | adopted | "
          "discordant learned | defaults | true w | Spearman learned | defaults | true w |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key, by_size in curves.items():
        for n, s in by_size.items():
            if s["refused"] == s["reps"]:
                print(f"| {key} | {n} | refused: too little data ({s['reps']}/{s['reps']}) |"
                      + " |" * 9)  # fmt: skip
                continue
            e = [f"{s[k]:.3f}" if s[k] is not None else "-" for k in ("error_median", "error_p90",
                 "error_max")]  # fmt: skip
            ref = f", {s['refused']} refused" if s["refused"] else ""
            print(f"| {key} | {n} ({s['pairs_median']:.0f}) | {e[0]} | {e[1]} | {e[2]} | "
                  f"{s['adopted']}/{s['reps']}{ref} | {s['discordant_learned']:.3f} | "
                  f"{s['discordant_current']:.3f} | {s['discordant_true_weights']:.3f} | "
                  f"{s['spearman_learned']:.3f} | {s['spearman_current']:.3f} | "
                  f"{s['spearman_true_weights']:.3f} |")  # fmt: skip
    print("\npure-noise feedback (signal 0): learned weights adopted anyway")
    for n, fa in false_adoptions.items():
        print(f"- {n} rated pairs: {fa['adopted']}/{fa['reps']}")
    print(f"\nfit on 10,000 records ({pairs_10k} distinct rated pairs), 5 folds + 1,000 bootstrap: "
          f"median {np.median(fit_secs):.2f} s, runs {', '.join(f'{s:.2f}' for s in fit_secs)} "
          f"(load average {load_fit[0]:.1f} before, {load_end[0]:.1f} after); "
          f"first call of the process {first_call:.2f} s at 200 pairs (numba cache, imports)")  # fmt: skip
    print(f"total {time.perf_counter() - t_all:.0f} s")

    args.out.mkdir(parents=True, exist_ok=True)
    payload = {
        "true_weights": TRUE,
        "current_weights": CURRENT,
        "reps": reps,
        "seed": args.seed,
        "curves": curves,
        "raw": raw,
        "false_adoptions": false_adoptions,
        "fit_10k": {"pairs": pairs_10k, "seconds": fit_secs, "first_call_200": first_call},
        "load_average": {"start": load_start[0], "fit_10k": load_fit[0], "end": load_end[0]},
    }
    (args.out / "bench_learn.json").write_text(json.dumps(payload, indent=2))
    plot(curves, args.out / "bench_learn.png")


if __name__ == "__main__":
    main()
