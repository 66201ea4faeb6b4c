"""Load a BEIR folder: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trueneg.data.jsonl import iter_jsonl
from trueneg.data.normalize import DatasetBuilder, id_value, text_value
from trueneg.data.tables import Dataset, LoadReport
from trueneg.data.textio import folder_listing, iter_lines, require_folder
from trueneg.errors import DataError

BEIR_LAYOUT = "corpus.jsonl[.gz], queries.jsonl[.gz] and qrels/<split>.tsv"
# Column names a qrels header may use (lower case), by column.
QUERY_ID_NAMES = frozenset(
    {"query-id", "query_id", "queryid", "qid", "query", "topic", "topic-id", "topic_id"}
)
DOC_ID_NAMES = frozenset(
    {
        "corpus-id",
        "corpus_id",
        "corpusid",
        "doc-id",
        "doc_id",
        "docid",
        "docno",
        "doc",
        "document-id",
        "document_id",
        "pid",
        "passage-id",
        "passage_id",
    }
)
SCORE_NAMES = frozenset({"score", "relevance", "rel", "label", "grade", "judgment", "judgement"})
INT32 = (-(2**31), 2**31 - 1)  # the qrels table's relevance column is int32


def is_beir_folder(folder: Path) -> bool:
    return any((folder / name).is_file() for name in ("corpus.jsonl", "corpus.jsonl.gz"))


def load_beir(folder: str | Path, split: str = "train") -> Dataset:
    """Load a BEIR-format folder; keep the queries that have qrels in ``split``.

    Ids stay exactly as written (JSON numbers become strings). Exact duplicate documents
    collapse to the first id (see ``Dataset.doc_aliases``); qrels pointing at unknown ids are
    dropped and counted in the report.
    """
    folder = require_folder(folder, "BEIR folder")
    corpus_path = find_member(folder, "corpus")
    queries_path = find_member(folder, "queries")
    qrels_path = find_split(folder, split)
    builder = DatasetBuilder(LoadReport(source=str(folder), kind="beir"))
    with builder.feeding():
        for number, record in iter_jsonl(corpus_path):
            doc_id, text = _required(record, corpus_path, number)
            where = f"{corpus_path.name} line {number}"
            builder.add_doc(doc_id, text, text_value(record.get("title"), where, "title"), where)
    for number, record in iter_jsonl(queries_path):
        query_id, text = _required(record, queries_path, number)
        builder.add_query(query_id, text, f"{queries_path.name} line {number}")
    rows = 0
    for query_id, doc_id, relevance in iter_qrels(qrels_path):
        builder.add_qrel(query_id, doc_id, relevance)
        rows += 1
    if rows == 0:
        raise DataError(
            f"The qrels file {qrels_path} has no rows",
            received="an empty file or only a header",
            expected="query-id<TAB>corpus-id<TAB>score rows",
            fix="Check that the file was written completely",
        )
    return builder.build()


def find_member(folder: Path, stem: str) -> Path:
    """``<stem>.jsonl`` or ``<stem>.jsonl.gz`` inside ``folder``."""
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(
        f"The BEIR folder {folder} has no {stem}.jsonl or {stem}.jsonl.gz",
        received=folder_listing(folder),
        expected=BEIR_LAYOUT,
        fix=f"Add {stem}.jsonl or point to the folder that holds it",
    )


def find_split(folder: Path, split: str) -> Path:
    """``qrels/<split>.tsv`` (or ``.tsv.gz``); the error lists the splits that exist."""
    qrels = folder / "qrels"
    if not qrels.is_dir():
        raise DataError(
            f"The BEIR folder {folder} has no qrels/ folder",
            received=folder_listing(folder),
            expected=BEIR_LAYOUT,
            fix="Add qrels/<split>.tsv with columns query-id, corpus-id, score",
        )
    for name in (f"{split}.tsv", f"{split}.tsv.gz"):
        if (qrels / name).is_file():
            return qrels / name
    found = available_splits(qrels)
    fix = "Choose one of the splits found" if found else "Add qrels/<split>.tsv"
    if (folder / "README.md").is_file():  # a Hub repository's copy (mteb: qrels/<split>.jsonl)
        fix += f"; a local copy of a Hub dataset repository reads as hub:{folder}"
    raise DataError(
        f"The BEIR folder {folder} has no qrels for split {split!r}",
        received="splits " + (", ".join(found) if found else "none") + " in qrels/",
        expected=f"qrels/{split}.tsv",
        fix=fix,
    )


def available_splits(qrels: Path) -> list[str]:
    names = (p.name for p in qrels.iterdir() if p.is_file())
    return sorted(n.removesuffix(".gz").removesuffix(".tsv") for n in names if ".tsv" in n)


def _required(record: dict[str, Any], path: Path, number: int) -> tuple[str, str]:
    missing = [key for key in ("_id", "text") if key not in record]
    if missing:
        raise DataError(
            f"{path.name} line {number} has no {' or '.join(repr(k) for k in missing)} field",
            received="fields " + ", ".join(record) if record else "an empty object",
            expected='"_id" and "text" (and optionally "title") on every line',
            fix=f"Fix line {number} of {path}",
        )
    where = f"{path.name} line {number}"
    return id_value(record["_id"], where, "_id"), text_value(record["text"], where, "text")


def iter_qrels(path: Path) -> Iterator[tuple[str, str, int]]:
    """Yield ``(query_id, doc_id, relevance)`` from a BEIR qrels TSV.

    The ``query-id  corpus-id  score`` header is optional and recognised by its column names
    (see :func:`is_header`); TREC's four-column form (``qid 0 docid rel``) is accepted too.
    """
    first = True
    for number, line in iter_lines(path):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        if first:
            first = False
            if is_header(parts):
                continue
        if len(parts) == 4:
            parts = [parts[0], parts[2], parts[3]]
        if len(parts) != 3:
            raise DataError(
                f"{path.name} line {number} has {len(parts)} fields",
                received=line[:120],
                expected="query-id<TAB>corpus-id<TAB>score",
                fix=f"Fix line {number} of {path}",
            )
        yield parts[0].strip(), parts[1].strip(), _relevance(parts[2], path, number)


def is_header(parts: list[str]) -> bool:
    """Whether a first line names the columns (``query-id  corpus-id  score`` or a usual variant
    such as ``qid  docid  relevance``): its score field is not a number, and at least two of
    the query, document and score fields are known names. Any other line is data, so a first
    row with a bad score fails with its line number instead of vanishing as a header."""
    if len(parts) not in (3, 4) or _number(parts[-1]) is not None:
        return False
    names = [p.strip().lstrip("#").strip().lower() for p in parts]
    known = (names[0] in QUERY_ID_NAMES, names[-2] in DOC_ID_NAMES, names[-1] in SCORE_NAMES)
    return sum(known) >= 2


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _relevance(value: str, path: Path, number: int) -> int:
    value = value.strip()
    try:
        relevance: int | None = int(value)
    except ValueError:
        as_float = _number(value)
        whole = as_float is not None and math.isfinite(as_float) and as_float.is_integer()
        relevance = int(as_float) if whole else None
    if relevance is not None and INT32[0] <= relevance <= INT32[1]:
        return relevance
    problem = "a non-integer score" if relevance is None else "a score out of range"
    header = (
        "; if line 1 is a header, name its columns query-id, corpus-id, score"
        if number == 1
        else ""
    )
    raise DataError(
        f"{path.name} line {number} has {problem} {value!r}",
        received=value,
        expected="an integer relevance such as 0, 1 or 2",
        fix=f"Fix line {number} of {path}{header}",
    )
