"""PNG plots of benchmark results (matplotlib, Agg backend: no display needed).

Each function takes plain data (dicts of numbers, arrays of scores), writes one PNG and returns
its path, so it works on the suite's results and on a data scientist's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from benchmarks.metrics import fit_power_law

__all__ = [
    "plot_reference_times",
    "plot_scaling",
    "plot_score_distributions",
    "plot_solver_metrics",
]

_DPI = 80


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "figure.dpi": _DPI, "axes.grid": True, "grid.alpha": 0.3})
    return plt


def _save(fig: Any, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    # no timestamp or software metadata, so identical data gives identical bytes
    fig.savefig(out, dpi=_DPI, metadata={"Software": None})
    fig.clf()
    return out


def plot_scaling(
    rows: Sequence[Mapping[str, Any]],
    path: str | Path,
    *,
    fit_sizes: Sequence[int] | None = None,
) -> Path:
    """Log-log time and peak memory per stage against the number of mentees.

    Args:
        rows: one mapping per (size, stage) with keys ``n_mentees``, ``stage``, ``seconds``,
            ``peak_rss_mib`` and optionally ``peak_traced_mib`` (the suite's ``scaling.csv``).
        path: the PNG to write.
        fit_sizes: the mentee counts the exponents are fitted on (default: all).

    The legend gives each stage's fitted growth exponent (:func:`fit_power_law`). Memory is the
    tracemalloc peak when every row has one (then ``embed``, whose model memory tracemalloc
    cannot see, is left out of that panel), else the RSS peak.
    """
    plt = _pyplot()
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    stages = list(dict.fromkeys(str(r["stage"]) for r in rows))
    traced = all(r.get("peak_traced_mib") not in (None, "") for r in rows)
    mem_key = "peak_traced_mib" if traced else "peak_rss_mib"
    for stage in stages:
        sub = [r for r in rows if r["stage"] == stage]
        n = np.array([float(r["n_mentees"]) for r in sub])
        t = np.array([float(r["seconds"]) for r in sub])
        mem = np.array([float(r[mem_key]) for r in sub])
        on = np.ones(n.size, dtype=bool) if fit_sizes is None else np.isin(n, list(fit_sizes))
        b, _ = fit_power_law(n[on], t[on])
        label = f"{stage} (new texts only)" if stage == "embed" else f"{stage} (n^{b:.2f})"
        (line,) = ax_t.plot(n, t, "o-", label=label)
        if traced and stage == "embed":
            continue
        bm, _ = fit_power_law(n[on], mem[on])
        ax_m.plot(
            n, np.maximum(mem, 1e-2), "o-", color=line.get_color(), label=f"{stage} (n^{bm:.2f})"
        )
    mem_label = "peak allocated, tracemalloc (MiB)" if traced else "peak RSS above start (MiB)"
    for ax, label in ((ax_t, "seconds"), (ax_m, mem_label)):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("mentees (mentors = mentees / 2.5)")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    ax_t.set_title("Time per stage")
    ax_m.set_title("Peak memory per stage")
    return _save(fig, path)


def plot_score_distributions(matched_scores: Mapping[str, ArrayLike], path: str | Path) -> Path:
    """ECDF (whole, and zoomed on the worst 20% of pairs) and Lorenz curve of matched scores.

    Args:
        matched_scores: assignment name -> 1-d array of its pairs' scores.
        path: the PNG to write.
    """
    plt = _pyplot()
    fig, (ax_e, ax_z, ax_l) = plt.subplots(1, 3, figsize=(14, 4))
    lows: list[float] = []
    highs: list[float] = []
    for name, values in matched_scores.items():
        x = np.sort(np.asarray(values, dtype=np.float64))
        if x.size == 0:
            continue
        y = np.arange(1, x.size + 1) / x.size
        ax_e.step(x, y, where="post", label=name)
        ax_z.step(x, y, where="post", label=name)
        lows.append(float(x[0]))
        highs.append(float(np.quantile(x, 0.2)))
        cum = np.concatenate([[0.0], np.cumsum(x)]) / max(x.sum(), 1e-12)
        ax_l.plot(np.linspace(0, 1, x.size + 1), cum, label=name)
    ax_e.set_xlabel("score of a matched pair")
    ax_e.set_ylabel("share of pairs with a lower or equal score")
    ax_e.set_title("Score distribution (further right is better)")
    ax_e.legend(fontsize=8)
    if lows:
        ax_z.set_xlim(min(lows), max(highs))
    ax_z.set_ylim(0, 0.2)
    ax_z.set_xlabel("score of a matched pair")
    ax_z.set_title("Worst 20% of pairs (zoom)")
    ax_l.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax_l.set_xlabel("share of pairs, worst first")
    ax_l.set_ylabel("share of total score")
    ax_l.set_title("Lorenz curve (closer to the diagonal is more equal)")
    ax_l.legend(fontsize=8)
    return _save(fig, path)


def plot_solver_metrics(
    metrics: Mapping[str, Mapping[str, float]], path: str | Path, *, reference: str | None = None
) -> Path:
    """Bars of the main metrics per assignment (the output of :func:`benchmarks.evaluate`).

    Panels: total score relative to ``reference`` (default: the first entry), minimum and
    bottom-decile score, justified-envy pairs, and planted-truth recovery at 1 and 5 (when
    present).
    """
    plt = _pyplot()
    names = list(metrics)
    ref = reference if reference is not None else names[0]
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.6))
    x = np.arange(len(names))
    total_ref = metrics[ref]["total"]
    rel = [100.0 * (metrics[k]["total"] / total_ref - 1.0) for k in names]
    axes[0].bar(x, rel, color="tab:blue")
    for k, v in enumerate(rel):
        if abs(v) >= 0.005:  # equal totals (the exact solvers) stay unlabelled
            axes[0].annotate(
                f"{v:+.2f}%", (k, v), ha="center", va="top" if v < 0 else "bottom", fontsize=7
            )
    axes[0].margins(y=0.12)
    axes[0].set_title(f"total score vs {ref} (%)")
    axes[1].bar(x - 0.2, [metrics[k]["min"] for k in names], 0.4, label="minimum")
    axes[1].bar(x + 0.2, [metrics[k]["bottom_decile"] for k in names], 0.4, label="bottom decile")
    axes[1].set_title("worst-off pairs (score)")
    axes[1].legend(fontsize=8)
    axes[2].bar(x, [metrics[k]["envy_pairs"] for k in names], color="tab:red")
    axes[2].set_yscale("symlog")
    axes[2].set_title("justified-envy pairs (symlog)")
    if all("recovery_at_1" in metrics[k] for k in names):
        axes[3].bar(x - 0.2, [metrics[k]["recovery_at_1"] for k in names], 0.4, label="@1")
        axes[3].bar(x + 0.2, [metrics[k]["recovery_at_5"] for k in names], 0.4, label="@5")
        axes[3].set_title("planted-truth recovery")
        axes[3].legend(fontsize=8)
    else:
        axes[3].bar(x, [metrics[k]["matched_share"] for k in names])
        axes[3].set_title("matched share")
    for ax in axes:
        ax.set_xticks(x)
        ax.set_xticklabels(names, rotation=35, ha="right", fontsize=8)
    return _save(fig, path)


def plot_reference_times(times: Mapping[str, float], path: str | Path) -> Path:
    """Horizontal bars of solve seconds per implementation (log scale)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(times)))
    names = list(times)
    values = [max(times[k], 1e-4) for k in names]
    ax.barh(np.arange(len(names)), values, color="tab:green")
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("seconds (log)")
    ax.set_title("Largest instance: time per implementation")
    for k, v in enumerate(values):
        ax.text(v, k, f" {v:.3g} s", va="center", fontsize=8)
    return _save(fig, path)
