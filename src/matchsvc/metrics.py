"""Prometheus metrics of one service instance, in a registry of its own.

Each :class:`Metrics` owns a fresh ``CollectorRegistry`` (never the global default), so every app
built by ``create_app`` -- one per test -- counts alone. Exposed by ``GET /metrics``.

=========================================== ========= ==========================================
metric                                      type      labels / meaning
=========================================== ========= ==========================================
matchsvc_http_requests_total                counter   method, route (template), status
matchsvc_http_request_duration_seconds      histogram method, route, status
matchsvc_stage_duration_seconds             histogram stage (embed, score, solve, explain) of
                                                      every match and rematch, jobs included
matchsvc_embedding_cache_hits_total         counter   distinct texts found in the cache
matchsvc_embedding_cache_misses_total       counter   distinct texts sent to the model
matchsvc_model_load_seconds                 gauge     time to load and warm the model (absent
                                                      until loaded)
matchsvc_model_ready                        gauge     1 once the model is loaded
matchsvc_cpu_slots_in_use                   gauge     CPU-heavy requests running
matchsvc_cpu_queue_depth                    gauge     CPU-heavy requests waiting for a slot
matchsvc_jobs_queued                        gauge     jobs waiting to run
matchsvc_jobs_finished_total                counter   kind, outcome (succeeded, failed, cancelled)
=========================================== ========= ==========================================

Labels hold only route templates, methods, status codes, stage and job kind names: never
request data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from matchsvc.engine import Engine

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""Media type of :meth:`Metrics.render` (Prometheus text format 0.0.4)."""

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_STAGE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class _EngineCollector(Collector):
    """Reads the engine's cache counters and model state at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        engine = self._engine
        hits = CounterMetricFamily(
            "matchsvc_embedding_cache_hits", "Distinct texts per call found in the cache."
        )
        misses = CounterMetricFamily(
            "matchsvc_embedding_cache_misses", "Distinct texts per call sent to the model."
        )
        if engine.ready:
            stats = engine.cache.stats()
            hits.add_metric([], stats.hits)
            misses.add_metric([], stats.misses)
        else:
            hits.add_metric([], 0)
            misses.add_metric([], 0)
        yield hits
        yield misses
        yield GaugeMetricFamily(
            "matchsvc_model_ready",
            "1 once the model is loaded and warm.",
            value=float(engine.ready),
        )
        if engine.model_load_seconds is not None:
            yield GaugeMetricFamily(
                "matchsvc_model_load_seconds",
                "Seconds taken to load and warm the embedding model.",
                value=engine.model_load_seconds,
            )


class Metrics:
    """The service's metrics (see module doc) in a private registry.

    Args:
        engine: read at scrape time (cache counters, model state); its ``stage_observer`` is
            set to :meth:`observe_stages`.
    """

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "matchsvc_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "matchsvc_http_request_duration_seconds",
            "HTTP request duration (body read to last byte sent).",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._stages = Histogram(
            "matchsvc_stage_duration_seconds",
            "Pipeline stage duration per match or rematch (jobs included).",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=self.registry,
        )
        self._in_use = Gauge(
            "matchsvc_cpu_slots_in_use", "CPU-heavy requests running.", registry=self.registry
        )
        self._queued = Gauge(
            "matchsvc_cpu_queue_depth",
            "CPU-heavy requests waiting for a slot.",
            registry=self.registry,
        )
        self._jobs_queued = Gauge(
            "matchsvc_jobs_queued", "Jobs waiting to run.", registry=self.registry
        )
        self._jobs_finished = Counter(
            "matchsvc_jobs_finished",
            "Jobs that ended, by kind and outcome.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.registry.register(_EngineCollector(engine))
        engine.stage_observer = self.observe_stages

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished HTTP request and its duration."""
        labels = (method, route, str(status))
        self._requests.labels(*labels).inc()
        self._latency.labels(*labels).observe(seconds)

    def observe_stages(self, timings_ms: Mapping[str, float]) -> None:
        """Record one run's stage timings (``MatchSummary.timings_ms``: stage -> ms)."""
        for stage, ms in timings_ms.items():
            self._stages.labels(stage).observe(ms / 1000)

    def track_cpu_gate(self, running: Callable[[], int], waiting: Callable[[], int]) -> None:
        """Read the CPU gate's running and waiting counts at scrape time."""
        self._in_use.set_function(lambda: float(running()))
        self._queued.set_function(lambda: float(waiting()))

    def track_job_queue(self, depth: Callable[[], int]) -> None:
        """Read the number of queued jobs at scrape time (``depth`` must be cheap and thread-safe)."""
        self._jobs_queued.set_function(lambda: float(depth()))

    def job_finished(self, kind: str, outcome: str) -> None:
        """Count one job that ended (outcome: succeeded, failed or cancelled)."""
        self._jobs_finished.labels(kind, outcome).inc()

    def render(self) -> bytes:
        """The registry in Prometheus text format (:data:`CONTENT_TYPE`)."""
        return generate_latest(self.registry)
