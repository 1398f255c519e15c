"""Benchmark peer matching (pairs in one pool) and circles, in one run.

Scores are cosine similarities of clustered, normalised 384-d float32 vectors (the recipe of
``bench_assign``/``bench_large``). Every measurement runs in a fresh subprocess, so its peak RSS
is its own. Prints Markdown tables, writes ``bench_peer.json`` and ``bench_peer.png`` to --out.

1. pairs, dense, 100/200/400 people: ``assign_peers`` (certified) vs
   ``networkx.max_weight_matching(maxcardinality=True)`` vs greedy best-pair-first, on the
   same instance: time, pairs, total, gap to the optimum;
2. 2,000 people, dense: ``assign_peers`` plus ``verify_peer_certificate``;
3. 20,000 people, block source (rows computed from the vectors on demand, never the whole
   matrix): time, peak RSS, certificate;
4. circles of 4 at 1,000 people: time, value, upper bound, gap.

``--http`` measures instead the seconds per pair (``n (n - 1) / 2`` of a pool of ``n``) of
``POST /peer/match`` and ``POST /peer/circles`` through the HTTP app, the rates of
:data:`matchsvc.budget.SECONDS_PER_PAIR` (:func:`http_rates`).

    python benchmarks/bench_peer.py --out bench-out
    python benchmarks/bench_peer.py --quick --out bench-out     # smaller sizes
    python benchmarks/bench_peer.py --http --out bench-out      # the time budget's rates
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
from typing import Any

import numpy as np
import numpy.typing as npt

PAIR_SIZES = (100, 200, 400)
PAIR_METHODS = ("ours", "networkx", "greedy")


def make_vectors(n: int, seed: int, dim: int = 384, clusters: int = 30) -> npt.NDArray[np.float32]:
    """Clustered normalised float32 embeddings (the recipe of ``bench_large``)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    a = centres[rng.integers(0, clusters, n)] + 1.2 * rng.normal(size=(n, dim)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    return a


def dense_scores(n: int, seed: int) -> npt.NDArray[np.float64]:
    a = make_vectors(n, seed)
    return (a @ a.T).astype(np.float64)  # a @ a.T is exactly symmetric (one SYRK)


class PoolScores:
    """A ``BlockScores`` over one pool: rows ``i0:i1`` of ``vecs @ vecs.T`` computed on demand
    in fixed aligned tiles (so a pair's score never depends on the block asked for)."""

    def __init__(self, vecs: npt.NDArray[np.float32], tile: int = 512) -> None:
        self.a = np.ascontiguousarray(vecs, dtype=np.float32)
        self.at = np.ascontiguousarray(self.a.T)
        self.tile = tile
        self._last: tuple[int, npt.NDArray[np.float32]] = (-1, np.zeros((0, 0), np.float32))

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.a.shape[0]), int(self.a.shape[0]))

    def _tile_at(self, start: int) -> npt.NDArray[np.float32]:
        if self._last[0] != start:
            self._last = (start, self.a[start : start + self.tile] @ self.at)
        return self._last[1]

    def block(self, i0: int, i1: int) -> npt.NDArray[np.float32]:
        t = self.tile
        parts = [
            self._tile_at(k)[max(i0 - k, 0) : min(i1 - k, t)] for k in range((i0 // t) * t, i1, t)
        ]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


def greedy_pairs(s: npt.NDArray[np.float64]) -> tuple[int, float]:
    """Best pair first: take pairs in decreasing score while both people are free."""
    n = s.shape[0]
    i, j = np.triu_indices(n, 1)
    w = s[i, j]
    order = np.argsort(-w, kind="stable")
    free = np.ones(n, dtype=bool)
    total = 0.0
    pairs = 0
    for q in order.tolist():
        a, b = int(i[q]), int(j[q])
        if free[a] and free[b]:
            free[a] = free[b] = False
            total += float(w[q])
            pairs += 1
    return pairs, total


def _warm() -> None:
    """Compile/cache-load the numba kernels off the clock."""
    from matchsvc.assignment import assign_peers, form_circles, verify_peer_certificate

    s = dense_scores(60, 1)
    r = assign_peers(s, candidates=2)
    verify_peer_certificate(r, s)
    src = PoolScores(make_vectors(60, 1))
    verify_peer_certificate(assign_peers(src, candidates=2), src)
    form_circles(s, 4, 4, rounds=1)


def run_one(kind: str, method: str, n: int, seed: int) -> dict[str, Any]:
    """One measurement in this process."""
    from matchsvc.assignment import assign_peers, form_circles, verify_peer_certificate

    if kind == "circles":
        s = dense_scores(n, seed)
        _warm()
        t0 = time.perf_counter()
        c = form_circles(s, 4, 4)
        secs = time.perf_counter() - t0
        return {
            "seconds": secs, "circles": c.n_circles, "value": c.total,
            "upper_bound": c.upper_bound, "gap": c.gap, "lp_value": c.stats.lp_value,
            "seconds_heuristic": c.stats.seconds_heuristic,
            "seconds_bound": c.stats.seconds_bound, "lp_rounds": c.stats.lp_rounds,
            "columns": c.stats.columns, "unmatched": int(c.unmatched.size),
        }  # fmt: skip
    if kind == "block":
        src = PoolScores(make_vectors(n, seed))
        _warm()
        t0 = time.perf_counter()
        r = assign_peers(src)
        secs = time.perf_counter() - t0
        t1 = time.perf_counter()
        rep = verify_peer_certificate(r, src)
        return {
            "seconds": secs, "seconds_verify": time.perf_counter() - t1, "pairs": r.n_pairs,
            "total": r.total, "certificate_valid": rep.valid, "rounds": r.stats.rounds,
            "passes": r.stats.passes, "edges": r.stats.edges,
            "seconds_solve": r.stats.seconds_solve, "seconds_price": r.stats.seconds_price,
            "blossoms": r.certificate.n_blossoms if r.certificate else 0,
        }  # fmt: skip
    s = dense_scores(n, seed)
    if method == "ours":
        _warm()
        t0 = time.perf_counter()
        r = assign_peers(s)
        secs = time.perf_counter() - t0
        t1 = time.perf_counter()
        rep = verify_peer_certificate(r, s)
        return {
            "seconds": secs, "seconds_verify": time.perf_counter() - t1, "pairs": r.n_pairs,
            "total": r.total, "certificate_valid": rep.valid, "rounds": r.stats.rounds,
            "passes": r.stats.passes,
        }  # fmt: skip
    if method == "networkx":
        import networkx as nx

        g = nx.Graph()
        iu, ju = np.triu_indices(n, 1)
        g.add_weighted_edges_from(zip(iu.tolist(), ju.tolist(), s[iu, ju].tolist(), strict=True))
        t0 = time.perf_counter()
        m = nx.max_weight_matching(g, maxcardinality=True)
        secs = time.perf_counter() - t0
        total = float(sum(s[a, b] for a, b in m))
        return {"seconds": secs, "pairs": len(m), "total": total}
    t0 = time.perf_counter()
    pairs, total = greedy_pairs(s)
    return {"seconds": time.perf_counter() - t0, "pairs": pairs, "total": total}


HTTP_SIZES = {"match": (500, 1000, 2000), "circles": (200, 400, 800)}


def pool_body(n: int, seed: int) -> dict[str, Any]:
    """A pool of ``n`` generated people (the mentees of a generated programme, without their
    exclusions, which name mentors) as a request body."""
    from dataclasses import replace

    from benchmarks.bench_report import profile_json
    from benchmarks.generator import generate_programme

    programme = generate_programme(n, seed=seed)
    return {"people": [profile_json(replace(p, exclude=())) for p in programme.mentees]}


def http_rates(
    sizes: dict[str, tuple[int, ...]] = HTTP_SIZES, seed: int = 0, repeats: int = 2
) -> list[dict[str, Any]]:
    """Seconds per pair of ``POST /peer/match`` and ``POST /peer/circles`` (default options)
    through the HTTP app (in-process, the hashing encoder, a warm embedding cache: the budget
    charges embedding separately), fastest of ``repeats`` after one untimed request."""
    import tempfile

    from fastapi.testclient import TestClient

    from benchmarks.encoders import HashingEncoder
    from matchsvc.api import create_app
    from matchsvc.config import Settings

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), request_timeout_seconds=0, max_mentees=100_000)
        with TestClient(create_app(settings, encoder=HashingEncoder())) as client:
            for mode, ns in sizes.items():
                for n in ns:
                    body = pool_body(n, seed)
                    assert client.post(f"/peer/{mode}", json=body).status_code == 200
                    best = float("inf")
                    for _ in range(repeats):
                        t0 = time.perf_counter()
                        response = client.post(f"/peer/{mode}", json=body)
                        best = min(best, time.perf_counter() - t0)
                        assert response.status_code == 200, response.text
                    pairs = n * (n - 1) // 2
                    rows.append({
                        "mode": mode, "people": n, "pairs": pairs, "seconds": best,
                        "seconds_per_pair": best / pairs,
                        "timings_ms": response.json()["summary"]["timings_ms"],
                        "load_average": os.getloadavg()[0],
                    })  # fmt: skip
                    print(
                        f"| {mode} | {n} | {pairs:,} | {best:.3f} | {1e6 * best / pairs:.2f} | "
                        f"{rows[-1]['load_average']:.1f} |",
                        flush=True,
                    )
    return rows


def measure(kind: str, method: str, n: int, seed: int) -> dict[str, Any]:
    """Run one measurement in a fresh subprocess; adds its peak RSS (MiB) and load average."""
    cmd = [sys.executable, __file__, "--child", kind, "--method", method, "--n", str(n),
           "--seed", str(seed)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1] / "src"), str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["load_average"] = os.getloadavg()[0]
    return out


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    pairs = results.get("pairs", {})
    for method, marker in (("ours", "o"), ("networkx", "s"), ("greedy", "^")):
        pts = sorted((int(n), r[method]["seconds"]) for n, r in pairs.items() if method in r)
        if pts:
            ax1.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, label=method)
    for key, label in (("dense", "ours, dense"), ("block", "ours, block source")):
        if key in results:
            r = results[key]
            ax1.plot([r["n"]], [r["seconds"]], marker="*", markersize=12, linestyle="", label=label)
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("people in the pool")
    ax1.set_ylabel("seconds")
    ax1.set_title("pairs: time to a certified optimum")
    ax1.legend()
    if "circles" in results:
        c = results["circles"]
        ax2.bar(["heuristic", "LP bound"], [c["value"], c["upper_bound"]], color=["C0", "C1"])
        lo = 0.9 * min(c["value"], c["upper_bound"])
        ax2.set_ylim(lo, 1.01 * c["upper_bound"])
        ax2.set_title(f"circles of 4 at {c['n']}: gap {100 * c['gap']:.2f}%")
        ax2.set_ylabel("sum of within-circle pair scores")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80, metadata={"Software": None})


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("bench-out"), help="output directory")
    ap.add_argument("--quick", action="store_true", help="sizes 100/200, 1,000, 4,000, 300")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=["pairs", "dense", "block", "circles"],
                    choices=["pairs", "dense", "block", "circles"])  # fmt: skip
    ap.add_argument("--http", action="store_true", help="seconds per pair through HTTP only")
    ap.add_argument(
        "--child", choices=["pairs", "dense", "block", "circles"], help=argparse.SUPPRESS
    )
    ap.add_argument("--method", default="ours", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        res = run_one(args.child, args.method, args.n, args.seed)
        res["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return
    if args.http:
        print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
        print(
            "| endpoint | people | pairs | seconds | us per pair | load |\n|---|---|---|---|---|---|"
        )
        rows = http_rates(seed=args.seed)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench_peer_http.json").write_text(json.dumps(rows, indent=2))
        return
    sizes = (100, 200) if args.quick else PAIR_SIZES
    n_dense, n_block, n_circ = (1000, 4000, 300) if args.quick else (2000, 20_000, 1000)
    results: dict[str, Any] = {"seed": args.seed, "cpus": os.cpu_count()}
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    if "pairs" in args.only:
        results["pairs"] = {}
        print("| people | method | time (s) | pairs | total | gap to optimum | load |")
        print("|---|---|---|---|---|---|---|")
        for n in sizes:
            row = {m: measure("pairs", m, n, args.seed) for m in PAIR_METHODS}
            best = row["ours"]["total"]
            for m, r in row.items():
                r["gap"] = (best - r["total"]) / abs(best) if best else 0.0
                print(f"| {n} | {m} | {r['seconds']:.3f} | {r['pairs']} | {r['total']:.6f} | "
                      f"{100 * r['gap']:.3f}% | {r['load_average']:.1f} |")  # fmt: skip
            results["pairs"][str(n)] = row
        print()
    for kind, n in (("dense", n_dense), ("block", n_block)):
        if kind not in args.only:
            continue
        r = measure(kind if kind == "block" else "pairs", "ours", n, args.seed)
        r["n"] = n
        results[kind] = r
        print(f"{kind} {n}: {r['seconds']:.2f} s certified optimal (verify {r['seconds_verify']:.2f} s, "
              f"certificate valid {r['certificate_valid']}), {r['pairs']} pairs, total "
              f"{r['total']:.6f}, rounds {r['rounds']}, passes {r['passes']}, "
              f"peak RSS {r['peak_mib']:.0f} MiB, load {r['load_average']:.1f}")  # fmt: skip
    if "circles" in args.only:
        r = measure("circles", "ours", n_circ, args.seed)
        r["n"] = n_circ
        results["circles"] = r
        print(f"\ncircles of 4 at {n_circ}: {r['seconds']:.2f} s (heuristic "
              f"{r['seconds_heuristic']:.2f} s, bound {r['seconds_bound']:.2f} s), value "
              f"{r['value']:.4f}, upper bound {r['upper_bound']:.4f}, gap {100 * r['gap']:.2f}%, "
              f"peak RSS {r['peak_mib']:.0f} MiB, load {r['load_average']:.1f}")  # fmt: skip
    results["load_average_end"] = os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_peer.json").write_text(json.dumps(results, indent=2))
    plot(results, args.out / "bench_peer.png")
    print(f"\nwrote {args.out / 'bench_peer.json'} and {args.out / 'bench_peer.png'}")


if __name__ == "__main__":
    main()
