"""The embedding cache under a full disk and kill -9, for real: a size-limited tmpfs (root
only; skipped elsewhere, with the reason) and a child process (``cache_child.py``), so that a
regression to memory-mapped writes (SIGBUS on ENOSPC) fails a test instead of the session.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from trueneg.encode import encode_cached

CHILD = Path(__file__).with_name("cache_child.py")
TEXTS = [f"document {i} on topic {i % 7} with words {i * 13 % 101}" for i in range(100)]


@pytest.fixture
def small_disk(tmp_path):
    """``mount(size)`` → the folder of a fresh tmpfs of ``size`` bytes; unmounted after."""
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        if os.geteuid() != 0 or shutil.which("mount") is None:
            pytest.skip("mounting a size-limited tmpfs needs root and mount(8)")
        command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def start_child(tmp_path: Path, **spec) -> subprocess.Popen:
    path = tmp_path / f"spec-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(spec))
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_child(tmp_path: Path, **spec) -> tuple[int, str, int]:
    """(exit code, stderr, encoder calls)."""
    proc = start_child(tmp_path, **spec)
    out, err = proc.communicate(timeout=300)
    calls = json.loads(out.strip().splitlines()[-1])["calls"] if out.strip() else -1
    return proc.returncode, err, calls


class Counting:
    """Another encoder's vectors, counting the texts it encodes."""

    def __init__(self, inner) -> None:
        self.inner, self.texts_encoded = inner, 0
        self.fingerprint, self.dim = inner.fingerprint, inner.dim

    def encode(self, texts, kind, *, show_progress=False):
        self.texts_encoded += len(texts)
        return self.inner.encode(texts, kind)


def rows_done(cache: Path) -> int:
    (progress,) = cache.glob("*.progress.json")
    return json.loads(progress.read_text())["rows_done"]


def test_too_little_space_fails_before_encoding_with_the_space_needed(small_disk, tmp_path):
    cache = small_disk(64 * 1024) / "cache"  # 100 × 384 float32 rows need 150 KiB
    code, err, calls = run_child(
        tmp_path, cache=str(cache), texts=TEXTS, chunk_size=10, encoder="fake"
    )
    assert code == 1, err  # not 135 / -7: a bus error
    assert "StorageError: Not enough free space for 100 × 384 float32 embeddings" in err
    assert "at least 166.1 KiB" in err and "resumes" in err and "Traceback" not in err
    assert calls == 0  # failed before encoding anything
    assert not list(cache.glob("*.npy"))


@pytest.mark.slow
def test_disk_full_while_encoding_is_a_storage_error_and_the_rerun_resumes(
    small_disk, minilm_encoder, real_texts, tmp_path
):
    disk = small_disk(1024 * 1024)  # room for the 64 × 384 vectors (96 KiB), until filled
    cache, filler = disk / "cache", disk / "another-process.bin"
    code, err, calls = run_child(
        tmp_path,
        cache=str(cache),
        texts=real_texts,
        chunk_size=16,
        encoder="minilm",
        fill_disk_after=2,  # 2 chunks are on disk, then another process fills it
        filler=str(filler),
    )
    assert code == 1, err
    assert "StorageError: No space left on the device while writing" in err, err
    assert ".partial.npy" in err and "KiB needed" in err
    assert "Re-running the same command resumes where it stopped" in err
    assert calls == 3 and rows_done(cache) == 32

    filler.unlink()  # the user frees some space and runs again
    again = Counting(minilm_encoder)
    resumed = encode_cached(again, real_texts, "document", cache, chunk_size=16)
    assert again.texts_encoded == 64 - 32  # only the rows not yet on disk
    reference = encode_cached(
        minilm_encoder, real_texts, "document", tmp_path / "ref", chunk_size=16
    )
    np.testing.assert_array_equal(resumed, reference)
    assert sorted(p.suffix for p in cache.iterdir()) == [".done", ".lock", ".npy"]


def test_kill_9_mid_encoding_resumes_bit_identical(make_fake_encoder, tmp_path):
    cache = tmp_path / "cache"
    proc = start_child(
        tmp_path, cache=str(cache), texts=TEXTS, chunk_size=8, encoder="fake", sleep=0.05
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if list(cache.glob("*.progress.json")) and rows_done(cache) >= 24:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    done = rows_done(cache)
    assert 24 <= done < len(TEXTS)

    again = Counting(make_fake_encoder(dim=384))
    resumed = encode_cached(again, TEXTS, "document", cache, chunk_size=8)
    assert again.texts_encoded == len(TEXTS) - done
    reference = make_fake_encoder(dim=384).encode(TEXTS, "document")
    np.testing.assert_array_equal(resumed, reference)
