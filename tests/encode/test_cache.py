import json

import numpy as np
import pytest

from trueneg.encode import EmbeddingCache, encode_cached
from trueneg.errors import ConfigError, ModelError

TEXTS = [f"text number {i} about topic {i % 3}" for i in range(23)]


def test_full_run_then_cache_hit(fake_encoder, tmp_path):
    first = encode_cached(fake_encoder, TEXTS, "document", tmp_path, chunk_size=5)
    assert isinstance(first, np.memmap) and not first.flags.writeable
    assert first.shape == (23, 16) and first.dtype == np.float32
    assert fake_encoder.calls == 5  # ceil(23 / 5)
    np.testing.assert_array_equal(first, fake_encoder.encode(TEXTS, "document"))
    calls = fake_encoder.calls
    again = encode_cached(fake_encoder, TEXTS, "document", tmp_path, chunk_size=5)
    assert fake_encoder.calls == calls  # served from disk
    np.testing.assert_array_equal(first, again)


def test_interrupted_run_resumes_from_last_flushed_chunk(make_fake_encoder, tmp_path):
    FakeEncoder = make_fake_encoder
    reference = encode_cached(FakeEncoder(), TEXTS, "query", tmp_path / "full", chunk_size=4)

    failing = FakeEncoder(fail_after_calls=3)  # 3 chunks (12 rows) land, the 4th is killed
    with pytest.raises(KeyboardInterrupt):
        encode_cached(failing, TEXTS, "query", tmp_path / "cache", chunk_size=4)
    cache = EmbeddingCache(tmp_path / "cache")
    key = cache.key(failing, TEXTS, "query", "float32")
    assert json.loads(cache.path(key, ".progress.json").read_text())["rows_done"] == 12
    assert not cache.is_complete(key)

    resumed_encoder = FakeEncoder()
    resumed = encode_cached(resumed_encoder, TEXTS, "query", tmp_path / "cache", chunk_size=4)
    assert resumed_encoder.texts_encoded == 23 - 12  # only the missing rows
    np.testing.assert_array_equal(resumed, reference)
    assert cache.is_complete(key)


def test_key_depends_on_fingerprint_kind_texts_and_dtype(fake_encoder, make_fake_encoder, tmp_path):
    FakeEncoder = make_fake_encoder
    cache = EmbeddingCache(tmp_path)
    base = cache.key(fake_encoder, TEXTS, "query", "float32")
    assert base == cache.key(FakeEncoder(), list(TEXTS), "query", "float32")
    assert base != cache.key(FakeEncoder(fingerprint="other"), TEXTS, "query", "float32")
    assert base != cache.key(fake_encoder, TEXTS, "document", "float32")
    assert base != cache.key(fake_encoder, TEXTS[::-1], "query", "float32")
    assert base != cache.key(fake_encoder, TEXTS, "query", "float16")


def test_float16_and_empty_inputs(fake_encoder, tmp_path):
    half = encode_cached(fake_encoder, TEXTS, "document", tmp_path, dtype="float16")
    assert half.dtype == np.float16
    empty = encode_cached(fake_encoder, [], "document", tmp_path)
    assert empty.shape == (0, 16)


def test_mismatched_leftovers_are_reencoded(fake_encoder, tmp_path):
    cache = EmbeddingCache(tmp_path)
    key = cache.key(fake_encoder, TEXTS, "query", "float32")
    np.save(cache.path(key), np.zeros((3, 16), dtype=np.float32))  # wrong row count
    cache.path(key, ".progress.json").write_text(json.dumps({"rows_done": 3}))
    out = encode_cached(fake_encoder, TEXTS, "query", tmp_path)
    np.testing.assert_array_equal(out, fake_encoder.encode(TEXTS, "query"))


def test_bad_options_and_bad_encoder_output(fake_encoder, tmp_path):
    with pytest.raises(ConfigError, match="chunk_size"):
        encode_cached(fake_encoder, TEXTS, "query", tmp_path, chunk_size=0)
    with pytest.raises(ConfigError, match="dtype"):
        encode_cached(fake_encoder, TEXTS, "query", tmp_path, dtype="int8")

    class Broken:
        fingerprint, dim = "broken", 4

        def encode(self, texts, kind, show_progress=False):
            return np.zeros((len(texts) + 1, 4), dtype=np.float32)

    with pytest.raises(ModelError, match="wrong shape"):
        encode_cached(Broken(), TEXTS, "query", tmp_path)


def test_silent_unless_asked(fake_encoder, tmp_path, capsys):
    encode_cached(fake_encoder, TEXTS, "query", tmp_path / "quiet", chunk_size=8)
    assert capsys.readouterr() == ("", "")
    out = encode_cached(fake_encoder, TEXTS, "query", tmp_path / "bar", show_progress=True)
    assert out.shape == (23, 16)
