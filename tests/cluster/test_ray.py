"""Batch work on a local Ray cluster started here: the same bits as in this process.

Skipped when the ``ray`` extra is not installed. One cluster (2 CPUs) for the module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from matchsvc.assignment import Assignment, assign  # noqa: E402
from matchsvc.assignment import _blocks as blocks_module  # noqa: E402
from matchsvc.cluster import EncoderSpec, RayEncoder, RayExecutor, connect  # noqa: E402
from matchsvc.config import Settings  # noqa: E402
from matchsvc.engine import Engine, build_encoder  # noqa: E402
from matchsvc.errors import InvalidInputError  # noqa: E402
from matchsvc.pipelines import MatchOptions  # noqa: E402
from matchsvc.profiles import Profile  # noqa: E402
from tests.conftest import seed_onnx  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.ray,
    # Ray Data's context warns about its own deprecated fields when it is copied.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    path = os.pathsep.join(
        p for p in (str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p
    )
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path, "HF_HUB_OFFLINE": "1"}},
    )
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many blocks, hence several spans per pass (the driver's step travels with the tasks)."""
    monkeypatch.setattr(blocks_module, "BLOCK_CELLS", 300)


def _same(a: Assignment, b: Assignment) -> None:
    assert np.array_equal(a.pairs, b.pairs)
    assert a.scores.tobytes() == b.scores.tobytes()
    assert a.certificate is not None and b.certificate is not None
    for name in ("mentee_potential", "mentor_potential", "reach_mentees", "reach_mentors"):
        assert getattr(a.certificate, name).tobytes() == getattr(b.certificate, name).tobytes()
    assert dict(a.stats) == dict(b.stats)


class Cosine:
    """Scores from unit vectors, block by block (float32), like a large programme's source."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:  # type: ignore[type-arg]
        self.a, self.bt = a.astype(np.float32), np.ascontiguousarray(b.T, dtype=np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.a.shape[0]), int(self.bt.shape[1]))

    def block(self, i0: int, i1: int) -> np.ndarray:  # type: ignore[type-arg]
        return self.a[i0:i1] @ self.bt


def _vectors(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n + m, 16))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v[:n], v[n:]


@pytest.mark.usefixtures("small_blocks")
def test_the_pricing_solver_on_ray_gives_the_same_bits() -> None:
    executor = connect("local").executor()  # reuses this module's cluster
    a, b = _vectors(400, 30, 0)
    source = Cosine(a, b)
    here = assign(source, capacity=14, solver="pricing")  # type: ignore[arg-type]
    there = assign(source, capacity=14, solver="pricing", executor=executor)  # type: ignore[arg-type]
    _same(here, there)
    assert here.optimal and here.stats["passes"] >= 2
    dense = np.rint(8 * (a @ b.T)) / 8  # ties
    warm = assign(dense, capacity=14, solver="pricing")
    _same(
        assign(dense[::-1].copy(), capacity=14, warm_start=warm),
        assign(dense[::-1].copy(), capacity=14, warm_start=warm, executor=executor),
    )


@pytest.mark.usefixtures("small_blocks")
def test_an_error_in_a_task_is_raised_as_matchsvc_raises_it() -> None:
    a, b = _vectors(300, 20, 1)
    bad = Cosine(a, b)
    bad.a[250, 0] = np.nan
    with pytest.raises(InvalidInputError) as info:
        assign(bad, capacity=15, solver="pricing", executor=RayExecutor())  # type: ignore[arg-type]
    assert info.value.message.startswith("scores contains nan at (250, ")
    assert info.value.field == "scores"


@pytest.mark.model
def test_embedding_on_an_actor_pool_gives_the_same_bits(onnx_cache: Path) -> None:
    from matchsvc.scoring.encoder import load_encoder

    local = load_encoder(cache_dir=onnx_cache, threads=1, device="cpu")
    spec = EncoderSpec(None, "onnx", onnx_cache, 1, "cpu")
    remote = RayEncoder(local, spec, workers=2, min_texts=2)
    texts = [
        f"{w} mentoring, {k} years, goals: {g}"
        for k, (w, g) in enumerate(
            zip(
                ["python", "sql", "public speaking", "rust", "ux"] * 30,
                ["grow", "lead a team", "switch to data", "speak at conferences"] * 38,
                strict=False,
            )
        )
    ]
    assert np.array_equal(remote.encode(texts), local.encode(texts))
    assert remote.model_id == local.model_id
    assert np.array_equal(remote.encode(texts[:1]), local.encode(texts[:1]))  # below min_texts


@pytest.mark.model
def test_an_actor_with_another_model_is_refused(onnx_cache: Path) -> None:
    from matchsvc.errors import ConfigError
    from matchsvc.scoring.encoder import bundled_model_path
    from matchsvc.scoring.onnx_encoder import OnnxEncoder

    local = OnnxEncoder(bundled_model_path(), onnx_cache, name="renamed")  # id renamed@...
    remote = RayEncoder(local, EncoderSpec(None, "onnx", onnx_cache, 1, "cpu"), workers=1)
    with pytest.raises(ConfigError, match="install the same matchsvc and model on every Ray"):
        remote.encode([f"text {k}" for k in range(300)])


@pytest.mark.model
def test_the_service_encoder_goes_to_ray_when_the_address_is_set(
    onnx_cache: Path, tmp_path: Path
) -> None:
    seed_onnx(onnx_cache, tmp_path)
    encoder = build_encoder(Settings(data_dir=tmp_path, ray_address="local", device="cpu"))
    assert isinstance(encoder, RayEncoder)
    assert encoder.workers == 2  # the cluster's CPUs, one thread each
    assert encoder.model_id.endswith("+onnx")


def _people(seed: int) -> tuple[list[Profile], list[Profile]]:
    rng = np.random.default_rng(seed)
    words = ["python", "sql", "design", "sales", "rust", "ml", "ops", "writing", "hiring"]

    def pick() -> tuple[str, ...]:
        return tuple(str(w) for w in rng.choice(words, 3, replace=False))

    mentees = [Profile(f"e{i}", skills=pick(), goals=" ".join(pick())) for i in range(90)]
    mentors = [Profile(f"r{j}", skills=pick(), capacity=7) for j in range(14)]
    return mentees, mentors


@pytest.mark.usefixtures("small_blocks")
def test_an_engine_with_a_ray_address_matches_as_one_without(tmp_path: Path) -> None:
    on_ray = Engine(Settings(data_dir=tmp_path / "a", ray_address="local"), FakeEncoder())
    here = Engine(Settings(data_dir=tmp_path / "b"), FakeEncoder())
    assert isinstance(on_ray.block_executor, RayExecutor)
    assert here.block_executor is None
    mentees, mentors = _people(0)
    options = MatchOptions(solver="pricing")

    def strip(report: Any) -> Any:
        return replace(report, summary=replace(report.summary, timings_ms={}))

    assert strip(on_ray.match(mentees, mentors, options)) == strip(
        here.match(mentees, mentors, options)
    )
