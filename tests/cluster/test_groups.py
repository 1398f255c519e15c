"""RayEncoder's grouping and its small-call path: no cluster needed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from matchsvc.cluster import EncoderSpec, RayEncoder
from matchsvc.errors import ConfigError
from tests.fakes import FakeEncoder

SPEC = EncoderSpec(None, "onnx", Path("/nowhere"), 1, "cpu")


class Grouping(FakeEncoder):
    """A fake with ``batches``: groups by text length, like the ONNX encoder."""

    def batches(self, texts: list[str]) -> list[list[int]]:
        order = sorted(range(len(texts)), key=lambda k: (len(texts[k]), k))
        return [order[s : s + 2] for s in range(0, len(order), 2)]


def test_groups_are_the_local_encoders_batches_when_it_has_them() -> None:
    remote = RayEncoder(Grouping(), SPEC, workers=2)
    assert remote.groups(["ccc", "a", "bb", "dddd", "e"]) == [[1, 4], [2, 0], [3]]


def test_an_encoder_without_batches_is_cut_in_input_order() -> None:
    remote = RayEncoder(FakeEncoder(), SPEC, workers=2, batch_size=3)
    assert remote.groups([f"t{k}" for k in range(7)]) == [[0, 1, 2], [3, 4, 5], [6]]


def test_small_calls_stay_in_process_without_touching_ray(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # any `import ray` would now fail
    local = FakeEncoder()
    remote = RayEncoder(local, SPEC, workers=2, min_texts=10)
    texts = ["python mentoring", "public speaking"]
    assert np.array_equal(remote.encode(texts), FakeEncoder().encode(texts))
    assert (remote.model_id, remote.dim, local.calls) == (local.model_id, local.dim, 1)


def test_a_large_call_without_ray_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    remote = RayEncoder(FakeEncoder(), SPEC, workers=2, min_texts=1)
    with pytest.raises(ConfigError, match=r"pip install 'matchsvc\[ray\]'"):
        remote.encode(["a", "b"])


def test_an_actor_pool_needs_an_actor() -> None:
    with pytest.raises(ConfigError, match="workers is 0"):
        RayEncoder(FakeEncoder(), SPEC, workers=0)
