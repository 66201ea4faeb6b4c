"""Corpora larger than memory: written in chunks to an Arrow IPC file and memory-mapped back.

A loader appends corpus rows to a :class:`CorpusSpool`; every ``chunk_rows`` rows become one
record batch on disk, so the loader holds one chunk of texts at a time. ``finish`` returns a
``pa.Table`` whose buffers are the memory-mapped file (pages the kernel can drop and re-read,
not the process's own memory); the file is unlinked at once, so nothing is left behind once
the table is gone. A corpus that fits in one chunk never touches the disk.

Stages read texts batch by batch (:func:`iter_document_texts`) or by position / id
(:func:`document_texts_at`, :func:`texts_for`, :class:`TextsById`), never the whole column as
Python strings; each read gives the mapped pages it touched back
(:func:`trueneg.mapping.release_pages`), so a full scan does not leave the corpus in the
process's resident set. Ids are looked up by scanning the corpus's ids a chunk at a time
against a hash table of the wanted ids (:func:`positions_of`), not a table of every id.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trueneg.data.tables import CHUNK_ROWS, CORPUS_SCHEMA, document_texts, take_rows
from trueneg.mapping import map_file, release_pages, temp_path, unlink_mapped

logger = logging.getLogger(__name__)

SPOOL_PREFIX = "trueneg-corpus-"


class CorpusSpool:
    """Append corpus rows; ``finish`` gives the table (in memory when it is one chunk)."""

    def __init__(self, chunk_rows: int = CHUNK_ROWS, folder: str | Path | None = None) -> None:
        self.chunk_rows = chunk_rows
        self.folder = folder
        self.rows = 0
        self._buffer: tuple[list[str], list[str], list[str]] = ([], [], [])
        self._written = 0
        self._path: Path | None = None
        self._sink: pa.OSFile | None = None
        self._writer: pa.ipc.RecordBatchFileWriter | None = None

    def append(self, doc_id: str, text: str, title: str) -> int:
        """Add a row; return its position in the corpus."""
        ids, texts, titles = self._buffer
        ids.append(doc_id)
        texts.append(text)
        titles.append(title)
        self.rows += 1
        if len(ids) >= self.chunk_rows:
            self._flush()
        return self.rows - 1

    def row(self, position: int) -> tuple[str, str, str]:
        """``(doc_id, text, title)`` at ``position`` (for error messages: a row already on disk
        is read by closing the file, so append nothing after this)."""
        if position >= self._written:
            at = position - self._written
            return tuple(column[at] for column in self._buffer)  # type: ignore[return-value]
        table = self.finish()
        return tuple(table[name][position].as_py() for name in CORPUS_SCHEMA.names)  # type: ignore[return-value]

    def finish(self) -> pa.Table:
        """The corpus table: memory-mapped when any chunk was written to disk."""
        if self._writer is None:
            return pa.table(list(self._buffer), schema=CORPUS_SCHEMA)
        self._flush()
        self._writer.close()
        self._sink.close()  # type: ignore[union-attr]
        self._writer = None
        path, self._path = self._path, None
        return map_table(path, unlink=True)  # type: ignore[arg-type]

    def _flush(self) -> None:
        if not self._buffer[0]:
            return
        if self._writer is None:
            self._path = spool_path(self.folder)
            self._sink = pa.OSFile(str(self._path), "wb")
            self._writer = pa.ipc.new_file(self._sink, CORPUS_SCHEMA)
            weakref.finalize(self, unlink_mapped, self._path)
        batch = pa.record_batch(list(self._buffer), schema=CORPUS_SCHEMA)
        self._writer.write_batch(batch)
        self._written += batch.num_rows
        self._buffer = ([], [], [])


def spool_path(folder: str | Path | None = None) -> Path:
    """A new temporary file for a spooled corpus (in ``folder``, else the temp folder)."""
    return temp_path(SPOOL_PREFIX, ".arrow", folder)


def map_table(path: str | Path, unlink: bool = False) -> pa.Table:
    """The Arrow IPC file at ``path`` as a zero-copy, memory-mapped table; ``unlink``: remove
    the file's name at once (the mapping keeps its pages readable until the table is gone)."""
    table = pa.ipc.open_file(map_file(path)).read_all()
    if unlink:
        unlink_mapped(Path(path))
    return table


def spool_batches(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema = CORPUS_SCHEMA, folder: str | None = None
) -> pa.Table:
    """Write ``batches`` to a temporary IPC file and map it (a Parquet corpus read back in
    bounded memory)."""
    path = spool_path(folder)
    try:
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for batch in batches:
                writer.write_batch(batch.cast(schema) if batch.schema != schema else batch)
    except BaseException:
        unlink_mapped(path)
        raise
    return map_table(path, unlink=True)


def read_parquet(path: str | Path, folder: str | None = None) -> pa.Table:
    """A Parquet table: read whole when it is one chunk, else spooled batch by batch to a
    memory-mapped file (a run's corpus read back in bounded memory)."""
    parquet = pq.ParquetFile(path)
    if parquet.metadata.num_rows <= CHUNK_ROWS:
        return parquet.read()
    batches = parquet.iter_batches(batch_size=CHUNK_ROWS)
    return spool_batches(batches, parquet.schema_arrow, folder)


def iter_document_texts(corpus: pa.Table, rows: int = CHUNK_ROWS) -> Iterator[list[str]]:
    """The encoded/indexed text of each document (``title + " " + text``), ``rows`` at a time."""
    for batch in corpus.select(["text", "title"]).to_batches(max_chunksize=rows):
        texts = document_texts(pa.Table.from_batches([batch]))
        release_pages()
        yield texts


def document_texts_at(corpus: pa.Table, positions: np.ndarray | list[int]) -> list[str]:
    """The document texts at corpus ``positions`` (read from the mapped file)."""
    return document_texts(take_rows(corpus.select(["text", "title"]), positions))


def positions_of(corpus: pa.Table, doc_ids: Iterable[str] | pa.Array) -> np.ndarray:
    """Corpus positions of ``doc_ids`` (-1 for an id not in the corpus): the corpus ids are
    scanned a chunk at a time against a hash table of the wanted ids only."""
    ids = doc_ids if isinstance(doc_ids, pa.Array | pa.ChunkedArray) else pa.array(list(doc_ids))
    ids = ids.cast(pa.string())
    wanted = pc.unique(ids)
    found = np.full(len(wanted), -1, dtype=np.int64)
    start = 0
    for chunk in corpus["doc_id"].chunks:
        hit = pc.index_in(chunk, value_set=wanted)
        rows = np.flatnonzero(hit.is_valid().to_numpy(zero_copy_only=False))
        found[hit.take(pa.array(rows)).to_numpy()] = start + rows
        start += len(chunk)
        release_pages()
    at = pc.index_in(ids, value_set=wanted).to_numpy(zero_copy_only=False)
    return found[at.astype(np.int64)] if len(ids) else np.empty(0, dtype=np.int64)


def texts_for(corpus: pa.Table, doc_ids: Iterable[str]) -> dict[str, str]:
    """``doc_id -> document text`` for the given ids, re-read from the corpus by id (ids not in
    the corpus are left out)."""
    ids = list(dict.fromkeys(doc_ids))
    positions = positions_of(corpus, ids)
    known = positions >= 0
    texts = document_texts_at(corpus, positions[known])
    return dict(zip([i for i, k in zip(ids, known, strict=True) if k], texts, strict=True))


class TextsById(Mapping[str, str]):
    """``doc_id -> document text`` over a corpus table, read by id when asked: :meth:`load`
    many ids at once (one scan of the ids); a single id not loaded yet costs a scan alone."""

    def __init__(self, corpus: pa.Table) -> None:
        self._corpus = corpus
        self._known: dict[str, str] = {}
        self._absent: set[str] = set()

    def load(self, doc_ids: Iterable[str]) -> TextsById:
        """Read the texts of ``doc_ids`` not read yet; returns self."""
        new = [d for d in dict.fromkeys(doc_ids) if d not in self._known and d not in self._absent]
        if new:
            found = texts_for(self._corpus, new)
            self._known.update(found)
            self._absent.update(d for d in new if d not in found)
        return self

    def __getitem__(self, doc_id: str) -> str:
        return self.load([doc_id])._known[doc_id]

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and doc_id in self.load([doc_id])._known

    def __len__(self) -> int:
        return self._corpus.num_rows

    def __iter__(self) -> Iterator[str]:
        for chunk in self._corpus["doc_id"].chunks:
            yield from chunk.to_pylist()
            release_pages()
