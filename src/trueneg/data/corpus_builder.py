"""The corpus half of a loader: exact-duplicate collapsing in bounded memory.

Rows arrive in file order and are handled a chunk at a time, with exactly the rules of a
dict keyed by every text: a repeated id with the same title and text collapses, with another
text it is an error; a new id whose (title, text) repeats an earlier row's becomes an alias of
that row. What is remembered per row is two 16-byte BLAKE2b digests (the id's and the
stripped title and text's) and a kept row's 8-byte position, in :class:`DigestIndex` runs:
56 bytes a document, of which only the newest runs (about a million entries) stay in memory
and the rest are memory-mapped temporary files; never the texts, which go to the
:class:`~trueneg.data.spool.CorpusSpool` chunk by chunk. Two different texts are
taken for one only if their 128-bit digests collide (odds about n²/2¹²⁹: 10⁻²⁵ at 10M rows).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from trueneg.data.digests import KEY, DigestIndex, digest
from trueneg.data.spool import CHUNK_ROWS, CorpusSpool
from trueneg.data.tables import LoadReport, take_rows
from trueneg.errors import DataError

Row = tuple[str, str, str, str]  # doc_id, text, title, where


class CorpusBuilder:
    """Collects corpus rows; ``finish`` gives the deduplicated corpus and its aliases."""

    def __init__(
        self, report: LoadReport, chunk_rows: int = CHUNK_ROWS, folder: str | Path | None = None
    ) -> None:
        self.report = report
        self.chunk_rows = chunk_rows
        self.empty = 0
        self._pending: list[Row] = []
        self._pending_ids: set[str] = set()
        self._ids = DigestIndex(KEY, folder)  # id digest -> text digest
        self._keys = DigestIndex(np.int64, folder)  # text digest -> position of the kept row
        self._spool = CorpusSpool(chunk_rows, folder)
        self._aliases: list[tuple[str, int]] = []

    def add(self, doc_id: str, text: str, title: str = "", where: str = "") -> bool:
        """Queue a corpus row; False if it is skipped as empty (no title and no text)."""
        if not title.strip() and not text.strip():
            self.empty += 1
            return False
        self._pending.append((doc_id, text, title, where))
        self._pending_ids.add(doc_id)
        if len(self._pending) >= self.chunk_rows:
            self.flush()
        return True

    def has(self, doc_id: str) -> bool:
        """Whether a (non-empty) row with ``doc_id`` was added."""
        return doc_id in self._pending_ids or bool(self.known([doc_id])[0])

    def known(self, doc_ids: list[str]) -> np.ndarray:
        """For each id, whether a row with that id was added (queued rows are flushed)."""
        self.flush()
        return self._ids.lookup(np.array([digest(d) for d in doc_ids], dtype=KEY))[0]

    def flush(self) -> None:
        """Collapse the queued rows against every earlier row, in file order."""
        rows, self._pending, self._pending_ids = self._pending, [], set()
        if not rows:
            return
        id_keys = [digest(row[0]) for row in rows]
        text_keys = [digest(row[2].strip(), row[1].strip()) for row in rows]
        seen, seen_text = self._ids.lookup(np.array(id_keys, dtype=KEY))
        kept, kept_at = self._keys.lookup(np.array(text_keys, dtype=KEY))
        new_ids: dict[bytes, bytes] = {}
        new_texts: dict[bytes, int] = {}
        for j, row in enumerate(rows):
            id_key, text_key = id_keys[j], text_keys[j]
            previous = new_ids.get(id_key) or (_padded(seen_text[j]) if seen[j] else None)
            if previous is not None:
                if previous != text_key:
                    raise self._conflict(row, self._position(previous, new_texts))
                self.report.duplicate_docs_collapsed += 1
                continue
            new_ids[id_key] = text_key
            position = new_texts.get(text_key, int(kept_at[j]) if kept[j] else None)
            if position is not None:
                self._aliases.append((row[0], position))
                self.report.duplicate_docs_collapsed += 1
                continue
            new_texts[text_key] = self._spool.append(row[0], row[1], row[2])
        self._ids.add(np.array(list(new_ids), KEY), np.array(list(new_ids.values()), KEY))
        self._keys.add(np.array(list(new_texts), KEY), np.array(list(new_texts.values()), np.int64))

    def finish(self) -> tuple[pa.Table, dict[str, str]]:
        """The corpus table (memory-mapped when larger than a chunk) and ``alias -> kept id``."""
        self.flush()
        corpus = self._spool.finish()
        kept = take_rows(corpus["doc_id"], [p for _, p in self._aliases]).to_pylist()
        return corpus, dict(zip([d for d, _ in self._aliases], kept, strict=True))

    @property
    def index_bytes(self) -> int:
        """Memory held by the digest indexes (for benchmarks and logs; on-disk runs apart)."""
        return self._ids.nbytes + self._keys.nbytes

    def _position(self, text_key: bytes, new_texts: dict[bytes, int]) -> int:
        if text_key in new_texts:
            return new_texts[text_key]
        return int(self._keys.lookup(np.array([text_key], dtype=KEY))[1][0])

    def _conflict(self, row: Row, position: int) -> DataError:
        _, text, title = self._spool.row(position)
        first, second = f"{title.strip()} {text.strip()}", f"{row[2].strip()} {row[1].strip()}"
        return conflict("document", row[0], first, second, row[3])


def _padded(key: np.bytes_) -> bytes:
    """A digest read back from numpy (which drops trailing zero bytes) at its full 16 bytes."""
    return bytes(key).ljust(KEY.itemsize, b"\0")


def conflict(kind: str, item_id: str, first: str, second: str, where: str) -> DataError:
    """Two rows with one id and different texts."""
    place = f" (at {where})" if where else ""
    return DataError(
        f"The {kind} id {item_id!r} appears twice with different texts{place}: "
        f"{shorten(first)!r} vs {shorten(second)!r}",
        received=f"two {kind}s with id {item_id!r}",
        expected=f"unique {kind} ids, or repeated ids with identical text",
        fix=f"Give one of the two {kind}s a new id or remove the duplicate",
    )


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
