"""Embedding backends compared: sentence-transformers (torch fp32) vs onnxruntime fp32 / int8.

Usage::

    python -m benchmarks.bench_embedding --quick --out bench-out/embedding
    python -m benchmarks.bench_embedding --texts 1000 --repeats 3 --out bench-out/embedding

On a deterministic profile-like corpus (skills lists, goals, communication styles; 5-40 words
per text, built from :mod:`benchmarks.taxonomy` with a seeded generator) each path runs in its
**own subprocess**, so load time and memory are those of a fresh service process:

- ``load_s``: imports + model construction + a one-text warm-up (the ONNX graph is exported
  beforehand, once; the export time is reported separately);
- ``texts_per_s``: the first full ``encode(corpus)`` after loading (cold: no cache, excluding
  load), median over ``--repeats`` rounds; the paths are interleaved round by round so machine
  noise hits them alike;
- ``rss_mib``: resident memory after encoding (VmRSS), its peak (VmHWM), and the encoder's
  part: VmRSS minus that measured after importing ``matchsvc.scoring`` (numpy, scipy, numba),
  before the backend;
- quality vs torch fp32: Spearman correlation of all pairwise cosine similarities, mean top-10
  neighbour overlap, and the largest absolute vector difference.

Prints a Markdown table and writes ``embedding.json`` (and the table as ``embedding.md``) to
``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.taxonomy import COMMUNICATION_STYLES, DOMAINS

__all__ = ["PATHS", "neighbour_overlap", "profile_corpus", "run", "spearman_of_similarities"]

PATHS = ("torch-fp32", "onnx-fp32", "onnx-int8")

_GOAL_OPENERS = (
    "I want to get better at",
    "My goal this year is",
    "Looking for guidance on",
    "Help me move towards",
    "I would like a mentor for",
)
_STYLE_OPENERS = ("I prefer a mentor who is", "Communication style:", "Ideally someone")


def profile_corpus(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct profile-like texts of 5-40 words, identical for identical arguments.

    A third each: skills lists (5-12 skills of one domain, sometimes one from another), goal
    sentences (one to three themes, sometimes a role and a style), and style descriptions.
    """
    rng = np.random.default_rng(seed)
    subtopics = [(d, s) for d in DOMAINS for s in d.subtopics]
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        domain, sub = subtopics[int(rng.integers(len(subtopics)))]
        kind = len(out) % 3
        if kind == 0:
            pool = [k for s in domain.subtopics for k in s.skills]
            count = int(rng.integers(5, 13))
            skills = list(rng.choice(pool, size=min(count, len(pool)), replace=False))
            if rng.random() < 0.3:
                other = subtopics[int(rng.integers(len(subtopics)))][1]
                skills.append(str(rng.choice(other.skills)))
            text = ", ".join(str(s) for s in skills)
        elif kind == 1:
            size = int(rng.integers(1, len(sub.themes) + 1))
            themes = [str(t) for t in rng.choice(sub.themes, size=size, replace=False)]
            text = f"{_GOAL_OPENERS[int(rng.integers(len(_GOAL_OPENERS)))]} {' and '.join(themes)}."
            if rng.random() < 0.5:
                role = str(rng.choice(domain.roles))
                text += f" Ideally from a {role} who knows {sub.name}."
            if rng.random() < 0.4:
                text += f" I like feedback that is {rng.choice(COMMUNICATION_STYLES)}."
        else:
            styles = rng.choice(COMMUNICATION_STYLES, size=int(rng.integers(1, 3)), replace=False)
            opener = _STYLE_OPENERS[int(rng.integers(len(_STYLE_OPENERS)))]
            text = f"{opener} {', '.join(str(s) for s in styles)}, happy to talk about {sub.name}"
        words = text.split()
        if len(words) < 5:
            text += f" in {domain.name}"
        text = " ".join(text.split()[:40])
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def spearman_of_similarities(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Spearman correlation of the pairwise cosines (upper triangle) of two vector sets."""
    from scipy.stats import spearmanr

    rows, cols = np.triu_indices(a.shape[0], k=1)
    sa = (a @ a.T)[rows, cols]
    sb = (b @ b.T)[rows, cols]
    return float(spearmanr(sa, sb).statistic)


def neighbour_overlap(a: NDArray[np.float32], b: NDArray[np.float32], k: int = 10) -> float:
    """Mean share of each text's ``k`` nearest neighbours (itself excluded) found by both."""

    def top(v: NDArray[np.float32]) -> NDArray[np.int64]:
        sims = v @ v.T
        np.fill_diagonal(sims, -np.inf)
        return np.argsort(-sims, axis=1, kind="stable")[:, :k]

    ta, tb = top(a), top(b)
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(ta, tb, strict=True)]))


def _status_mib(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _worker(args: argparse.Namespace) -> None:
    """One path in a fresh process: load, encode the corpus once, write vectors and timings."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    corpus = json.loads(Path(args.corpus).read_text())
    from matchsvc.scoring.encoder import BUNDLED_MODEL_NAME, bundled_model_path

    base_rss = _status_mib("VmRSS")  # numpy, scipy, numba: the service has them anyway
    start = time.perf_counter()

    encoder: Any
    if args.worker == "torch-fp32":
        from matchsvc.scoring.encoder import SentenceTransformerEncoder

        encoder = SentenceTransformerEncoder(bundled_model_path(), name=BUNDLED_MODEL_NAME)
    else:
        from matchsvc.scoring.onnx_encoder import OnnxEncoder

        encoder = OnnxEncoder(
            bundled_model_path(),
            Path(args.cache),
            name=BUNDLED_MODEL_NAME,
            threads=args.threads,
            quantized=args.worker == "onnx-int8",
        )
    encoder.encode(["warm-up"])
    load_s = time.perf_counter() - start
    t0 = time.perf_counter()
    vectors = encoder.encode(corpus)
    encode_s = time.perf_counter() - t0
    np.save(args.vectors, vectors)
    result = {
        "load_s": load_s,
        "encode_s": encode_s,
        "texts_per_s": len(corpus) / encode_s,
        "rss_mib": _status_mib("VmRSS"),
        "base_rss_mib": base_rss,
        "peak_rss_mib": _status_mib("VmHWM"),
        "model_id": encoder.model_id,
        "torch_imported": "torch" in sys.modules,
    }
    Path(args.result).write_text(json.dumps(result))


def _spawn(path: str, corpus: Path, cache: Path, work: Path, threads: int | None) -> dict[str, Any]:
    vectors, result = work / f"{path}.npy", work / f"{path}.json"
    cmd = [sys.executable, "-m", "benchmarks.bench_embedding", "--worker", path]
    cmd += ["--corpus", str(corpus), "--cache", str(cache)]
    cmd += ["--vectors", str(vectors), "--result", str(result)]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    subprocess.run(cmd, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    out: dict[str, Any] = json.loads(result.read_text())
    out["vectors"] = np.load(vectors)
    return out


def _prepare_graphs(cache: Path, paths: list[str]) -> dict[str, float]:
    """Export (and quantise) once, outside the timed workers; return the seconds each took."""
    from matchsvc.scoring.encoder import bundled_model_path, weights_digest
    from matchsvc.scoring.onnx_encoder import export_onnx, onnx_model_path, quantize_onnx

    model = bundled_model_path()
    digest = weights_digest(model)
    fp32, int8 = onnx_model_path(cache, digest), onnx_model_path(cache, digest, quantized=True)
    times: dict[str, float] = {}
    if any(p.startswith("onnx") for p in paths) and not fp32.is_file():
        t0 = time.perf_counter()
        export_onnx(model, fp32)
        times["export_fp32_s"] = time.perf_counter() - t0
    if "onnx-int8" in paths and not int8.is_file():
        t0 = time.perf_counter()
        quantize_onnx(fp32, int8)
        times["quantize_int8_s"] = time.perf_counter() - t0
    return times


def run(
    n_texts: int, repeats: int, out: Path, paths: list[str], threads: int | None, seed: int = 0
) -> dict[str, Any]:
    """Measure every path in ``paths`` (see the module docstring) and write the report."""
    corpus = profile_corpus(n_texts, seed)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cache = work / "onnx"
        corpus_file = work / "corpus.json"
        corpus_file.write_text(json.dumps(corpus))
        prep = _prepare_graphs(cache, paths)
        runs: dict[str, list[dict[str, Any]]] = {p: [] for p in paths}
        for _ in range(repeats):
            for path in paths:  # interleaved: noise from other processes hits every path
                runs[path].append(_spawn(path, corpus_file, cache, work, threads))
    words = [len(t.split()) for t in corpus]
    report: dict[str, Any] = {
        "corpus": {
            "texts": len(corpus),
            "seed": seed,
            "words_min": min(words),
            "words_mean": float(np.mean(words)),
            "words_max": max(words),
        },
        "repeats": repeats,
        "threads": threads,
        "cpu_count": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
        "preparation": prep,
        "paths": {},
    }
    reference = runs["torch-fp32"][0]["vectors"] if "torch-fp32" in runs else None
    for path, results in runs.items():
        speeds = [r["texts_per_s"] for r in results]
        row: dict[str, Any] = {
            "model_id": results[0]["model_id"],
            "texts_per_s_median": statistics.median(speeds),
            "texts_per_s_all": speeds,
            "load_s_median": statistics.median(r["load_s"] for r in results),
            "rss_mib_median": statistics.median(r["rss_mib"] for r in results),
            "encoder_rss_mib_median": statistics.median(
                r["rss_mib"] - r["base_rss_mib"] for r in results
            ),
            "peak_rss_mib_median": statistics.median(r["peak_rss_mib"] for r in results),
            "torch_imported": results[0]["torch_imported"],
        }
        vectors = results[0]["vectors"]
        row["repeat_max_abs_diff"] = max(
            float(np.abs(r["vectors"] - vectors).max()) for r in results
        )
        if reference is not None:
            row["spearman_vs_torch"] = spearman_of_similarities(vectors, reference)
            row["top10_overlap_vs_torch"] = neighbour_overlap(vectors, reference)
            row["max_abs_diff_vs_torch"] = float(np.abs(vectors - reference).max())
        report["paths"][path] = row
    table = markdown(report)
    (out / "embedding.json").write_text(json.dumps(report, indent=2))
    (out / "embedding.md").write_text(table + "\n")
    print(table)
    return report


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table (one row per path)."""
    c = report["corpus"]
    lines = [
        f"Corpus: {c['texts']} texts, {c['words_min']}-{c['words_max']} words "
        f"(mean {c['words_mean']:.1f}); {report['repeats']} interleaved rounds; "
        f"load average at end {report['loadavg_at_end'][0]:.1f} on {report['cpu_count']} cores.",
        "",
        "| path | texts/s (median) | texts/s (all) | load s | RSS MiB (encoder part) "
        "| peak RSS MiB | Spearman vs torch | top-10 overlap | max abs diff | model_id |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path, r in report["paths"].items():
        speeds = ", ".join(f"{s:.0f}" for s in r["texts_per_s_all"])
        spearman = r.get("spearman_vs_torch", float("nan"))
        overlap = r.get("top10_overlap_vs_torch", float("nan"))
        diff = r.get("max_abs_diff_vs_torch", float("nan"))
        lines.append(
            f"| {path} | {r['texts_per_s_median']:.1f} | {speeds} | {r['load_s_median']:.2f} "
            f"| {r['rss_mib_median']:.0f} ({r['encoder_rss_mib_median']:.0f}) "
            f"| {r['peak_rss_mib_median']:.0f} | {spearman:.4f} "
            f"| {overlap:.3f} | {diff:.1e} | `{r['model_id']}` |"
        )
    if report["preparation"]:
        prep = ", ".join(f"{k} {v:.1f}" for k, v in report["preparation"].items())
        lines += ["", f"One-off preparation (not in load time): {prep}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 texts, 1 round")
    parser.add_argument("--texts", type=int, default=800, help="corpus size (default 800)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench-out/embedding"))
    parser.add_argument("--worker", choices=PATHS, help=argparse.SUPPRESS)
    for hidden in ("--corpus", "--cache", "--vectors", "--result"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return
    n_texts, repeats = (200, 1) if args.quick else (args.texts, args.repeats)
    paths = args.paths if "torch-fp32" in args.paths else ["torch-fp32", *args.paths]
    run(n_texts, repeats, args.out, paths, args.threads, args.seed)


if __name__ == "__main__":
    main()
