"""The canonical tables every loader produces and every later stage reads.

``queries(query_id, text)``, ``corpus(doc_id, text, title)``, ``qrels(query_id, doc_id,
relevance)``, all Arrow tables with string ids. A :class:`Dataset` bundles them with a
:class:`LoadReport` that counts everything the loader fixed or skipped.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trueneg.mapping import Releaser, release_pages

CHUNK_ROWS = 65_536  # rows a loader or a reader of texts holds at a time
QUERIES_SCHEMA = pa.schema([("query_id", pa.string()), ("text", pa.string())])
CORPUS_SCHEMA = pa.schema([("doc_id", pa.string()), ("text", pa.string()), ("title", pa.string())])
QRELS_SCHEMA = pa.schema(
    [("query_id", pa.string()), ("doc_id", pa.string()), ("relevance", pa.int32())]
)


@dataclass
class LoadReport:
    """What a loader saw and did, so nothing is fixed or skipped silently.

    Counters are plain ints; ``warnings`` holds one human sentence per issue.
    """

    source: str = ""
    kind: str = ""
    duplicate_docs_collapsed: int = 0
    duplicate_queries_collapsed: int = 0
    qrels_unknown_query: int = 0
    qrels_unknown_doc: int = 0
    qrels_duplicate: int = 0
    qrels_non_positive: int = 0
    queries_without_positive: int = 0
    docs_empty_skipped: int = 0
    queries_empty_skipped: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Dataset:
    """Queries, corpus and qrels in canonical form.

    ``doc_aliases`` maps the id of every corpus row whose text exactly duplicated an earlier
    row to the id kept for that text (the earlier row). Qrels are already rewritten to the
    kept ids.
    """

    queries: pa.Table
    corpus: pa.Table
    qrels: pa.Table
    report: LoadReport = field(default_factory=LoadReport)
    doc_aliases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.queries = self.queries.cast(QUERIES_SCHEMA)
        self.corpus = self.corpus.cast(CORPUS_SCHEMA)
        self.qrels = self.qrels.cast(QRELS_SCHEMA)

    @property
    def num_queries(self) -> int:
        return self.queries.num_rows

    @property
    def num_docs(self) -> int:
        return self.corpus.num_rows

    def positives(self) -> pa.Table:
        """Qrels with relevance > 0 (the labeled positives)."""
        mask = pc.greater(self.qrels["relevance"], 0)
        return self.qrels.filter(mask)

    def doc_texts(self) -> list[str]:
        """Text used to encode or index each document: ``title + " " + text``."""
        return document_texts(self.corpus)

    def doc_text_view(self) -> DocumentTexts:
        """The same texts as :meth:`doc_texts`, read from the corpus a slice at a time (for
        corpora larger than memory: nothing is held)."""
        return DocumentTexts(self.corpus)

    def query_texts(self) -> list[str]:
        return self.queries.column("text").to_pylist()


def document_texts(corpus: pa.Table) -> list[str]:
    titles = corpus.column("title").to_pylist()
    texts = corpus.column("text").to_pylist()
    return [f"{t} {x}" if t else x for t, x in zip(titles, texts, strict=True)]


class DocumentTexts(Sequence[str]):
    """``title + " " + text`` of each row of a corpus table, made when read: a slice reads
    only its rows, iteration reads ``CHUNK_ROWS`` at a time (a memory-mapped corpus stays on
    disk)."""

    def __init__(self, corpus: pa.Table) -> None:
        self._columns = corpus.select(["text", "title"])
        self._releaser = Releaser(CHUNK_ROWS)

    def __len__(self) -> int:
        return self._columns.num_rows

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            rows = max(stop - start, 0)
            self._releaser.read(rows)
            return document_texts(self._columns.slice(start, rows))
        i = operator.index(index)
        i = i + len(self) if i < 0 else i
        if not 0 <= i < len(self):
            raise IndexError(f"document {index} of {len(self)}")
        return document_texts(self._columns.slice(i, 1))[0]

    def __iter__(self) -> Iterator[str]:
        for batch in self._columns.to_batches(max_chunksize=CHUNK_ROWS):
            texts = document_texts(pa.Table.from_batches([batch]))
            release_pages()
            yield from texts


class DocumentIds(Sequence[str]):
    """The corpus's ``doc_id`` column as a sequence (position -> id) without a Python string
    per document: single ids and :meth:`take` read from the Arrow column (memory-mapped for a
    large corpus)."""

    def __init__(self, corpus: pa.Table) -> None:
        self._ids = corpus["doc_id"]

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self.take(np.arange(len(self))[index]).to_pylist()
        i = operator.index(index)
        i = i + len(self) if i < 0 else i
        if not 0 <= i < len(self):
            raise IndexError(f"document {index} of {len(self)}")
        return self._ids[i].as_py()

    def __iter__(self) -> Iterator[str]:
        for chunk in self._ids.chunks:
            yield from chunk.to_pylist()
            release_pages()

    def take(self, positions: np.ndarray | Sequence[int]) -> pa.Array:
        """The ids at ``positions``, as an Arrow string array."""
        return take_rows(self._ids, positions)


def ids_at(doc_ids: DocumentIds | Sequence[str], positions: np.ndarray) -> pa.Array:
    """The document ids at corpus ``positions`` (read from the corpus table when it is one)."""
    if isinstance(doc_ids, DocumentIds):
        return doc_ids.take(positions)
    ids = np.asarray(doc_ids, dtype=object)
    return pa.array(ids[np.asarray(positions, dtype=np.int64)].tolist(), type=pa.string())


def take_rows(data: pa.Table | pa.ChunkedArray, positions: Any) -> Any:
    """The rows of a table or column at ``positions``, in that order, taken a chunk at a time
    (Arrow's own ``take`` on a chunked column first concatenates every chunk: for a mapped
    corpus, a copy of the whole column); the result is one in-memory table / array."""
    positions = np.asarray(positions, dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    wanted = positions[order]
    table = isinstance(data, pa.Table)
    parts, start = [], 0
    for chunk in data.to_batches() if table else data.chunks:
        lo, hi = np.searchsorted(wanted, [start, start + len(chunk)])
        if hi > lo:
            parts.append(chunk.take(pa.array(wanted[lo:hi] - start)))
            release_pages()
        start += len(chunk)
    if positions.size and (wanted[0] < 0 or wanted[-1] >= start):
        raise IndexError(f"row positions out of range: 0..{start - 1}")
    back = pa.array(np.argsort(order), type=pa.int64())
    if table:
        return pa.Table.from_batches(parts, schema=data.schema).combine_chunks().take(back)
    return pa.chunked_array(parts, type=data.type).combine_chunks().take(back)


def make_queries(ids: list[str], texts: list[str]) -> pa.Table:
    return pa.table({"query_id": ids, "text": texts}, schema=QUERIES_SCHEMA)


def make_corpus(ids: list[str], texts: list[str], titles: list[str] | None = None) -> pa.Table:
    titles = titles if titles is not None else [""] * len(ids)
    return pa.table({"doc_id": ids, "text": texts, "title": titles}, schema=CORPUS_SCHEMA)


def make_qrels(
    query_ids: list[str], doc_ids: list[str], relevance: list[int] | None = None
) -> pa.Table:
    rel = relevance if relevance is not None else [1] * len(query_ids)
    return pa.table(
        {"query_id": query_ids, "doc_id": doc_ids, "relevance": np.asarray(rel, dtype=np.int32)},
        schema=QRELS_SCHEMA,
    )
