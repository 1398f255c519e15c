"""The real bundled model: loads offline and gives the model's known similarities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pytest_socket import SocketBlockedError, disable_socket, enable_socket

from matchsvc.errors import ConfigError
from matchsvc.scoring.encoder import SentenceTransformerEncoder, bundled_model_path

pytestmark = pytest.mark.model


@pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")
def test_model_loads_without_opening_a_socket() -> None:
    disable_socket()
    try:
        encoder = SentenceTransformerEncoder(bundled_model_path())
        vectors = encoder.encode(["offline"])
        with pytest.raises(SocketBlockedError):  # the guard is really active
            import socket

            socket.socket()
    finally:
        enable_socket()
    assert vectors.shape == (1, 384)


def test_quick_start_sentences_have_the_published_similarities(real_encoder) -> None:  # type: ignore[no-untyped-def]
    vectors = real_encoder.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] == pytest.approx(0.666, abs=0.005)
    assert sims[0, 2] == pytest.approx(0.105, abs=0.005)
    assert sims[1, 2] == pytest.approx(0.141, abs=0.005)


def test_encoding_is_deterministic_and_independent_of_the_batch(real_encoder) -> None:  # type: ignore[no-untyped-def]
    alone = real_encoder.encode(["mentoring in data engineering"])
    batched = real_encoder.encode(
        ["a", "mentoring in data engineering", "something much longer here"]
    )
    np.testing.assert_allclose(alone[0], batched[1], atol=1e-5)


def test_empty_input_gives_an_empty_matrix(real_encoder) -> None:  # type: ignore[no-untyped-def]
    assert real_encoder.encode([]).shape == (0, 384)


def test_a_directory_without_a_model_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no sentence-transformers model at"):
        SentenceTransformerEncoder(tmp_path)


def test_the_default_backend_is_onnx_with_its_graph_under_data_onnx(
    onnx_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matchsvc.scoring import onnx_encoder
    from matchsvc.scoring.encoder import load_encoder
    from tests.conftest import seed_onnx

    def no_export(*args: object) -> None:
        raise AssertionError("exported although data/onnx holds the graph")

    monkeypatch.chdir(tmp_path)
    seed_onnx(onnx_cache, tmp_path / "data")
    monkeypatch.setattr(onnx_encoder, "export_onnx", no_export)
    encoder = load_encoder()
    assert encoder.model_id.startswith("all-MiniLM-L6-v2@")
    assert encoder.model_id.endswith("+onnx")
    assert isinstance(encoder, onnx_encoder.OnnxEncoder)
    assert encoder.graph_path.is_relative_to(Path("data") / "onnx")
