"""Load test: a real ``matchsvc serve`` process under concurrent small requests.

Starts the service on a free 127.0.0.1 port with a fresh temporary data dir (the configured or
bundled model, cold embedding cache), waits for ``/readyz``, then runs ``--clients`` concurrent
httpx clients for ``--duration`` seconds on a seeded mix of small ``/match``, ``/recommend`` and
``/assign`` requests. Reports throughput, p50/p95/p99 latency and errors per operation, the
server's RSS at start (ready, before load) and end (and its peak), stage timings and cache
counters from ``/metrics``, and checks that the server logged one access line per request.
Prints Markdown and writes ``load_test.json`` and the server's log to ``--out``.

    python -m benchmarks.load_test --duration 60 --clients 8 --out bench-out/load

Talks to loopback only; every loop ends by a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

HOST = "127.0.0.1"
OPERATIONS = {"match": 0.4, "recommend": 0.3, "assign": 0.3}

SKILLS = [
    "python", "sql", "data pipelines", "machine learning", "public speaking", "leadership",
    "react", "typescript", "kubernetes", "product management", "ux research", "statistics",
    "rust", "go", "system design", "negotiation", "career change", "hiring", "testing",
    "cloud security", "mobile development", "technical writing", "data visualisation", "java",
]  # fmt: skip
GOALS = [
    "move into {} within a year",
    "get better at {} for my current role",
    "lead a team that works on {}",
    "help newcomers learn {}",
    "switch careers towards {}",
]
STYLES = ["direct and practical", "patient, likes questions", "async, written feedback", ""]
LANGUAGES = [["en"], ["en", "de"], ["en", "fr"]]


def _person(rng: random.Random, pid: str, capacity: int) -> dict[str, Any]:
    skills = rng.sample(SKILLS, rng.randint(1, 4))
    return {
        "id": pid,
        "skills": skills,
        "goals": rng.choice(GOALS).format(rng.choice(SKILLS)),
        "communication": {"languages": rng.choice(LANGUAGES), "style": rng.choice(STYLES)},
        "capacity": capacity,
    }


def make_request(rng: random.Random, operation: str) -> tuple[str, dict[str, Any]]:
    """A small request body for ``operation`` (texts from a fixed pool: the cache warms up)."""
    if operation == "assign":
        rows, cols = rng.randint(4, 12), rng.randint(2, 6)
        scores = [[round(rng.random(), 3) for _ in range(cols)] for _ in range(rows)]
        return "/assign", {"scores": scores, "capacity": [rng.randint(1, 3)] * cols}
    mentees = [_person(rng, f"e{i}", 1) for i in range(rng.randint(3, 10))]
    mentors = [_person(rng, f"m{j}", rng.randint(1, 3)) for j in range(rng.randint(2, 5))]
    body: dict[str, Any] = {"mentees": mentees, "mentors": mentors}
    if operation == "recommend":
        body["top_n"] = 3
    return f"/{operation}", body


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mib(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of ``pid`` in MiB, from /proc/<pid>/status."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


@dataclass
class Result:
    operation: str
    status: int  # 0: no response (connection error or client timeout)
    seconds: float


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)


async def client_loop(
    client: httpx.AsyncClient, seed: int, deadline: float, run: Run, bodies: int
) -> None:
    """Send requests back to back until ``deadline`` (one in flight per client)."""
    rng = random.Random(seed)
    names, weights = list(OPERATIONS), list(OPERATIONS.values())
    pool = [(*make_request(rng, op), op) for op in rng.choices(names, weights, k=bodies)]
    k = 0
    while time.monotonic() < deadline:
        path, body, operation = pool[k % len(pool)]
        k += 1
        start = time.perf_counter()
        try:
            response = await client.post(path, json=body)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        run.results.append(Result(operation, status, time.perf_counter() - start))


async def drive(base_url: str, clients: int, duration: float, bodies: int) -> Run:
    """Run ``clients`` loops for ``duration`` seconds."""
    run = Run()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        deadline = time.monotonic() + duration
        await asyncio.gather(
            *(client_loop(client, 1000 + c, deadline, run, bodies) for c in range(clients))
        )
    return run


def wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    """Poll /readyz until 200; returns seconds waited. Raises if the server dies or times out."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it was ready")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the server was not ready within {timeout:g} s")


def scrape(base_url: str) -> dict[str, float]:
    """Flat ``name{labels}`` -> value of the server's /metrics."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return out


def summarise(run: Run, duration: float) -> dict[str, dict[str, float]]:
    """Per operation and overall: requests, req/s, ok, errors, p50/p95/p99 ms."""
    groups: dict[str, list[Result]] = {op: [] for op in OPERATIONS}
    for result in run.results:
        groups[result.operation].append(result)
    groups["all"] = list(run.results)
    table: dict[str, dict[str, float]] = {}
    for name, results in groups.items():
        ms = np.array([r.seconds * 1000 for r in results]) if results else np.zeros(1)
        ok = sum(200 <= r.status < 300 for r in results)
        table[name] = {
            "requests": len(results),
            "throughput_rps": len(results) / duration,
            "ok": ok,
            "errors": len(results) - ok,
            "p50_ms": float(np.percentile(ms, 50)),
            "p95_ms": float(np.percentile(ms, 95)),
            "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max()),
        }
    statuses: dict[str, int] = {}
    for result in run.results:
        statuses[str(result.status)] = statuses.get(str(result.status), 0) + 1
    table["all"]["statuses"] = statuses  # type: ignore[assignment]
    return table


def stop(process: subprocess.Popen[bytes], timeout: float) -> tuple[int | None, float]:
    """SIGTERM, wait up to ``timeout`` s (then SIGKILL); returns (exit code, seconds)."""
    start = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code: int | None = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
        code = None
    return code, time.monotonic() - start


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--out", type=Path, default=Path("bench-out/load"), help="output dir")
    parser.add_argument("--ready-timeout", type=float, default=180.0, help="seconds for /readyz")
    parser.add_argument("--bodies", type=int, default=50, help="distinct bodies per client (50)")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.clients < 1:
        parser.error("--duration must be > 0 and --clients >= 1")
    args.out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()  # other work on the machine skews every figure
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="matchsvc-load-") as data_dir:
        env = {
            **os.environ,
            "MATCHSVC_HOST": HOST,
            "MATCHSVC_PORT": str(port),
            "MATCHSVC_DATA_DIR": data_dir,
            "HF_HUB_OFFLINE": "1",
        }
        log_path = args.out / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", "from matchsvc.cli import app; app()", "serve"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                ready_s = wait_ready(base_url, process, args.ready_timeout)
                rss_start = rss_mib(process.pid)
                metrics_before = scrape(base_url)
                start = time.monotonic()
                run = asyncio.run(drive(base_url, args.clients, args.duration, args.bodies))
                elapsed = time.monotonic() - start
                rss_end = rss_mib(process.pid)
                metrics_after = scrape(base_url)
            finally:
                exit_code, stop_s = stop(process, 60)
    access = [
        entry
        for entry in (
            json.loads(line) for line in log_path.read_text().splitlines() if line[:1] == "{"
        )
        if entry.get("logger") == "matchsvc.access" and entry.get("method") == "POST"
    ]
    stages = {}
    for stage in ("embed", "score", "solve", "explain"):
        count = metrics_after.get(f"matchsvc_stage_duration_seconds_count{{stage={stage}}}", 0)
        total = metrics_after.get(f"matchsvc_stage_duration_seconds_sum{{stage={stage}}}", 0)
        stages[stage] = {"count": count, "mean_ms": 1000 * total / count if count else None}
    cache = {
        name: metrics_after.get(f"matchsvc_embedding_cache_{name}_total{{}}", 0)
        - metrics_before.get(f"matchsvc_embedding_cache_{name}_total{{}}", 0)
        for name in ("hits", "misses")
    }
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "clients": args.clients,
        "duration_s": elapsed,
        "ready_after_s": ready_s,
        "model_load_s": metrics_after.get("matchsvc_model_load_seconds{}"),
        "rss_mib": {"start": rss_start["VmRSS"], "end": rss_end["VmRSS"], "peak": rss_end["VmHWM"]},
        "operations": summarise(run, elapsed),
        "stages_during_load": stages,
        "cache_during_load": cache,
        "access_lines_for_posts": len(access),
        "shutdown": {"exit_code": exit_code, "seconds": stop_s},
    }
    (args.out / "load_test.json").write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    return report


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    ops = report["operations"]
    lines = [
        f"Load test: {report['clients']} clients for {report['duration_s']:.0f} s against "
        f"`matchsvc serve` ({report['machine']['cpus']} CPUs, Python "
        f"{report['machine']['python']}); server ready after {report['ready_after_s']:.1f} s; "
        f"load average {report['machine']['load_average_before'][0]:.2f} before, "
        f"{report['machine']['load_average_after'][0]:.2f} after.",
        "",
        "| operation | requests | throughput | p50 | p95 | p99 | max | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in ops.items():
        lines.append(
            f"| {name} | {row['requests']:,} | {row['throughput_rps']:.1f} req/s | "
            f"{row['p50_ms']:.1f} ms | {row['p95_ms']:.1f} ms | {row['p99_ms']:.1f} ms | "
            f"{row['max_ms']:.0f} ms | {row['errors']} |"
        )
    rss = report["rss_mib"]
    stages = ", ".join(
        f"{stage} {v['mean_ms']:.1f} ms"
        for stage, v in report["stages_during_load"].items()
        if v["mean_ms"] is not None
    )
    cache = report["cache_during_load"]
    lines += [
        "",
        f"- statuses: {ops['all']['statuses']}",
        f"- server RSS: {rss['start']:.0f} MiB at start (ready, idle), {rss['end']:.0f} MiB at "
        f"the end, peak {rss['peak']:.0f} MiB",
        f"- mean stage time per /match during the load: {stages}",
        f"- embedding cache during the load: {cache['hits']:.0f} hits, {cache['misses']:.0f} misses",
        f"- access log lines for POSTs: {report['access_lines_for_posts']:,} "
        f"(requests sent: {ops['all']['requests']:,})",
        f"- shutdown on SIGTERM: exit {report['shutdown']['exit_code']} in "
        f"{report['shutdown']['seconds']:.1f} s",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
