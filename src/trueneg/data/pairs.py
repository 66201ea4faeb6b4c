"""Load (query, positive) pairs; ids come from content hashes, the corpus from the positives."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from trueneg.data.normalize import DatasetBuilder, content_id, id_value, text_value
from trueneg.data.tables import Dataset, LoadReport
from trueneg.data.tabular import RECORD_FORMATS, Records, read_records
from trueneg.data.textio import require_file
from trueneg.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

QUERY_NAMES = ("query", "anchor", "question")
POSITIVE_NAMES = ("positive", "pos", "document", "passage", "answer")
PAIRS_FORMATS = tuple(f for f in RECORD_FORMATS if f != ".txt")
MISSING = object()
ROW_FIX = (
    "Fix that row or choose other columns with --query-column / --positive-column "
    "(query_column / positive_column in Python)"
)

Row = tuple[int, Any, Any]


def load_pairs(
    path: str | Path,
    *,
    query_column: str | None = None,
    positive_column: str | None = None,
    corpus: str | Path | None = None,
) -> Dataset:
    """Load a pairs file (JSONL[.gz], JSON, CSV, TSV or Parquet).

    Each row gives a query and one positive or a list of positives. Columns default to the
    first known names (``query``/``anchor``/``question`` and ``positive``/``pos``/
    ``document``/``passage``/``answer``), else the first two columns. ``corpus`` adds extra
    documents (see :func:`add_corpus_file`).
    """
    path = require_file(path, "pairs file")
    records = read_records(path, PAIRS_FORMATS)
    q_col, p_col = pick_columns(records.columns, query_column, positive_column, str(path))
    rows = ((n, r.get(q_col, MISSING), r.get(p_col, MISSING)) for n, r in records.rows)
    builder = DatasetBuilder(LoadReport(source=str(path), kind="pairs"))
    skipped = add_pairs(builder, rows, records.where, (q_col, p_col))
    return finish(builder, skipped, corpus)


def pick_columns(
    columns: list[str], query_column: str | None, positive_column: str | None, source: str
) -> tuple[str, str]:
    """The (query, positive) column names, by explicit choice, known name, or position."""
    for given in (query_column, positive_column):
        if given is not None and given not in columns:
            raise DataError(
                f"Column {given!r} is not in {source}",
                received="columns " + ", ".join(columns),
                expected=f"a column named {given!r}",
                fix="Pass one of the columns found as --query-column / --positive-column "
                "(query_column / positive_column in Python)",
            )
    q_col = query_column or _known(columns, QUERY_NAMES)
    p_col = positive_column or _known(columns, POSITIVE_NAMES)
    rest = [c for c in columns if c not in (q_col, p_col)]
    if q_col is None:
        q_col = rest.pop(0) if rest else None
    if p_col is None:
        p_col = rest.pop(0) if rest else None
    if q_col is None or p_col is None:
        raise DataError(
            f"{source} needs a query column and a positive column",
            received="columns " + (", ".join(columns) or "none"),
            expected="two columns such as query, positive",
            fix="Add the missing column or pass --query-column / --positive-column "
            "(query_column / positive_column in Python)",
        )
    if q_col == p_col:
        raise ConfigError(
            "The query column and the positive column are the same",
            received=q_col,
            expected="two different columns",
            fix="Pass different --query-column and --positive-column",
        )
    logger.info("%s: query column %r, positive column %r", source, q_col, p_col)
    return q_col, p_col


def _known(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in reversed(columns)}
    return next((lowered[n] for n in names if n in lowered), None)


def add_pairs(
    builder: DatasetBuilder,
    rows: Iterable[Row],
    where: Callable[[int], str],
    columns: tuple[str, str],
) -> int:
    """Add ``(number, query, positive_or_list)`` rows; return how many rows were skipped."""
    skipped = 0
    for number, query, positive in rows:
        query_text = _text(query, columns[0], number, where)
        positives = [p for p in _positives(positive, columns[1], number, where) if p.strip()]
        if not query_text.strip() or not positives:
            skipped += 1
            continue
        query_id = content_id("q", query_text.strip())
        if query_id not in builder.query_texts:  # a repeated query row is not a duplicate
            builder.add_query(query_id, query_text)
        for text in positives:
            doc_id = content_id("d", text.strip())
            if not builder.has_doc(doc_id):
                builder.add_doc(doc_id, text)
            builder.add_qrel(query_id, doc_id, 1)
    return skipped


def _text(value: Any, column: str, number: int, where: Callable[[int], str]) -> str:
    """A string (None: empty); a number, list or object is an error naming the row."""
    if value is MISSING:
        raise _row_error(f"{where(number)} has no {column!r} field", column, number, where)
    return text_value(value, where(number), column, _expected(column), ROW_FIX)


def _positives(value: Any, column: str, number: int, where: Callable[[int], str]) -> list[str]:
    if isinstance(value, list | tuple):
        return [_text(v, column, number, where) for v in value]
    return [_text(value, column, number, where)]


def _row_error(what: str, column: str, number: int, where: Callable[[int], str]) -> DataError:
    return DataError(what, received=where(number), expected=_expected(column), fix=ROW_FIX)


def _expected(column: str) -> str:
    return f"a text (or for the positive, a list of texts) in column {column!r}"


def _doc_id(value: Any, column: str, number: int, where: Callable[[int], str]) -> str:
    if value is MISSING:
        raise _row_error(f"{where(number)} has no {column!r} field", column, number, where)
    return id_value(value, where(number), column)


def finish(builder: DatasetBuilder, skipped: int, corpus: str | Path | None) -> Dataset:
    """Add the optional extra corpus, build, and note skipped pair rows."""
    if corpus is not None:
        add_corpus_file(builder, Path(corpus))
    dataset = builder.build()
    if dataset.num_queries == 0:
        raise DataError(
            f"{builder.report.source} has no usable (query, positive) pair",
            received=f"{skipped} rows, all with an empty query or positive",
            expected="at least one row with a non-empty query and positive",
            fix="Check that the right columns were chosen (--query-column / --positive-column)",
        )
    if skipped:
        sentence = f"Skipped {skipped} pair rows with an empty query or no non-empty positive."
        dataset.report.warnings.insert(0, sentence)
        logger.warning("%s: %s", dataset.report.source, sentence)
    return dataset


def add_corpus_file(builder: DatasetBuilder, path: Path) -> None:
    """Add extra documents from a JSONL/JSON/CSV/TSV/Parquet/TXT file.

    Uses ``text`` (or the only column), optional ``title``, and ``_id``/``doc_id`` when
    present; otherwise ids are content hashes like the positives'.
    """
    path = require_file(path, "corpus file")
    records = read_records(path)
    id_col = next((c for c in ("_id", "doc_id") if c in records.columns), None)
    text_col = "text" if "text" in records.columns else None
    if text_col is None and len(records.columns) == 1:
        text_col = records.columns[0]
    if text_col is None:
        raise DataError(
            f"The corpus file {path} has no 'text' column",
            received="columns " + ", ".join(records.columns),
            expected="a 'text' column (optionally '_id' or 'doc_id', and 'title')",
            fix="Rename the text column to 'text'",
        )
    has_title = "title" in records.columns
    with builder.feeding():
        _add_corpus_rows(builder, records, id_col, text_col, has_title)


def _add_corpus_rows(
    builder: DatasetBuilder, records: Records, id_col: str | None, text_col: str, has_title: bool
) -> None:
    for number, record in records.rows:
        text = _text(record.get(text_col, MISSING), text_col, number, records.where)
        title = _text(record.get("title"), "title", number, records.where) if has_title else ""
        if id_col is None:
            key = f"{title.strip()}\n{text.strip()}" if title.strip() else text.strip()
            doc_id = content_id("d", key)
        else:
            doc_id = _doc_id(record.get(id_col, MISSING), id_col, number, records.where)
            if not doc_id.strip():
                raise _row_error(
                    f"{records.where(number)} has an empty {id_col!r}",
                    id_col,
                    number,
                    records.where,
                )
        builder.add_doc(doc_id, text, title, records.where(number))
