"""Time from ``matchsvc serve`` to ``/healthz`` and to ``/readyz`` 200 (``make run``'s start).

Starts ``matchsvc serve`` (the installed console script next to this Python) on a free
loopback port with ``--data-dir`` (default ``data``: where ``make install``'s
``matchsvc prepare`` put the ONNX export), polls every 20 ms, and stops it. Besides wall time
it reports the CPU seconds the server process (threads included) had used when ``/readyz``
first answered 200: on a shared machine wall time depends on the other processes, CPU time
much less. Repeated ``--repeats`` times; the load average is recorded around each start.

    python -m benchmarks.bench_startup --repeats 3 --out bench-out/startup
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return None


def start_once(data_dir: Path, timeout: float = 120.0) -> dict[str, Any]:
    """One start: seconds to /healthz 200 and /readyz 200, CPU seconds at ready."""
    port = _free_port()
    env = {**os.environ, "MATCHSVC_PORT": str(port), "MATCHSVC_DATA_DIR": str(data_dir)}
    exe = Path(sys.executable).with_name("matchsvc")
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    out: dict[str, Any] = {"load_average_before": load}
    try:
        while time.perf_counter() - t0 < timeout:
            if "healthz_s" not in out and _status(f"http://127.0.0.1:{port}/healthz") == 200:
                out["healthz_s"] = time.perf_counter() - t0
            if _status(f"http://127.0.0.1:{port}/readyz") == 200:
                out["ready_s"] = time.perf_counter() - t0
                out["cpu_s_at_ready"] = _cpu_seconds(proc.pid)
                break
            time.sleep(0.02)
    finally:
        proc.terminate()
        proc.wait(30)
    out["load_average_after"] = os.getloadavg()[0]
    return out


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench-out/startup"))
    args = parser.parse_args(argv)
    runs = [start_once(args.data_dir.resolve()) for _ in range(args.repeats)]
    report = {
        "runs": runs,
        "ready_s_median": statistics.median(r.get("ready_s", float("nan")) for r in runs),
        "cpu_s_at_ready_median": statistics.median(
            r.get("cpu_s_at_ready", float("nan")) for r in runs
        ),
        "cpu_count": os.cpu_count(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "startup.json").write_text(json.dumps(report, indent=2))
    for r in runs:
        print(
            f"- healthz {r.get('healthz_s', float('nan')):.2f} s, ready "
            f"{r.get('ready_s', float('nan')):.2f} s, CPU at ready "
            f"{r.get('cpu_s_at_ready', float('nan')):.2f} s (load average "
            f"{r['load_average_before']:.1f}-{r['load_average_after']:.1f})"
        )
    print(
        f"median: ready {report['ready_s_median']:.2f} s, CPU at ready "
        f"{report['cpu_s_at_ready_median']:.2f} s"
    )


if __name__ == "__main__":
    main()
