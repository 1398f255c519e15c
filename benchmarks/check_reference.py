"""Compare a fresh suite run with the committed reference (``benchmarks/reference/``).

Usage::

    python -m benchmarks.suite --quick --out bench-out/quick
    python -m benchmarks.check_reference bench-out/quick

Quality figures (totals, minima, envy counts, recovery, pair counts, objective agreement, the
peer section's totals and circle bound) come from seeded data and deterministic solvers, so they
must match to ``1e-6`` relative (peer figures only once the reference has a peer section). Timings
and memory are noisy on shared 2-core machines: they are reported as ratios and flagged only
beyond ``--time-factor`` (default 3x). Exit status 1 when a quality figure differs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["compare_results", "main"]

REFERENCE = Path(__file__).resolve().parent / "reference"


def _quality(results: Mapping[str, Any]) -> Iterator[tuple[str, float]]:
    for name, run in results["solvers"]["runs"].items():
        for key, value in run.get("metrics", {}).items():
            yield f"solvers.{name}.{key}", float(value)
    for key, value in results["solvers"].get("scoring_only", {}).items():
        yield f"solvers.scoring_only.{key}", float(value)
    for name, run in results["reference"]["runs"].items():
        for key in ("total", "pairs"):
            if run.get(key) is not None:
                yield f"reference.{name}.{key}", float(run[key])
    yield "reference.objectives_equal", float(results["reference"]["objectives_equal"])
    for row in results["scaling"]["rows"]:
        if row["stage"] == "embed":
            yield f"scaling.{row['n_mentees']}.texts", float(row["texts"])
    peer = results.get("peer")
    if peer:
        for n, row in peer["pairs"].items():
            for method, run in row.items():
                for key in ("pairs", "total"):
                    yield f"peer.pairs.{n}.{method}.{key}", float(run[key])
        for section, keys in (("dense", ("pairs", "total")), ("circles", ("value", "upper_bound"))):
            for key in keys:
                yield f"peer.{section}.{key}", float(peer[section][key])


def _timings(results: Mapping[str, Any]) -> Iterator[tuple[str, float]]:
    for name, run in results["solvers"]["runs"].items():
        if "seconds" in run:
            yield f"solvers.{name}.seconds", float(run["seconds"])
    for name, run in results["reference"]["runs"].items():
        yield f"reference.{name}.seconds", float(run["seconds"])
    for row in results["scaling"]["rows"]:
        yield f"scaling.{row['n_mentees']}.{row['stage']}.seconds", float(row["seconds"])
    for n, row in (results.get("peer") or {}).get("pairs", {}).items():
        for method, run in row.items():
            yield f"peer.pairs.{n}.{method}.seconds", float(run["seconds"])


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def compare_results(
    fresh: Mapping[str, Any], reference: Mapping[str, Any], *, time_factor: float = 3.0
) -> tuple[list[str], list[str]]:
    """``(quality differences, timing outliers)`` between two suite ``results.json`` dicts.

    A quality key present in one run only counts as a difference; a timing is an outlier when
    the ratio fresh / reference is beyond ``time_factor`` either way (and either is >= 50 ms).
    """
    ref_q = dict(_quality(reference))
    new_q = dict(_quality(fresh))
    if "peer" not in reference:  # a reference from before the peer section: nothing to compare
        new_q = {k: v for k, v in new_q.items() if not k.startswith("peer.")}
    diffs = [
        f"{k}: reference {ref_q.get(k)} vs fresh {new_q.get(k)}"
        for k in sorted(set(ref_q) | set(new_q))
        if k not in ref_q or k not in new_q or not _same(ref_q[k], new_q[k])
    ]
    ref_t = dict(_timings(reference))
    outliers = []
    for key, value in _timings(fresh):
        old = ref_t.get(key)
        if old is None or max(old, value) < 0.05 or min(old, value) <= 0:
            continue
        ratio = value / old
        if not 1 / time_factor <= ratio <= time_factor:
            outliers.append(f"{key}: {old:.3g} s -> {value:.3g} s ({ratio:.2f}x)")
    return diffs, outliers


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.check_reference")
    parser.add_argument("fresh", type=Path, help="output folder of a fresh quick run")
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--time-factor", type=float, default=3.0)
    args = parser.parse_args(argv)
    fresh = json.loads((args.fresh / "results.json").read_text())
    reference = json.loads((args.reference / "results.json").read_text())
    diffs, outliers = compare_results(fresh, reference, time_factor=args.time_factor)
    for line in diffs:
        print("QUALITY DIFFERS  " + line)
    for line in outliers:
        print("timing outlier   " + line)
    print(
        f"{len(diffs)} quality differences, {len(outliers)} timings beyond "
        f"{args.time_factor:g}x (machine load varies; quality must not)"
    )
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
