"""Benchmark group-fair matching and the audit on one embedding-like instance.

Scores are those of ``bench_assign.py`` (cosine similarities of clustered 384-d vectors).
Mentees get a ``region`` (four values, seeded); the planted programme lowers region 3's
scores by 0.08, so the unconstrained optimum under-serves it when slots are scarce.

Measured in one process, one after the other (numba kernels compiled before the clock):

* ``tight``: the ``bench_assign`` instance (capacity 5, as many slots as mentees): every mentee
  can be matched, the floors hold at the unconstrained optimum;
* ``scarce``: the planted programme with capacity 4 (8,000 slots for 10,000 mentees) and
  ``min_matched_share`` 0.78 on ``region``: region 3's floor binds;

for each, ``matchsvc.assign`` (unconstrained) and ``assign_group_fair`` (which solves the
unconstrained problem too, for the cost of fairness), their ratio, the certificate check, the
cost of fairness and the per-region shares; then ``audit`` of the scarce fair result.
Prints a Markdown table and writes ``bench_fair.json`` to ``--out``.

    python benchmarks/bench_fair.py --out bench-out            # 10,000 x 2,000
    python benchmarks/bench_fair.py --quick --out bench-out    # 2,000 x 400
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_assign import make_scores
from matchsvc.assignment import (
    GroupFloor,
    assign,
    assign_group_fair,
    verify_floor_certificate,
)
from matchsvc.audit import audit

SHARE = 0.78
PENALTY = 0.08


def _warm() -> None:
    rng = np.random.default_rng(0)
    s = rng.random((60, 12))
    g = rng.integers(0, 2, 60)
    assign(s, capacity=3)
    assign_group_fair(s, {"g": g}, [GroupFloor("g", min_matched_share=0.5)], capacity=3)
    assign(s, capacity=3, solver="pricing")


def solve_pair(
    s: np.ndarray, region: np.ndarray, cap: int, share: float, repeat: int
) -> dict[str, Any]:
    """Unconstrained and group-fair solves of one instance, alternating, best of ``repeat``."""
    t_plain: list[float] = []
    t_fair: list[float] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        plain = assign(s, capacity=cap)
        t_plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fair = assign_group_fair(
            s, {"region": region}, [GroupFloor("region", min_matched_share=share)], capacity=cap
        )
        t_fair.append(time.perf_counter() - t0)
    cert = fair.certificate
    t0 = time.perf_counter()
    valid = (
        verify_floor_certificate(fair.assignment, cert, cert.groups, cert.floors, s, cap).valid
        if cert is not None
        else None
    )
    t_check = time.perf_counter() - t0
    return {
        "capacity": cap,
        "share": share,
        "unconstrained_seconds": min(t_plain),
        "fair_seconds": min(t_fair),
        "ratio": min(t_fair) / min(t_plain),
        "unconstrained_solver": plain.solver,
        "fair_solver": fair.assignment.solver,
        "method": fair.method,
        "matched": fair.assignment.n_matched,
        "matched_unconstrained": plain.n_matched,
        "total_unconstrained": plain.total,
        "total_fair": fair.assignment.total,
        "cost_of_fairness": fair.cost_of_fairness,
        "same_unconstrained_total": abs(plain.total - fair.unconstrained.total) <= 1e-9 * len(s),
        "certificate_valid": valid,
        "check_seconds": t_check,
        "groups": [
            {
                "region": int(g.value),
                "demand": g.demand,
                "floor": g.floor,
                "matched_unconstrained": g.matched_unconstrained,
                "matched": g.matched,
            }
            for g in fair.groups
        ],
        "_fair": fair,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 x 400 instead of 10,000 x 2,000")
    ap.add_argument("--out", type=Path, default=Path("bench-out"), help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1, help="solves per method (best is kept)")
    args = ap.parse_args()
    n = 2000 if args.quick else 10_000
    m = n // 5
    load_start = os.getloadavg()[0]
    _warm()
    base = make_scores(n, m, args.seed)
    region = np.random.default_rng(args.seed).integers(0, 4, n)
    tight = solve_pair(base, region, 5, SHARE, args.repeat)
    planted = base.copy()
    planted[region == 3] -= PENALTY
    scarce = solve_pair(planted, region, 4, SHARE, args.repeat)
    fair = scarce.pop("_fair")
    tight.pop("_fair")
    ids_e = [f"e{i}" for i in range(n)]
    ids_r = [f"r{j}" for j in range(m)]
    reasons = [None if u == 0 else "capacity_exhausted" for u in fair.assignment.unmatched]
    t_audit = []
    for _ in range(3):
        t0 = time.perf_counter()
        rep = audit(
            ids_e, ids_r, fair.assignment.pairs, scores=planted, capacity=4,
            unmatched_reasons=reasons, mentee_groups={"region": region},
        )  # fmt: skip
        t_audit.append(time.perf_counter() - t0)
    load_end = os.getloadavg()[0]

    print(f"\n{n} mentees x {m} mentors, seed {args.seed}; load average {load_start:.1f} at the")
    print(f"start, {load_end:.1f} at the end, {os.cpu_count()} cores\n")
    print("| instance | unconstrained (s) | group-fair (s) | ratio | matched | total without"
          " floors | total with floors | cost of fairness | certificate |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in (("tight, capacity 5", tight), ("scarce planted, capacity 4", scarce)):
        print(
            f"| {name} | {r['unconstrained_seconds']:.2f} | {r['fair_seconds']:.2f} | "
            f"{r['ratio']:.2f}x | {r['matched']} | {r['total_unconstrained']:.4f} | "
            f"{r['total_fair']:.4f} | {r['cost_of_fairness']:.4f} | {r['certificate_valid']} |"
        )
    print(f"\nregion shares on the scarce planted programme (floor = ceil({SHARE} x demand)):\n")
    print("| region | demand | floor | matched without floors | matched with floors |")
    print("|---|---|---|---|---|")
    for g in scarce["groups"]:
        print(
            f"| {g['region']} | {g['demand']} | {g['floor']} | {g['matched_unconstrained']} | "
            f"{g['matched']} |"
        )
    flagged = [g for g in rep.groups if g.share_flag]
    print(f"\naudit of the scarce fair result: {min(t_audit):.3f} s (best of 3), "
          f"{len(rep.groups)} groups, {len(flagged)} flagged")  # fmt: skip
    payload = {
        "n": n,
        "m": m,
        "seed": args.seed,
        "load_average_start": load_start,
        "load_average_end": load_end,
        "tight": tight,
        "scarce": scarce,
        "audit_seconds": min(t_audit),
        "audit_seconds_all": t_audit,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_fair.json").write_text(json.dumps(payload, indent=2, default=float))
    if not all(r["certificate_valid"] in (True, None) for r in (tight, scarce)):
        raise SystemExit("certificate rejected")


if __name__ == "__main__":
    main()
