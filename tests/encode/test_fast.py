"""FastEncoder (CPU, float32) against ``SentenceTransformer.encode`` on real abstracts."""

import numpy as np
import pytest

from trueneg.encode import FastEncoder, OnnxEncoder, SentenceTransformerEncoder
from trueneg.encode.token_pool import TokenizerPool, window_for
from trueneg.encode.tokenize import BatchSettings, iter_token_batches, tokenize_window

pytestmark = pytest.mark.slow


def test_documents_match_sentence_transformers(fast_encoder, real_texts, reference_vectors):
    got = fast_encoder.encode(real_texts, "document")
    assert got.shape == (64, 384) and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(got * reference_vectors, axis=1)
    assert cosine.min() >= 0.999, cosine.min()


def test_prompts_are_prefixed_as_sentence_transformers_does(
    fast_encoder, st_model, minilm_path, real_texts
):
    queries = [text.split(".")[0] for text in real_texts[::4]]  # titles: short query-like texts
    prompted = FastEncoder(minilm_path, device="cpu", query_prompt="query: ")
    prompted._model = fast_encoder.model  # share the loaded weights
    got = prompted.encode(queries, "query")
    want = st_model.encode_query(queries, prompt="query: ", normalize_embeddings=True)
    assert np.sum(got * want, axis=1).min() >= 0.999
    plain = fast_encoder.encode(queries, "query")
    assert np.sum(got * plain, axis=1).max() < 0.9999  # the prompt did change the vectors


def test_input_order_is_restored_and_empty_input_is_fine(fast_encoder, real_texts):
    order = np.random.default_rng(0).permutation(16)
    texts = real_texts[:16]
    direct = fast_encoder.encode(texts, "document")
    shuffled = fast_encoder.encode([texts[i] for i in order], "document")
    np.testing.assert_allclose(shuffled, direct[order], atol=1e-5)
    assert fast_encoder.encode([], "document").shape == (0, 384)


def test_worker_processes_give_the_same_vectors(fast_encoder, minilm_path, real_texts):
    parallel = FastEncoder(minilm_path, device="cpu", num_workers=2, window_size=8)
    parallel._model = fast_encoder.model
    texts = real_texts[::2]  # both datasets, 4 windows
    try:
        got = parallel.encode(texts, "document")
    finally:
        parallel.close()
    np.testing.assert_array_equal(got, fast_encoder.encode(texts, "document"))  # same batches


def test_small_inputs_tokenize_in_process_large_ones_in_workers(fast_encoder, real_texts):
    settings = BatchSettings(token_budget=2048, max_length=256)
    tokenizer = fast_encoder.tokenizer
    pool = TokenizerPool(tokenizer, workers=2)
    try:
        small = list(
            iter_token_batches(tokenizer, real_texts[:8], settings, window_size=32, pool=pool)
        )
        assert pool._executor is None  # no worker was started
        large = list(iter_token_batches(tokenizer, real_texts, settings, window_size=16, pool=pool))
        assert pool._executor is not None
        again = list(iter_token_batches(tokenizer, real_texts, settings, window_size=16, pool=pool))
    finally:
        pool.close()
    in_process = list(iter_token_batches(tokenizer, real_texts, settings, window_size=16))
    for got in (large, again):  # the same batches, in the same order, from the workers
        assert [b.index.tolist() for b in got] == [b.index.tolist() for b in in_process]
        assert all((a.input_ids == b.input_ids).all() for a, b in zip(got, in_process, strict=True))
    assert sorted(np.concatenate([b.index for b in small]).tolist()) == list(range(8))


def test_windows_are_cut_to_keep_every_worker_busy():
    assert window_for(5000, 4096, 8) == 625  # not two windows of 4096 for eight workers
    assert window_for(100, 4096, 8) == 512 and window_for(100, 16, 8) == 16  # one window
    assert window_for(10**6, 4096, 8) == 4096


def test_an_encoder_pickles_without_its_workers(fast_encoder, minilm_path, real_texts):
    import pickle

    parallel = FastEncoder(minilm_path, device="cpu", num_workers=2, window_size=8)
    parallel._model = fast_encoder.model
    parallel.encode(real_texts[:32], "document")
    assert parallel._pool is not None and parallel._pool._executor is not None
    copy = pickle.loads(pickle.dumps(parallel))
    assert copy._pool is None and copy.num_workers == 2
    parallel.close()
    assert parallel._pool is None


def test_truncation_counts_special_tokens_and_batches_respect_the_budget(fast_encoder):
    tokenizer = fast_encoder.tokenizer
    texts = ["word " * 1000, "short text", "a somewhat longer text about vitamin D levels"]
    batches = tokenize_window(tokenizer, texts, 10, BatchSettings(token_budget=300, max_length=256))
    first = batches[0]
    assert first.index.tolist() == [10] and first.lengths.tolist() == [256]
    assert first.input_ids[0, -1] == tokenizer.sep_token_id
    for batch in batches[1:]:
        assert batch.input_ids.size <= 300
        assert batch.input_ids[:, 0].tolist() == [tokenizer.cls_token_id] * len(batch.index)


def test_fingerprints_differ_across_backends_precisions_and_settings(minilm_path, tmp_path):
    prints = {
        "st": SentenceTransformerEncoder(minilm_path, device="cpu").fingerprint,
        "fast": FastEncoder(minilm_path, device="cpu").fingerprint,
        "fast-bf16": FastEncoder(minilm_path, device="cpu", precision="bfloat16").fingerprint,
        "fast-prompt": FastEncoder(minilm_path, device="cpu", query_prompt="q: ").fingerprint,
        "fast-128": FastEncoder(minilm_path, device="cpu", max_seq_length=128).fingerprint,
        "onnx": OnnxEncoder(minilm_path, quantize=False, cache_dir=tmp_path).fingerprint,
        "onnx-int8": OnnxEncoder(minilm_path, cache_dir=tmp_path).fingerprint,
    }
    assert len(set(prints.values())) == len(prints)
    # batching settings do not change the vectors, so they share the cache
    assert FastEncoder(minilm_path, device="cpu", token_budget=512).fingerprint == prints["fast"]


def test_gpu_rounding_to_multiples_of_8_stops_at_max_length(fast_encoder):
    tokenizer = fast_encoder.tokenizer
    settings = BatchSettings(token_budget=4096, max_length=13, multiple_of=8)
    [batch] = tokenize_window(tokenizer, ["word " * 50, "two words"], 0, settings)
    assert batch.input_ids.shape == (2, 13)  # not 16: positions past 13 may not exist
    settings = BatchSettings(token_budget=4096, max_length=256, multiple_of=8)
    [batch] = tokenize_window(tokenizer, ["two words here"], 0, settings)
    assert batch.input_ids.shape == (1, 8) and batch.lengths.tolist() == [5]
