"""A resumable on-disk embedding cache: one ``.npy`` per (encoder, kind, dtype, texts).

Files in the cache folder, for a key ``K``:

- ``K.partial.npy``: the entry being written. Created exclusively and never opened through a
  link; an ``.npy`` header for the final shape, then each chunk's rows, written with plain file
  writes and flushed to disk before the chunk counts as done;
- ``K.progress.json``: ``rows_done`` (with ``rows``, ``dim``, ``dtype``), replaced atomically
  after each chunk is on disk. A rerun truncates ``K.partial.npy`` to those rows (dropping the
  chunk in flight) and continues; one shorter than its record is encoded from the start;
- ``K.npy``: the finished vectors, renamed into place from ``K.partial.npy`` (a rename replaces
  a link, it never writes through one); read memory-mapped;
- ``K.done``: written last, a JSON record of the finished file (rows, dim, dtype, bytes).
  A ``K.npy`` whose header or size disagrees with it is encoded again, with one warning;
- ``K.lock``: held (``flock``) while the entry is written: a second process waits for it.

Before encoding, the free space the rest of the entry needs is checked; a full disk while
writing is a :class:`~trueneg.errors.StorageError` naming the file and the space needed, and a
rerun resumes. :meth:`EmbeddingCache.writer` is the one write path, for local encoding and for
Ray's encoder actors alike.

Entries of earlier versions, whose ``K.done`` is empty, are used when the ``.npy`` header is
a 2-D array of a supported dtype and the file has exactly the size that header implies; an
unfinished one (memory-mapped, full size) is resumed from its ``rows_done``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trueneg.encode.base import Encoder, TextKind
from trueneg.encode.cache_files import (
    DTYPES,
    EntryShape,
    EntryWriter,
    read_header,
    recorded_shape,
)
from trueneg.errors import ConfigError, ModelError, StorageError
from trueneg.hashing import hash_json, hash_texts
from trueneg.progress import progress_bar
from trueneg.storage import storage_errors

__all__ = ["DTYPES", "EmbeddingCache", "EntryShape", "EntryWriter", "encode_cached", "is_cached"]

logger = logging.getLogger(__name__)


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
        """Whether ``key`` is finished and its file matches its ``.done`` record."""
        return self._check(key)[0]

    def load(self, key: str) -> np.memmap:
        """The complete vectors of ``key``, memory-mapped read-only."""
        ok, problem = self._check(key)
        if not ok:
            raise StorageError(
                f"The embedding cache entry {self.path(key)} is not complete",
                received=problem or "no finished entry",
                fix="Encode again (encode_cached): it finishes or rebuilds the entry",
            )
        return self.read(key)

    def lookup(
        self, key: str, rows: int | None = None, dtype: str | None = None
    ) -> np.memmap | None:
        """The finished vectors of ``key`` if they verify, else None; a damaged entry is
        removed (with one warning) so that it is encoded again."""
        ok, problem = self._check(key, rows, dtype)
        if ok:
            return self.read(key)
        if problem:
            logger.warning(
                "embedding cache file %s is damaged (%s); encoding it again",
                self.path(key),
                problem,
            )
            with storage_errors(self.path(key)):
                self.path(key, ".done").unlink(missing_ok=True)
                self.path(key).unlink(missing_ok=True)
        return None

    @contextmanager
    def writer(
        self, key: str, rows: int, dtype: str = "float32", *, dim: int | None = None
    ) -> Iterator[EntryWriter]:
        """Write ``key`` chunk by chunk (resuming what is on disk); see :class:`EntryWriter`.

        ``dim`` (the encoder's) lets the free space be checked before anything is encoded;
        without it, the check runs when the first vectors arrive.
        """
        entry = EntryWriter(self, key, rows, dtype, dim)
        try:
            yield entry.open()
        finally:
            entry.close()

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
        texts = as_sequence(texts)
        key = self.key(encoder, texts, kind, dtype)
        found = self.lookup(key, len(texts), dtype)
        if found is not None:
            logger.debug("cache hit %s (%d %s texts)", key, len(texts), kind)
            return found
        with self.writer(key, len(texts), dtype, dim=int(encoder.dim)) as out:
            if out.rows_done < len(texts):
                logger.info(
                    "encoding %d %s texts from row %d (cache key %s)",
                    len(texts),
                    kind,
                    out.rows_done,
                    key,
                )
            label = "Encoding queries" if kind == "query" else "Encoding documents"
            with progress_bar(show_progress, len(texts), label, out.rows_done) as advance:
                for lo in range(out.rows_done, len(texts), chunk_size):
                    batch = texts[lo : lo + chunk_size]
                    out.append(_checked(encoder.encode(batch, kind), len(batch), encoder))
                    advance(len(batch))
            return out.finish()

    def fill(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        kind: TextKind,
        dtype: str,
        write: Callable[[EntryWriter, str, Sequence[str]], None],
    ) -> np.memmap:
        """:meth:`encode`'s lookup and resumable entry with the missing rows written by
        ``write(entry, key, texts)`` (the Ray and per-device encoders); a lazy view of the
        texts stays lazy."""
        texts = as_sequence(texts)
        if not texts:
            return self.encode(encoder, texts, kind, dtype=dtype)
        key = self.key(encoder, texts, kind, dtype)
        found = self.lookup(key, len(texts), dtype)
        if found is not None:
            return found
        with self.writer(key, len(texts), dtype) as out:
            write(out, key, texts)
            return out.finish()

    def _check(
        self, key: str, rows: int | None = None, dtype: str | None = None
    ) -> tuple[bool, str | None]:
        """(finished and verified, what is wrong with it: None when absent or fine)."""
        done, path = self.path(key, ".done"), self.path(key)
        if not (done.exists() and path.exists()):
            return False, None
        try:
            text = done.read_text()
            record = json.loads(text) if text.strip() else None  # empty: an earlier version
            want = recorded_shape(record) if record is not None else None
            if not os.path.isfile(path):
                return False, "not a regular file"
            with open(path, "rb") as handle:
                found, offset = read_header(handle)
                size = os.fstat(handle.fileno()).st_size
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return False, f"unreadable: {exc}"
        if want is not None and found != want:
            return False, f"it holds {found}, its .done record says {want}"
        if (rows is not None and found.rows != rows) or (dtype and found.dtype != dtype):
            return False, f"it holds {found}, {rows} rows of {dtype} expected"
        if size != offset + found.rows * found.row_bytes:
            return False, f"{size:,} bytes, {offset + found.rows * found.row_bytes:,} expected"
        return True, None

    def read(self, key: str) -> np.memmap:
        """The entry's vectors, memory-mapped read-only, without checking them."""
        return np.load(self.path(key), mmap_mode="r")


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

    Interrupting (Ctrl-C, a crash, a full disk) loses at most the chunk in flight: calling
    again with the same encoder, texts and kind continues from the last flushed chunk.
    """
    cache = EmbeddingCache(Path(cache_dir))
    return cache.encode(
        encoder, texts, kind, chunk_size=chunk_size, show_progress=show_progress, dtype=dtype
    )


def is_cached(
    encoder: Encoder, texts: list[str], kind: TextKind, cache_dir: Path, dtype: str = "float32"
) -> bool:
    """Whether ``encode_cached`` would return these vectors without encoding anything."""
    cache = EmbeddingCache(Path(cache_dir))
    return cache.is_complete(cache.key(encoder, as_sequence(texts), kind, dtype))


def as_sequence(texts: Sequence[str] | Any) -> Sequence[str]:
    """``texts`` itself when it is a sequence (a lazy view of the corpus stays lazy), else a
    list of it."""
    return texts if isinstance(texts, Sequence) else list(texts)


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
