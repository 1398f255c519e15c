"""Operations: /metrics, request ids, and the limits that protect the process (413, 429, 503)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray
from prometheus_client.parser import text_string_to_metric_families

from matchsvc.api import create_app
from matchsvc.api.middleware import BodyLimitMiddleware, valid_request_id
from matchsvc.config import Settings
from tests.api.conftest import person
from tests.fakes import FakeEncoder

PEOPLE = {
    "mentees": [person("a", ["python"], "grow"), person("b", ["sql"], "learn")],
    "mentors": [person("m", ["python", "sql"], "help", capacity=2)],
}
STAGES = ("embed", "score", "solve", "explain")


def _metrics(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:matchsvc:problem:{code}"
    assert body["status"] == status
    return body


# ---------------------------------------------------------------- metrics


def test_a_match_counts_the_request_and_each_stage(client: TestClient) -> None:
    before = _metrics(client)
    assert client.post("/match", json=PEOPLE).status_code == 200
    after = _metrics(client)
    req = {"method": "POST", "route": "/match", "status": "200"}
    assert (
        _value(after, "matchsvc_http_requests_total", **req)
        == _value(before, "matchsvc_http_requests_total", **req) + 1
    )
    assert _value(after, "matchsvc_http_request_duration_seconds_count", **req) == 1
    for stage in STAGES:
        assert _value(after, "matchsvc_stage_duration_seconds_count", stage=stage) == 1
        assert _value(after, "matchsvc_stage_duration_seconds_sum", stage=stage) >= 0
    assert _value(after, "matchsvc_model_ready") == 1
    # the first scrape itself was counted under its own template
    assert (
        _value(after, "matchsvc_http_requests_total", method="GET", route="/metrics", status="200")
        == 1
    )


def test_the_second_identical_request_hits_the_embedding_cache(client: TestClient) -> None:
    assert client.post("/match", json=PEOPLE).status_code == 200
    first = _metrics(client)
    assert _value(first, "matchsvc_embedding_cache_misses_total") > 0
    assert client.post("/match", json=PEOPLE).status_code == 200
    second = _metrics(client)
    hits = _value(second, "matchsvc_embedding_cache_hits_total") - _value(
        first, "matchsvc_embedding_cache_hits_total"
    )
    assert hits == _value(first, "matchsvc_embedding_cache_misses_total")  # every text, once
    assert _value(second, "matchsvc_embedding_cache_misses_total") == _value(
        first, "matchsvc_embedding_cache_misses_total"
    )


def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    with (
        TestClient(create_app(Settings(data_dir=tmp_path / "a"), encoder=FakeEncoder())) as one,
        TestClient(create_app(Settings(data_dir=tmp_path / "b"), encoder=FakeEncoder())) as two,
    ):
        assert one.post("/match", json=PEOPLE).status_code == 200
        samples = _metrics(two)
    assert (
        _value(samples, "matchsvc_http_requests_total", method="POST", route="/match", status="200")
        == 0
    )
    assert _value(samples, "matchsvc_stage_duration_seconds_count", stage="solve") == 0


def test_unknown_paths_share_one_label(client: TestClient) -> None:
    client.get("/no/such/path/1")
    client.get("/no/such/path/2")
    samples = _metrics(client)
    assert (
        _value(
            samples, "matchsvc_http_requests_total", method="GET", route="<unmatched>", status="404"
        )
        == 2
    )


def test_metrics_need_no_api_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key="secret")  # type: ignore[arg-type]
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        assert client.post("/match", json=PEOPLE).status_code == 401
        assert client.get("/metrics").status_code == 200


def test_model_load_time_is_exported_once_loaded(client: TestClient) -> None:
    client.app.state.engine.model_load_seconds = 1.5  # type: ignore[attr-defined]
    assert _value(_metrics(client), "matchsvc_model_load_seconds") == 1.5


# ---------------------------------------------------------------- request ids


def test_a_sane_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "req-42.a:b_c"})
    assert response.headers["x-request-id"] == "req-42.a:b_c"


@pytest.mark.parametrize(
    "given", [None, "", "has space", "x" * 129, "-leading", "ünï".encode(), "a\tb", "a;b"]
)
def test_otherwise_a_new_request_id_is_made(client: TestClient, given: str | bytes | None) -> None:
    headers = {} if given is None else {"X-Request-ID": given}
    first = client.get("/healthz", headers=headers).headers["x-request-id"]
    second = client.get("/healthz", headers=headers).headers["x-request-id"]
    assert first != second
    for made in (first, second):
        assert len(made) == 32 and int(made, 16) >= 0  # uuid4 hex


def test_request_ids_come_back_on_problems_too(client: TestClient) -> None:
    response = client.post("/match", json={"mentees": []}, headers={"X-Request-ID": "abc"})
    assert response.status_code == 422
    assert response.headers["x-request-id"] == "abc"


def test_request_id_rules() -> None:
    assert valid_request_id("a" * 128) and valid_request_id("0")
    assert not valid_request_id("a" * 129) and not valid_request_id("a/b")


# ---------------------------------------------------------------- 413 body size


def _small_body_client(tmp_path: Path) -> TestClient:
    return TestClient(
        create_app(Settings(data_dir=tmp_path, max_body_bytes=2048), encoder=FakeEncoder())
    )


def test_a_body_over_the_limit_is_413(tmp_path: Path) -> None:
    big = {
        "mentees": [person(f"e{i}", ["python"], "x" * 100) for i in range(20)],
        "mentors": PEOPLE["mentors"],
    }
    with _small_body_client(tmp_path) as client:
        response = client.post("/match", json=big)
        body = _problem(response, 413, "limit-exceeded")
        assert "MATCHSVC_MAX_BODY_BYTES" in body["detail"] and "2048" in body["detail"]
        assert body["errors"] == [{"field": "body", "message": body["detail"]}]
        assert client.post("/match", json=PEOPLE).status_code == 200  # small ones still pass
        samples = _metrics(client)
    assert (
        _value(samples, "matchsvc_http_requests_total", method="POST", route="/match", status="413")
        == 1
    )


def test_a_chunked_body_over_the_limit_is_413(tmp_path: Path) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"mentees": ['
        for _ in range(100):
            yield b'{"id": "padding-padding-padding-padding"},'
        yield b"]}"

    with _small_body_client(tmp_path) as client:
        response = client.post(
            "/match", content=chunks(), headers={"content-type": "application/json"}
        )
    body = _problem(response, 413, "limit-exceeded")
    assert "more than 2048 bytes" in body["detail"]


def test_the_body_limit_stops_reading_at_the_limit() -> None:
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}  # endless

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def never(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    middleware = BodyLimitMiddleware(never, max_bytes=4096)
    asyncio.run(middleware({"type": "http", "method": "POST", "headers": []}, receive, send))  # type: ignore[arg-type]
    assert pulled == 5  # 5,000 bytes > 4,096: stopped there
    assert sent[0]["status"] == 413


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    async def receive() -> dict[str, Any]:
        raise AssertionError("nothing may be read")

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def never(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", b"999999")]}
    asyncio.run(BodyLimitMiddleware(never, max_bytes=4096)(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413


# ---------------------------------------------------------------- 429 busy


class BlockingEncoder(FakeEncoder):
    """Blocks inside ``encode`` until released, so a request can hold its CPU slot."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.entered.set()
        assert self.release.wait(10)
        return super().encode(texts)


def _busy_client(tmp_path: Path, encoder: FakeEncoder, **limits: Any) -> TestClient:
    settings = Settings(data_dir=tmp_path, max_concurrent_requests=1, **limits)
    return TestClient(create_app(settings, encoder=encoder))


def _hold_the_slot(
    client: TestClient, encoder: BlockingEncoder
) -> tuple[threading.Thread, list[int]]:
    statuses: list[int] = []
    holder = threading.Thread(
        target=lambda: statuses.append(client.post("/match", json=PEOPLE).status_code)
    )
    holder.start()
    assert encoder.entered.wait(10)
    return holder, statuses


def test_busy_with_a_full_queue_is_429_with_retry_after(tmp_path: Path) -> None:
    encoder = BlockingEncoder()
    with _busy_client(tmp_path, encoder, max_queued_requests=0) as client:
        holder, statuses = _hold_the_slot(client, encoder)
        try:
            response = client.post("/score", json=PEOPLE)
            assert client.get("/healthz").status_code == 200  # cheap routes are never gated
            gauges = _metrics(client)
        finally:
            encoder.release.set()
            holder.join(10)
        assert statuses == [200]
        assert client.post("/score", json=PEOPLE).status_code == 200  # free again
    body = _problem(response, 429, "busy")
    assert int(response.headers["retry-after"]) >= 1
    assert "MATCHSVC_MAX_CONCURRENT_REQUESTS" in body["detail"] and "job" in body["detail"]
    assert _value(gauges, "matchsvc_cpu_slots_in_use") == 1


def test_a_queued_request_that_waits_too_long_is_429(tmp_path: Path) -> None:
    encoder = BlockingEncoder()
    with _busy_client(
        tmp_path, encoder, max_queued_requests=1, queue_timeout_seconds=0.05
    ) as client:
        holder, _ = _hold_the_slot(client, encoder)
        try:
            start = time.perf_counter()
            response = client.post("/assign", json={"scores": [[1.0]]})
            waited = time.perf_counter() - start
        finally:
            encoder.release.set()
            holder.join(10)
    body = _problem(response, 429, "busy")
    assert "within 0.05 s" in body["detail"]
    assert waited >= 0.05


def test_a_queued_request_runs_when_a_slot_frees(tmp_path: Path) -> None:
    encoder = BlockingEncoder()
    with _busy_client(tmp_path, encoder, max_queued_requests=1) as client:
        holder, _ = _hold_the_slot(client, encoder)
        result: list[int] = []
        waiter = threading.Thread(
            target=lambda: result.append(
                client.post("/assign", json={"scores": [[1.0]]}).status_code
            )
        )
        waiter.start()
        deadline = time.monotonic() + 5
        while client.app.state.cpu_gate.waiting == 0 and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.005)
        assert client.app.state.cpu_gate.waiting == 1  # type: ignore[attr-defined]
        encoder.release.set()
        holder.join(10)
        waiter.join(10)
    assert result == [200]


# ---------------------------------------------------------------- 503 time budget


def test_a_request_estimated_over_the_budget_is_refused_up_front(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    settings = Settings(data_dir=tmp_path, request_timeout_seconds=1e-6)
    with TestClient(create_app(settings, encoder=encoder)) as client:
        responses = {
            route: client.post(route, json=PEOPLE) for route in ("/match", "/recommend", "/score")
        }
        responses["/assign"] = client.post("/assign", json={"scores": [[1.0, 0.5]]})
    for route, response in responses.items():
        body = _problem(response, 503, "time-budget-exceeded")
        assert "POST /jobs" in body["detail"], route
        assert "MATCHSVC_REQUEST_TIMEOUT_SECONDS" in body["detail"]
        assert "retry-after" not in response.headers  # the same request would fail again
    assert encoder.calls == 0  # refused before any work


def test_too_many_new_texts_for_the_budget_are_refused_before_the_model_runs(
    tmp_path: Path,
) -> None:
    encoder = FakeEncoder()
    many = {
        "mentees": [person("a", [f"skill-{k}" for k in range(30)])],
        "mentors": [person("m", [f"other-{k}" for k in range(30)])],
    }
    settings = Settings(data_dir=tmp_path, request_timeout_seconds=0.5)
    with TestClient(create_app(settings, encoder=encoder)) as client:
        response = client.post("/match", json=many)
    body = _problem(response, 503, "time-budget-exceeded")
    assert "embedding 60 new texts" in body["detail"]
    assert encoder.calls == 0


class SlowEncoder(FakeEncoder):
    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        time.sleep(0.3)
        return super().encode(texts)


def test_a_budget_spent_while_embedding_stops_before_scoring_and_keeps_the_vectors(
    tmp_path: Path,
) -> None:
    encoder = SlowEncoder()
    settings = Settings(data_dir=tmp_path, request_timeout_seconds=0.2)
    with TestClient(create_app(settings, encoder=encoder)) as client:
        first = client.post("/match", json=PEOPLE)
        body = _problem(first, 503, "time-budget-exceeded")
        assert "spent after the embed stage" in body["detail"]
        samples = _metrics(client)
        assert _value(samples, "matchsvc_stage_duration_seconds_count", stage="solve") == 0
        second = client.post("/match", json=PEOPLE)  # every vector is cached now: fast
    assert second.status_code == 200
    assert encoder.calls == 1


def test_a_zero_budget_means_none(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, request_timeout_seconds=0)
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        assert client.post("/match", json=PEOPLE).status_code == 200


# ---------------------------------------------------------------- load test


def test_the_load_test_sends_valid_requests(client: TestClient) -> None:
    import random

    from benchmarks.load_test import OPERATIONS, make_request

    rng = random.Random(0)
    for operation in OPERATIONS:
        for _ in range(3):
            path, body = make_request(rng, operation)
            response = client.post(path, json=body)
            assert response.status_code == 200, response.text
