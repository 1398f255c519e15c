"""What one worker spends on one full pass: CPU per score, bytes out, memory (the scale plan's input).

Runs the ``pricing`` solver's two task kinds (:mod:`matchsvc.assignment._partitioned`) in this
process, one thread (as a Ray task with ``num_cpus=1`` runs them), on the scores of
``benchmarks.bench_large`` (float32 cosines of 384-dimensional embeddings, computed block by
block): the candidate pass task (``_top_task``) and a pricing pass task (``_price_task``, with
the potentials of the solved problem). CPU time is ``time.process_time`` (robust to other
processes on a shared machine, unlike wall time). Reports CPU seconds per 10^9 scores for
each, the bytes each task returns per row, the insertion records per span, and peak RSS.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.bench_pass_cost --n 20000 --m 10000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_large import EmbeddingScores, make_vectors


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, list | tuple):
        return sum(_nbytes(v) for v in value)
    return 0


def run(n: int, m: int, cap: int, seed: int, spans: int) -> dict[str, Any]:
    """Measure (see the module docstring)."""
    from matchsvc.assignment import assign
    from matchsvc.assignment._blocks import RowBlocks
    from matchsvc.assignment._partitioned import _price_task, _top_task, row_spans
    from matchsvc.assignment._validate import validate

    a, b = make_vectors(n, m, seed)
    problem = validate(EmbeddingScores(a, b), cap, 1, None, "total", None)
    blocks = RowBlocks(problem)
    cells = n * m
    load = [os.getloadavg()[0]]
    r = cap + 20  # PricingSolver's defaults: k = 8, extra = 20, kcache = 16
    shared = (blocks.step, 8, r, np.zeros(n), np.zeros(m))
    t0 = time.process_time()
    tops = [_top_task(problem, r0, r1, shared, np.zeros(0, np.int64)) for r0, r1 in row_spans(n, blocks.step, spans)]  # fmt: skip
    top_cpu = time.process_time() - t0
    result = assign(EmbeddingScores(a, b), capacity=cap, solver="pricing")
    cert = result.certificate
    assert cert is not None
    mptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(result.pairs[:, 0], minlength=n), out=mptr[1:])
    price_shared = (
        blocks.step, cert.mentee_potential, cert.mentor_potential, 1e-11, cert.reach_mentees,
        cert.reach_mentors, bool(cert.reach_mentees.any()), mptr, result.pairs[:, 1].copy(), 16,
    )  # fmt: skip
    t0 = time.process_time()
    prices = [_price_task(problem, r0, r1, price_shared) for r0, r1 in row_spans(n, blocks.step, spans)]  # fmt: skip
    price_cpu = time.process_time() - t0
    load.append(os.getloadavg()[0])
    records = [int(t[1][0].size) for t in tops]
    return {
        "n": n, "m": m, "capacity": cap, "spans": spans, "block_rows": blocks.step,
        "cpu_s_per_1e9_scores_candidate_pass": top_cpu / cells * 1e9,
        "cpu_s_per_1e9_scores_price_pass": price_cpu / cells * 1e9,
        "candidate_summary_bytes_per_row": sum(_nbytes(t[0][:3]) for t in tops) / n,
        "candidate_kth_bytes_per_span": _nbytes(tops[0][0][3]),
        "records_per_span": records,
        "record_bytes": 16,
        "price_bytes_per_row": sum(_nbytes(p[:2]) for p in prices) / n,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "load_average": load,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--m", type=int, default=10_000)
    parser.add_argument("--capacity", type=int, default=10)
    parser.add_argument("--spans", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench-out/pass-cost"))
    args = parser.parse_args(argv)
    report = run(args.n, args.m, args.capacity, args.seed, args.spans)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pass_cost.json").write_text(json.dumps(report, indent=2))
    for key, value in report.items():
        print(f"- {key}: {value}")


if __name__ == "__main__":
    main()
