"""Markdown report of a suite run, rendered from its ``results.json`` dict alone.

Every number in the report is read from the results (measured by :mod:`benchmarks.suite`);
nothing is typed in by hand. ``python -m benchmarks.report results.json`` re-renders a report.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["render_report"]


def _f(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    v = float(value)
    if math.isnan(v):
        return "–"
    if v != 0 and abs(v) < 1e-3:
        return f"{v:.{digits - 1}e}"
    return f"{v:,.{digits}f}"


def _secs(value: Any) -> str:
    if value is None:
        return "–"
    v = float(value)
    if v < 0.01:
        return f"{v * 1000:.2f} ms"
    if v < 10:
        return f"{v:.3f} s"
    return f"{v:.1f} s"


def _mem(row: Mapping[str, Any]) -> str:
    traced = row.get("peak_traced_mib")
    rss = f"{float(row['peak_rss_mib']):.1f}"
    return rss if traced is None else f"{rss} / {float(traced):.1f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _machine(meta: Mapping[str, Any]) -> list[str]:
    m = meta["machine"]
    lines = [
        f"- CPU: {m['cpu_model']}, {m['cores']} cores usable ({m['logical_cpus']} logical), "
        f"{_f(m['memory_gib'], 1)} GiB RAM",
        f"- {m['platform']}",
        "- Python " + m["python"] + "; " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        f"- commit `{meta.get('commit') or 'unknown'}`, seed {meta['seed']}, "
        f"{'quick' if meta['quick'] else 'full'} suite, encoder `{meta['encoder']}`, "
        f"total wall time {_secs(meta['wall_s'])}",
    ]
    load = meta.get("load_average")
    if load and None not in load:
        lines.append(
            f"- 1-minute load average {load[0]:.2f} at the start, {load[1]:.2f} at the end "
            f"(on {m['cores']} cores: above that, other processes shared the CPU and "
            "timings are inflated)"
        )
    if m.get("torch_threads"):
        lines.append(
            f"- torch intra-op threads: {m['torch_threads']} (embedding speed depends on it "
            "when other processes share the cores: see benchmarks/README.md)"
        )
    return lines


def _instance(inst: Mapping[str, Any]) -> str:
    return (
        f"{_f(inst['n_mentees'])} mentees x {_f(inst['n_mentors'])} mentors, "
        f"demand {_f(inst['demand'])}, capacity {_f(inst['capacity'])}, "
        f"{_f(100 * inst['allowed_share'], 1)}% of pairs allowed"
    )


def _summary(results: Mapping[str, Any]) -> list[str]:
    """Key findings, each sentence built from the results."""
    out: list[str] = []
    solvers = results.get("solvers") or {}
    checks = solvers.get("checks")
    g = solvers.get("vs_greedy")
    if checks and g:
        inst = solvers["instance"]
        exact = solvers["runs"][checks["exact"]]["metrics"]
        out.append(
            f"- On {_f(inst['n_mentees'])} x {_f(inst['n_mentors'])}, the exact optimum is "
            f"{'never' if checks['never_below'] else '**not always**'} below a baseline's total; "
            f"it beats greedy by {_f(g['total_gain_pct'], 2)}% on total and lifts the "
            f"worst-off pair from {_f(g['min_greedy'], 3)} to {_f(g['min_exact'], 3)} "
            f"(`fair`: {_f(g['min_fair'], 3)}, for {_f(g['fair_total_cost_pct'], 2)}% of total)."
        )
        if "cluster_match" in exact:
            out.append(
                f"- {_f(100 * exact['cluster_match'], 1)}% of exact pairs share the mentee's "
                f"latent sub-topic; the planted top-5 mentor is recovered for "
                f"{_f(100 * exact['recovery_at_5'], 1)}% of mentees (top-1: "
                f"{_f(100 * exact['recovery_at_1'], 1)}%)."
            )
    ref = results.get("reference")
    if ref:
        runs = ref["runs"]
        service = runs.get("service assign (auto)", {})
        scipy = runs.get("scipy linear_sum_assignment", {})
        flow = runs.get("OR-Tools SimpleMinCostFlow", {})
        if service and scipy and flow:
            out.append(
                f"- On {_f(ref['instance']['n_mentees'])} x {_f(ref['instance']['n_mentors'])}, "
                f"the service solves in {_secs(service['seconds'])}: scipy takes "
                f"{_f(scipy['ratio_to_service'], 2)}x and OR-Tools "
                f"{_f(flow['ratio_to_service'], 2)}x as long; objectives "
                f"{'equal' if ref['objectives_equal'] else '**differ**'}."
            )
    peer = results.get("peer")
    if peer and peer.get("pairs"):
        n = max(peer["pairs"], key=int)
        row = peer["pairs"][n]
        nx = row.get("networkx", {})
        out.append(
            f"- Peer pairs, {_f(int(n))} people: certified optimum in {_secs(row['ours']['seconds'])}"
            + (f", networkx {_f(nx['seconds'] / row['ours']['seconds'], 1)}x as long" if nx else "")
            + f"; greedy loses {_f(100 * row['greedy']['gap'], 2)}% of the total. Circles of 4 "
            f"at {_f(peer['circles']['n'])}: gap to the upper bound "
            f"{_f(100 * peer['circles']['gap'], 2)}%."
        )
    scaling = results.get("scaling")
    if scaling:
        exps = ", ".join(f"{k} n^{_f(v, 2)}" for k, v in scaling["exponents"].items())
        out.append(f"- Growth with mentees (mentors in proportion): {exps}.")
    out.append(f"- Whole run: {_secs(results['meta']['wall_s'])}, model load included.")
    return ["## Summary", *out, ""]


def _peer_section(peer: Mapping[str, Any] | None) -> list[str]:
    """Peer pairs (ours vs networkx vs greedy, same pools) and circles, from the results."""
    if not peer or not peer.get("pairs"):
        return []
    lines = [
        "",
        "## Peer pairs and circles (same pools)",
        "Clustered cosine pools of `benchmarks.bench_peer` (384-d, 30 clusters, seed "
        f"{peer.get('seed', '–')}). `ours` is `matchsvc.assignment.assign_peers` (the most "
        "pairs, then the largest total; its certificate checked by `verify_peer_certificate` "
        "in `verify`), `networkx` is `max_weight_matching(maxcardinality=True)` (exact, pure "
        "Python), `greedy` takes the best pair first. Gap = share of the optimum's total lost.",
        "",
    ]
    rows = []
    for n, row in sorted(peer["pairs"].items(), key=lambda kv: int(kv[0])):
        for method, r in row.items():
            rows.append(
                [
                    _f(int(n)),
                    f"**{method}**" if method == "ours" else method,
                    _secs(r["seconds"]),
                    _secs(r.get("seconds_verify")),
                    _f(int(r["pairs"])),
                    _f(r["total"], 4),
                    f"{_f(100 * r['gap'], 3)}%",
                ]
            )
    d = peer.get("dense")
    if d:
        rows.append(
            [
                _f(d["n"]),
                "**ours**",
                _secs(d["seconds"]),
                _secs(d.get("seconds_verify")),
                _f(int(d["pairs"])),
                _f(d["total"], 4),
                "–",
            ]
        )
    lines += _table(["people", "method", "time", "verify", "pairs", "total", "gap"], rows)
    runs = [r for row in peer["pairs"].values() for r in row.values() if "certificate_valid" in r]
    runs += [d] if d else []
    if runs:
        valid = all(bool(r["certificate_valid"]) for r in runs)
        lines += ["", f"Certificates of `ours` valid: {_f(valid)} ({len(runs)} checked)."]
    c = peer.get("circles")
    if c:
        lines += [
            "",
            f"Circles of 4 at {_f(c['n'])} people: {_f(c['circles'])} circles, value "
            f"{_f(c['value'], 4)}, upper bound {_f(c['upper_bound'], 4)} (set-partitioning LP "
            f"by column generation, {_f(c['lp_rounds'])} rounds, {_f(c['columns'])} columns), "
            f"**gap {_f(100 * c['gap'], 2)}%**; {_secs(c['seconds'])} "
            f"(heuristic {_secs(c['seconds_heuristic'])}, bound {_secs(c['seconds_bound'])}).",
        ]
    lines += ["", "![peer pairs and circles](peer.png)"]
    return lines


def render_report(results: Mapping[str, Any]) -> str:
    """The Markdown report for a suite's ``results`` (see :func:`benchmarks.suite.run_suite`)."""
    meta = results["meta"]
    lines: list[str] = [
        f"# matchsvc benchmark report ({'quick' if meta['quick'] else 'full'} suite)",
        "",
        "Synthetic programmes from `benchmarks.generator` (seeded, with planted best mentors); "
        "every figure below was measured by `python -m benchmarks.suite` in this run.",
        "",
        *_summary(results),
        "## Machine",
        *_machine(meta),
    ]
    if meta["encoder"] != "model":
        lines += [
            "",
            "> **Smoke run:** embeddings came from the model-free hashing encoder, so quality "
            "and embedding times say nothing about the real model.",
        ]

    emb = results.get("embedding")
    if emb:
        lines += [
            "",
            "## Embedding model",
            f"- `{emb['model_id']}` loaded in {_secs(emb['load_s'])}; the run encoded "
            f"{_f(emb['texts'])} distinct texts (skills, goals, styles) in "
            f"{_secs(emb['seconds'])}: {_f(emb['texts_per_s'], 1)} texts/s "
            "(cache look-ups included; 0 texts when an on-disk cache was warm).",
        ]

    solvers = results.get("solvers")
    if solvers:
        runs = solvers["runs"]
        lines += [
            "",
            "## Exact solvers vs baselines (same instance)",
            f"Instance: {_instance(solvers['instance'])} (demand 1 each, so that `hungarian` "
            "and `stable` can run). Bold = exact. `fair` maximises the lowest matched score "
            "first, then the sum; the other exact solvers maximise the number of pairs, then the "
            "sum. With one score shared by both sides, `greedy` (best pair first) is itself a "
            "stable matching, so it has no envy pairs either. Recovery@k = share of mentees "
            "given one of their k planted best mentors; same cluster = share of pairs "
            "within one latent sub-topic (28 of them).",
            "",
        ]
        header = [
            "solver",
            "time",
            "pairs",
            "total",
            "mean",
            "min",
            "bottom 10%",
            "Gini",
            "matched",
            "utilisation",
            "envy pairs",
            "recovery@1",
            "recovery@5",
            "same cluster",
        ]
        rows = []
        for name, r in runs.items():
            if "error" in r:
                rows.append([name, "error: " + r["error"][:60], *["–"] * 12])
                continue
            mt = r["metrics"]
            rows.append(
                [
                    f"**{name}**" if r.get("exact") else name,
                    _secs(r["seconds"]),
                    _f(int(mt["pairs"])),
                    _f(mt["total"], 2),
                    _f(mt["mean"], 4),
                    _f(mt["min"], 4),
                    _f(mt["bottom_decile"], 4),
                    _f(mt["gini"], 4),
                    _f(100 * mt["matched_share"], 1) + "%",
                    _f(100 * mt["utilisation"], 1) + "%",
                    _f(int(mt["envy_pairs"])),
                    _f(mt.get("recovery_at_1"), 3),
                    _f(mt.get("recovery_at_5"), 3),
                    _f(100 * mt["cluster_match"], 1) + "%" if "cluster_match" in mt else "–",
                ]
            )
        lines += _table(header, rows)
        checks = solvers["checks"]
        lines += [
            "",
            f"Checks (exact = `{checks['exact']}`; the exact sum solvers "
            f"{', '.join(checks['exact_solvers'])} agree within "
            f"{_f(checks['exact_spread'], 3)}):",
        ]
        for c in checks["versus"]:
            verdict = "**yes**" if c["exact_not_below"] else "**NO**"
            lines.append(
                f"- total ≥ `{c['baseline']}`'s: {verdict} "
                f"({_f(c['exact_total'], 3)} vs {_f(c['baseline_total'], 3)}, "
                f"{_f(c['exact_pairs'])} vs {_f(c['baseline_pairs'])} pairs)"
            )
        lines.append(
            f"- exact solvers never below any baseline on total: "
            f"{'**yes**' if checks['never_below'] else '**NO**'}"
        )
        g = solvers.get("vs_greedy")
        if g:
            lines += [
                "",
                f"**Exact vs greedy:** total {_f(g['total_gain'], 3)} higher "
                f"({_f(g['total_gain_pct'], 2)}%); the worst-off mentee's score (lowest matched "
                f"pair) is {_f(g['min_exact'], 4)} instead of {_f(g['min_greedy'], 4)} "
                f"({g['min_gain']:+.4f}); bottom decile {_f(g['bottom_exact'], 4)} vs "
                f"{_f(g['bottom_greedy'], 4)}; mentees left with unmet demand "
                f"{_f(g['unmatched_exact'])} vs {_f(g['unmatched_greedy'])}. "
                f"`fair` lifts the worst-off pair to {_f(g['min_fair'], 4)} at a total cost of "
                f"{_f(g['fair_total_cost_pct'], 3)}%.",
            ]
        so = solvers.get("scoring_only")
        if so:
            lines += [
                "",
                f"**Scoring alone** (each mentee's highest-scoring allowed mentor, capacity "
                f"ignored: {_f(so['over_capacity_mentors'])} mentors would be over capacity) "
                f"recovers a planted top-1 mentor for {_f(100 * so['recovery_at_1'], 1)}% of "
                f"mentees and a top-5 one for {_f(100 * so['recovery_at_5'], 1)}%: the ceiling "
                "the scores set, before capacities bite.",
            ]
        lines += ["", "![solver metrics](solvers.png)", "", "![score distributions](scores.png)"]

    ref = results.get("reference")
    if ref:
        lines += [
            "",
            "## Service vs plain reference solvers (same matrix)",
            f"Instance: {_instance(ref['instance'])} (demand 1 each: scipy cannot express more). "
            "Times include building each solver's input; peak memory is the RSS high-water mark "
            "above the stage start.",
            "",
        ]
        rows = []
        for name, r in ref["runs"].items():
            rows.append(
                [
                    name,
                    _secs(r["seconds"]),
                    f"{r['peak_rss_mib']:.1f} MiB",
                    _f(r["total"], 6) if r.get("total") is not None else "–",
                    _f(r.get("pairs")),
                    _f(r.get("ratio_to_service"), 2) + "x" if r.get("ratio_to_service") else "–",
                    r.get("note", ""),
                ]
            )
        lines += _table(
            ["implementation", "time", "peak RSS", "total", "pairs", "time / service", "note"],
            rows,
        )
        eq = ref["objectives_equal"]
        lines += [
            "",
            f"Objectives equal (|difference| ≤ 1e-6 per pair): "
            f"{'**yes**' if eq else '**NO**'}; largest difference "
            f"{_f(ref['max_abs_difference'], 3)}.",
            "",
            "![reference times](reference.png)",
        ]

    lines += _peer_section(results.get("peer"))

    scaling = results.get("scaling")
    if scaling:
        lines += [
            "",
            "## Scaling",
            "Nested prefixes of one generated programme (mentors = mentees / 2.5), solver "
            "`auto`, objective `total`. Times of `score`, `solve` and `explain` are the best of "
            f"{results['meta'].get('repeats', 1)} passes. One embedding cache serves all sizes (as in the "
            "service), so `embed` encodes only the texts new at that size (`new texts`). "
            "Memory: RSS high-water mark above the stage start (counts torch and C++ memory; "
            "0 when the stage reused memory freed earlier) / tracemalloc peak of numpy and "
            "Python allocations in a second, untimed pass (not affected by earlier stages; "
            "blind to torch, so low for `embed`).",
            "",
        ]
        stages = list(dict.fromkeys(r["stage"] for r in scaling["rows"]))
        sizes = list(dict.fromkeys(r["n_mentees"] for r in scaling["rows"]))
        header = (
            ["mentees", "mentors", "texts", "new texts", "solver"]
            + [f"{s} time" for s in stages]
            + [f"{s} MiB (RSS / traced)" for s in stages]
        )
        rows = []
        for n in sizes:
            sub = {r["stage"]: r for r in scaling["rows"] if r["n_mentees"] == n}
            first = next(iter(sub.values()))
            rows.append(
                [
                    _f(n),
                    _f(first["n_mentors"]),
                    _f(int(sub.get("embed", first).get("texts", 0))),
                    _f(int(sub.get("embed", first).get("encoded", 0))),
                    f"`{sub['solve']['solver']}`" if sub.get("solve", {}).get("solver") else "–",
                ]
                + [_secs(sub[s]["seconds"]) if s in sub else "–" for s in stages]
                + [_mem(sub[s]) if s in sub else "–" for s in stages]
            )
        lines += _table(header, rows)
        lines += [
            "",
            f"Fitted growth exponents (least squares on log time vs log mentees over "
            f"{', '.join(_f(x) for x in results['meta'].get('fit_sizes', []))} mentees; `embed` left "
            "out, its work is the new texts, not the people; mentors grow with mentees, so "
            "the matrix has n²/2.5 cells and an exponent of 2 is linear in the pairs): "
            + ", ".join(f"{s} **{_f(b, 2)}**" for s, b in scaling["exponents"].items())
            + ".",
            "",
            "![scaling](scaling.png)",
        ]
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Re-render ``report.md`` next to a ``results.json``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m benchmarks.report RESULTS_JSON", file=sys.stderr)
        return 2
    path = Path(args[0])
    results = json.loads(path.read_text())
    (path.parent / "report.md").write_text(render_report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
