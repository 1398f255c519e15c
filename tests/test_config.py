from __future__ import annotations

from pathlib import Path

import pytest

from matchsvc.config import load_settings
from matchsvc.errors import ConfigError


def test_defaults_run_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MATCHSVC_PORT", "MATCHSVC_MODEL", "MATCHSVC_DATA_DIR", "MATCHSVC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.model is None
    assert settings.data_dir == Path("data")
    assert settings.api_key is None


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MATCHSVC_PORT", "9001")
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MATCHSVC_API_KEY", "s3cret")
    settings = load_settings()
    assert settings.port == 9001
    assert settings.data_dir == tmp_path
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "s3cret"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MATCHSVC_PORT", "eighty", "MATCHSVC_PORT: Input should be a valid integer"),
        ("MATCHSVC_PORT", "70000", "MATCHSVC_PORT: Input should be less than or equal to 65535"),
        ("MATCHSVC_MAX_MENTEES", "0", "MATCHSVC_MAX_MENTEES: Input should be greater than"),
        ("MATCHSVC_MODEL", "/no/such/dir", "MATCHSVC_MODEL: .*does not exist"),
        ("MATCHSVC_LOG_LEVEL", "LOUD", "MATCHSVC_LOG_LEVEL"),
        ("MATCHSVC_ENCODER_BACKEND", "tensorflow", "MATCHSVC_ENCODER_BACKEND"),
    ],
)
def test_invalid_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()
