from __future__ import annotations

import pytest
from typer.testing import CliRunner

from matchsvc.cli import app


def test_serve_refuses_a_bad_setting_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHSVC_MODEL", "/no/such/model")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "MATCHSVC_MODEL" in result.output


def test_help_lists_serve() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output
