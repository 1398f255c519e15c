"""Scoring benchmark: cold embedding throughput and the cost of building every facet matrix.

Three measurements, each in its own child process so peak RSS belongs to that case alone:

* ``embed``: the real bundled all-MiniLM-L6-v2 behind an empty memory-only ``EmbeddingCache``,
  ~500 distinct profile-like texts of 5-40 words sent as one ``embed`` call (texts/s).
* ``build``: ``build_compatibility`` for 10,000 mentees x 2,000 mentors, ~8 skills each drawn from
  a taxonomy of 300 skills, a goal and a style text each, channels, languages, time zones and
  weekly windows, from a pre-filled cache (every text a hit: the warm path of a service).
  The vectors are seeded random unit rows of the model's width (384): the arithmetic does not
  depend on their values. Targets: <= 3 s and <= 2 GB peak RSS.
* ``build_free_text``: the same at 2,000 x 400 with free-text skills (nearly all distinct),
  the worst case of the skills kernel: its cost is distinct mentee x distinct mentor skills.

Usage::

    .venv/bin/python benchmarks/bench_scoring.py [--quick] [--out bench-out]

Prints a Markdown table and writes ``bench_scoring.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

os.environ.setdefault("HF_HUB_OFFLINE", "1")

WORDS = [
    "data",
    "engineering",
    "python",
    "machine",
    "learning",
    "cloud",
    "infrastructure",
    "leadership",
    "product",
    "design",
    "frontend",
    "backend",
    "distributed",
    "systems",
    "security",
    "testing",
    "career",
    "growth",
    "public",
    "speaking",
    "mentoring",
    "startups",
    "research",
    "statistics",
    "kubernetes",
    "databases",
    "analytics",
    "communication",
    "management",
    "strategy",
    "open",
    "source",
    "writing",
    "interviews",
    "negotiation",
    "architecture",
    "mobile",
    "accessibility",
    "ethics",
    "devops",
    "observability",
    "performance",
    "compilers",
    "robotics",
    "finance",
]
TIMEZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "UTC+05:45",
    "Africa/Lagos",
    "Europe/London",
)
LANGUAGES = ("en", "de", "fr", "es", "pt", "hi", "ja")
CHANNELS = ("video", "phone", "chat", "email", "in_person")
FREQUENCIES = ("weekly", "biweekly", "monthly")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SeededEncoder:
    """Unit vectors seeded by the text's hash: stands in for precomputed model vectors."""

    model_id = "seeded-random-384"
    dim = 384

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for k, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            row = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[k] = row / np.linalg.norm(row)
        return out


def sentence(rng: np.random.Generator, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS, size=int(rng.integers(lo, hi + 1))))


def make_people(
    n: int,
    prefix: str,
    taxonomy: Sequence[str],
    rng: np.random.Generator,
    free_text: bool = False,
) -> Any:
    from matchsvc.profiles import Availability, Communication, Profile

    people = []
    for k in range(n):
        windows = []
        for _ in range(int(rng.integers(0, 4))):
            start = int(rng.integers(6, 20))
            windows.append(
                Availability(
                    DAYS[int(rng.integers(0, 7))],
                    f"{start:02d}:00",
                    f"{start + int(rng.integers(1, 4)):02d}:00",
                )
            )
        comm = Communication(
            style=sentence(rng, 4, 12) if rng.random() < 0.8 else "",
            channels=tuple(rng.choice(CHANNELS, size=int(rng.integers(0, 3)), replace=False)),
            languages=tuple(rng.choice(LANGUAGES, size=int(rng.integers(1, 3)), replace=False)),
            timezone=str(rng.choice(TIMEZONES)),
            availability=tuple(windows),
            frequency=str(rng.choice(FREQUENCIES)) if rng.random() < 0.7 else None,
        )
        count = int(rng.integers(6, 11))
        if free_text:
            skills = tuple(dict.fromkeys(sentence(rng, 2, 4) for _ in range(count)))
        else:
            skills = tuple(rng.choice(taxonomy, size=count, replace=False))
        people.append(
            Profile(
                f"{prefix}{k}",
                skills=skills,
                goals=sentence(rng, 8, 30),
                communication=comm,
                capacity=5,
            )
        )
    return people


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def case_embed(n_texts: int) -> dict[str, Any]:
    from matchsvc.scoring import EmbeddingCache
    from matchsvc.scoring.encoder import load_encoder

    rng = np.random.default_rng(1)
    texts = list(dict.fromkeys(sentence(rng, 5, 40) for _ in range(n_texts)))
    t0 = time.perf_counter()
    encoder = load_encoder()
    load_s = time.perf_counter() - t0
    cache = EmbeddingCache(encoder, None)
    t0, c0 = time.perf_counter(), time.process_time()
    cache.embed(texts)
    cold_s, cold_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    cache.embed(texts)
    warm_s = time.perf_counter() - t0
    return {
        "texts": len(texts),
        "model_load_s": load_s,
        "cold_s": cold_s,
        "cold_texts_per_s": len(texts) / cold_s,
        "cold_cpu_s": cold_cpu_s,
        "cold_texts_per_cpu_s": len(texts) / cold_cpu_s,
        "warm_s": warm_s,
        "warm_texts_per_s": len(texts) / warm_s,
        "encoder_calls": cache.stats().encoder_calls,
        "peak_rss_mb": peak_rss_mb(),
    }


def case_build(n: int, m: int, repeats: int, free_text: bool = False) -> dict[str, Any]:
    from matchsvc.scoring import EmbeddingCache, ScoringOptions, build_compatibility

    rng = np.random.default_rng(2)
    taxonomy = list(dict.fromkeys(" ".join(rng.choice(WORDS, size=2)) for _ in range(2000)))[:300]
    mentees = make_people(n, "e", taxonomy, rng, free_text)
    mentors = make_people(m, "r", taxonomy, rng, free_text)
    cache = EmbeddingCache(SeededEncoder(), None, lru_size=10 * (n + m) + len(taxonomy))
    t0 = time.perf_counter()
    build_compatibility(mentees, mentors, ScoringOptions(), cache)  # fills the cache
    first_s = time.perf_counter() - t0
    encoded = cache.encoded
    base_rss = current_rss_mb()
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        compat = build_compatibility(mentees, mentors, ScoringOptions(), cache)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        del compat
    assert cache.encoded == encoded, "the warm build encoded new texts"
    return {
        "mentees": n,
        "mentors": m,
        "taxonomy": None if free_text else len(taxonomy),
        "distinct_texts": encoded,
        "first_build_s": first_s,
        "warm_build_s_min": min(times),
        "warm_build_s_median": float(np.median(times)),
        "warm_build_cpu_s_min": min(cpu),
        "rss_before_mb": base_rss,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI smoke runs")
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--skip-model", action="store_true", help="skip the real-model case")
    parser.add_argument("--case", choices=["embed", "build", "build_free"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.case == "embed":
        print(json.dumps(case_embed(args.size[0])))
        return
    if args.case == "build":
        print(json.dumps(case_build(*args.size)))
        return
    if args.case == "build_free":
        print(json.dumps(case_build(*args.size, free_text=True)))
        return

    n, m, texts, repeats = (2000, 400, 100, 2) if args.quick else (10_000, 2_000, 500, 3)
    free_n, free_m = (500, 100) if args.quick else (2000, 400)
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
        },
        "quick": args.quick,
        "load_average_before": os.getloadavg(),
    }
    if not args.skip_model:
        results["embed"] = run_child(["--case", "embed", "--size", str(texts)])
    results["build"] = run_child(["--case", "build", "--size", str(n), str(m), str(repeats)])
    results["build_free_text"] = run_child(
        ["--case", "build_free", "--size", str(free_n), str(free_m), str(repeats)]
    )

    print("| case | size | time | rate / note | peak RSS |")
    print("|---|---|---|---|---|")
    if "embed" in results:
        e = results["embed"]
        print(
            f"| cold embedding (MiniLM, fp32) | {e['texts']} texts | {e['cold_s']:.2f} s "
            f"(CPU {e['cold_cpu_s']:.1f} s) | {e['cold_texts_per_s']:.0f} texts/s, "
            f"{e['cold_texts_per_cpu_s']:.0f} per CPU-s, 1 encode call | "
            f"{e['peak_rss_mb']:.0f} MB |"
        )
        print(
            f"| warm embedding (cache hits) | {e['texts']} texts | {e['warm_s'] * 1e3:.1f} ms | "
            f"{e['warm_texts_per_s']:.0f} texts/s | |"
        )
    b = results["build"]
    print(
        f"| build_compatibility, warm cache | {b['mentees']} x {b['mentors']} | "
        f"{b['warm_build_s_min']:.2f} s (median {b['warm_build_s_median']:.2f}, "
        f"CPU {b['warm_build_cpu_s_min']:.2f} s) | "
        f"{b['distinct_texts']} distinct texts, taxonomy {b['taxonomy']} | "
        f"{b['peak_rss_mb']:.0f} MB (before {b['rss_before_mb']:.0f}) |"
    )
    f = results["build_free_text"]
    print(
        f"| build_compatibility, free-text skills | {f['mentees']} x {f['mentors']} | "
        f"{f['warm_build_s_min']:.2f} s (median {f['warm_build_s_median']:.2f}, "
        f"CPU {f['warm_build_cpu_s_min']:.2f} s) | "
        f"{f['distinct_texts']} distinct texts; cost grows with distinct mentee x mentor "
        f"skills | {f['peak_rss_mb']:.0f} MB |"
    )
    load = results["load_average_before"]
    print(
        f"\nload average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on "
        f"{os.cpu_count()} CPUs (a busy machine slows every number above)"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "bench_scoring.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
