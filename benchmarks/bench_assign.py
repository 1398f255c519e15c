"""Benchmark the exact assignment solvers against plain scipy and OR-Tools on one instance.

Builds a tight (total capacity = total demand) embedding-like instance: cosine similarities of
clustered, normalised 384-d float32 vectors. Every method runs in a fresh subprocess so its peak
RSS is its own. Prints a Markdown table and writes ``bench_assign.json`` to ``--out``.

    python benchmarks/bench_assign.py --out bench-out            # 10,000 x 2,000, capacity 5
    python benchmarks/bench_assign.py --quick --out bench-out    # 2,000 x 400
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

METHODS = ["pricing", "flow", "hungarian", "scipy-repeated", "ortools-all-arcs"]


def make_scores(
    n: int, m: int, seed: int, dim: int = 384, clusters: int = 30
) -> npt.NDArray[np.float32]:
    """Cosine similarities of clustered normalised vectors (float32, n x m)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    a = centres[rng.integers(0, clusters, n)] + 1.2 * rng.normal(size=(n, dim)).astype(np.float32)
    b = centres[rng.integers(0, clusters, m)] + 1.2 * rng.normal(size=(m, dim)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T


def run_one(method: str, n: int, m: int, cap: int, seed: int) -> dict[str, object]:
    """Solve once in this process; returns seconds, matched count and total."""
    s = make_scores(n, m, seed)
    if method in {"pricing", "flow", "hungarian"}:
        from matchsvc.assignment import assign

        assign(s[:50, :10], capacity=5, solver=method)  # numba compile/cache load off the clock
        t0 = time.perf_counter()
        a = assign(s, capacity=cap, solver=method)
        secs = time.perf_counter() - t0
        out: dict[str, object] = {
            "seconds": secs, "matched": a.n_matched, "total": a.total, "optimal": a.optimal,
        }  # fmt: skip
        if method == "pricing":
            from matchsvc.assignment import verify_certificate

            out["certificate_valid"] = verify_certificate(a, s, capacity=cap).valid
        return out
    if method == "scipy-repeated":
        from scipy.optimize import linear_sum_assignment

        t0 = time.perf_counter()
        cols = np.repeat(np.arange(m), cap)
        r, c = linear_sum_assignment(s[:, cols], maximize=True)
        secs = time.perf_counter() - t0
        total = float(s.astype(np.float64)[r, cols[c]].sum())
        return {"seconds": secs, "matched": int(r.size), "total": total, "optimal": True}
    from ortools.graph.python import min_cost_flow

    t0 = time.perf_counter()
    scale = 10**6  # OR-Tools needs integer costs: scores rounded to 1e-6
    f = min_cost_flow.SimpleMinCostFlow()
    tails = np.repeat(np.arange(n), m)
    heads = n + np.tile(np.arange(m), n)
    costs = -np.rint(s.astype(np.float64).ravel() * scale).astype(np.int64)
    f.add_arcs_with_capacity_and_unit_cost(tails, heads, np.ones(n * m, np.int64), costs)
    src, snk = n + m, n + m + 1
    f.add_arcs_with_capacity_and_unit_cost(
        np.full(n, src), np.arange(n), np.ones(n, np.int64), np.zeros(n, np.int64)
    )
    f.add_arcs_with_capacity_and_unit_cost(
        n + np.arange(m), np.full(m, snk), np.full(m, cap, np.int64), np.zeros(m, np.int64)
    )
    f.set_node_supply(src, n)
    f.set_node_supply(snk, -n)
    assert f.solve() == f.OPTIMAL
    secs = time.perf_counter() - t0
    flows = f.flows(np.arange(n * m))
    used = np.flatnonzero(flows)
    total = float(s.astype(np.float64)[used // m, used % m].sum())
    return {"seconds": secs, "matched": int(used.size), "total": total, "optimal": True}


def measure(method: str, n: int, m: int, cap: int, seed: int) -> dict[str, object]:
    """Run ``method`` in a fresh subprocess; adds its peak RSS in MiB."""
    cmd = [sys.executable, __file__, "--child", method, "--n", str(n), "--m", str(m),
           "--capacity", str(cap), "--seed", str(seed)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 x 400 instead of 10,000 x 2,000")
    ap.add_argument("--out", type=Path, default=Path("bench-out"), help="output directory")
    ap.add_argument("--methods", nargs="*", default=METHODS, choices=METHODS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int)
    ap.add_argument("--m", type=int)
    ap.add_argument("--capacity", type=int, default=5)
    ap.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    n = args.n or (2000 if args.quick else 10_000)
    m = args.m or (n // args.capacity)
    if args.child:
        res = run_one(args.child, n, m, args.capacity, args.seed)
        res["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return
    rows = {meth: measure(meth, n, m, args.capacity, args.seed) for meth in args.methods}
    base = rows.get("scipy-repeated")
    ort = rows.get("ortools-all-arcs")
    ref = rows[args.methods[0]]
    print(f"\n{n} mentees x {m} mentors, capacity {args.capacity} (tight), seed {args.seed}\n")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| method | time (s) | peak RSS (MiB) | matched | total | vs scipy | vs OR-Tools |")
    print("|---|---|---|---|---|---|---|")
    for meth, r in rows.items():
        secs = float(r["seconds"])  # type: ignore[arg-type]
        ratio = float(base["seconds"]) / secs if base else float("nan")  # type: ignore[arg-type]
        r_ort = float(ort["seconds"]) / secs if ort else float("nan")  # type: ignore[arg-type]
        print(
            f"| {meth} | {secs:.2f} | {float(r['peak_mib']):.0f} | "  # type: ignore[arg-type]
            f"{r['matched']} | {float(r['total']):.6f} | {ratio:.1f}x | {r_ort:.1f}x |"
        )  # type: ignore[arg-type]
        r["speedup_vs_scipy"] = ratio
        r["speedup_vs_ortools"] = r_ort
    totals = [float(r["total"]) for r in rows.values()]  # type: ignore[arg-type]
    agree = max(totals) - min(totals) <= 1e-6 * n
    print(f"\ntotals agree (within 1e-6 per pair, OR-Tools rounds to 1e-6): {agree}")
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"n": n, "m": m, "capacity": args.capacity, "seed": args.seed,
               "results": rows, "totals_agree": agree, "reference": ref["total"]}  # fmt: skip
    (args.out / "bench_assign.json").write_text(json.dumps(payload, indent=2))
    if not agree:
        raise SystemExit("totals disagree")


if __name__ == "__main__":
    main()
