"""Memory-mapped files whose pages this process gives back as it reads past them.

A corpus larger than memory is read from a memory-mapped Arrow file. The kernel counts every
page the process has touched in its resident set (as file-backed memory) until the mapping is
gone, so a full scan of a 4 GB corpus shows 4 GB of RSS even though none of it is the
process's own. :func:`release_pages` drops the pages of every live mapping from the process
(``madvise(MADV_DONTNEED)``: the data stay in the page cache, and a later read maps them
again); scans call it after each chunk, which keeps the resident set at one chunk.
"""

from __future__ import annotations

import logging
import mmap
import os
import tempfile
import weakref
from pathlib import Path

import pyarrow as pa

logger = logging.getLogger(__name__)

_LIVE: weakref.WeakSet[mmap.mmap] = weakref.WeakSet()
_DROP = getattr(mmap, "MADV_DONTNEED", None)  # absent on Windows: nothing is released


def map_file(path: str | Path) -> pa.Buffer:
    """The file at ``path`` as a read-only, memory-mapped Arrow buffer (the mapping lives as
    long as the buffer and whatever is built on it without copying)."""
    return pa.py_buffer(map_pages(path))


def map_pages(path: str | Path) -> mmap.mmap:
    """The file at ``path`` mapped read-only (a buffer for numpy or Arrow; give its pages back
    alone with ``release_pages(mapping)``)."""
    with open(path, "rb") as handle:
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    _LIVE.add(mapping)
    return mapping


def release_pages(*mappings: mmap.mmap) -> None:
    """Drop the pages of ``mappings`` (default: every live mapping) from this process's
    resident set."""
    if _DROP is None:
        return
    for mapping in mappings or list(_LIVE):
        mapping.madvise(_DROP)


class Releaser:
    """Calls :func:`release_pages` once every ``rows`` rows read (readers of small slices)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self._since = 0

    def read(self, rows: int) -> None:
        self._since += rows
        if self._since >= self.rows:
            self._since = 0
            release_pages()


def temp_path(prefix: str, suffix: str, folder: str | Path | None = None) -> Path:
    """A new, empty temporary file (in ``folder``, else ``TMPDIR``) for data to be mapped."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.close(fd)
    return Path(name)


def unlink_mapped(path: Path) -> None:
    """Remove the name of a file that is (or is about to be) mapped: the mapping keeps its
    pages readable until it is gone. A platform that cannot unlink a mapped file keeps it."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        logger.debug("could not remove the mapped file %s: %s", path, exc)
