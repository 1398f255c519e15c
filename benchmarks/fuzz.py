"""Fuzz a real ``matchsvc serve`` with schemathesis: every operation, every phase, one seed.

Starts the service on a free 127.0.0.1 port with a fresh data dir (the bundled model, or the
tests' hashing encoder with ``--fake-encoder``), waits for ``/readyz``, then runs schemathesis
over all operations and all four phases (examples, coverage, fuzzing, stateful) with every
check but two: "schema-valid data is accepted" (some rules, such as unique ids, cannot be
written in JSON Schema, so a schema-valid body may rightly get a 422) and "a deleted resource is
gone" (``DELETE /jobs/{id}`` on an unfinished job *cancels* it, 200 or 202, and the job stays
readable as cancelled; only a finished job is erased, 204 then 404: the documented contract,
which schemathesis reads as a use after free). Reads schemathesis' NDJSON report
back and writes ``summary.json`` and ``summary.md`` to ``--out``: requests sent, status codes
per operation, server errors, failed checks with their operation, and the seed to reproduce
them. Exit status 1 when any request got a 5xx or any check failed.

    python -m benchmarks.fuzz --seed 1 --max-examples 60 --max-time 1200 --out bench-out/fuzz

``make fuzz SEED=2`` runs it. CI runs a smaller pass of the same function on the hashing
encoder (``tests/api/test_fuzz.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.load_test import HOST, free_port, stop, wait_ready

PHASES = "examples,coverage,fuzzing,stateful"
SERVE_FAKE = (
    "import sys; sys.path.insert(0, '.'); import uvicorn; from pathlib import Path; "
    "from matchsvc.api import create_app; from matchsvc.config import Settings; "
    "from tests.fakes import FakeEncoder; "
    "uvicorn.run(create_app(Settings(), encoder=FakeEncoder()), host=sys.argv[1], "
    "port=int(sys.argv[2]), log_level='warning')"
)
# Small people limits keep each generated request cheap; larger bodies get documented 413s.
LIMITS = {"MATCHSVC_MAX_MENTEES": "40", "MATCHSVC_MAX_MENTORS": "40"}


def run_schemathesis(
    base_url: str, *, seed: int, max_examples: int, out: Path, max_time: int | None = None
) -> Path:
    """Run schemathesis against ``base_url``; returns the path of its NDJSON report."""
    out.mkdir(parents=True, exist_ok=True)
    report = out / "events.ndjson"
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{base_url}/openapi.json",
        "--phases", PHASES, "--checks", "all",
        "--exclude-checks", "positive_data_acceptance,use_after_free",
        "--seed", str(seed), "--max-examples", str(max_examples), "--workers", "1",
        "--report", "ndjson", "--report-ndjson-path", str(report),
        "--suppress-health-check", "all", "--request-timeout", "120",
    ]  # fmt: skip
    if max_time is not None:
        command += ["--max-time", str(max_time)]
    with (out / "schemathesis.txt").open("w") as log:
        subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    return report


def summarise(report: Path, seed: int) -> dict[str, Any]:
    """Requests, statuses and failures read from a schemathesis NDJSON report."""
    statuses: dict[str, Counter[int]] = {}
    failures: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished or not finished.get("recorder"):
            continue
        recorder = finished["recorder"]
        label = recorder["label"]
        phase = finished.get("phase", "?")
        for interaction in recorder.get("interactions", {}).values():
            response = interaction.get("response")
            code = response["status_code"] if response else 0
            statuses.setdefault(label, Counter())[code] += 1
            phases[phase] += 1
        for case_checks in recorder.get("checks", {}).values():
            for check in case_checks:
                if check.get("status") == "failure":
                    failures[f"{check.get('name')} on {label}"] += 1
    per_status: Counter[int] = Counter()
    for counts in statuses.values():
        per_status.update(counts)
    return {
        "seed": seed,
        "requests": sum(per_status.values()),
        "server_errors": sum(n for code, n in per_status.items() if code >= 500 or code == 0),
        "failed_checks": dict(failures),
        "status_codes": {str(code): n for code, n in sorted(per_status.items())},
        "requests_per_phase": dict(phases),
        "per_operation": {
            label: {str(code): n for code, n in sorted(counts.items())}
            for label, counts in sorted(statuses.items())
        },
    }


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"# schemathesis pass, seed {summary['seed']}",
        "",
        f"- requests: {summary['requests']:,} ({', '.join(f'{k} {v:,}' for k, v in summary['requests_per_phase'].items())})",
        f"- server errors (5xx or no response): {summary['server_errors']}",
        f"- failed checks: {sum(summary['failed_checks'].values())}",
        f"- status codes: {', '.join(f'{k}: {v:,}' for k, v in summary['status_codes'].items())}",
        f"- duration: {summary.get('seconds', 0):.0f} s, load average {summary.get('load', '?')}",
        "",
        "| operation | status codes |",
        "|---|---|",
    ]
    for label, counts in summary["per_operation"].items():
        lines.append(f"| {label} | {', '.join(f'{k}: {v}' for k, v in counts.items())} |")
    if summary["failed_checks"]:
        lines += ["", "## Failed checks", ""]
        lines += [f"- {name}: {n}" for name, n in summary["failed_checks"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="schemathesis seed (1)")
    parser.add_argument("--max-examples", type=int, default=120, help="cases per operation")
    parser.add_argument("--max-time", type=int, default=None, help="seconds for the whole run")
    parser.add_argument("--out", type=Path, default=Path("bench-out/fuzz"), help="output dir")
    parser.add_argument("--fake-encoder", action="store_true", help="the tests' hashing encoder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="matchsvc-fuzz-") as data_dir:
        env = {
            **os.environ,
            **LIMITS,
            "MATCHSVC_HOST": HOST,
            "MATCHSVC_PORT": str(port),
            "MATCHSVC_DATA_DIR": data_dir,
            "HF_HUB_OFFLINE": "1",
        }
        if args.fake_encoder:
            command = [sys.executable, "-c", SERVE_FAKE, HOST, str(port)]
        else:
            command = [sys.executable, "-c", "from matchsvc.cli import app; app()", "serve"]
        with (args.out / "server.log").open("wb") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_ready(base_url, process, timeout=300)
                start = time.monotonic()
                report = run_schemathesis(
                    base_url,
                    seed=args.seed,
                    max_examples=args.max_examples,
                    out=args.out,
                    max_time=args.max_time,
                )
                seconds = time.monotonic() - start
            finally:
                stop(process, timeout=30)
    if not report.is_file():  # schemathesis refused its arguments or crashed: say why
        print((args.out / "schemathesis.txt").read_text()[-2000:], file=sys.stderr)
        return 2
    summary = summarise(report, args.seed) | {
        "seconds": seconds,
        "load": [round(x, 2) for x in (*load, *os.getloadavg())],
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    text = markdown(summary)
    (args.out / "summary.md").write_text(text)
    print(text)
    return 1 if summary["server_errors"] or summary["failed_checks"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
