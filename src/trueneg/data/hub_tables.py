"""Rows of a resolved Hub dataset (:mod:`trueneg.data.hub`) into the canonical tables."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trueneg.data.beir import DOC_ID_NAMES, INT32, QUERY_ID_NAMES, SCORE_NAMES
from trueneg.data.hub import HubPart, HubSource, unreachable
from trueneg.data.normalize import DatasetBuilder, describe_value, id_value, text_value
from trueneg.data.pairs import MISSING, add_pairs, finish, pick_columns
from trueneg.data.tables import Dataset, LoadReport
from trueneg.errors import DataError

BATCH_ROWS = 1_000
ID_NAMES = ("_id", "id")


def load_hub(
    source: HubSource,
    *,
    query_column: str | None = None,
    positive_column: str | None = None,
    corpus: str | Path | None = None,
) -> Dataset:
    """The dataset ``source`` stands for; the column options and ``corpus`` apply to pairs."""
    if source.layout == "pairs":
        return _load_pairs(source, query_column, positive_column, corpus)
    builder = DatasetBuilder(LoadReport(source=source.name, kind="hub-beir"))
    docs, queries, qrels = source.parts
    streaming = source.options.streaming
    with builder.feeding():
        for number, row in iter_rows(docs, streaming):
            doc_id, text, where = _required(row, docs, number)
            title = text_value(row.get("title"), where, "title")
            builder.add_doc(doc_id, text, title, where)
    for number, row in iter_rows(queries, streaming):
        query_id, text, where = _required(row, queries, number)
        builder.add_query(query_id, text, where)
    if not _add_qrels(builder, qrels, streaming):
        raise DataError(
            f"The qrels of {source.name} are empty: {qrels.describe()}",
            received="0 rows",
            expected="query-id, corpus-id, score rows",
            fix="Pass another --split (or --hub-qrels)",
        )
    return builder.build()


def iter_rows(part: HubPart, streaming: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, row)`` of one part, read in batches from the ``datasets`` cache (or
    from the Hub as they arrive, when ``streaming``)."""
    try:
        table = _open(part, streaming)
        number = 0
        for batch in table.iter(batch_size=BATCH_ROWS):
            columns = list(batch)
            for values in zip(*(batch[c] for c in columns), strict=True):
                number += 1
                yield number, dict(zip(columns, values, strict=True))
    except ConnectionError as exc:
        raise unreachable(part.repo, exc) from None
    except (OSError, ValueError) as exc:
        raise DataError(
            f"Could not read {part.describe()}: {type(exc).__name__}: {exc}",
            received=part.describe(),
            fix="Check the network (or HF_HUB_OFFLINE and the datasets cache) and the files",
        ) from None


def _open(part: HubPart, streaming: bool) -> Any:
    if streaming:
        return part.builder.as_streaming_dataset(split=part.split)
    part.builder.download_and_prepare()
    return part.builder.as_dataset(split=part.split)


def _load_pairs(
    source: HubSource,
    query_column: str | None,
    positive_column: str | None,
    corpus: str | Path | None,
) -> Dataset:
    (part,) = source.parts
    rows = iter_rows(part, source.options.streaming)
    first = next(rows, None)
    if first is None:
        raise DataError(
            f"{part.describe()} has no rows",
            received="0 rows",
            expected="at least one (query, positive) row",
            fix="Pass another --split or --hub-config",
        )
    q_col, p_col = pick_columns(list(first[1]), query_column, positive_column, part.describe())
    pairs = (
        (n, r.get(q_col, MISSING), r.get(p_col, MISSING)) for n, r in itertools.chain([first], rows)
    )
    builder = DatasetBuilder(LoadReport(source=source.name, kind="hub-pairs"))
    skipped = add_pairs(builder, pairs, part.where, (q_col, p_col))
    return finish(builder, skipped, corpus)


def _required(row: dict[str, Any], part: HubPart, number: int) -> tuple[str, str, str]:
    """The id (``_id`` or ``id``) and text of a corpus or queries row, and where it is."""
    where = part.where(number)
    id_col = next((c for c in ID_NAMES if c in row), None)
    if id_col is None or "text" not in row:
        raise DataError(
            f"{where} has no {'id' if id_col is None else 'text'} column",
            received="columns " + ", ".join(row),
            expected="_id (or id) and text, and optionally title",
            fix=f"Check that {part.repo} config {part.config} holds the {part.role}",
        )
    return id_value(row[id_col], where, id_col), text_value(row["text"], where, "text"), where


def _add_qrels(builder: DatasetBuilder, part: HubPart, streaming: bool) -> int:
    """Add the qrels rows; return how many there were."""
    count, columns = 0, None
    for number, row in iter_rows(part, streaming):
        columns = columns or _qrels_columns(list(row), part)
        query, doc, score = (row[c] if c else 1 for c in columns)
        where = part.where(number)
        relevance = _relevance(score, where)
        builder.add_qrel(
            id_value(query, where, columns[0]), id_value(doc, where, columns[1]), relevance
        )
        count += 1
    return count


def _qrels_columns(names: list[str], part: HubPart) -> tuple[str, str, str | None]:
    """The query-id, corpus-id and (optional) score columns, by BEIR's usual names."""
    lowered = {n.lower(): n for n in names}
    found = [
        next((lowered[n] for n in sorted(group) if n in lowered), None)
        for group in (QUERY_ID_NAMES, DOC_ID_NAMES, SCORE_NAMES)
    ]
    if found[0] is None or found[1] is None:
        raise DataError(
            f"{part.describe()} does not look like qrels",
            received="columns " + ", ".join(names),
            expected="query-id, corpus-id and score columns",
            fix="Pass --hub-qrels / --hub-config naming the qrels",
        )
    return found[0], found[1], found[2]


def _relevance(value: Any, where: str) -> int:
    """An integer relevance from an int, a whole float or its text."""
    number: Any = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    ok = isinstance(number, int | float) and not isinstance(number, bool)
    whole = ok and math.isfinite(number) and float(number).is_integer()
    if whole and INT32[0] <= int(number) <= INT32[1]:
        return int(number)
    raise DataError(
        f"{where} has {describe_value(value)} {value!r} as its score",
        received=repr(value),
        expected="an integer relevance such as 0, 1 or 2",
        fix="Fix the qrels, or pass other qrels with --hub-qrels",
    )
