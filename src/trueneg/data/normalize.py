"""Turn raw rows into a canonical :class:`Dataset`: dedupe, resolve aliases, count fixes.

Every loader feeds a :class:`DatasetBuilder` with docs, queries and qrels in file order;
``build`` returns the tables and a :class:`LoadReport` with a sentence per fix or skip.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trueneg.data import spool
from trueneg.data.corpus_builder import CorpusBuilder, conflict
from trueneg.data.tables import Dataset, LoadReport, make_qrels, make_queries
from trueneg.errors import DataError
from trueneg.hashing import text_digest

logger = logging.getLogger(__name__)


def content_id(prefix: str, text: str) -> str:
    """``prefix`` + the first 16 hex digits of blake2b(text), e.g. ``q3f2a...``."""
    return prefix + text_digest(text)


def id_value(value: object, where: str, field: str) -> str:
    """An id as a string exactly as written: a string, or a JSON number in its decimal form.

    Anything else (null, true/false, a list, an object, nan) is a DataError naming ``where``
    (file and line) and the ``field``.
    """
    if isinstance(value, str):
        return value
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and math.isfinite(value):
        return str(value)
    raise DataError(
        f"{where} has {describe_value(value)} in {field!r}, not an id",
        received=preview(value),
        expected=f"a string or a number in {field!r}",
        fix=f"Write {field!r} as a string at {where}",
    )


def text_value(
    value: object, where: str, field: str, expected: str | None = None, fix: str | None = None
) -> str:
    """A text as a string: a string, or null (None) for an empty text.

    Anything else (a number, true/false, a list, an object) is a DataError naming ``where``
    (file and line) and the ``field``: its Python repr is never stored as the text.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise DataError(
        f"{where} has {describe_value(value)} in {field!r}, not a text",
        received=preview(value),
        expected=expected or f"a string in {field!r} (or null for an empty text)",
        fix=fix or f"Write {field!r} as a string (in quotes) at {where}",
    )


def describe_value(value: object) -> str:
    """``a number``, ``a list``...: what a parsed value is, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number" if math.isfinite(value) else "a non-finite number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


def preview(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DatasetBuilder:
    """Collects corpus rows, queries and qrels, then builds a :class:`Dataset`.

    Corpus rows go through a :class:`~trueneg.data.corpus_builder.CorpusBuilder`, a chunk of
    ``chunk_rows`` at a time (``spool.CHUNK_ROWS`` when the builder is made, by default), and
    are spooled to a memory-mapped file in ``folder`` beyond one chunk. A loader wraps its
    reading in :meth:`feeding`, so that an error in a later row never hides a duplicate-id
    error of an earlier, still queued one.
    """

    def __init__(
        self, report: LoadReport, chunk_rows: int | None = None, folder: str | Path | None = None
    ) -> None:
        self.report = report
        self.docs = CorpusBuilder(report, chunk_rows or spool.CHUNK_ROWS, folder)
        self.query_texts: dict[str, str] = {}
        self._qrels: dict[tuple[str, str], int] = {}
        self.empty_queries = 0

    @contextmanager
    def feeding(self) -> Iterator[DatasetBuilder]:
        """Wrap the reading of corpus rows: the queued rows are checked when it ends, and
        on an error in reading before that error is raised (theirs came first)."""
        try:
            yield self
        except DataError:
            self.docs.flush()
            raise
        self.docs.flush()

    def has_doc(self, doc_id: str) -> bool:
        return self.docs.has(doc_id)

    def add_doc(self, doc_id: str, text: str, title: str = "", where: str = "") -> bool:
        """Add a corpus row; False if it is skipped as empty. A repeated id with the same title
        and text collapses, with another text it is a DataError; a new id repeating an earlier
        row's title and text becomes an alias of it (see ``Dataset.doc_aliases``)."""
        return self.docs.add(doc_id, text, title, where)

    def add_query(self, query_id: str, text: str, where: str = "") -> bool:
        """Add a query; return False if it was skipped (empty) or already present."""
        if not text.strip():
            self.empty_queries += 1
            return False
        previous = self.query_texts.get(query_id)
        if previous is None:
            self.query_texts[query_id] = text
            return True
        if previous.strip() != text.strip():
            raise conflict("query", query_id, previous, text, where)
        self.report.duplicate_queries_collapsed += 1
        return False

    def add_qrel(self, query_id: str, doc_id: str, relevance: int = 1) -> None:
        """Add a judgement; repeated (query, doc) pairs keep the highest relevance."""
        key = (query_id, doc_id)
        old = self._qrels.get(key)
        if old is not None:
            self.report.qrels_duplicate += 1
        if old is None or relevance > old:
            self._qrels[key] = relevance

    def build(self) -> Dataset:
        """The Dataset; queries are restricted to those with at least one qrel."""
        corpus, aliases = self.docs.finish()
        qids, dids, rels = self._resolve_qrels(aliases)
        judged = set(qids)
        queries = [(q, t) for q, t in self.query_texts.items() if q in judged]
        positive = {q for q, r in zip(qids, rels, strict=True) if r > 0}
        report = self.report
        report.qrels_non_positive = sum(1 for r in rels if r <= 0)
        report.queries_without_positive = len(judged - positive)
        self._write_warnings()
        return Dataset(
            queries=make_queries([q for q, _ in queries], [t for _, t in queries]),
            corpus=corpus,
            qrels=make_qrels(qids, dids, rels),
            report=report,
            doc_aliases=aliases,
        )

    def _resolve_qrels(self, aliases: dict[str, str]) -> tuple[list[str], list[str], list[int]]:
        merged: dict[tuple[str, str], int] = {}
        unknown_query = unknown_doc = 0
        resolved = [(q, aliases.get(d, d), rel) for (q, d), rel in self._qrels.items()]
        known = self.docs.known([d for _, d, _ in resolved])  # aliases resolved: else unknown
        for (qid, did, rel), is_doc in zip(resolved, known, strict=True):
            if qid not in self.query_texts:
                unknown_query += 1
            elif not is_doc:
                unknown_doc += 1
            else:
                rel = max(rel, 0)
                key = (qid, did)
                if key in merged:  # two aliased docs judged for the same query
                    self.report.qrels_duplicate += 1
                merged[key] = max(merged.get(key, rel), rel)
        self.report.qrels_unknown_query += unknown_query
        self.report.qrels_unknown_doc += unknown_doc
        qids = [q for q, _ in merged]
        dids = [d for _, d in merged]
        return qids, dids, list(merged.values())

    def _write_warnings(self) -> None:
        r = self.report
        r.docs_empty_skipped = self.docs.empty
        r.queries_empty_skipped = self.empty_queries
        sentences = [
            (self.docs.empty, f"Skipped {self.docs.empty} corpus rows with empty text."),
            (self.empty_queries, f"Skipped {self.empty_queries} queries with empty text."),
            (
                r.duplicate_docs_collapsed,
                f"Collapsed {r.duplicate_docs_collapsed} corpus rows that exactly repeated an "
                "earlier row's title and text; rows that had their own id are listed in "
                "Dataset.doc_aliases.",
            ),
            (
                r.qrels_unknown_query,
                f"Dropped {r.qrels_unknown_query} qrels whose query id is not in the queries.",
            ),
            (
                r.qrels_unknown_doc,
                f"Dropped {r.qrels_unknown_doc} qrels whose doc id is not in the corpus.",
            ),
            (
                r.qrels_duplicate,
                f"Merged {r.qrels_duplicate} qrels that repeated a (query, doc) pair, "
                "including pairs repeated once duplicate documents were collapsed.",
            ),
            (
                r.queries_without_positive,
                f"{r.queries_without_positive} queries have qrels but no positive "
                "(relevance > 0); there is nothing to mine against for them.",
            ),
        ]
        for count, sentence in sentences:
            if count:
                r.warnings.append(sentence)
                logger.warning("%s: %s", r.source, sentence)
