"""Turn raw rows into a canonical :class:`Dataset`: dedupe, resolve aliases, count fixes.

Every loader feeds a :class:`DatasetBuilder` with docs, queries and qrels in file order;
``build`` returns the tables and a :class:`LoadReport` with a sentence per fix or skip.
"""

from __future__ import annotations

import logging
import math

from trueneg.data.tables import Dataset, LoadReport, make_corpus, make_qrels, make_queries
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


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DatasetBuilder:
    """Collects corpus rows, queries and qrels, then builds a :class:`Dataset`."""

    def __init__(self, report: LoadReport) -> None:
        self.report = report
        self.doc_ids: list[str] = []
        self.doc_texts: list[str] = []
        self.doc_titles: list[str] = []
        self._doc_key: dict[str, tuple[str, str]] = {}  # every id seen -> (title, text)
        self._kept_by_key: dict[tuple[str, str], str] = {}
        self.aliases: dict[str, str] = {}
        self.query_texts: dict[str, str] = {}
        self._qrels: dict[tuple[str, str], int] = {}
        self.empty_docs = 0
        self.empty_queries = 0

    def has_doc(self, doc_id: str) -> bool:
        return doc_id in self._doc_key

    def add_doc(self, doc_id: str, text: str, title: str = "", where: str = "") -> str | None:
        """Add a corpus row; return the id it is kept under, or None if skipped as empty."""
        key = (title.strip(), text.strip())
        if not key[0] and not key[1]:
            self.empty_docs += 1
            return None
        previous = self._doc_key.get(doc_id)
        if previous is not None:
            if previous != key:
                raise _conflict("document", doc_id, " ".join(previous), " ".join(key), where)
            self.report.duplicate_docs_collapsed += 1
            return self.aliases.get(doc_id, doc_id)
        self._doc_key[doc_id] = key
        kept = self._kept_by_key.get(key)
        if kept is not None:
            self.aliases[doc_id] = kept
            self.report.duplicate_docs_collapsed += 1
            return kept
        self._kept_by_key[key] = doc_id
        self.doc_ids.append(doc_id)
        self.doc_texts.append(text)
        self.doc_titles.append(title)
        return doc_id

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
            raise _conflict("query", query_id, previous, text, where)
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
        qids, dids, rels = self._resolve_qrels()
        judged = set(qids)
        queries = [(q, t) for q, t in self.query_texts.items() if q in judged]
        positive = {q for q, r in zip(qids, rels, strict=True) if r > 0}
        report = self.report
        report.qrels_non_positive = sum(1 for r in rels if r <= 0)
        report.queries_without_positive = len(judged - positive)
        self._write_warnings()
        return Dataset(
            queries=make_queries([q for q, _ in queries], [t for _, t in queries]),
            corpus=make_corpus(self.doc_ids, self.doc_texts, self.doc_titles),
            qrels=make_qrels(qids, dids, rels),
            report=report,
            doc_aliases=dict(self.aliases),
        )

    def _resolve_qrels(self) -> tuple[list[str], list[str], list[int]]:
        merged: dict[tuple[str, str], int] = {}
        unknown_query = unknown_doc = 0
        for (qid, did), rel in self._qrels.items():
            did = self.aliases.get(did, did)
            if qid not in self.query_texts:
                unknown_query += 1
            elif did not in self._doc_key:  # aliases are resolved, so this means unknown
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
        r.docs_empty_skipped = self.empty_docs
        r.queries_empty_skipped = self.empty_queries
        sentences = [
            (self.empty_docs, f"Skipped {self.empty_docs} corpus rows with empty text."),
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


def _conflict(kind: str, item_id: str, first: str, second: str, where: str) -> DataError:
    place = f" (at {where})" if where else ""
    return DataError(
        f"The {kind} id {item_id!r} appears twice with different texts{place}: "
        f"{shorten(first)!r} vs {shorten(second)!r}",
        received=f"two {kind}s with id {item_id!r}",
        expected=f"unique {kind} ids, or repeated ids with identical text",
        fix=f"Give one of the two {kind}s a new id or remove the duplicate",
    )
