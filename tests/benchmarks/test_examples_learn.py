"""The committed learning examples: what benchmarks/examples.py generates, and they teach."""

from __future__ import annotations

import json
from typing import Any

import pytest
from benchmarks.examples import ROOT, files

from matchsvc import schemas, service
from matchsvc.config import Settings
from matchsvc.engine import Engine

pytestmark = [pytest.mark.slow, pytest.mark.model]


def test_committed_example_files_are_current() -> None:
    for path, text in files().items():
        assert path.read_text() == text, f"{path} is stale: run python -m benchmarks.examples"


def test_the_example_history_yields_better_weights(real_encoder: Any, tmp_path: Any) -> None:
    body = schemas.LearnRequest.model_validate(
        json.loads((ROOT / "http" / "learn.json").read_text())
    )
    result = service.run_learn(Engine(Settings(data_dir=tmp_path), real_encoder), body)
    assert result.adopted and result.reason == "improved"
    assert result.evidence.discordant_share.difference.high < 0
    # hidden goals 0.6 > default 0.3: the learned weights move towards goals
    assert result.weights["goals"] > result.current_weights["goals"]
