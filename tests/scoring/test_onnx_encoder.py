"""The ONNX encoder: same vectors as the torch encoder (measured), export once, clear errors."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from pytest_socket import disable_socket, enable_socket

from matchsvc.errors import ConfigError
from matchsvc.scoring import onnx_encoder as onnx_module
from matchsvc.scoring.encoder import BUNDLED_MODEL_NAME, bundled_model_path
from matchsvc.scoring.onnx_encoder import OnnxEncoder, default_threads, onnx_model_path

pytest.importorskip("onnxruntime")

QUICK_START = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]


def _profile_texts() -> list[str]:
    """50 profile-like texts: skills lists, goals, styles, plus edge cases (empty, long, unicode)."""
    skills = ["python", "kubernetes", "public speaking", "sql", "product discovery", "ux research"]
    goals = [
        "I want to grow into a staff engineer role",
        "get better at giving feedback to my team",
        "learn causal inference for a/b tests",
        "move from support into product management",
        "prepare for my first conference talk",
    ]
    styles = ["direct and concise", "warm and encouraging", "reflective, lots of listening"]
    texts = [", ".join(skills[k : k + 3]) for k in range(4)]
    texts += [f"{g}; I prefer a mentor who is {s}." for g, s in itertools.product(goals, styles)]
    texts += [f"Skills: {', '.join(skills)}. Goal: {g}." for g in goals]
    texts += [
        "",
        "a",
        "Café crème & naïve résumé: Zürich → São Paulo 🚀",
        "数据工程 mentoring in Mandarin and English",
        "   lots   of\twhitespace\nhere  ",
        "data " * 300,  # ~300 tokens: truncated at max_seq_length 256, not the file's 128
        " ".join(goals * 8),  # ~250 tokens, just under the limit
    ]
    texts += [
        f"{s} mentor for {g.split()[-1]} in {y} years"
        for s, g, y in zip(skills[:3], goals[:3], "123", strict=True)
    ]
    texts += [g.upper() for g in goals[:4]]
    roles = ["engineering manager", "data science lead", "senior designer"]
    texts += [f"looking for a {r} who can help with {k}" for r in roles for k in skills[:4]]
    return texts


@pytest.fixture(scope="module")
def onnx_encoder(onnx_cache: Path) -> OnnxEncoder:
    """On the session's export (``tests/conftest.py``: exported once, ~5-10 s)."""
    return OnnxEncoder(bundled_model_path(), onnx_cache, name=BUNDLED_MODEL_NAME)


@pytest.fixture(scope="module")
def profile_vectors(onnx_encoder: OnnxEncoder) -> np.ndarray:
    """The 50 profile texts encoded together once (the other tests compare against them)."""
    return onnx_encoder.encode(_profile_texts())


@pytest.mark.model
class TestAgainstTorch:
    def test_vectors_match_the_sentence_transformers_encoder(
        self,
        profile_vectors: np.ndarray,
        real_encoder,  # type: ignore[no-untyped-def]
    ) -> None:
        texts = _profile_texts()
        assert len(texts) == 50
        ours = profile_vectors
        theirs = real_encoder.encode(texts)
        assert ours.dtype == np.float32
        assert ours.shape == (50, 384)
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
        assert float(np.abs(ours - theirs).max()) < 1e-4
        assert float(np.min(np.sum(ours * theirs, axis=1))) > 0.9999

    def test_quick_start_sentences_have_the_published_similarities(
        self, onnx_encoder: OnnxEncoder
    ) -> None:
        vectors = onnx_encoder.encode(QUICK_START)
        sims = vectors @ vectors.T
        assert sims[0, 1] == pytest.approx(0.666, abs=0.005)
        assert sims[0, 2] == pytest.approx(0.105, abs=0.005)
        assert sims[1, 2] == pytest.approx(0.141, abs=0.005)

    def test_model_id_names_the_weights_and_the_backend(
        self,
        onnx_encoder: OnnxEncoder,
        real_encoder,  # type: ignore[no-untyped-def]
    ) -> None:
        # Not bit-identical to torch, so the cache must not mix them: same digest, own suffix.
        assert onnx_encoder.model_id == f"{real_encoder.model_id}+onnx"
        assert onnx_encoder.dim == 384


@pytest.mark.model
class TestEncode:
    def test_a_vector_does_not_depend_on_the_rest_of_the_batch(
        self, onnx_encoder: OnnxEncoder, profile_vectors: np.ndarray
    ) -> None:
        texts = _profile_texts()
        alone = np.stack([onnx_encoder.encode([t])[0] for t in texts[:20]])
        np.testing.assert_allclose(alone, profile_vectors[:20], rtol=0, atol=1e-6)

    def test_rows_come_back_in_input_order(
        self, onnx_encoder: OnnxEncoder, profile_vectors: np.ndarray
    ) -> None:
        texts = _profile_texts()[:24]  # short texts of many lengths
        backward = onnx_encoder.encode(texts[::-1])
        np.testing.assert_allclose(backward[::-1], profile_vectors[:24], rtol=0, atol=1e-6)

    def test_truncation_is_at_max_seq_length(self, onnx_encoder: OnnxEncoder) -> None:
        assert onnx_encoder.max_seq_length == 256
        a, b = onnx_encoder.encode(["data " * 300, "data " * 600])
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)  # both cut at 256 tokens

    def test_empty_input_gives_an_empty_matrix(self, onnx_encoder: OnnxEncoder) -> None:
        empty = onnx_encoder.encode([])
        assert empty.shape == (0, 384)
        assert empty.dtype == np.float32

    def test_threads_default_to_the_cores(self, onnx_encoder: OnnxEncoder) -> None:
        assert onnx_encoder.threads == default_threads()


@pytest.mark.model
class TestExportCache:
    def test_the_graph_is_exported_once_atomically_and_reused(
        self,
        onnx_encoder: OnnxEncoder,
        onnx_cache: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        graph = onnx_encoder.graph_path
        assert graph.parent.parent == onnx_cache
        assert graph.name == "model.onnx"
        assert [p.name for p in graph.parent.iterdir() if p.suffix == ".tmp"] == []  # no temp

        def no_export(*args: object) -> None:
            raise AssertionError("re-exported although the graph was cached")

        monkeypatch.setattr(onnx_module, "export_onnx", no_export)
        disable_socket()
        try:
            again = OnnxEncoder(
                bundled_model_path(), onnx_cache, name=BUNDLED_MODEL_NAME, threads=1
            )
            vectors = again.encode(QUICK_START)
        finally:
            enable_socket()
        assert again.threads == 1
        np.testing.assert_allclose(vectors, onnx_encoder.encode(QUICK_START), atol=1e-6)

    @pytest.mark.slow
    def test_int8_is_opt_in_with_its_own_id_and_batch_independent(
        self, onnx_cache: Path, onnx_encoder: OnnxEncoder, profile_vectors: np.ndarray
    ) -> None:
        int8 = OnnxEncoder(
            bundled_model_path(), onnx_cache, name=BUNDLED_MODEL_NAME, quantized=True
        )
        assert int8.model_id.endswith("+onnx-int8")
        assert int8.model_id.split("+")[0] == onnx_encoder.model_id.split("+")[0]
        texts = _profile_texts()[4:24]
        together = int8.encode(texts)
        alone = np.stack([int8.encode([t])[0] for t in texts[:5]])
        np.testing.assert_array_equal(alone, together[:5])  # one text per call: exact
        cosines = np.sum(together * profile_vectors[4:24], axis=1)
        assert 0.97 < float(cosines.min()) < 0.9999  # close to fp32, but not the same vectors


class TestErrors:
    def test_a_directory_without_a_tokenizer_is_a_config_error(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"missing \['tokenizer.json', 'config.json'\]"):
            OnnxEncoder(tmp_path, tmp_path / "onnx")

    def test_a_model_with_other_pooling_is_refused(self, tmp_path: Path) -> None:
        model = tmp_path / "model"
        (model / "1_Pooling").mkdir(parents=True)
        for name in ("tokenizer.json", "config.json"):
            shutil.copy(bundled_model_path() / name, model / name)
        pooling = {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}
        (model / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
        with pytest.raises(ConfigError, match="pooling_mode_mean_tokens only"):
            OnnxEncoder(model, tmp_path / "onnx")

    def test_a_model_with_extra_layers_is_refused(self, tmp_path: Path) -> None:
        model = tmp_path / "model"
        model.mkdir()
        for name in ("tokenizer.json", "config.json"):
            shutil.copy(bundled_model_path() / name, model / name)
        modules = [{"type": "sentence_transformers.models.Dense"}]
        (model / "modules.json").write_text(json.dumps(modules))
        with pytest.raises(ConfigError, match="does not implement"):
            OnnxEncoder(model, tmp_path / "onnx")

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [({"batch_size": 0}, "batch_size is 0"), ({"threads": 0}, "threads is 0")],
    )
    def test_nonsense_settings_are_config_errors(
        self, tmp_path: Path, kwargs: dict[str, int], message: str
    ) -> None:
        with pytest.raises(ConfigError, match=message):
            OnnxEncoder(bundled_model_path(), tmp_path, **kwargs)  # type: ignore[arg-type]

    def test_a_corrupt_cached_graph_says_how_to_fix_it(self, tmp_path: Path) -> None:
        digest = onnx_module.weights_digest(bundled_model_path())
        graph = onnx_model_path(tmp_path, digest)
        graph.parent.mkdir(parents=True)
        graph.write_bytes(b"not an onnx graph")
        with pytest.raises(ConfigError, match=r"cannot open the ONNX graph .* delete"):
            OnnxEncoder(bundled_model_path(), tmp_path)

    def test_graph_path_layout(self, tmp_path: Path) -> None:
        assert onnx_model_path(tmp_path, "abc") == tmp_path / "abc-v1" / "model.onnx"
        assert onnx_model_path(tmp_path, "abc", quantized=True).name == "model.int8.onnx"


@pytest.mark.model
def test_onnx_counts_tokens_like_the_torch_encoder(
    onnx_encoder: OnnxEncoder,
    real_encoder,  # type: ignore[no-untyped-def]
) -> None:
    texts = _profile_texts()
    assert onnx_encoder.max_tokens == real_encoder.max_tokens == 254
    assert onnx_encoder.count_tokens(texts) == real_encoder.count_tokens(texts)
