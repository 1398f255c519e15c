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

``--ray ADDRESS`` runs the solver's full passes on a Ray cluster (``local``: one started on
this machine with all its cores) instead of in-process; ``--compare-ray ADDRESS`` runs both,
one after the other in fresh processes, and reports the overhead and whether the answers
are byte-identical (digests of the pairs and of the certificate). The Ray run also meters
what crosses between the driver and the cluster per pass (the numpy payload of what is put,
passed and returned) and the peak RSS of the Ray worker processes.

    python benchmarks/bench_large.py --compare-ray local --no-verify --change 0
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to a Ray cluster) without the cached tile."""
        state = dict(self.__dict__)
        state["_last"] = (-1, np.zeros((0, 0), np.float32))
        state["calls"] = 0
        return state

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


def _nbytes(value: Any) -> int:
    """The numpy payload of a value (arrays inside tuples, lists and dicts); 0 for handles."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, list | tuple):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, EmbeddingScores):
        return int(value.a.nbytes + value.bt.nbytes)
    if hasattr(value, "scores") and hasattr(value, "capacity"):  # the Problem
        return sum(_nbytes(getattr(value, f)) for f in ("scores", "capacity", "demand", "allowed"))
    return 0


class Meter:
    """Counts the bytes a block runner moves, per task function, and times each pass."""

    def __init__(self) -> None:
        self.sent: dict[str, int] = defaultdict(int)
        self.received: dict[str, int] = defaultdict(int)
        self.tasks: dict[str, int] = defaultdict(int)
        self.pass_seconds: list[tuple[str, float]] = []

    def wrap(self, executor: Any) -> Any:
        meter = self

        class _Runner:
            def __init__(self, inner: Any) -> None:
                self._inner = inner
                self._names: dict[int, str] = {}

            @property
            def problem(self) -> Any:
                return self._inner.problem

            @property
            def parallelism(self) -> int:
                return int(self._inner.parallelism)

            def put(self, value: Any) -> Any:
                meter.sent["put (shared per pass)"] += _nbytes(value)
                return self._inner.put(value)

            def submit(self, fn: Callable[..., Any], *args: Any, num_returns: int = 1) -> Any:
                name = fn.__name__
                meter.tasks[name] += 1
                meter.sent[name] += _nbytes(args)
                out = self._inner.submit(fn, *args, num_returns=num_returns)
                for h in out if isinstance(out, tuple | list) else (out,):
                    self._names[id(h)] = name
                return out

            def get(self, handles: Sequence[Any]) -> list[Any]:
                values = self._inner.get(handles)
                for h, v in zip(handles, values, strict=True):
                    meter.received[self._names.get(id(h), "?")] += _nbytes(v)
                return values

        class _Executor:
            @contextmanager
            def bind(self, problem: Any) -> Iterator[Any]:
                meter.sent["problem (once per solve)"] += _nbytes(problem)
                with executor.bind(problem) as runner:
                    yield _Runner(runner)

        return _Executor()

    def report(self) -> dict[str, Any]:
        return {
            "tasks": dict(self.tasks),
            "bytes_sent": dict(self.sent),
            "bytes_received": dict(self.received),
            "pass_seconds": self.pass_seconds,
        }


@contextmanager
def timed_passes(meter: Meter) -> Iterator[None]:
    """Time each full pass (candidate scan, pricing scans) of every PricingSolver."""
    from matchsvc.assignment._pricing import PricingSolver

    originals = {name: getattr(PricingSolver, name) for name in ("_candidates", "_price")}

    def timer(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                meter.pass_seconds.append((name.strip("_"), time.perf_counter() - t0))

        return run

    for name, fn in originals.items():
        setattr(PricingSolver, name, timer(name, fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(PricingSolver, name, fn)


def digest(res: Any) -> str:
    """sha256 of the pairs, their scores and every array of the certificate."""
    h = hashlib.sha256(res.pairs.tobytes() + res.scores.tobytes())
    c = res.certificate
    for name in ("mentee_potential", "mentor_potential", "reach_mentees", "reach_mentors"):
        h.update(getattr(c, name).tobytes())
    h.update(np.array([c.source_potential, c.sink_potential]).tobytes())
    return h.hexdigest()[:16]


def tree_cpu_seconds(root: int | None = None) -> float:
    """User + system CPU seconds of process ``root`` (default: this one) and every process
    below it, threads included (from ``/proc``): for a local Ray cluster, the driver, Ray's
    own processes and its workers."""
    children: dict[int, list[int]] = defaultdict(list)
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        children[int(fields[1])].append(pid)
        ticks[pid] = int(fields[11]) + int(fields[12])
    total, todo = 0, [root or os.getpid()]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


def _worker_rss_mib() -> dict[str, float]:
    """Peak RSS of the Ray worker processes that ran tasks (asked through tiny tasks)."""
    import ray

    @ray.remote(num_cpus=1)
    def peak() -> tuple[int, float]:
        return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    seen = dict(ray.get([peak.remote() for _ in range(16)]))
    return {str(pid): mib for pid, mib in sorted(seen.items())}


def run_child(
    n: int,
    m: int,
    cap: int,
    seed: int,
    verify: bool,
    change: float,
    ray_address: str | None = None,
) -> dict[str, object]:
    from matchsvc.assignment import assign, verify_certificate
    from matchsvc.assignment._pricing import PricingSolver

    a, b = make_vectors(n, m, seed)
    src = EmbeddingScores(a, b)
    out: dict[str, object] = {"mode": "in-process" if ray_address is None else "ray"}
    meter = Meter()
    executor: Any = None
    if ray_address is not None:
        from matchsvc.cluster import connect

        t0 = time.perf_counter()
        cluster = connect(ray_address)
        out["ray_start_seconds"] = time.perf_counter() - t0
        out["ray_cpus"] = cluster.cpus
        executor = cluster.executor()
        # Load the compiled kernels in every worker, as the in-process run loads them below.
        warm = EmbeddingScores(a[: min(n, 4 * 4096)], b[: min(m, 1024)])
        assign(warm, capacity=4, solver=PricingSolver(executor=executor))
    assign(EmbeddingScores(a[:64], b[:16]), capacity=4, solver="pricing")  # numba cache load
    solver = PricingSolver(executor=None if executor is None else meter.wrap(executor))
    cpu0 = tree_cpu_seconds()
    t0 = time.perf_counter()
    with timed_passes(meter):
        res = assign(src, capacity=cap, solver=solver)
    secs = time.perf_counter() - t0
    out["cpu_seconds"] = tree_cpu_seconds() - cpu0
    rss_solve = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out |= {
        "seconds": secs, "matched": res.n_matched, "total": res.total, "optimal": res.optimal,
        "rounds": res.stats["rounds"], "passes": res.stats["passes"], "arcs": res.stats["arcs"],
        "block_calls": src.calls, "peak_mib_solve": rss_solve, "digest": digest(res),
    }  # fmt: skip
    out |= meter.report()
    if ray_address is not None:
        out["ray_worker_peak_rss_mib"] = _worker_rss_mib()
    if verify:
        t0 = time.perf_counter()
        rep = verify_certificate(res, src, capacity=cap)
        out["verify_seconds"] = time.perf_counter() - t0
        out["certificate_valid"] = rep.valid
        out["certificate_reasons"] = list(rep.reasons)
    if change > 0:
        src2 = EmbeddingScores(change_mentees(a, change, seed), b)
        warm_solver = PricingSolver(warm_start=res, executor=executor)
        t0 = time.perf_counter()
        warm = assign(src2, capacity=cap, solver=warm_solver)
        out["rematch_warm_seconds"] = time.perf_counter() - t0
        cold_solver = PricingSolver(executor=executor)
        t0 = time.perf_counter()
        cold = assign(src2, capacity=cap, solver=cold_solver)
        out["rematch_cold_seconds"] = time.perf_counter() - t0
        out["rematch_passes_warm_cold"] = [warm.stats["passes"], cold.stats["passes"]]
        out["rematch_totals_equal"] = bool(abs(warm.total - cold.total) <= 1e-9 * abs(cold.total))
        out["rematch_optimal"] = warm.optimal and cold.optimal
        moved = {tuple(p) for p in res.pairs.tolist()} - {tuple(p) for p in warm.pairs.tolist()}
        out["rematch_pairs_changed"] = len(moved)
        out["rematch_digest_warm"] = digest(warm)
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
    ap.add_argument("--ray", metavar="ADDRESS", help="run the passes on this Ray cluster")
    ap.add_argument(
        "--compare-ray", metavar="ADDRESS", help="run in-process, then on this Ray cluster"
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        res = run_child(
            args.n, args.m, args.capacity, args.seed, not args.no_verify, args.change, args.ray
        )
        res["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return
    modes = [args.ray] if args.compare_ray is None else [None, args.compare_ray]
    runs: list[dict[str, Any]] = []
    loads: list[float] = []
    for address in modes:
        cmd = [sys.executable, __file__, "--child", "--n", str(args.n), "--m", str(args.m),
               "--capacity", str(args.capacity), "--seed", str(args.seed),
               "--change", str(args.change)]  # fmt: skip
        if args.no_verify:
            cmd.append("--no-verify")
        if address is not None:
            cmd += ["--ray", address]
        loads.append(os.getloadavg()[0])
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        loads.append(os.getloadavg()[0])
    load = max(loads)
    print(f"\n{args.n} mentees x {args.m} mentors, capacity {args.capacity}, seed {args.seed}, "
          f"load average {min(loads):.1f}-{load:.1f} on {os.cpu_count()} cores\n")  # fmt: skip
    for r in runs:
        print(f"## {r['mode']}")
        for key, val in r.items():
            print(f"- {key}: {val}")
    payload: dict[str, Any] = {"n": args.n, "m": args.m, "capacity": args.capacity,
               "seed": args.seed, "load_average": load, "load_averages": loads}  # fmt: skip
    if len(runs) == 1:
        payload["result"] = runs[0]
        name = "bench_large.json" if args.ray is None else "bench_large_ray.json"
    else:
        here, there = runs
        payload |= {"in_process": here, "ray": there}
        payload["ray_overhead"] = there["seconds"] / here["seconds"] - 1
        payload["ray_cpu_overhead"] = there["cpu_seconds"] / here["cpu_seconds"] - 1
        payload["byte_identical"] = here["digest"] == there["digest"] and here.get(
            "rematch_digest_warm"
        ) == there.get("rematch_digest_warm")
        print(f"\nRay vs in-process: {there['seconds']:.1f} s vs {here['seconds']:.1f} s "
              f"({100 * payload['ray_overhead']:+.0f}%); CPU {there['cpu_seconds']:.0f} s vs "
              f"{here['cpu_seconds']:.0f} s ({100 * payload['ray_cpu_overhead']:+.0f}%); byte-identical: "
              f"{payload['byte_identical']}")  # fmt: skip
        name = "bench_large_compare_ray.json"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / name).write_text(json.dumps(payload, indent=2))
    ok = all(r["optimal"] and r.get("certificate_valid", True) for r in runs)
    ok = ok and all(
        r.get("rematch_totals_equal", True) and r.get("rematch_optimal", True) for r in runs
    )
    if not ok or payload.get("byte_identical") is False:
        raise SystemExit("not certified optimal, or Ray's answer differs")


if __name__ == "__main__":
    main()
