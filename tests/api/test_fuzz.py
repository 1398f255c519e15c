"""CI's fuzzing habit: a deterministic schemathesis pass over every operation and phase.

The same run as ``make fuzz`` (``benchmarks/fuzz.py``), smaller: a real server process on the
tests' hashing encoder, seed 1, all four phases, more than 2,000 requests. Any 5xx or failed
check (response schema, status codes, content types, rejection of schema-invalid data, ...)
fails the test; the summary in the failure message names the operation and check.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks.fuzz import main

pytestmark = pytest.mark.slow


def test_a_seeded_schemathesis_pass_finds_no_server_error(tmp_path: Path) -> None:
    status = main(["--fake-encoder", "--seed", "1", "--max-examples", "20", "--out", str(tmp_path)])
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert status == 0, (tmp_path / "summary.md").read_text()
    assert summary["server_errors"] == 0 and summary["failed_checks"] == {}
    assert summary["requests"] >= 2000
    assert set(summary["requests_per_phase"]) >= {"examples", "coverage", "fuzzing", "stateful"}
    assert len(summary["per_operation"]) >= 13  # every operation (and the stateful scenarios)
