"""Benchmark the audit and the HTML report, and group-fair matching through the pipeline.

A generated programme (:func:`benchmarks.generator.generate_programme`, 10,000 mentees x 2,000
mentors; about 5,900 mentor places for about 11,000 wanted) is run through the service's own
functions (:mod:`matchsvc.service`, as the doors call them) with the model-free hashing encoder
and the embeddings cached in memory, so the times are scoring, solving, explaining and
auditing, not embedding. Measured one after the other, in one process:

* ``POST /match`` without and with a fairness floor (``max_share_gap`` on ``domain``);
* the audit core alone (:func:`matchsvc.audit.audit` on the problem's scores) and ``POST
  /audit`` of the match by ``organisation`` and ``domain`` (which scores the pairs again);
* the report (:func:`matchsvc.report.render_report`): its time and size.

Prints a Markdown table and writes ``bench_report.json`` and ``report.html`` to ``--out``.

    python -m benchmarks.bench_report --out bench-out            # 10,000 x 2,000
    python -m benchmarks.bench_report --quick --out bench-out    # 2,000 x 400
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.encoders import HashingEncoder
from benchmarks.generator import generate_programme
from matchsvc import schemas, service
from matchsvc.audit import audit
from matchsvc.config import Settings
from matchsvc.engine import Engine
from matchsvc.pipelines import MatchOptions, build_problem
from matchsvc.report import render_report

T = TypeVar("T")
ATTRIBUTES = ["organisation", "domain"]
GAP = 0.05


def timed(run: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = run()
    return out, time.perf_counter() - start


def profile_json(p: Any) -> dict[str, Any]:
    """A core Profile as the API's JSON (what a client sends)."""
    c = p.communication
    return {
        "id": p.id,
        "skills": list(p.skills),
        "goals": p.goals,
        "communication": {
            "style": c.style,
            "channels": list(c.channels),
            "languages": list(c.languages),
            "timezone": c.timezone,
            "availability": [
                {"day": a.day, "start": a.start, "end": a.end} for a in c.availability
            ],
            "frequency": c.frequency,
        },
        "attributes": {k: list(v) if isinstance(v, tuple) else v for k, v in p.attributes.items()},
        "capacity": p.capacity,
        "demand": p.demand,
        "exclude": list(p.exclude),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 x 400 instead of 10,000 x 2,000")
    ap.add_argument("--out", type=Path, default=Path("bench-out"), help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    n = 2000 if args.quick else 10_000
    m = n // 5
    load_start = os.getloadavg()[0]
    programme = generate_programme(n, m, seed=args.seed)
    people = {
        "mentees": [profile_json(p) for p in programme.mentees],
        "mentors": [profile_json(p) for p in programme.mentors],
    }
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="bench-report-")),
        embedding_cache=False,
        max_mentees=n,
        max_mentors=m,
    )
    engine = Engine(settings, encoder=HashingEncoder())
    plain_request = schemas.MatchRequest.model_validate(people)
    fair_request = schemas.MatchRequest.model_validate(
        {**people, "options": {"fairness": [{"attribute": "domain", "max_share_gap": GAP}]}}
    )
    service.run_match(engine, plain_request)  # embeds every text once (kept in memory)
    plain, t_plain = timed(lambda: service.run_match(engine, plain_request))
    fair, t_fair = timed(lambda: service.run_match(engine, fair_request))
    problem = build_problem(programme.mentees, programme.mentors, MatchOptions(), engine.cache)
    index = {pid: i for i, pid in enumerate(problem.comp.mentee_ids)}
    cols = {pid: j for j, pid in enumerate(problem.comp.mentor_ids)}
    pairs = [(index[x.mentee_id], cols[x.mentor_id]) for x in fair.matches]
    groups = {a: [p.attributes[a] for p in programme.mentees] for a in ATTRIBUTES}
    _, t_core = timed(
        lambda: audit(
            problem.comp.mentee_ids, problem.comp.mentor_ids, pairs, scores=problem.scores,
            allowed=problem.allowed, demand=problem.demand, capacity=problem.capacity,
            mentee_groups=groups,
        )
    )  # fmt: skip
    audit_request = schemas.AuditRequest.model_validate(
        {**people, "match": fair.model_dump(mode="json"), "attributes": ATTRIBUTES}
    )
    audited, t_audit = timed(lambda: service.run_audit(engine, audit_request))
    html, t_report = timed(lambda: render_report(audited, fair, title="Benchmark programme"))
    size = len(html.encode("utf-8"))
    load_end = os.getloadavg()[0]
    f = fair.summary.fairness
    assert f is not None
    result = {
        "n": n,
        "m": m,
        "seed": args.seed,
        "load_average_start": load_start,
        "load_average_end": load_end,
        "match_seconds": t_plain,
        "match_floors_seconds": t_fair,
        "match_floors_ratio": t_fair / t_plain,
        "solve_ms": plain.summary.timings_ms["solve"],
        "solve_floors_ms": fair.summary.timings_ms["solve"],
        "solve_floors_ratio": fair.summary.timings_ms["solve"] / plain.summary.timings_ms["solve"],
        "matched": fair.summary.matched,
        "demand": audited.demand,
        "cost_of_fairness": f.cost_of_fairness,
        "total_without_floors": f.total_score_without_floors,
        "fairness_method": f.method,
        "binding_groups": sum(g.matched_without_floors < g.floor for g in f.groups),
        "audit_core_seconds": t_core,
        "audit_seconds": t_audit,
        "report_seconds": t_report,
        "report_bytes": size,
        "match_response_bytes": len(fair.model_dump_json().encode()),
        "flagged_groups": sum(g.share_flag or g.score_flag for g in audited.groups),
        "groups": len(audited.groups),
    }
    print(f"\n{n} mentees x {m} mentors, seed {args.seed}; load average {load_start:.1f} at the")
    print(f"start, {load_end:.1f} at the end, {os.cpu_count()} cores\n")
    print("| what | seconds |\n|---|---|")
    print(f"| POST /match (scoring, solving, explaining) | {t_plain:.2f} |")
    print(f"| POST /match, floors on domain (gap {GAP}) | {t_fair:.2f} ({t_fair / t_plain:.2f}x) |")
    print(
        f"| the solve stage alone, without / with floors | "
        f"{result['solve_ms'] / 1000:.2f} / {result['solve_floors_ms'] / 1000:.2f} "
        f"({result['solve_floors_ratio']:.2f}x) |"
    )
    print(f"| audit core on the scores ({len(ATTRIBUTES)} attributes) | {t_core:.3f} |")
    print(f"| POST /audit (scores the pairs again) | {t_audit:.2f} |")
    print(f"| the HTML report | {t_report:.3f} |")
    print(
        f"\nreport {size:,} bytes; match response {result['match_response_bytes']:,} bytes; "
        f"{result['matched']:,} of {result['demand']:,} slots matched; cost of fairness "
        f"{f.cost_of_fairness:.4f} of {f.total_score_without_floors:.4f} ({f.method}, "
        f"{result['binding_groups']} groups lifted); {result['flagged_groups']} of "
        f"{result['groups']} groups flagged"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_report.json").write_text(json.dumps(result, indent=2))
    (args.out / "report.html").write_text(html, encoding="utf-8")


if __name__ == "__main__":
    main()
