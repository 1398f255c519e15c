"""Quality metrics of any assignment, and a per-stage time / peak-memory recorder.

Everything here takes plain arrays, so it works on the service's output, on a baseline's, or on a
data scientist's own matrix. Conventions (the same as :func:`matchsvc.assignment.assign`):

* ``scores``: ``(n, m)`` float matrix, mentee rows, mentor columns, higher is better;
* ``pairs``: ``(k, 2)`` integer (mentee, mentor) rows; an unmatched mentee simply has no row;
* ``allowed``: ``(n, m)`` bool, ``None`` = every pair allowed;
* ``capacity``: ``(m,)`` places per mentor, ``demand``: ``(n,)`` mentors wanted per mentee;
  ``None`` = 1 each.

The main entry point is :func:`evaluate`, which returns every metric in one flat dict.
"""

from __future__ import annotations

import math
import os
import resource
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "StageMeasurement",
    "StageRecorder",
    "bottom_decile",
    "envy_pairs",
    "evaluate",
    "fit_power_law",
    "gini",
    "loads",
    "pairs_of",
    "recovery_at",
]


def pairs_of(assignment: Any) -> NDArray[np.int64]:
    """The ``(k, 2)`` int64 pairs of an assignment object (``.pairs``) or of an array-like."""
    raw = assignment.pairs if hasattr(assignment, "pairs") else assignment
    pairs = np.asarray(raw, dtype=np.int64)
    if pairs.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"pairs must have shape (k, 2), got {pairs.shape}")
    return pairs


def loads(pairs: NDArray[np.int64], n: int, m: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs per mentee ``(n,)`` and per mentor ``(m,)``."""
    return (
        np.bincount(pairs[:, 0], minlength=n).astype(np.int64),
        np.bincount(pairs[:, 1], minlength=m).astype(np.int64),
    )


def gini(values: ArrayLike) -> float:
    """Gini coefficient of ``values``: 0 = all equal, towards 1 = concentrated.

    ``G = sum_i sum_j |x_i - x_j| / (2 n^2 mean(x))``, computed from the sorted values as
    ``(2 * sum_i i * x_(i)) / (n * sum(x)) - (n + 1) / n`` with ranks ``i = 1..n``.
    Defined for a positive mean only: returns ``nan`` for an empty input or a mean <= 0
    (cosine scores can be negative; shift them first if that matters to you).
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n = x.size
    if n == 0 or x.sum() <= 0:
        return math.nan
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * np.dot(ranks, x) / (n * x.sum()) - (n + 1) / n)


def bottom_decile(values: ArrayLike, share: float = 0.1) -> float:
    """Mean of the lowest ``ceil(share * k)`` of the ``k`` values (``nan`` when empty).

    A mean of the tail rather than the 10th percentile: it moves whenever any of the worst-off
    pairs improves, and it is exact on small inputs.
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if x.size == 0:
        return math.nan
    count = max(1, math.ceil(share * x.size - 1e-9))
    return float(x[:count].mean())


def envy_pairs(
    scores: NDArray[np.floating[Any]],
    pairs: NDArray[np.int64],
    *,
    allowed: NDArray[np.bool_] | None = None,
    capacity: NDArray[np.int64] | None = None,
    demand: NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """The (mentee, mentor) pairs with justified envy (blocking pairs), as ``(e, 2)`` int64.

    Both sides rank partners by the same ``scores[i, j]`` (higher is preferred). Let

    * ``u_i`` = ``-inf`` if mentee ``i`` has fewer pairs than ``demand[i]``, else the lowest
      ``scores[i, j']`` over its assigned mentors ``j'`` (``+inf`` when ``demand[i] == 0``);
    * ``v_j`` = ``-inf`` if mentor ``j`` has fewer pairs than ``capacity[j]``, else the lowest
      ``scores[i', j]`` over its assigned mentees ``i'`` (``+inf`` when ``capacity[j] == 0``).

    ``(i, j)`` has justified envy iff it is allowed, not assigned, ``scores[i, j] > u_i`` and
    ``scores[i, j] > v_j`` (strictly): both would rather be together than keep their worst
    partner (or an empty place). A stable matching has none. Rows are sorted by (mentee, mentor).
    """
    s = np.asarray(scores)
    n, m = s.shape
    cap = np.ones(m, dtype=np.int64) if capacity is None else np.asarray(capacity, np.int64)
    dem = np.ones(n, dtype=np.int64) if demand is None else np.asarray(demand, np.int64)
    mentee_load, mentor_load = loads(pairs, n, m)
    matched = s[pairs[:, 0], pairs[:, 1]].astype(np.float64)
    u = np.full(n, np.inf)
    np.minimum.at(u, pairs[:, 0], matched)
    u[(mentee_load < dem)] = -np.inf
    u[dem <= 0] = np.inf
    v = np.full(m, np.inf)
    np.minimum.at(v, pairs[:, 1], matched)
    v[(mentor_load < cap)] = -np.inf
    v[cap <= 0] = np.inf
    assigned = np.zeros(n * m, dtype=bool)
    assigned[pairs[:, 0] * m + pairs[:, 1]] = True
    assigned = assigned.reshape(n, m)
    found: list[NDArray[np.int64]] = []
    for start in range(0, n, 2048):
        stop = min(n, start + 2048)
        block = s[start:stop].astype(np.float64, copy=False)
        envy = (block > u[start:stop, None]) & (block > v[None, :]) & ~assigned[start:stop]
        if allowed is not None:
            envy &= np.asarray(allowed[start:stop], dtype=bool)
        r, c = np.nonzero(envy)
        found.append(np.stack([r + start, c], axis=1).astype(np.int64))
    return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)


def recovery_at(pairs: NDArray[np.int64], best: NDArray[np.int64], k: int) -> float:
    """Share of mentees with an assigned mentor among their planted top-``k`` mentors.

    ``best`` is ``(n, K)`` with ``K >= k``, best first, ``-1`` padding (as
    :attr:`benchmarks.generator.PlantedTruth.best`). Mentees with no planted mentor at all
    (``best[i, 0] == -1``) are left out of the denominator; unmatched mentees count as misses.
    Returns ``nan`` when no mentee has a planted mentor.
    """
    best = np.asarray(best, dtype=np.int64)
    if k < 1 or k > best.shape[1]:
        raise ValueError(f"k must be in 1..{best.shape[1]}, got {k}")
    n = best.shape[0]
    eligible = best[:, 0] >= 0
    if not eligible.any():
        return math.nan
    top = best[pairs[:, 0], :k]
    hit_pair = (top == pairs[:, 1, None]).any(axis=1)
    hit = np.zeros(n, dtype=bool)
    hit[pairs[hit_pair, 0]] = True
    return float(hit[eligible].mean())


def evaluate(
    scores: ArrayLike,
    assignment: Any,
    *,
    allowed: ArrayLike | None = None,
    capacity: ArrayLike | None = None,
    demand: ArrayLike | None = None,
    planted_best: ArrayLike | None = None,
    clusters: tuple[ArrayLike, ArrayLike] | None = None,
) -> dict[str, float]:
    """Every quality metric of one assignment, as a flat ``{name: value}`` dict.

    Args:
        scores: ``(n, m)`` compatibility matrix, higher is better.
        assignment: an object with ``.pairs`` (e.g. :class:`matchsvc.assignment.Assignment`) or
            a ``(k, 2)`` array of (mentee, mentor) rows.
        allowed: ``(n, m)`` bool mask of permitted pairs; ``None`` = all.
        capacity: ``(m,)`` mentor places; ``None`` = 1 each.
        demand: ``(n,)`` mentors per mentee; ``None`` = 1 each.
        planted_best: ``(n, K)`` planted best mentors (``-1`` padded), enables recovery metrics.
        clusters: ``(mentee_cluster (n,), mentor_cluster (m,))`` known group labels (e.g. the
            generator's latent clusters), enables ``cluster_match``.

    Returns:
        ``pairs``, ``total``, ``mean``, ``min``, ``bottom_decile`` (:func:`bottom_decile`) and
        ``gini`` (:func:`gini`) of the matched pair scores; ``matched_share`` (mentees with at
        least one mentor / n), ``demand_met`` (pairs / total demand), ``utilisation``
        (pairs / total capacity); ``envy_pairs`` (:func:`envy_pairs`, count); the feasibility
        counts ``forbidden``, ``over_capacity``, ``over_demand``, ``duplicates`` (all 0 for a
        valid assignment); and, with ``planted_best``, ``recovery_at_1`` / ``recovery_at_5``
        (:func:`recovery_at`); with ``clusters``, ``cluster_match`` (share of pairs whose two
        people have the same label). Score statistics of an empty assignment are ``nan``.

    Raises:
        ValueError: shapes disagree or a pair index is out of range (the message gives both).
    """
    s = np.asarray(scores)
    if s.ndim != 2:
        raise ValueError(f"scores must be a 2-d (mentees x mentors) matrix, got {s.shape}")
    n, m = s.shape
    pairs = pairs_of(assignment)
    if pairs.size and (
        pairs[:, 0].min() < 0
        or pairs[:, 0].max() >= n
        or pairs[:, 1].min() < 0
        or pairs[:, 1].max() >= m
    ):
        raise ValueError(f"a pair index is outside the {n} x {m} score matrix")
    cap = np.ones(m, np.int64) if capacity is None else np.asarray(capacity, np.int64)
    dem = np.ones(n, np.int64) if demand is None else np.asarray(demand, np.int64)
    if cap.shape != (m,) or dem.shape != (n,):
        raise ValueError(
            f"capacity has shape {cap.shape} and demand {dem.shape}, expected ({m},) and ({n},)"
        )
    mask = None if allowed is None else np.asarray(allowed, dtype=bool)
    if mask is not None and mask.shape != (n, m):
        raise ValueError(f"allowed has shape {mask.shape}, expected ({n}, {m})")
    matched = s[pairs[:, 0], pairs[:, 1]].astype(np.float64)
    mentee_load, mentor_load = loads(pairs, n, m)
    k = len(pairs)
    out: dict[str, float] = {
        "pairs": float(k),
        "total": float(matched.sum()),
        "mean": float(matched.mean()) if k else math.nan,
        "min": float(matched.min()) if k else math.nan,
        "bottom_decile": bottom_decile(matched),
        "gini": gini(matched),
        "matched_share": float((mentee_load > 0).mean()) if n else math.nan,
        "demand_met": k / dem.sum() if dem.sum() > 0 else math.nan,
        "utilisation": k / cap.sum() if cap.sum() > 0 else math.nan,
        "envy_pairs": float(len(envy_pairs(s, pairs, allowed=mask, capacity=cap, demand=dem))),
        "forbidden": float((~mask[pairs[:, 0], pairs[:, 1]]).sum()) if mask is not None else 0.0,
        "over_capacity": float((mentor_load > cap).sum()),
        "over_demand": float((mentee_load > dem).sum()),
        "duplicates": float(k - len(np.unique(pairs[:, 0] * m + pairs[:, 1]))),
    }
    if planted_best is not None:
        best = np.asarray(planted_best, dtype=np.int64)
        if best.shape[0] != n:
            raise ValueError(f"planted_best has {best.shape[0]} rows but there are {n} mentees")
        out["recovery_at_1"] = recovery_at(pairs, best, 1)
        out["recovery_at_5"] = recovery_at(pairs, best, min(5, best.shape[1]))
    if clusters is not None:
        mentee_c = np.asarray(clusters[0])
        mentor_c = np.asarray(clusters[1])
        if mentee_c.shape != (n,) or mentor_c.shape != (m,):
            raise ValueError(
                f"clusters have shapes {mentee_c.shape} and {mentor_c.shape}, "
                f"expected ({n},) and ({m},)"
            )
        same = mentee_c[pairs[:, 0]] == mentor_c[pairs[:, 1]]
        out["cluster_match"] = float(same.mean()) if k else math.nan
    return out


def fit_power_law(sizes: ArrayLike, values: ArrayLike) -> tuple[float, float]:
    """Least-squares fit of ``log(values) = b * log(sizes) + log(a)``; returns ``(b, a)``.

    ``b`` is the growth exponent (1 = linear, 2 = quadratic). Points with a non-positive size or
    value are ignored; fewer than two usable points give ``(nan, nan)``.
    """
    x = np.asarray(sizes, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or np.unique(x[ok]).size < 2:
        return math.nan, math.nan
    slope, intercept = np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)
    return float(slope), float(math.exp(intercept))


# --------------------------------------------------------------------------- time and memory


@dataclass(frozen=True, slots=True)
class StageMeasurement:
    """One measured stage.

    Attributes:
        stage: its name (``"embed"``, ``"score"``, ``"solve"``, ``"explain"``, ...).
        seconds: wall-clock time (``time.perf_counter``).
        cpu_seconds: process CPU time (all threads), so ``cpu/wall`` shows parallelism.
        peak_rss_mib: peak resident set size during the stage minus the RSS when it began, MiB
            (see :class:`StageRecorder` for how it is measured and its caveats).
        peak_traced_mib: peak of Python + numpy allocations traced by ``tracemalloc`` during the
            stage, MiB; ``None`` unless the recorder was built with ``trace_python=True``.
        rss_method: ``"hwm"`` (kernel high-water mark) or ``"sampled"`` (thread every 2 ms).
        extra: free-form numbers attached by the caller (e.g. texts encoded).
    """

    stage: str
    seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    peak_traced_mib: float | None
    rss_method: str
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``extra`` flattened into the top level)."""
        d = asdict(self)
        extra = d.pop("extra")
        d.update(extra)
        return d


def _read_status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    """Reset the kernel's peak-RSS counter (``echo 5 > /proc/self/clear_refs``, Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return _read_status_kib("VmHWM") is not None


def _rss_kib() -> int:
    value = _read_status_kib("VmRSS")
    if value is not None:
        return value
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # pragma: no cover


class StageRecorder:
    """Measures the wall time, CPU time and peak memory of named stages.

    Peak memory is the process's **resident set size** (RSS), so it counts everything: numpy,
    torch, scipy's and OR-Tools' C++ buffers. On Linux the kernel's high-water mark is reset at
    the start of each stage (``/proc/self/clear_refs``) and ``VmHWM`` read at the end: exact,
    no sampling, no overhead. Where that is not possible a thread samples ``VmRSS`` every 2 ms
    (it can miss short peaks, and cannot run while a C extension holds the GIL).
    ``peak_rss_mib`` is that peak minus the RSS when the stage began. Caveat: memory the
    allocator kept from earlier stages is reused without raising RSS, so a stage can read low
    after a bigger one; run the stage in a fresh process for an absolute figure.

    With ``trace_python=True`` ``tracemalloc`` also records the peak of Python and numpy
    allocations (numpy reports to tracemalloc; torch and C++ libraries do not). It slows
    Python-heavy code, so timings taken with it on are not comparable.

    Stages cannot nest (a reset of the high-water mark would corrupt the outer stage).
    """

    def __init__(self, *, trace_python: bool = False) -> None:
        self.trace_python = trace_python
        self.records: list[StageMeasurement] = []
        self._active = False

    @contextmanager
    def stage(self, name: str, **extra: float) -> Iterator[dict[str, float]]:
        """Measure the ``with`` body as stage ``name``; the yielded dict collects extras."""
        if self._active:
            raise RuntimeError(f"stage {name!r} started inside another stage; stages cannot nest")
        self._active = True
        extras: dict[str, float] = dict(extra)
        use_hwm = _reset_hwm()
        start_rss = _rss_kib()
        peak_sampled = [start_rss]
        stop = threading.Event()
        sampler: threading.Thread | None = None
        if not use_hwm:

            def sample() -> None:
                while not stop.wait(0.002):
                    peak_sampled[0] = max(peak_sampled[0], _rss_kib())

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
        if self.trace_python:
            tracemalloc.start()
            tracemalloc.reset_peak()
        cpu0 = os.times()
        t0 = time.perf_counter()
        try:
            yield extras
        finally:
            seconds = time.perf_counter() - t0
            cpu1 = os.times()
            traced = None
            if self.trace_python:
                traced = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            if sampler is not None:
                stop.set()
                sampler.join()
                peak = max(peak_sampled[0], _rss_kib())
            else:
                peak = _read_status_kib("VmHWM") or start_rss
            self._active = False
            self.records.append(
                StageMeasurement(
                    stage=name,
                    seconds=seconds,
                    cpu_seconds=(cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
                    peak_rss_mib=max(0, peak - start_rss) / 1024,
                    peak_traced_mib=traced,
                    rss_method="hwm" if use_hwm else "sampled",
                    extra=extras,
                )
            )

    def last(self, name: str) -> StageMeasurement:
        """The most recent measurement of stage ``name`` (KeyError if none)."""
        for rec in reversed(self.records):
            if rec.stage == name:
                return rec
        raise KeyError(f"no stage named {name!r} was recorded")
