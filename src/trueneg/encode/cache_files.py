"""The files of one embedding cache entry: the ``.npy`` header, the ``.done`` record, the
writer's lock, and the writer itself (see :mod:`trueneg.encode.cache` for the layout)."""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from trueneg.errors import ModelError
from trueneg.storage import (
    atomic_write_json,
    ensure_free_space,
    open_no_follow,
    own_dir,
    storage_errors,
)

logger = logging.getLogger(__name__)


class EntryStore(Protocol):
    """What an :class:`EntryWriter` needs of its cache (an
    :class:`~trueneg.encode.cache.EmbeddingCache`)."""

    folder: Path

    def path(self, key: str, suffix: str = ".npy") -> Path: ...

    def lookup(
        self, key: str, rows: int | None = None, dtype: str | None = None
    ) -> np.memmap | None: ...

    def read(self, key: str) -> np.memmap: ...


DTYPES = ("float32", "float16")
RECORD_SLACK = 16 * 1024  # room for the progress and done records beside the vectors


@dataclass(frozen=True)
class EntryShape:
    """What a cache entry holds: ``rows × dim`` vectors of ``dtype``, as one ``.npy``."""

    rows: int
    dim: int
    dtype: str

    @property
    def row_bytes(self) -> int:
        return self.dim * np.dtype(self.dtype).itemsize

    def header(self) -> bytes:
        """The ``.npy`` header ``np.save`` writes for this shape."""
        fields = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(self.dtype)),
            "fortran_order": False,
            "shape": (self.rows, self.dim),
        }
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(buffer, fields)
        return buffer.getvalue()

    def nbytes(self, rows: int | None = None) -> int:
        """Size of the file holding the first ``rows`` rows (default: all of them)."""
        return len(self.header()) + (self.rows if rows is None else rows) * self.row_bytes

    def record(self) -> dict[str, Any]:
        return {"rows": self.rows, "dim": self.dim, "dtype": self.dtype, "bytes": self.nbytes()}

    def __str__(self) -> str:
        return f"{self.rows} × {self.dim} {self.dtype}"


def read_header(handle: IO[bytes]) -> tuple[EntryShape, int]:
    """The shape of the ``.npy`` open in ``handle`` and where its data starts (ValueError if
    it is not a 2-D C-order array of a supported dtype)."""
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    version = np.lib.format.read_magic(handle)
    if version not in readers:
        raise ValueError(f"unsupported .npy version {version}")
    shape, fortran, dtype = readers[version](handle)
    if len(shape) != 2 or fortran or dtype.name not in DTYPES or dtype != np.dtype(dtype.name):
        raise ValueError(f"not a cache entry: shape {shape}, dtype {dtype.str}")
    return EntryShape(int(shape[0]), int(shape[1]), dtype.name), handle.tell()


class EntryWriter:
    """Fills one cache entry: resumes what is verifiably on disk, appends each chunk with plain
    writes flushed to disk (progress saved after each), then renames the file into place.

    Get one from :meth:`EmbeddingCache.writer`. ``rows_done`` rows are on disk; :meth:`append`
    adds the next ones; :meth:`finish` returns the finished entry memory-mapped. Disk errors
    (a full disk, no permission) are :class:`~trueneg.errors.StorageError` s; a rerun resumes.
    """

    def __init__(self, cache: EntryStore, key: str, rows: int, dtype: str, dim: int | None) -> None:
        self.cache, self.key, self.rows, self.dtype, self.dim = cache, key, rows, dtype, dim
        self.partial = cache.path(key, ".partial.npy")
        self.rows_done = 0
        self.shape: EntryShape | None = None
        self._fd: int | None = None
        self._offset = 0
        self._lock: int | None = None
        self._found: np.memmap | None = None
        self._needed: int | None = None

    def open(self) -> EntryWriter:
        own_dir(self.cache.folder)
        self._lock = _lock(self.cache.path(self.key, ".lock"))
        self._sweep_temporaries()
        self._found = self.cache.lookup(self.key, self.rows, self.dtype)  # done while we waited
        if self._found is not None:
            self.rows_done = self.rows
            return self
        self._adopt_unfinished()
        if not self._resume():
            with storage_errors(self.partial):
                self.partial.unlink(missing_ok=True)
                self.cache.path(self.key, ".progress.json").unlink(missing_ok=True)
        self._check_space(self.shape.dim if self.shape else self.dim)
        return self

    def append(self, vectors: Any) -> None:
        """Write the next ``len(vectors)`` rows and save the progress."""
        array = np.ascontiguousarray(vectors, dtype=np.dtype(self.dtype))
        if array.ndim != 2 or self.rows_done + len(array) > self.rows:
            raise ModelError(
                "The encoder returned more rows than there are texts",
                received=f"{array.shape} after {self.rows_done} rows",
                expected=f"{self.rows} rows in all",
            )
        if self._fd is None:
            self._create(array.shape[1])
        if array.shape[1] != self.shape.dim:
            raise ModelError(
                "The encoder returned vectors of another width than those already cached",
                received=array.shape[1],
                expected=f"{self.shape.dim} (as in {self.partial})",
            )
        position = self._offset + self.rows_done * self.shape.row_bytes
        with storage_errors(self.partial, needed=self._needed):
            _write_at(self._fd, array.tobytes(), position)
            os.fsync(self._fd)  # on disk before the progress record counts it
        self.rows_done += len(array)
        record = {"rows_done": self.rows_done, "rows": self.rows, "dim": self.shape.dim}
        progress = self.cache.path(self.key, ".progress.json")
        atomic_write_json(progress, {**record, "dtype": self.dtype})

    def finish(self) -> np.memmap:
        """Put the finished file in place, write its ``.done`` record and return it."""
        if self._found is not None:
            return self._found
        if self.rows_done != self.rows:
            raise ModelError(
                "Not every row of the embedding cache entry was encoded",
                received=f"{self.rows_done} of {self.rows} rows",
                expected="every row",
                fix="Re-run: the rows already encoded are kept",
            )
        if self._fd is None:  # no texts at all
            self._create(int(self.dim or 0))
        final = self.cache.path(self.key)
        with storage_errors(final):
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            os.replace(self.partial, final)
        atomic_write_json(self.cache.path(self.key, ".done"), self.shape.record())
        self.cache.path(self.key, ".progress.json").unlink(missing_ok=True)
        return self.cache.read(self.key)

    def close(self) -> None:
        for fd in (self._fd, self._lock):
            if fd is not None:
                os.close(fd)  # closing the lock file releases the lock
        self._fd = self._lock = None

    def _sweep_temporaries(self) -> None:
        """Remove the temporary records of a writer of this entry that was killed mid-write
        (only the holder of the entry's lock writes them)."""
        for path in Path(self.cache.folder).glob(f".{self.key}.*.tmp"):
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)

    def _adopt_unfinished(self) -> None:
        """A ``K.npy`` without a ``.done`` but with progress: stopped just before its record,
        or an unfinished entry of an earlier version. It is resumed as the partial file."""
        final, progress = self.cache.path(self.key), self.cache.path(self.key, ".progress.json")
        if os.path.lexists(final) and progress.exists() and not os.path.lexists(self.partial):
            with storage_errors(final):
                os.replace(final, self.partial)

    def _resume(self) -> bool:
        """Open the partial file at its last recorded chunk; False (and a warning when there
        was something to resume) if it cannot be trusted."""
        progress = self.cache.path(self.key, ".progress.json")
        if not (progress.exists() and os.path.lexists(self.partial)):
            return False
        try:
            done = int(json.loads(progress.read_text())["rows_done"])
            if not stat.S_ISREG(os.lstat(self.partial).st_mode):
                return self._discard("it is not a regular file")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return self._discard(f"unreadable: {exc}")
        fd = open_no_follow(self.partial, os.O_RDWR)
        try:
            problem = self._verify_partial(fd, done)
        except (OSError, ValueError) as exc:
            problem = f"unreadable: {exc}"
        if problem:
            os.close(fd)
            return self._discard(problem)
        self._fd = fd
        return True

    def _verify_partial(self, fd: int, done: int) -> str | None:
        """What makes the partial file untrustworthy, or None: then it is cut to the ``done``
        rows its progress records (dropping the chunk in flight) and ready for the next."""
        with open(fd, "rb", closefd=False) as handle:
            shape, offset = read_header(handle)
        size, recorded = os.fstat(fd).st_size, offset + done * shape.row_bytes
        if shape.rows != self.rows or shape.dtype != self.dtype or not 0 <= done <= self.rows:
            return f"it holds {shape}, {done} rows done; {self.rows} {self.dtype} rows expected"
        if size < recorded:
            return f"{size:,} bytes, fewer than the {done} rows its progress record counts"
        if size > recorded:
            os.ftruncate(fd, recorded)
        self.shape, self._offset, self.rows_done = shape, offset, done
        return None

    def _discard(self, problem: str) -> bool:
        logger.warning(
            "unfinished embedding cache file %s cannot be resumed (%s); encoding it from the start",
            self.partial,
            problem,
        )
        return False

    def _create(self, dim: int) -> None:
        self.shape = EntryShape(self.rows, dim, self.dtype)
        self._check_space(dim)
        header = self.shape.header()
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL
        self._fd = open_no_follow(self.partial, flags)
        with storage_errors(self.partial, needed=self._needed):
            _write_at(self._fd, header, 0)
        self._offset = len(header)

    def _check_space(self, dim: int | None) -> None:
        """Fail before encoding when the rest of the entry cannot fit on the disk."""
        if dim is None or self._needed is not None:
            return
        shape = EntryShape(self.rows, dim, self.dtype)
        on_disk = shape.nbytes(self.rows_done) if self._fd is not None else 0
        self._needed = shape.nbytes() - on_disk + RECORD_SLACK
        rest = EntryShape(self.rows - self.rows_done, dim, self.dtype)
        ensure_free_space(
            self.cache.folder, self._needed, f"{rest} embeddings ({self.partial.name})"
        )


def recorded_shape(record: dict[str, Any]) -> EntryShape:
    shape = EntryShape(int(record["rows"]), int(record["dim"]), str(record["dtype"]))
    if int(record["bytes"]) != shape.nbytes():
        raise ValueError(f"{record['bytes']} bytes recorded for {shape}")
    return shape


def _lock(path: Path) -> int:
    """Hold an exclusive ``flock`` on ``path`` (waiting for another writer of the entry)."""
    if path.is_symlink():  # never open a link in the cache; removing one is safe
        with storage_errors(path):
            path.unlink()
    fd = open_no_follow(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        logger.info("waiting for another process writing %s", path.with_suffix(".npy"))
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_at(fd: int, data: bytes, position: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, position)
        view, position = view[written:], position + written
