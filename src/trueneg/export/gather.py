"""Everything an export format needs, gathered once: texts, kept negatives and positives.

Queries are exported in the dataset's query order, negatives in rank order, positives in
qrels order. A query is exported only if it has at least one labeled positive and at least
one kept negative, and, when a set of training queries is given, is in it; every other query
of the dataset is counted in :attr:`ExportData.skipped` under exactly one reason (in this
order: no labeled positive, no kept negative, not a training query). A format may leave out
more (:meth:`ExportData.leave_out`).

Candidates the run relabeled (reason ``relabel``, :mod:`trueneg.select.relabel`) are exported
as positives after the query's labeled ones, in rank order, with their own score; a query
whose only positives are relabeled ones is exported too. A run mined with
``--negative-weights`` gives each kept negative its ``weight``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trueneg.data.spool import positions_of
from trueneg.data.tables import Dataset, document_texts, take_rows
from trueneg.errors import DataError
from trueneg.select.relabel import RELABEL
from trueneg.select.weights import WEIGHT_COLUMN

logger = logging.getLogger(__name__)

NEGATIVE_COLUMNS = ("query_id", "doc_id", "rank", "kept")


@dataclass
class Segments:
    """Rows of one kind (positives or negatives), grouped by exported query."""

    doc: np.ndarray  # corpus row per item
    score: np.ndarray  # float64 per item
    start: np.ndarray  # per exported query
    count: np.ndarray  # per exported query
    weight: np.ndarray | None = None  # float64 per item, for negatives of a weighted run


@dataclass
class ExportData:
    """Texts and per-query positives/negatives of the queries being exported."""

    query_ids: pa.Array  # per exported query
    query_text: pa.Array  # per exported query
    doc_ids: pa.Array  # per exported document (``Segments.doc`` indexes these arrays)
    doc_text: pa.Array  # per exported document: title + " " + text
    doc_title: pa.Array
    doc_body: pa.Array
    pos: Segments
    neg: Segments
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> queries left out
    total: int = 0  # queries in the dataset
    details: dict[str, int] = field(default_factory=dict)  # a format's own facts (k)
    left_by_format: int = 0

    @property
    def num_queries(self) -> int:
        """Queries gathered for the format (before it leaves any out)."""
        return len(self.query_ids)

    @property
    def written(self) -> int:
        """Queries the format writes."""
        return self.num_queries - self.left_by_format

    def leave_out(self, reason: str, count: int) -> None:
        """The format leaves ``count`` gathered queries out of its file, for ``reason``."""
        self.skipped[reason] = self.skipped.get(reason, 0) + count
        self.left_by_format += count


def gather(
    negatives: pa.Table,
    dataset: Dataset,
    *,
    score_column: str | None,
    positive_scores: pa.Table | None = None,
    queries: pa.Array | pa.ChunkedArray | None = None,
) -> ExportData:
    """Collect the kept negatives and the positives (scores only if a column is named) of the
    exported queries (all, or those in ``queries``)."""
    needed = [*NEGATIVE_COLUMNS, *([score_column] if score_column else [])]
    missing = [c for c in needed if c not in negatives.column_names]
    if missing:
        raise DataError(
            "The negatives table lacks columns the export needs",
            received=negatives.column_names,
            expected=needed,
            fix="Pass a run's negatives.parquet, or --score-column naming an existing column",
        )
    kept = negatives.filter(pc.fill_null(negatives["kept"], False))
    query_ids, corpus = dataset.queries["query_id"], dataset.corpus
    neg_q, neg_d, neg_score, neg_weight = _ranked(kept, query_ids, corpus, score_column)

    pos = dataset.positives()
    pos_q = _positions(pos["query_id"], query_ids, "query")
    pos_d = _doc_positions(pos["doc_id"], corpus)
    pos_score = _positive_scores(pos, positive_scores, score_column)
    relabeled = _relabeled(negatives)
    extra_q, extra_d, extra_score, _ = _ranked(relabeled, query_ids, corpus, score_column)
    pos_q, pos_d = np.concatenate([pos_q, extra_q]), np.concatenate([pos_d, extra_d])
    pos_score = np.concatenate([pos_score, extra_score])
    order = np.argsort(pos_q, kind="stable")
    pos_q, pos_d, pos_score = pos_q[order], pos_d[order], pos_score[order]

    n = dataset.num_queries
    has_pos = np.bincount(pos_q, minlength=n) > 0
    has_neg = np.bincount(neg_q, minlength=n) > 0
    chosen = _chosen(queries, query_ids, n)
    exported = np.flatnonzero(has_pos & has_neg & chosen)
    skipped = {
        "queries_without_kept_negatives": int(np.count_nonzero(has_pos & ~has_neg)),
        "queries_without_positives": int(np.count_nonzero(~has_pos)),
    }
    if queries is not None:
        skipped["queries_not_for_training"] = int(np.count_nonzero(has_pos & has_neg & ~chosen))
    pos_seg = _segments(pos_q, pos_d, pos_score, exported)
    neg_seg = _segments(neg_q, neg_d, neg_score, exported, neg_weight)
    used = np.unique(np.concatenate([pos_seg.doc, neg_seg.doc]))
    docs = take_rows(corpus, used)  # only these texts are read
    return ExportData(
        query_ids=_chunk(query_ids).take(exported),
        query_text=_chunk(dataset.queries["text"]).take(exported),
        doc_ids=_chunk(docs["doc_id"]),
        doc_text=pa.array(document_texts(docs), type=pa.string()),
        doc_title=_chunk(docs["title"]),
        doc_body=_chunk(docs["text"]),
        pos=replace(pos_seg, doc=np.searchsorted(used, pos_seg.doc)),
        neg=replace(neg_seg, doc=np.searchsorted(used, neg_seg.doc)),
        skipped=skipped,
        total=n,
        details=(
            {"relabeled_positives": int(np.count_nonzero(np.isin(extra_q, exported)))}
            if relabeled.num_rows
            else {}
        ),
    )


def _ranked(
    rows: pa.Table, query_ids: pa.ChunkedArray, corpus: pa.Table, column: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Query and corpus positions, scores and weights (None without the column) of candidate
    rows, in query order then rank order."""
    q = _positions(rows["query_id"], query_ids, "query")
    d = _doc_positions(rows["doc_id"], corpus)
    order = np.lexsort((rows["rank"].to_numpy(zero_copy_only=False), q))
    weight = _scores(rows, WEIGHT_COLUMN)[order] if WEIGHT_COLUMN in rows.column_names else None
    return q[order], d[order], _scores(rows, column)[order], weight


def _relabeled(negatives: pa.Table) -> pa.Table:
    """The candidates relabeled as positives (none in a table without reasons)."""
    if "reason" not in negatives.column_names:
        return negatives.slice(0, 0)
    return negatives.filter(pc.fill_null(pc.equal(negatives["reason"], RELABEL), False))


def _chosen(queries: pa.Array | pa.ChunkedArray | None, ids: pa.ChunkedArray, n: int) -> np.ndarray:
    """Per dataset query: whether it is among ``queries`` (every query when None)."""
    if queries is None:
        return np.ones(n, dtype=bool)
    if isinstance(queries, pa.ChunkedArray):
        queries = queries.combine_chunks()
    return pc.is_in(_chunk(ids), value_set=queries).to_numpy(zero_copy_only=False)


def _chunk(column: pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks()


def _positions(values: pa.ChunkedArray, ids: pa.ChunkedArray, what: str) -> np.ndarray:
    index = pc.index_in(values, value_set=_chunk(ids))
    if index.null_count:
        raise _unknown(what, pc.filter(values, pc.is_null(index)))
    return index.to_numpy(zero_copy_only=False).astype(np.int64)


def _doc_positions(values: pa.ChunkedArray, corpus: pa.Table) -> np.ndarray:
    """Corpus positions of ``values`` (the corpus's ids scanned a chunk at a time)."""
    at = positions_of(corpus, values)
    if (at < 0).any():
        raise _unknown("document", pc.filter(values, pa.array(at < 0)))
    return at


def _unknown(what: str, values: pa.ChunkedArray | pa.Array) -> DataError:
    return DataError(
        f"The negatives or qrels name a {what} id the dataset does not have",
        received=values.unique().to_pylist()[:5],
        fix="Export with the dataset the run was mined from",
    )


def _scores(table: pa.Table, column: str | None) -> np.ndarray:
    if column is None:
        return np.ones(table.num_rows, dtype=np.float64)
    return pc.cast(table[column], pa.float64()).to_numpy(zero_copy_only=False)


def _positive_scores(pos: pa.Table, scores: pa.Table | None, column: str | None) -> np.ndarray:
    """Each positive's score from ``scores`` (query_id, doc_id, column); 1.0 where unknown."""
    out = np.ones(pos.num_rows, dtype=np.float64)
    if column is None:
        return out
    if scores is None or column not in scores.column_names:
        logger.info("export: no positive scores for %r; positives get 1.0", column)
        return out
    lookup = dict(
        zip(
            zip(scores["query_id"].to_pylist(), scores["doc_id"].to_pylist(), strict=True),
            _scores(scores, column).tolist(),
            strict=True,
        )
    )
    pairs = zip(pos["query_id"].to_pylist(), pos["doc_id"].to_pylist(), strict=True)
    found = [lookup.get(pair) for pair in pairs]
    if any(v is None for v in found):
        logger.info(
            "export: %d positives have no %r score; they get 1.0", found.count(None), column
        )
    return np.array([1.0 if v is None else v for v in found], dtype=np.float64)


def _segments(
    q: np.ndarray,
    doc: np.ndarray,
    score: np.ndarray,
    exported: np.ndarray,
    weight: np.ndarray | None = None,
) -> Segments:
    keep = np.isin(q, exported)
    q, doc, score = q[keep], doc[keep], score[keep]
    start = np.searchsorted(q, exported, side="left")
    count = np.searchsorted(q, exported, side="right") - start
    return Segments(
        doc=doc,
        score=score,
        start=start.astype(np.int64),
        count=count,
        weight=None if weight is None else weight[keep],
    )
