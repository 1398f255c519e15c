"""The ONNX export: once per model, safe when processes start together; start-up checks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from matchsvc.errors import ConfigError
from matchsvc.scoring import encoder as encoder_module
from matchsvc.scoring import onnx_encoder as onnx_module
from matchsvc.scoring.encoder import bundled_model_path, check_encoder
from matchsvc.scoring.onnx_encoder import OnnxEncoder, ensure_graph, onnx_model_path

_RACE = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from matchsvc.scoring import onnx_encoder as mod

    model_dir, cache, log, ready, me = sys.argv[1:6]

    def slow_export(model_dir, target):  # stands in for torch.onnx.export (seconds)
        with open(log, "a") as fh:
            fh.write(me + "\\n")
        time.sleep(1.0)
        tmp = mod._atomic_target(target)
        tmp.write_bytes(b"graph of " + me.encode())
        mod._commit(tmp, target)

    mod.export_onnx = slow_export
    Path(ready, me).touch()
    while len(os.listdir(ready)) < 2:  # start the race together
        time.sleep(0.005)
    print(mod.ensure_graph(Path(model_dir), Path(cache)))
    """
)


def _tiny_model(root: Path) -> Path:
    """A directory whose weights digest is cheap (ensure_graph only hashes it)."""
    model = root / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights")
    return model


def test_two_processes_starting_together_export_once(tmp_path: Path) -> None:
    model, cache, log, ready = (
        _tiny_model(tmp_path),
        tmp_path / "onnx",
        tmp_path / "log",
        tmp_path / "ready",
    )
    ready.mkdir()
    script = tmp_path / "race.py"
    script.write_text(_RACE)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(model), str(cache), str(log), str(ready), name],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    exporters = log.read_text().split()
    assert len(exporters) == 1  # the other process waited for the lock and found the graph
    graph = onnx_model_path(cache, onnx_module.weights_digest(model))
    assert outputs == [str(graph), str(graph)]
    assert graph.read_bytes() == b"graph of " + exporters[0].encode()
    assert [p.name for p in graph.parent.iterdir() if p.suffix == ".tmp"] == []


def test_a_killed_exporters_temporary_file_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _tiny_model(tmp_path)
    graph = onnx_model_path(tmp_path / "onnx", onnx_module.weights_digest(model))
    graph.parent.mkdir(parents=True)
    stale = graph.parent / ".model.onnx.k1ll3d.tmp"
    stale.write_bytes(b"half a graph")

    def export(model_dir: Path, target: Path) -> None:
        target.write_bytes(b"graph")

    monkeypatch.setattr(onnx_module, "export_onnx", export)
    assert ensure_graph(model, tmp_path / "onnx") == graph
    assert not stale.exists()
    assert graph.read_bytes() == b"graph"


def test_an_exported_graph_is_used_without_exporting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _tiny_model(tmp_path)
    graph = onnx_model_path(tmp_path, onnx_module.weights_digest(model))
    graph.parent.mkdir(parents=True)
    graph.write_bytes(b"graph")

    def export(model_dir: Path, target: Path) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_module, "export_onnx", export)
    assert ensure_graph(model, tmp_path) == graph


def test_export_without_onnx_names_the_torch_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    with pytest.raises(ConfigError, match="MATCHSVC_ENCODER_BACKEND=torch") as info:
        onnx_module.export_onnx(bundled_model_path(), tmp_path / "model.onnx")
    assert info.value.field == "MATCHSVC_ENCODER_BACKEND"


@pytest.mark.slow
def test_a_failed_export_names_the_torch_setting_and_leaves_nothing(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "bert"}))  # no weights
    target = tmp_path / "onnx" / "model.onnx"
    with pytest.raises(ConfigError, match=r"failed: .*MATCHSVC_ENCODER_BACKEND=torch"):
        onnx_module.export_onnx(model, target)
    assert list(target.parent.iterdir()) == []


class TestStartUpChecks:
    """check_encoder: what the service checks before it listens (milliseconds, no model)."""

    def _hide(self, monkeypatch: pytest.MonkeyPatch, *missing: str) -> None:
        real = encoder_module.importlib.util.find_spec

        def find_spec(name: str, *args: object) -> object:
            return None if name in missing else real(name)

        monkeypatch.setattr(encoder_module.importlib.util, "find_spec", find_spec)

    def test_onnx_without_onnxruntime_names_the_torch_setting(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self._hide(monkeypatch, "onnxruntime")
        with pytest.raises(ConfigError, match="MATCHSVC_ENCODER_BACKEND=torch") as info:
            check_encoder(cache_dir=tmp_path, device="cpu")
        assert "onnxruntime" in info.value.message

    def test_an_unexported_graph_needs_torch_for_the_export(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self._hide(monkeypatch, "torch")
        with pytest.raises(ConfigError, match=r"exporting the model to ONNX .* torch package"):
            check_encoder(cache_dir=tmp_path, device="cpu")

    def test_an_exported_graph_does_not_need_torch(
        self, onnx_cache: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self._hide(monkeypatch, "torch", "transformers", "onnx")
        placement = check_encoder(cache_dir=onnx_cache, device="cpu")
        assert (placement.backend, placement.device) == ("onnx", "cpu")

    def test_the_torch_backend_needs_no_onnxruntime(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self._hide(monkeypatch, "onnxruntime")
        assert check_encoder(backend="torch", cache_dir=tmp_path, device="cpu").backend == "torch"

    def test_a_directory_that_is_no_model_names_the_model_setting(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="no sentence-transformers model") as info:
            check_encoder(tmp_path, device="cpu")
        assert info.value.field == "MATCHSVC_MODEL"


@pytest.fixture(scope="module")
def small_batches(onnx_cache: Path) -> OnnxEncoder:
    return OnnxEncoder(bundled_model_path(), onnx_cache, batch_size=8)


@pytest.mark.model
class TestBatches:
    """What a distributed encoder relies on: ``batches`` are the groups ``encode`` runs."""

    def test_groups_cover_every_text_once_shortest_first(self, small_batches: OnnxEncoder) -> None:
        encoder = small_batches
        texts = [("word " * (k % 13)).strip() or "x" for k in range(30)]
        groups = encoder.batches(texts)
        assert sorted(i for g in groups for i in g) == list(range(30))
        assert [len(g) for g in groups] == [8, 8, 8, 6]
        lengths = [len(texts[i].split()) for g in groups for i in g]
        assert lengths == sorted(lengths)
        assert encoder.batches([]) == []

    def test_encoding_group_by_group_gives_the_same_bits(self, small_batches: OnnxEncoder) -> None:
        encoder = small_batches
        texts = [
            f"mentor in {w} and {v} for {k} years"
            for k, w, v in zip(
                range(25),
                ["python", "sql", "design", "sales", "rust"] * 5,
                ["ml", "ops"] * 13,
                strict=False,
            )
        ] + ["a much longer text about leadership, feedback, hiring and growing a team"] * 3
        whole = encoder.encode(texts)
        parts = np.zeros_like(whole)
        for group in encoder.batches(texts):
            parts[group] = encoder.encode([texts[i] for i in group])
        assert np.array_equal(parts, whole)
