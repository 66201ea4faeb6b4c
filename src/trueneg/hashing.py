"""The one hash of trueneg (BLAKE2b, 16-byte digest) and the fingerprints built on it.

Fingerprints say when something cached or finished is still valid: settings and stage inputs
(:func:`hash_json`), texts in order (:func:`hash_texts`), a file's whole content
(:func:`hash_file`, :func:`tree_fingerprint` for input data) and model folders
(:func:`folder_fingerprint`). A model fingerprint must be cheap: it never loads the model, and
big weight files are hashed by their size and their first and last MiB, which changes whenever
the weights do.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

SMALL_FILE_BYTES = 2 * 1024 * 1024
EDGE_BYTES = 1024 * 1024
DIGEST_SIZE = 16


def new_hash() -> hashlib.blake2b:
    """The hash every trueneg fingerprint uses (blake2b, 16-byte digest)."""
    return hashlib.blake2b(digest_size=DIGEST_SIZE)


def hash_json(value: object, default: Callable[[Any], Any] = str) -> str:
    """Hash of a JSON-serialisable value, independent of dict key order; ``default`` writes
    what JSON cannot (``str`` for cache keys, :func:`json_default` for stage fingerprints)."""
    h = new_hash()
    h.update(json.dumps(value, sort_keys=True, default=default).encode("utf-8"))
    return h.hexdigest()


def hash_file(path: str | Path) -> str:
    """Hash of a file's whole content."""
    h = new_hash()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_fingerprint(path: Path) -> str:
    """Whole-content hash of a file, or of every file under a folder (relative names
    included): for input data, where every byte counts."""
    h = new_hash()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        h.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def text_digest(text: str) -> str:
    """16 hex digits naming a text by its content (the ids of pairs-file rows)."""
    return hashlib.blake2b(text.encode("utf-8")).hexdigest()[:16]


def id_hash64(text: str) -> int:
    """A stable 64-bit hash of one id (for seeded per-row draws)."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def json_default(obj: Any) -> Any:
    """What ``json.dumps`` cannot write by itself: paths, numpy scalars and arrays, objects
    with ``to_dict``."""
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


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


def folder_fingerprint(folder: Path, skip: frozenset[str] = frozenset()) -> str:
    """Hash of every file's relative path, size and (partial) content, in sorted order.

    Hidden files and folders (``.git``, ``.cache``) and files named in ``skip`` are skipped.
    """
    folder = Path(folder)
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name in skip:
                continue
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            entries.append([rel, path.stat().st_size, file_digest(path)])
    entries.sort()
    return hash_json(entries)
