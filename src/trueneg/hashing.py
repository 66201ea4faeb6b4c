"""Content hashes that say when cached vectors are still valid.

A fingerprint must be cheap: it never loads a model. Small files are hashed whole; big weight
files by their size and their first and last MiB, which changes whenever the weights do.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

SMALL_FILE_BYTES = 2 * 1024 * 1024
EDGE_BYTES = 1024 * 1024
DIGEST_SIZE = 16


def new_hash() -> hashlib.blake2b:
    """The hash every trueneg fingerprint uses (blake2b, 16-byte digest)."""
    return hashlib.blake2b(digest_size=DIGEST_SIZE)


def hash_json(value: object) -> str:
    """Hash of a JSON-serialisable value, independent of dict key order."""
    h = new_hash()
    h.update(json.dumps(value, sort_keys=True, default=str).encode())
    return h.hexdigest()


def hash_texts(texts: Iterable[str]) -> str:
    """Hash of texts in order; length prefixes keep ``["ab", "c"]`` apart from ``["a", "bc"]``."""
    h = new_hash()
    count = 0
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
        count += 1
    h.update(count.to_bytes(8, "little"))
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """Whole content for small files; size + first and last MiB for big ones."""
    size = path.stat().st_size
    h = new_hash()
    h.update(size.to_bytes(8, "little"))
    with path.open("rb") as f:
        if size < SMALL_FILE_BYTES:
            h.update(f.read())
        else:
            h.update(f.read(EDGE_BYTES))
            f.seek(size - EDGE_BYTES)
            h.update(f.read(EDGE_BYTES))
    return h.hexdigest()


def folder_fingerprint(folder: Path) -> str:
    """Hash of every file's relative path, size and (partial) content, in sorted order.

    Hidden files and folders (``.git``, ``.cache``) are skipped.
    """
    folder = Path(folder)
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            entries.append([rel, path.stat().st_size, file_digest(path)])
    entries.sort()
    return hash_json(entries)
