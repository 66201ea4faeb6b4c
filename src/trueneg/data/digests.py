"""Exact-match lookups over millions of 16-byte digests in memory that does not grow with them.

A :class:`DigestIndex` maps 16-byte keys (BLAKE2b digests of ids or texts) to fixed-size
values in sorted runs, merged two by two like a log-structured merge tree: adding a chunk
costs a sort of the chunk, looking up a chunk one binary search per run (at most
log2(rows / chunk) + 1 runs). A run of more than ``memory_rows`` entries is written to a
temporary file and memory-mapped back (:mod:`trueneg.mapping`: its pages are given back after
each block of probes), with one key of every page kept in memory as a fence, so that a probe
reads one page of the file; two runs are merged block by block. The index holds at most about
``2 × memory_rows`` entries in memory whatever the number of keys, plus the fences (1/256 of
the mapped keys); the rest is on disk (24-32 bytes a key). The files' names are removed as soon
as they are mapped.
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from trueneg.hashing import DIGEST_SIZE
from trueneg.mapping import map_pages, release_pages, temp_path, unlink_mapped

KEY = np.dtype(f"S{DIGEST_SIZE}")
MEMORY_ROWS = 1 << 20  # entries a run may hold in memory; larger runs live on disk
MERGE_BLOCK = 1 << 18  # entries of each run merged at a time
LOOKUP_BLOCK = 1 << 10  # probes looked up between two releases of the mapped runs' pages
FENCE = 4096 // DIGEST_SIZE  # keys of a mapped run per page: one in FENCE stays in memory
RUN_PREFIX = "trueneg-digests-"

Run = tuple[np.ndarray, np.ndarray]  # sorted keys, their values (in memory or mapped)


def digest(*parts: str) -> bytes:
    """The 16-byte BLAKE2b digest of ``parts`` (each length-prefixed, so the split counts)."""
    h = hashlib.blake2b(digest_size=DIGEST_SIZE)
    for part in parts:
        data = part.encode("utf-8")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


class DigestIndex:
    """Sorted runs of (key, value); keys are unique across runs (the caller adds new keys
    only, after :meth:`lookup` said they are absent)."""

    def __init__(
        self,
        value_dtype: np.dtype | str,
        folder: str | Path | None = None,
        memory_rows: int = MEMORY_ROWS,
    ) -> None:
        self.value_dtype = np.dtype(value_dtype)
        self.folder = folder
        self.memory_rows = memory_rows
        self._runs: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []  # + fence

    def __len__(self) -> int:
        return sum(keys.size for keys, _, _ in self._runs)

    @property
    def nbytes(self) -> int:
        """Bytes held in memory: the in-memory runs, and the fences of the mapped ones."""
        return sum(f.nbytes if f is not None else k.nbytes + v.nbytes for k, v, f in self._runs)

    def _mappings(self) -> list[mmap.mmap]:
        """The mapped files behind the runs on disk."""
        return [a.base.obj for k, v, f in self._runs if f is not None for a in (k, v)]

    @property
    def disk_bytes(self) -> int:
        """Bytes of the runs kept on disk."""
        return sum(k.nbytes + v.nbytes for k, v, f in self._runs if f is not None)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(found, values)`` for each key: whether it is indexed, and its value (zeros where
        not found)."""
        keys = np.asarray(keys, dtype=KEY)
        found = np.zeros(keys.size, dtype=bool)
        values = np.zeros(keys.size, dtype=self.value_dtype)
        order = np.argsort(keys)  # sorted probes walk each run's pages once, in order
        mappings = self._mappings()
        for start in range(0, keys.size, LOOKUP_BLOCK):
            rows = order[start : start + LOOKUP_BLOCK]
            probes = keys[rows]
            for run_keys, run_values, fence in self._runs:
                at = np.minimum(_insertion(run_keys, fence, probes), run_keys.size - 1)
                hit = run_keys[at] == probes
                found[rows[hit]] = True
                values[rows[hit]] = run_values[at[hit]]
            if mappings:  # none given would mean every live mapping
                release_pages(*mappings)  # a block touched a page or two a probe
        return found, values

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Index new ``keys`` (absent so far, distinct) with their ``values``."""
        keys = np.asarray(keys, dtype=KEY)
        if keys.size == 0:
            return
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], np.asarray(values, dtype=self.value_dtype)[order], None))
        while len(self._runs) > 1 and self._runs[-2][0].size <= 2 * self._runs[-1][0].size:
            newer, older = self._runs.pop(), self._runs.pop()
            self._runs.append(self._merge(older[:2], newer[:2]))

    def _merge(self, a: Run, b: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """One sorted run of ``a`` and ``b``: in memory while small, else on disk."""
        if a[0].size + b[0].size <= self.memory_rows:
            keys = np.concatenate([a[0], b[0]])
            order = np.argsort(keys, kind="stable")
            return keys[order], np.concatenate([a[1], b[1]])[order], None
        return self._write(merged_blocks(a, b), a[0].size + b[0].size)

    def _write(self, blocks: Iterator[Run], rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Write the sorted ``blocks`` to two temporary files and map them back; the fence
        (every ``FENCE``-th key) is taken from the blocks as they pass, not read back."""
        paths = [temp_path(RUN_PREFIX, f".{part}", self.folder) for part in ("keys", "values")]
        fence, written = [], 0
        try:
            with open(paths[0], "wb") as key_file, open(paths[1], "wb") as value_file:
                for keys, values in blocks:
                    key_file.write(keys.tobytes())
                    value_file.write(values.tobytes())
                    fence.append(keys[-written % FENCE :: FENCE].copy())  # not a view
                    written += keys.size
                    release_pages()  # the mapped runs being merged are read once, in order
            keys = _read(paths[0], KEY, rows)
            values = _read(paths[1], self.value_dtype, rows)
        finally:
            for path in paths:
                unlink_mapped(path)
        return keys, values, np.concatenate(fence) if fence else np.empty(0, KEY)


def _insertion(keys: np.ndarray, fence: np.ndarray | None, probes: np.ndarray) -> np.ndarray:
    """Where each probe would go in the sorted ``keys`` (``searchsorted``, side left). With a
    ``fence`` (every ``FENCE``-th key, in memory), each probe's search stays inside the one
    page of ``keys`` the fence points it to, so a mapped run is read a page a probe, not
    along a binary search's path through the whole file."""
    if fence is None:
        return np.searchsorted(keys, probes)
    lo = np.maximum(np.searchsorted(fence, probes, side="right") - 1, 0) * FENCE
    hi = np.minimum(lo + FENCE, keys.size)
    while np.any(active := lo < hi):
        mid = (lo + hi) // 2
        below = active & (keys[np.minimum(mid, keys.size - 1)] < probes)
        lo = np.where(below, mid + 1, lo)
        hi = np.where(active & ~below, mid, hi)
    return lo


def merged_blocks(a: Run, b: Run, block: int = MERGE_BLOCK) -> Iterator[Run]:
    """The entries of two sorted runs with distinct keys, in key order, about ``block`` of
    each run at a time: each step takes every entry up to the smaller of the two blocks' last
    keys, so one of the two blocks is used whole and memory stays at two blocks."""
    (a_keys, a_values), (b_keys, b_values) = a, b
    i = j = 0
    while i < a_keys.size or j < b_keys.size:
        i_end, j_end = min(i + block, a_keys.size), min(j + block, b_keys.size)
        ends = [k[end - 1] for k, end in ((a_keys, i_end), (b_keys, j_end)) if end < k.size]
        if ends:
            cut = min(ends)
            i_end = i + int(np.searchsorted(a_keys[i:i_end], cut, side="right"))
            j_end = j + int(np.searchsorted(b_keys[j:j_end], cut, side="right"))
        keys = np.concatenate([a_keys[i:i_end], b_keys[j:j_end]])
        order = np.argsort(keys, kind="stable")
        yield keys[order], np.concatenate([a_values[i:i_end], b_values[j:j_end]])[order]
        i, j = i_end, j_end


def _read(path: Path, dtype: np.dtype, rows: int) -> np.ndarray:
    """``rows`` values of ``dtype`` mapped from ``path`` (``array.base.obj`` is the mapping)."""
    return np.frombuffer(memoryview(map_pages(path)), dtype=dtype, count=rows)
