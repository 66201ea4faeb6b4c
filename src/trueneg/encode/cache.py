"""A resumable on-disk embedding cache: one memory-mapped ``.npy`` per (encoder, kind, texts).

Files in the cache folder, for a key ``K``:

- ``K.npy``: the vectors, written chunk by chunk into a memory map;
- ``K.progress.json``: ``rows_done`` (and the shape), replaced atomically after each chunk is
  flushed, so an interrupted run continues where it stopped;
- ``K.done``: written last; its presence means the ``.npy`` is complete.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trueneg.encode.base import Encoder, TextKind
from trueneg.encode.fingerprint import hash_json, hash_texts
from trueneg.errors import ConfigError, ModelError
from trueneg.progress import progress_bar

logger = logging.getLogger(__name__)

DTYPES = ("float32", "float16")


@dataclass(frozen=True)
class EmbeddingCache:
    """Embeddings keyed by encoder fingerprint, text kind, dtype and the texts in order."""

    folder: Path

    def key(self, encoder: Encoder, texts: list[str], kind: TextKind, dtype: str) -> str:
        parts = {"encoder": encoder.fingerprint, "kind": kind, "dtype": dtype}
        return hash_json({**parts, "texts": hash_texts(texts)})

    def path(self, key: str, suffix: str = ".npy") -> Path:
        return Path(self.folder) / f"{key}{suffix}"

    def is_complete(self, key: str) -> bool:
        return self.path(key, ".done").exists() and self.path(key).exists()

    def load(self, key: str) -> np.memmap:
        """The complete vectors of ``key``, memory-mapped read-only."""
        return np.load(self.path(key), mmap_mode="r")

    def encode(
        self,
        encoder: Encoder,
        texts: list[str],
        kind: TextKind,
        *,
        chunk_size: int = 1024,
        show_progress: bool = False,
        dtype: str = "float32",
    ) -> np.memmap:
        """Return cached vectors, encoding (or finishing) only the rows not yet on disk."""
        _check_options(chunk_size, dtype)
        texts = list(texts)
        key = self.key(encoder, texts, kind, dtype)
        if self.is_complete(key):
            logger.debug("cache hit %s (%d %s texts)", key, len(texts), kind)
            return self.load(key)
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        out, start = self._resume(key, len(texts), dtype)
        logger.info("encoding %d %s texts from row %d (cache key %s)", len(texts), kind, start, key)
        label = "Encoding queries" if kind == "query" else "Encoding documents"
        with progress_bar(show_progress, len(texts), label, start) as advance:
            for lo in range(start, len(texts), chunk_size):
                batch = texts[lo : lo + chunk_size]
                vectors = _checked(encoder.encode(batch, kind), len(batch), encoder)
                if out is None:
                    out = self._create(key, len(texts), vectors.shape[1], dtype)
                out[lo : lo + len(batch)] = vectors
                out.flush()
                self._write_progress(key, lo + len(batch), out.shape)
                advance(len(batch))
        if out is None:  # no texts at all
            out = self._create(key, 0, int(encoder.dim), dtype)
            self._write_progress(key, 0, out.shape)
        del out
        _atomic_write(self.path(key, ".done"), "")
        return self.load(key)

    def _resume(self, key: str, rows: int, dtype: str) -> tuple[np.memmap | None, int]:
        progress_path = self.path(key, ".progress.json")
        if not (progress_path.exists() and self.path(key).exists()):
            return None, 0
        try:
            progress = json.loads(progress_path.read_text())
            out = np.load(self.path(key), mmap_mode="r+")
        except (OSError, ValueError) as exc:
            logger.warning("cache entry %s is unreadable (%s); encoding again", key, exc)
            return None, 0
        rows_done = int(progress.get("rows_done", 0))
        if out.shape[0] != rows or out.dtype != np.dtype(dtype) or not 0 <= rows_done <= rows:
            logger.warning("cache entry %s does not match its texts; encoding again", key)
            return None, 0
        return out, rows_done

    def _create(self, key: str, rows: int, dim: int, dtype: str) -> np.memmap:
        return np.lib.format.open_memmap(
            self.path(key), mode="w+", dtype=np.dtype(dtype), shape=(rows, dim)
        )

    def _write_progress(self, key: str, rows_done: int, shape: tuple[int, ...]) -> None:
        payload = {"rows_done": rows_done, "rows": shape[0], "dim": shape[1]}
        _atomic_write(self.path(key, ".progress.json"), json.dumps(payload))


def encode_cached(
    encoder: Encoder,
    texts: list[str],
    kind: TextKind,
    cache_dir: Path,
    *,
    chunk_size: int = 1024,
    show_progress: bool = False,
    dtype: str = "float32",
) -> np.memmap:
    """Encode ``texts`` through the cache in ``cache_dir``; returns a read-only memory map.

    Interrupting (Ctrl-C, a crash) loses at most the chunk in flight: calling again with the
    same encoder, texts and kind continues from the last flushed chunk.
    """
    cache = EmbeddingCache(Path(cache_dir))
    return cache.encode(
        encoder, texts, kind, chunk_size=chunk_size, show_progress=show_progress, dtype=dtype
    )


def _checked(vectors: Any, rows: int, encoder: Encoder) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] != rows:
        raise ModelError(
            "The encoder returned vectors of the wrong shape",
            received=f"{array.shape} from {encoder!r}",
            expected=f"({rows}, dim)",
        )
    return array


def _check_options(chunk_size: int, dtype: str) -> None:
    if chunk_size < 1:
        raise ConfigError("chunk_size must be positive", received=chunk_size, expected=">= 1")
    if dtype not in DTYPES:
        raise ConfigError("Unsupported embedding dtype", received=dtype, expected=DTYPES)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def is_cached(
    encoder: Encoder, texts: list[str], kind: TextKind, cache_dir: Path, dtype: str = "float32"
) -> bool:
    """Whether ``encode_cached`` would return these vectors without encoding anything."""
    cache = EmbeddingCache(Path(cache_dir))
    return cache.is_complete(cache.key(encoder, list(texts), kind, dtype))
