"""``build_export``: a run's kept negatives as a training table in a registered format."""

from __future__ import annotations

import logging

import pyarrow as pa

from trueneg.data.tables import Dataset
from trueneg.export import formats as _formats  # noqa: F401  (registers the formats)
from trueneg.export.base import EXPORT_FORMATS
from trueneg.export.gather import gather
from trueneg.export.notes import left_out_note

logger = logging.getLogger(__name__)


def build_export(
    negatives: pa.Table,
    dataset: Dataset,
    fmt: str,
    *,
    include_scores: bool = False,
    score_column: str = "score",
    positive_scores: pa.Table | None = None,
    queries: pa.Array | pa.ChunkedArray | None = None,
) -> pa.Table:
    """The kept rows of ``negatives`` as a training table in format ``fmt``.

    Only queries with at least one labeled positive and one kept negative are exported, and
    only those in ``queries`` when it is given (``Run.training_queries``); the schema metadata
    (see :func:`export_notes`) counts the queries written and, per reason, those left out. With
    ``include_scores``, negative scores come from ``score_column`` and positive scores from
    ``positive_scores`` (``query_id, doc_id, <score_column>``) or 1.0 where unknown.
    """
    exporter = EXPORT_FORMATS.resolve(fmt)
    data = gather(
        negatives,
        dataset,
        score_column=score_column if include_scores else None,
        positive_scores=positive_scores,
        queries=queries,
    )
    table = exporter.build(data, include_scores)
    notes = {
        "format": exporter.name,
        "queries_total": data.total,
        "queries_written": data.written,
        **data.skipped,
        **data.details,
    }
    note = left_out_note(notes)
    if note:
        logger.debug("export %s: %s", exporter.name, note)  # export_notes(table) has it too
    meta = {f"trueneg.{k}".encode(): str(v).encode() for k, v in notes.items()}
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})


def export_notes(table: pa.Table) -> dict[str, str | int]:
    """What :func:`build_export` recorded: ``format``, ``queries_total`` (in the dataset),
    ``queries_written``, and per reason the queries left out (``queries_without_positives``,
    ``queries_without_kept_negatives``, ``queries_not_for_training``, ``queries_short_of_k``);
    n-tuple adds ``negatives_per_row``. :func:`~trueneg.export.notes.left_out_note` words them."""
    notes: dict[str, str | int] = {}
    for key, value in (table.schema.metadata or {}).items():
        if key.startswith(b"trueneg."):
            text = value.decode()
            notes[key.decode().removeprefix("trueneg.")] = int(text) if text.isdigit() else text
    return notes
