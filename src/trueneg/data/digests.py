"""Exact-match lookups over millions of 16-byte digests without a Python dict per row.

A :class:`DigestIndex` maps 16-byte keys (BLAKE2b digests of ids or texts) to fixed-size
values in sorted numpy runs, merged two by two like a log-structured merge tree: adding a
chunk costs a sort of the chunk, looking up a chunk one binary search per run (at most
log2(rows / chunk) + 1 runs). Memory is the keys and values themselves (16 bytes + the value
size per entry, twice that while the largest runs merge), not a Python object per row.
"""

from __future__ import annotations

import hashlib

import numpy as np

from trueneg.hashing import DIGEST_SIZE

KEY = np.dtype(f"S{DIGEST_SIZE}")


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

    def __init__(self, value_dtype: np.dtype | str) -> None:
        self.value_dtype = np.dtype(value_dtype)
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(keys.size for keys, _ in self._runs)

    @property
    def nbytes(self) -> int:
        return sum(keys.nbytes + values.nbytes for keys, values in self._runs)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(found, values)`` for each key: whether it is indexed, and its value (zeros where
        not found)."""
        keys = np.asarray(keys, dtype=KEY)
        found = np.zeros(keys.size, dtype=bool)
        values = np.zeros(keys.size, dtype=self.value_dtype)
        for run_keys, run_values in self._runs:
            at = np.minimum(np.searchsorted(run_keys, keys), run_keys.size - 1)
            hit = run_keys[at] == keys
            found |= hit
            values[hit] = run_values[at[hit]]
        return found, values

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Index new ``keys`` (absent so far, distinct) with their ``values``."""
        keys = np.asarray(keys, dtype=KEY)
        if keys.size == 0:
            return
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], np.asarray(values, dtype=self.value_dtype)[order]))
        while len(self._runs) > 1 and self._runs[-2][0].size <= 2 * self._runs[-1][0].size:
            (k1, v1), (k2, v2) = self._runs.pop(), self._runs.pop()
            merged = np.concatenate([k2, k1])
            order = np.argsort(merged, kind="stable")
            self._runs.append((merged[order], np.concatenate([v2, v1])[order]))
