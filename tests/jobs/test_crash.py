"""A real ``matchsvc serve`` killed with SIGKILL mid-job: after a restart the job completes.

Loads the real model twice (about 10-15 s per start, ~30 s in all on an idle machine), hence
``slow``; the waits allow 90 s each for a loaded machine. The job is held "mid-job" by
``MATCHSVC_JOB_DEBUG_DELAY_SECONDS`` in the first process only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import person
from tests.conftest import seed_onnx

pytestmark = [pytest.mark.slow, pytest.mark.model]

MATCH = {
    "mentees": [
        person("alice", ["python", "data pipelines"], "become a data engineer"),
        person("bob", ["public speaking"], "lead a team"),
    ],
    "mentors": [
        person("m-data", ["python", "sql"], "help data engineers grow"),
        person("m-lead", ["leadership", "presentation skills"], "coach new team leads"),
    ],
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _until(check: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except httpx.TransportError:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)


class Server:
    """``matchsvc serve`` in a subprocess on a loopback port, with its log in ``data_dir``."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (data_dir / f"serve-{self.port}.log").open("wb")
        command = Path(sys.executable).with_name("matchsvc")
        self.process = subprocess.Popen(
            [str(command), "serve"],
            cwd=data_dir,  # no stray .env
            env={
                **os.environ,
                "HF_HUB_OFFLINE": "1",
                "MATCHSVC_HOST": "127.0.0.1",
                "MATCHSVC_PORT": str(self.port),
                "MATCHSVC_DATA_DIR": str(data_dir),
                **env,
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.http = httpx.Client(base_url=self.url, timeout=10)
        _until(lambda: self.http.get("/healthz").status_code == 200, "/healthz", 90)

    def job(self, job_id: str) -> Any:
        return self.http.get(f"/jobs/{job_id}").json()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def close(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.close()


def test_a_job_killed_mid_run_completes_after_restart(
    tmp_path: Path, servers: list[Server], onnx_cache: Path
) -> None:
    seed_onnx(onnx_cache, tmp_path)  # the default encoder's export, made once per session
    first = Server(tmp_path, MATCHSVC_JOB_DEBUG_DELAY_SECONDS="60")
    servers.append(first)
    response = first.http.post("/jobs", json={"kind": "match", "payload": MATCH})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    # Accepted while the model may still load; it runs (and then waits) once the model is warm.
    running = _until(
        lambda: (job := first.job(job_id))["progress"]["stage"] == "debug_delay" and job,
        "the job to run",
        90,
    )
    assert running["status"] == "running" and running["attempts"] == 1
    first.kill()

    second = Server(tmp_path)
    servers.append(second)
    kept = second.http.get(f"/jobs/{job_id}/input")
    assert kept.status_code == 200 and kept.json() == {"kind": "match", "payload": MATCH}
    done = _until(
        lambda: (job := second.job(job_id))["status"] in ("succeeded", "failed") and job,
        "the job to finish after the restart",
        90,
    )
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2
    result = second.http.get(f"/jobs/{job_id}/result").json()
    synchronous = second.http.post("/match", json=MATCH).json()
    for body in (result, synchronous):
        body["summary"]["timings_ms"] = None
    assert result == synchronous
