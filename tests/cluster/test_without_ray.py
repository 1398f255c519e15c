"""Without MATCHSVC_RAY_ADDRESS nothing changes and Ray is never imported; with it, a missing
extra is a start-up error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchsvc import engine as engine_module
from matchsvc.cli import app
from matchsvc.config import load_settings
from matchsvc.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]

_PROBE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import numpy as np
    from fastapi.testclient import TestClient
    from matchsvc import assign
    from matchsvc.api import create_app
    from matchsvc.config import Settings
    from tests.fakes import FakeEncoder

    app = create_app(Settings(data_dir=Path(sys.argv[1])), encoder=FakeEncoder())
    body = json.loads(Path(sys.argv[2]).read_text())
    with TestClient(app) as client:
        status = client.post("/match", json=body).status_code
    big = np.random.default_rng(0).random((700, 400))  # auto picks the pricing solver
    result = assign(big, capacity=2)
    print(json.dumps({
        "status": status,
        "solver": result.solver,
        "ray": sorted(m for m in sys.modules if m == "ray" or m.startswith("ray.")),
        "cluster": "matchsvc.cluster" in sys.modules,
    }))
    """
)


@pytest.mark.slow
def test_the_service_and_the_solver_never_import_ray_without_the_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHSVC_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path), str(ROOT / "examples/http/match.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"status": 200, "solver": "pricing", "ray": [], "cluster": False}


def test_a_blank_ray_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHSVC_RAY_ADDRESS", "  ")
    with pytest.raises(ConfigError, match="MATCHSVC_RAY_ADDRESS: Value error, is blank"):
        load_settings()


def test_the_default_is_onnx_on_any_device_without_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MATCHSVC_ENCODER_BACKEND", "MATCHSVC_DEVICE", "MATCHSVC_RAY_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings()
    assert (s.encoder_backend, s.device, s.ray_address, s.ray_workers) == (
        "onnx",
        "auto",
        None,
        None,
    )


def test_an_unknown_device_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHSVC_DEVICE", "tpu")
    with pytest.raises(ConfigError, match="MATCHSVC_DEVICE: Input should be 'auto', 'cpu'"):
        load_settings()


def test_ray_option_without_the_extra_stops_serve_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--ray ADDRESS`` is MATCHSVC_RAY_ADDRESS for this run; without Ray installed, serve
    exits 2 with the command that installs it, before listening."""
    # Recorded, so the variable the CLI sets is removed again after the test.
    monkeypatch.setenv("MATCHSVC_RAY_ADDRESS", "placeholder")
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path))
    real = engine_module.importlib.util.find_spec
    monkeypatch.setattr(
        engine_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ray" else real(name),
    )
    result = CliRunner().invoke(app, ["--ray", "ray://head:10001", "serve"])
    assert result.exit_code == 2
    assert os.environ["MATCHSVC_RAY_ADDRESS"] == "ray://head:10001"
    text = " ".join(result.output.split())
    assert "MATCHSVC_RAY_ADDRESS is 'ray://head:10001' but Ray is not installed" in text
    assert "pip install 'matchsvc[ray]'" in text
