"""FastEncoder on CUDA (bfloat16 / float16 weights, pinned copies, tokenizer workers) against
``SentenceTransformer.encode`` in float32 on CPU. Skipped without a GPU."""

import numpy as np
import pytest

from trueneg.encode import FastEncoder

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_half_precision_matches_float32_reference(
    minilm_path, real_texts, reference_vectors, precision
):
    encoder = FastEncoder(
        minilm_path, device="cuda", precision=precision, num_workers=2, window_size=16
    )
    got = encoder.encode(real_texts, "document")  # 4 windows: the worker path
    assert got.dtype == np.float32 and got.shape == reference_vectors.shape
    cosine = np.sum(got * reference_vectors, axis=1)
    assert cosine.min() >= 0.999, (precision, cosine.min())


def test_auto_precision_on_cuda_is_half_and_chunks_are_large(minilm_path):
    encoder = FastEncoder(minilm_path, device="cuda")
    assert encoder.precision in ("bfloat16", "float16")
    assert encoder.token_budget == 65_536 and encoder.preferred_chunk_size >= 65_536
