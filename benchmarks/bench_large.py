"""Large-instance benchmark of the ``pricing`` solver: certified optimum from cached embeddings.

Scores are never materialised: :class:`EmbeddingScores` computes rows ``i0:i1`` as
``mentee_vecs[i0:i1] @ mentor_vecs.T`` (float32) when the solver asks for them, so 100,000 x
10,000 needs the two embedding matrices (~170 MB) and one block, not an 8 GB float64 matrix.
The run is in a fresh subprocess so its peak RSS is its own; the certificate is checked by
``verify_certificate`` (another full pass over the blocks) outside the timed solve.

Then a re-match: ``--change`` (default 1%) of the mentees rewrite their profiles (their vectors
move next to other mentees'), and the changed problem is solved twice in the same run: warm (a
``pricing`` solver started from the first answer, what ``assign(..., warm_start=first)`` builds,
kept here for its pass counts) and cold; both must reach the same total.

    python benchmarks/bench_large.py --out bench-out                   # 100,000 x 10,000, cap 10
    python benchmarks/bench_large.py --n 20000 --m 2000 --capacity 10  # smaller
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


def make_vectors(
    n: int, m: int, seed: int, dim: int = 384, clusters: int = 30
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Clustered normalised float32 embeddings (the same recipe as ``bench_assign``)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    a = centres[rng.integers(0, clusters, n)] + 1.2 * rng.normal(size=(n, dim)).astype(np.float32)
    b = centres[rng.integers(0, clusters, m)] + 1.2 * rng.normal(size=(m, dim)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return a, b


class EmbeddingScores:
    """A ``BlockScores``: cosine similarities computed block by block from cached embeddings.

    Blocks are computed in fixed aligned tiles of ``tile`` rows and sliced, so a pair's score
    does not depend on which rows were asked for together (BLAS may round a row differently
    in a different block shape, and the certificate check reads other blocks than the solver).
    The last tile is kept, so a pass over consecutive blocks computes every tile once.
    """

    def __init__(
        self, mentee_vecs: npt.NDArray[np.float32], mentor_vecs: npt.NDArray[np.float32],
        tile: int = 512,
    ) -> None:  # fmt: skip
        self.a = np.ascontiguousarray(mentee_vecs, dtype=np.float32)
        self.bt = np.ascontiguousarray(mentor_vecs.T, dtype=np.float32)
        self.tile = tile
        self.calls = 0
        self._last: tuple[int, npt.NDArray[np.float32]] = (-1, np.zeros((0, 0), np.float32))

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.a.shape[0]), int(self.bt.shape[1]))

    def _tile_at(self, start: int) -> npt.NDArray[np.float32]:
        if self._last[0] != start:
            self._last = (start, self.a[start : start + self.tile] @ self.bt)
        return self._last[1]

    def block(self, i0: int, i1: int) -> npt.NDArray[np.float32]:
        self.calls += 1
        t = self.tile
        parts = [
            self._tile_at(k)[max(i0 - k, 0) : min(i1 - k, t)] for k in range((i0 // t) * t, i1, t)
        ]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


def change_mentees(a: npt.NDArray[np.float32], share: float, seed: int) -> npt.NDArray[np.float32]:
    """A copy of ``a`` where ``share`` of the rows moved next to another row (normalised)."""
    rng = np.random.default_rng([seed, 1])
    n = a.shape[0]
    rows = rng.choice(n, round(share * n), replace=False)
    b = a.copy()
    moved = a[rng.choice(n, rows.size)] + 0.3 * rng.normal(size=(rows.size, a.shape[1]))
    b[rows] = moved / np.linalg.norm(moved, axis=1, keepdims=True)
    return b


def run_child(
    n: int, m: int, cap: int, seed: int, verify: bool, change: float
) -> dict[str, object]:
    from matchsvc.assignment import assign, verify_certificate
    from matchsvc.assignment._pricing import PricingSolver

    a, b = make_vectors(n, m, seed)
    src = EmbeddingScores(a, b)
    assign(EmbeddingScores(a[:64], b[:16]), capacity=4, solver="pricing")  # numba cache load
    solver = PricingSolver()
    t0 = time.perf_counter()
    res = assign(src, capacity=cap, solver=solver)
    secs = time.perf_counter() - t0
    rss_solve = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict[str, object] = {
        "seconds": secs, "matched": res.n_matched, "total": res.total, "optimal": res.optimal,
        "rounds": res.stats["rounds"], "passes": res.stats["passes"], "arcs": res.stats["arcs"],
        "block_calls": src.calls, "peak_mib_solve": rss_solve,
    }  # fmt: skip
    if verify:
        t0 = time.perf_counter()
        rep = verify_certificate(res, src, capacity=cap)
        out["verify_seconds"] = time.perf_counter() - t0
        out["certificate_valid"] = rep.valid
        out["certificate_reasons"] = list(rep.reasons)
    if change > 0:
        src2 = EmbeddingScores(change_mentees(a, change, seed), b)
        warm_solver = PricingSolver(warm_start=res)
        t0 = time.perf_counter()
        warm = assign(src2, capacity=cap, solver=warm_solver)
        out["rematch_warm_seconds"] = time.perf_counter() - t0
        cold_solver = PricingSolver()
        t0 = time.perf_counter()
        cold = assign(src2, capacity=cap, solver=cold_solver)
        out["rematch_cold_seconds"] = time.perf_counter() - t0
        out["rematch_passes_warm_cold"] = [warm.stats["passes"], cold.stats["passes"]]
        out["rematch_totals_equal"] = bool(abs(warm.total - cold.total) <= 1e-9 * abs(cold.total))
        out["rematch_optimal"] = warm.optimal and cold.optimal
        moved = {tuple(p) for p in res.pairs.tolist()} - {tuple(p) for p in warm.pairs.tolist()}
        out["rematch_pairs_changed"] = len(moved)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--m", type=int, default=10_000)
    ap.add_argument("--capacity", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-verify", action="store_true", help="skip verify_certificate")
    ap.add_argument(
        "--change",
        type=float,
        default=0.01,
        help="share of mentees changed for the re-match (0: skip)",
    )
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        res = run_child(args.n, args.m, args.capacity, args.seed, not args.no_verify, args.change)
        res["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return
    cmd = [sys.executable, __file__, "--child", "--n", str(args.n), "--m", str(args.m),
           "--capacity", str(args.capacity), "--seed", str(args.seed), "--change", str(args.change)]  # fmt: skip
    if args.no_verify:
        cmd.append("--no-verify")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    load = os.getloadavg()[0]
    print(f"\n{args.n} mentees x {args.m} mentors, capacity {args.capacity}, seed {args.seed}, "
          f"load average {load:.1f} on {os.cpu_count()} cores\n")  # fmt: skip
    for key, val in r.items():
        print(f"- {key}: {val}")
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"n": args.n, "m": args.m, "capacity": args.capacity, "seed": args.seed,
               "load_average": load, "result": r}  # fmt: skip
    (args.out / "bench_large.json").write_text(json.dumps(payload, indent=2))
    ok = r["optimal"] and r.get("certificate_valid", True)
    ok = ok and r.get("rematch_totals_equal", True) and r.get("rematch_optimal", True)
    if not ok:
        raise SystemExit("not certified optimal")


if __name__ == "__main__":
    main()
