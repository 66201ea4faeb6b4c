"""The real all-MiniLM-L6-v2 on 50 SciFact abstracts, through the cache."""

import json
import time
from itertools import islice

import numpy as np
import pytest

from trueneg.encode import encode_cached

pytestmark = pytest.mark.slow


class Counting:
    """Wraps an encoder and counts the texts it is asked to encode."""

    def __init__(self, inner):
        self.inner, self.texts = inner, 0
        self.fingerprint = inner.fingerprint

    @property
    def dim(self):
        return self.inner.dim

    def encode(self, texts, kind, *, show_progress=False):
        self.texts += len(texts)
        return self.inner.encode(texts, kind, show_progress=show_progress)


@pytest.fixture(scope="module")
def scifact_docs(shared_data):
    with (shared_data / "scifact" / "corpus.jsonl").open() as f:
        return [json.loads(line) for line in islice(f, 50)]


def test_cache_twice_and_titles_find_their_abstracts(minilm_encoder, scifact_docs, tmp_path):
    abstracts = [d["text"] for d in scifact_docs]
    counting = Counting(minilm_encoder)
    start = time.perf_counter()
    first = encode_cached(counting, abstracts, "document", tmp_path, chunk_size=16)
    first_seconds = time.perf_counter() - start
    assert counting.texts == 50
    start = time.perf_counter()
    second = encode_cached(counting, abstracts, "document", tmp_path, chunk_size=16)
    assert counting.texts == 50  # the model was not called again
    assert time.perf_counter() - start < first_seconds / 5
    np.testing.assert_array_equal(first, second)

    assert first.shape == (50, 384)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    direct = minilm_encoder.encode(abstracts[:4], "document")
    np.testing.assert_allclose(first[:4], direct, atol=1e-5)

    # A paper's title is closest to its own abstract (obvious pairs).
    titles = minilm_encoder.encode([d["title"] for d in scifact_docs[:8]], "query")
    assert (titles @ np.asarray(first).T).argmax(axis=1).tolist() == list(range(8))


def test_prompt_changes_vectors_and_fingerprint(minilm_encoder, minilm_path):
    from trueneg.encode import SentenceTransformerEncoder

    prompted = SentenceTransformerEncoder(minilm_path, device="cpu", query_prompt="query: ")
    prompted._model = minilm_encoder.model  # share the loaded weights
    text = ["vitamin D and bone density"]
    assert prompted.fingerprint != minilm_encoder.fingerprint
    plain_vec = minilm_encoder.encode(text, "query")
    prompted_vec = prompted.encode(text, "query")
    assert 0.8 < float(plain_vec[0] @ prompted_vec[0]) < 0.9999
