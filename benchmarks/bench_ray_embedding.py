"""Embedding throughput on a local Ray cluster vs the number of encoder actors.

Usage::

    python -m benchmarks.bench_ray_embedding --out bench-out/ray-embedding
    python -m benchmarks.bench_ray_embedding --texts 4000 --workers 1 2 4

On the profile-like corpus of :mod:`benchmarks.bench_embedding`, with the default encoder
(ONNX fp32, graph exported once into ``--cache``):

- ``in-process``: ``OnnxEncoder.encode`` on all texts, 1 thread and all cores;
- ``ray, W actors``: :class:`matchsvc.cluster.RayEncoder` with a pool of ``W`` actors of one
  thread each (Ray Data ``map_batches``); ``end_to_end`` is one ``encode`` call on all texts,
  actor start-up and model loads included (what a call pays); ``fixed`` is the same for a
  call of ``--small`` texts, and ``steady`` = ``(texts - small) / (end_to_end - fixed)``,
  the rate once the actors run.

Every Ray result is compared bit for bit with the in-process vectors. Prints a Markdown table
and writes ``ray_embedding.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_embedding import profile_corpus


def run(texts: int, workers: list[int], small: int, cache: Path, out: Path) -> dict[str, Any]:
    """Measure (see the module docstring) and write the report."""
    from matchsvc.cluster import EncoderSpec, RayEncoder, connect
    from matchsvc.scoring.encoder import bundled_model_path, load_encoder
    from matchsvc.scoring.onnx_encoder import ensure_graph

    corpus = profile_corpus(texts)
    ensure_graph(bundled_model_path(), cache)
    report: dict[str, Any] = {"texts": texts, "small": small, "cpu_count": os.cpu_count()}
    report["loadavg_start"] = os.getloadavg()
    rows: list[dict[str, Any]] = []
    reference: np.ndarray | None = None  # type: ignore[type-arg]
    for threads in (1, os.cpu_count() or 1):
        enc = load_encoder(cache_dir=cache, threads=threads, device="cpu")
        t0 = time.perf_counter()
        vectors = enc.encode(corpus)
        secs = time.perf_counter() - t0
        reference = vectors if reference is None else reference
        rows.append({"path": f"in-process, {threads} thread(s)", "seconds": secs,
                     "texts_per_s": texts / secs, "identical": bool(np.array_equal(vectors, reference))})  # fmt: skip
    t0 = time.perf_counter()
    cluster = connect("local")
    report["ray_start_seconds"] = time.perf_counter() - t0
    report["ray_cpus"] = cluster.cpus
    local = load_encoder(cache_dir=cache, threads=1, device="cpu")
    spec = EncoderSpec(None, "onnx", cache.resolve(), 1, "cpu")
    for w in workers:
        remote = RayEncoder(local, spec, workers=w, min_texts=1)
        t0 = time.perf_counter()
        remote.encode(corpus[:small])
        fixed = time.perf_counter() - t0
        t0 = time.perf_counter()
        vectors = remote.encode(corpus)
        secs = time.perf_counter() - t0
        steady = (texts - small) / max(secs - fixed, 1e-9)
        rows.append({"path": f"ray, {w} actor(s)", "seconds": secs, "texts_per_s": texts / secs,
                     "fixed_seconds": fixed, "steady_texts_per_s": steady,
                     "identical": bool(np.array_equal(vectors, reference))})  # fmt: skip
    report["rows"] = rows
    report["loadavg_end"] = os.getloadavg()
    out.mkdir(parents=True, exist_ok=True)
    (out / "ray_embedding.json").write_text(json.dumps(report, indent=2))
    print(markdown(report))
    return report


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""
    lines = [
        f"{report['texts']} texts; Ray: {report['ray_cpus']} CPUs, started in "
        f"{report['ray_start_seconds']:.1f} s; load average {report['loadavg_start'][0]:.1f} "
        f"at start, {report['loadavg_end'][0]:.1f} at end, on {report['cpu_count']} cores.",
        "",
        "| path | end to end s | texts/s end to end | fixed s (small call) | steady texts/s "
        "| bits = in-process |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        fixed = f"{r['fixed_seconds']:.1f}" if "fixed_seconds" in r else "-"
        steady = f"{r['steady_texts_per_s']:.0f}" if "steady_texts_per_s" in r else "-"
        lines.append(
            f"| {r['path']} | {r['seconds']:.1f} | {r['texts_per_s']:.0f} | {fixed} | {steady} "
            f"| {r['identical']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--texts", type=int, default=2400)
    parser.add_argument("--small", type=int, default=64, help="texts of the fixed-cost call")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cache", type=Path, default=Path("data/onnx"))
    parser.add_argument("--out", type=Path, default=Path("bench-out/ray-embedding"))
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    run(args.texts, args.workers, args.small, args.cache, args.out)


if __name__ == "__main__":
    main()
