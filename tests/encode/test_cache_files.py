"""What the embedding cache does with the files it finds: links planted at its paths, damaged
and truncated entries, unfinished files that disagree with their progress, entries of earlier
versions, and a second writer of the same entry."""

from __future__ import annotations

import json
import logging
import os
import threading

import numpy as np
import pytest

from trueneg.encode import EmbeddingCache, encode_cached, is_cached
from trueneg.errors import StorageError

TEXTS = [f"text number {i} about topic {i % 3}" for i in range(23)]
SUFFIXES = [".npy", ".partial.npy", ".progress.json", ".done", ".lock"]


@pytest.fixture
def cache(tmp_path) -> EmbeddingCache:
    return EmbeddingCache(tmp_path / "cache")


def key_of(cache, encoder, kind="query", dtype="float32") -> str:
    return cache.key(encoder, TEXTS, kind, dtype)


def interrupted(cache, make_fake_encoder, calls: int, chunk_size: int = 4) -> str:
    """An entry left unfinished after ``calls`` chunks; returns its key."""
    with pytest.raises(KeyboardInterrupt):
        encode_cached(
            make_fake_encoder(fail_after_calls=calls),
            TEXTS,
            "query",
            cache.folder,
            chunk_size=chunk_size,
        )
    return key_of(cache, make_fake_encoder())


def warnings_in(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# links -------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_link_at_a_cache_path_is_never_written_through(cache, fake_encoder, tmp_path, suffix):
    outside = tmp_path / "outside.txt"
    outside.write_text("somebody else's file")
    cache.folder.mkdir()
    key = key_of(cache, fake_encoder)
    cache.path(key, suffix).symlink_to(outside)

    out = encode_cached(fake_encoder, TEXTS, "query", cache.folder, chunk_size=5)
    assert outside.read_text() == "somebody else's file"
    np.testing.assert_array_equal(out, fake_encoder.encode(TEXTS, "query"))
    assert not cache.path(key).is_symlink() and cache.is_complete(key)


def test_links_swapped_in_for_an_unfinished_entry_are_not_followed(
    cache, make_fake_encoder, tmp_path
):
    key = interrupted(cache, make_fake_encoder, calls=2)
    for suffix in (".npy", ".partial.npy"):  # wherever the unfinished rows are
        outside = tmp_path / f"outside{suffix}"
        np.save(outside, np.ones((23, 16), dtype=np.float32))
        cache.path(key, suffix).unlink(missing_ok=True)
        cache.path(key, suffix).symlink_to(outside)

    out = encode_cached(make_fake_encoder(), TEXTS, "query", cache.folder, chunk_size=4)
    for suffix in (".npy", ".partial.npy"):
        np.testing.assert_array_equal(np.load(tmp_path / f"outside{suffix}"), 1.0)
    np.testing.assert_array_equal(out, make_fake_encoder().encode(TEXTS, "query"))


# finished entries ----------------------------------------------------------------------------
def test_the_done_record_describes_the_finished_file(cache, fake_encoder):
    encode_cached(fake_encoder, TEXTS, "query", cache.folder, dtype="float16")
    key = key_of(cache, fake_encoder, dtype="float16")
    record = json.loads(cache.path(key, ".done").read_text())
    size = cache.path(key).stat().st_size
    assert record == {"rows": 23, "dim": 16, "dtype": "float16", "bytes": size}
    assert size == 128 + 23 * 16 * 2  # an ordinary .npy: a 128-byte header, then the rows
    assert sorted(p.name.removeprefix(key) for p in cache.folder.iterdir()) == [
        ".done",
        ".lock",
        ".npy",
    ]


def truncate(path):
    os.truncate(path, path.stat().st_size - 7)


def append(path):
    with open(path, "ab") as handle:
        handle.write(b"\0" * 64)


def other_shape(path):
    np.save(path, np.zeros((23, 8), dtype=np.float32))


def bad_record(path):
    path.with_suffix(".done").write_text('{"rows": 23')


@pytest.mark.parametrize("damage", [truncate, append, other_shape, bad_record])
def test_a_damaged_entry_is_rebuilt_with_one_warning(cache, make_fake_encoder, damage, caplog):
    encode_cached(make_fake_encoder(), TEXTS, "query", cache.folder)
    key = key_of(cache, make_fake_encoder())
    damage(cache.path(key))
    assert not cache.is_complete(key)
    assert not is_cached(make_fake_encoder(), TEXTS, "query", cache.folder)
    with pytest.raises(StorageError, match="not complete"):
        cache.load(key)

    again = make_fake_encoder()
    with caplog.at_level(logging.WARNING, logger="trueneg"):
        out = encode_cached(again, TEXTS, "query", cache.folder)
    (warning,) = warnings_in(caplog)
    assert str(cache.path(key)) in warning and "encoding it again" in warning
    assert again.texts_encoded == 23
    np.testing.assert_array_equal(out, again.encode(TEXTS, "query"))
    assert cache.is_complete(key)


# unfinished entries --------------------------------------------------------------------------
def test_bytes_past_the_progress_record_are_dropped_and_the_rest_kept(
    cache, make_fake_encoder, caplog
):
    key = interrupted(cache, make_fake_encoder, calls=3)  # 12 rows recorded
    append(cache.path(key, ".partial.npy"))  # a chunk in flight when it stopped
    again = make_fake_encoder()
    with caplog.at_level(logging.WARNING, logger="trueneg"):
        out = encode_cached(again, TEXTS, "query", cache.folder, chunk_size=4)
    assert again.texts_encoded == 23 - 12 and not warnings_in(caplog)
    np.testing.assert_array_equal(out, again.encode(TEXTS, "query"))


def test_an_unfinished_file_shorter_than_its_record_is_encoded_from_the_start(
    cache, make_fake_encoder, caplog
):
    key = interrupted(cache, make_fake_encoder, calls=3)
    os.truncate(cache.path(key, ".partial.npy"), 128 + 5 * 16 * 4)  # 5 rows, 12 recorded
    again = make_fake_encoder()
    with caplog.at_level(logging.WARNING, logger="trueneg"):
        out = encode_cached(again, TEXTS, "query", cache.folder, chunk_size=4)
    (warning,) = warnings_in(caplog)
    assert "partial.npy cannot be resumed" in warning and "from the start" in warning
    assert again.texts_encoded == 23
    np.testing.assert_array_equal(out, again.encode(TEXTS, "query"))


# entries of earlier versions (a memory-mapped .npy, an empty .done) --------------------------
def test_a_finished_entry_of_an_earlier_version_is_used_when_its_size_verifies(
    cache, make_fake_encoder
):
    cache.folder.mkdir()
    key = key_of(cache, make_fake_encoder())
    vectors = make_fake_encoder().encode(TEXTS, "query")
    np.save(cache.path(key), vectors)
    cache.path(key, ".done").write_text("")
    again = make_fake_encoder()
    np.testing.assert_array_equal(encode_cached(again, TEXTS, "query", cache.folder), vectors)
    assert again.calls == 0

    truncate(cache.path(key))
    assert not cache.is_complete(key)
    np.testing.assert_array_equal(encode_cached(again, TEXTS, "query", cache.folder), vectors)
    assert again.texts_encoded == 23


def test_an_unfinished_entry_of_an_earlier_version_is_resumed(cache, make_fake_encoder):
    cache.folder.mkdir()
    key = key_of(cache, make_fake_encoder())
    vectors = make_fake_encoder().encode(TEXTS, "query")
    old = np.lib.format.open_memmap(cache.path(key), "w+", np.float32, (23, 16))
    old[:12] = vectors[:12]
    old.flush()
    del old
    progress = {"rows_done": 12, "rows": 23, "dim": 16}
    cache.path(key, ".progress.json").write_text(json.dumps(progress))

    again = make_fake_encoder()
    out = encode_cached(again, TEXTS, "query", cache.folder, chunk_size=4)
    assert again.texts_encoded == 23 - 12
    np.testing.assert_array_equal(out, vectors)


# two writers --------------------------------------------------------------------------------
def test_a_second_writer_of_the_same_entry_waits_and_reuses_it(cache, make_fake_encoder):
    first, second = make_fake_encoder(), make_fake_encoder()
    key = key_of(cache, first)
    results = {}
    with cache.writer(key, len(TEXTS), "float32", dim=16) as out:
        thread = threading.Thread(
            target=lambda: results.update(
                out=encode_cached(second, TEXTS, "query", cache.folder, chunk_size=4)
            )
        )
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # waiting for the lock
        out.append(first.encode(TEXTS, "query"))
        out.finish()
    thread.join(30)
    assert second.calls == 0
    np.testing.assert_array_equal(results["out"], first.encode(TEXTS, "query"))
