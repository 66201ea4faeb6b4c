"""ONNX Runtime encoders (float32 and INT8) against ``SentenceTransformer.encode``.

Measured on these 64 abstracts: float32 ONNX cosine ≥ 0.99999; INT8 (per-channel dynamic
quantization of the MatMul weights) mean 0.995, min 0.992. The INT8 bounds below leave a
little room for other onnxruntime versions. INT8 activations are quantized per batch, so an
INT8 vector also depends slightly on the texts batched with it.
"""

import numpy as np
import pytest

from trueneg.encode import OnnxEncoder

pytestmark = pytest.mark.slow
pytest.importorskip("onnxruntime", reason="the ONNX encoders need onnxruntime")
pytest.importorskip("onnx", reason="exporting and quantizing need the onnx package")


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


def test_float32_export_matches_sentence_transformers(
    minilm_path, onnx_cache, real_texts, reference_vectors
):
    encoder = OnnxEncoder(minilm_path, quantize=False, cache_dir=onnx_cache)
    got = encoder.encode(real_texts, "document")
    assert got.shape == (64, 384) and got.dtype == np.float32
    assert np.sum(got * reference_vectors, axis=1).min() >= 0.999


def test_int8_stays_close_and_is_cached_atomically(
    minilm_path, onnx_cache, real_texts, reference_vectors
):
    encoder = OnnxEncoder(minilm_path, cache_dir=onnx_cache)
    got = encoder.encode(real_texts, "document")
    cosine = np.sum(got * reference_vectors, axis=1)
    assert cosine.mean() >= 0.99 and cosine.min() >= 0.98, (cosine.mean(), cosine.min())
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)

    folder = encoder.model_file.parent
    assert sorted(p.name for p in folder.iterdir()) == ["model.int8.onnx", "model.onnx"]
    assert encoder.model_file.stat().st_size < 0.7 * (folder / "model.onnx").stat().st_size
    again = OnnxEncoder(minilm_path, cache_dir=onnx_cache)
    before = encoder.model_file.stat().st_mtime_ns
    # activations are quantized per input tensor, so texts are encoded one at a time: a
    # vector depends on its text alone, not on what else is encoded or in which order
    few = again.encode(real_texts[:8], "document")
    np.testing.assert_array_equal(few, got[:8])
    np.testing.assert_array_equal(again.encode(real_texts[7::-1], "document"), got[7::-1])
    assert np.sum(few * reference_vectors[:8], axis=1).min() >= 0.98
    assert again.model_file.stat().st_mtime_ns == before  # reused, not exported again


def test_queries_with_a_prompt(minilm_path, onnx_cache, st_model):
    queries = ["vitamin D and bone density", "statins and muscle pain"]
    encoder = OnnxEncoder(minilm_path, quantize=False, cache_dir=onnx_cache, query_prompt="query: ")
    want = st_model.encode_query(queries, prompt="query: ", normalize_embeddings=True)
    assert np.sum(encoder.encode(queries, "query") * want, axis=1).min() >= 0.999
