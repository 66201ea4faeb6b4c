"""Ray encoding writes through the same cache writer as local encoding: never through a link,
space checked before the first shard is written, resumable, and the entry a local run reuses.

The Ray job itself (``shard_vectors``) is replaced by an in-process one yielding the same
``(rows, vectors)`` shards, so these run without a cluster; ``test_mine_ray.py`` runs the real
actors.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import trueneg.distributed.encode as ray_encode
import trueneg.storage
from trueneg.distributed.cluster import RayCluster
from trueneg.encode import EmbeddingCache, encode_cached
from trueneg.errors import StorageError

TEXTS = [f"passage {i} about subject {i % 5}" for i in range(30)]
CLUSTER = RayCluster(address="auto", cpus=4, gpus=0, workers=2)


@pytest.fixture
def shards(monkeypatch):
    """Replace the Ray job by local shards of ``chunk_size``; records where each job started
    and can crash after ``crash_after`` shards."""
    calls = {"starts": [], "crash_after": None}

    def local(encoder, texts, kind, start, cluster, chunk_size):
        calls["starts"].append(start)
        for count, lo in enumerate(range(start, len(texts), chunk_size)):
            if count == calls["crash_after"]:
                raise KeyboardInterrupt("simulated crash of the driver")
            rows = np.arange(lo, min(lo + chunk_size, len(texts)))
            yield rows, encoder.encode([texts[i] for i in rows], kind)

    monkeypatch.setattr(ray_encode, "shard_vectors", local)
    return calls


def on_ray(encoder, cache_dir, chunk_size=7):
    return ray_encode.encode_on_ray(
        encoder, TEXTS, "document", cache_dir, CLUSTER, chunk_size=chunk_size
    )


def test_ray_writes_the_entry_a_local_run_reuses_never_through_a_link(
    shards, make_fake_encoder, tmp_path
):
    cache = EmbeddingCache(tmp_path / "cache")
    key = cache.key(make_fake_encoder(), TEXTS, "document", "float32")
    outside = tmp_path / "outside.npy"
    np.save(outside, np.ones((30, 16), dtype=np.float32))
    cache.folder.mkdir()
    cache.path(key).symlink_to(outside)

    out = on_ray(make_fake_encoder(), cache.folder)
    np.testing.assert_array_equal(np.load(outside), 1.0)
    reference = make_fake_encoder().encode(TEXTS, "document")
    np.testing.assert_array_equal(out, reference)
    assert json.loads(cache.path(key, ".done").read_text())["rows"] == 30

    local = make_fake_encoder()
    np.testing.assert_array_equal(encode_cached(local, TEXTS, "document", cache.folder), reference)
    assert local.calls == 0


def test_ray_resumes_from_the_last_written_shard(shards, make_fake_encoder, tmp_path):
    shards["crash_after"] = 2
    with pytest.raises(KeyboardInterrupt):
        on_ray(make_fake_encoder(), tmp_path)
    (progress,) = tmp_path.glob("*.progress.json")
    assert json.loads(progress.read_text())["rows_done"] == 14

    shards["crash_after"] = None
    out = on_ray(make_fake_encoder(), tmp_path)
    assert shards["starts"] == [0, 14]
    np.testing.assert_array_equal(out, make_fake_encoder().encode(TEXTS, "document"))


def test_ray_checks_the_space_before_writing_the_first_shard(
    shards, make_fake_encoder, tmp_path, monkeypatch
):
    monkeypatch.setattr(trueneg.storage, "free_bytes", lambda path: 1000)
    with pytest.raises(StorageError, match="Not enough free space") as caught:
        on_ray(make_fake_encoder(), tmp_path)
    assert "30 × 16 float32" in str(caught.value) and "1,000 B free" in str(caught.value)
    assert not list(tmp_path.glob("*.npy"))
