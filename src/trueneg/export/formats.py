"""The built-in export formats: four sentence-transformers layouts, FlagEmbedding, Tevatron.

sentence-transformers layouts copy ``mine_hard_negatives`` (v6): columns ``anchor``,
``positive`` and ``negative``/``negative_1..n``; with scores, a trailing ``scores`` list
(triplet, n-tuple) or ``score``/``scores`` in place of ``label``/``labels`` (labeled-pair,
labeled-list). Labels are floats (1.0/0.0), which every sentence-transformers loss accepts.
A run mined with ``--negative-weights`` adds each negative's weight: ``weight`` (triplet),
``weights`` (n-tuple, one per negative column), ``neg_weights`` (FlagEmbedding) and a
``weight`` per negative passage (Tevatron).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from trueneg.export.base import (
    EXPORT_FORMATS,
    ExportFormat,
    cross,
    floats,
    items,
    lists,
    merged,
    per_positive,
    seg_docs,
    seg_offsets,
    seg_scores,
)
from trueneg.export.gather import ExportData, Segments


def _score_lists(columns: list[np.ndarray]) -> pa.Array:
    """One list per row made of the given per-row score columns, in order."""
    width = len(columns)
    rows = columns[0].shape[0]
    offsets = np.arange(0, rows * width + 1, width, dtype=np.int32)
    return lists(offsets, floats(np.column_stack(columns).ravel()))


@EXPORT_FORMATS.register("triplet")
class Triplet(ExportFormat):
    """sentence-transformers (anchor, positive, negative): one row per positive × negative."""

    scores_loss = "MarginMSELoss"

    def build(self, data: ExportData, include_scores: bool) -> pa.Table:
        q, p, n = cross(data.pos, data.neg)
        columns = {
            "anchor": data.query_text.take(q),
            "positive": data.doc_text.take(data.pos.doc[p]),
            "negative": data.doc_text.take(data.neg.doc[n]),
        }
        if include_scores:
            columns["scores"] = _score_lists([data.pos.score[p], data.neg.score[n]])
        if data.neg.weight is not None:
            columns["weight"] = floats(data.neg.weight[n])
        return pa.table(columns)


@EXPORT_FORMATS.register("n-tuple")
class NTuple(ExportFormat):
    """sentence-transformers (anchor, positive, negative_1..k), one row per positive.

    ``k`` is the largest number of kept negatives of any query; queries with fewer are left
    out (as sentence-transformers does) and counted as ``queries_short_of_k``.
    """

    scores_loss = "DistillKLDivLoss"

    def build(self, data: ExportData, include_scores: bool) -> pa.Table:
        k = int(data.neg.count.max()) if data.num_queries else 0
        full = np.flatnonzero(data.neg.count == k)
        data.leave_out("queries_short_of_k", data.num_queries - int(full.shape[0]))
        data.details["negatives_per_row"] = k
        q, p = per_positive(data.pos, full)
        first = data.neg.start[q]
        columns = {
            "anchor": data.query_text.take(q),
            "positive": data.doc_text.take(data.pos.doc[p]),
        }
        for j in range(k):
            columns[f"negative_{j + 1}"] = data.doc_text.take(data.neg.doc[first + j])
        if include_scores:
            negs = [data.neg.score[first + j] for j in range(k)]
            columns["scores"] = _score_lists([data.pos.score[p], *negs])
        if data.neg.weight is not None and k:
            columns["weights"] = _score_lists([data.neg.weight[first + j] for j in range(k)])
        return pa.table(columns)


@EXPORT_FORMATS.register("labeled-pair")
class LabeledPair(ExportFormat):
    """sentence-transformers (anchor, positive, label): positives 1.0, then negatives 0.0.

    The ``positive`` column holds any document, as in sentence-transformers. With scores, a
    ``score`` column replaces ``label``.
    """

    model_class, loss, scores_loss = "CrossEncoder", "BinaryCrossEntropyLoss", "MSELoss"

    def build(self, data: ExportData, include_scores: bool) -> pa.Table:
        offsets, doc, score, is_pos = merged(data)
        q = np.repeat(np.arange(data.num_queries), np.diff(offsets))
        columns = {"anchor": data.query_text.take(q), "positive": data.doc_text.take(doc)}
        if include_scores:
            columns["score"] = floats(score)
        else:
            columns["label"] = floats(is_pos)
        return pa.table(columns)


@EXPORT_FORMATS.register("labeled-list")
class LabeledList(ExportFormat):
    """sentence-transformers (anchor, [positives + negatives], [labels]): one row per query.

    All of a query's positives come first (label 1.0), then its negatives (0.0). With
    scores, a ``scores`` list replaces ``labels``.
    """

    model_class, loss, scores_loss = "CrossEncoder", "LambdaLoss", "ListNetLoss"

    def build(self, data: ExportData, include_scores: bool) -> pa.Table:
        offsets, doc, score, is_pos = merged(data)
        columns = {
            "anchor": data.query_text,
            "positive": lists(offsets, data.doc_text.take(doc)),
        }
        if include_scores:
            columns["scores"] = lists(offsets, floats(score))
        else:
            columns["labels"] = lists(offsets, floats(is_pos))
        return pa.table(columns)


def _texts(data: ExportData, seg: Segments) -> pa.Array:
    return lists(seg_offsets(seg), data.doc_text.take(seg_docs(seg)))


def _scores(seg: Segments) -> pa.Array:
    return lists(seg_offsets(seg), floats(seg_scores(seg)))


def _weights(seg: Segments, weight: np.ndarray) -> pa.Array:
    return lists(seg_offsets(seg), floats(weight[items(seg)]))


@EXPORT_FORMATS.register("flagembedding")
class FlagEmbedding(ExportFormat):
    """FlagEmbedding JSONL {query, pos: [..], neg: [..]} (+ pos_scores, neg_scores) per query."""

    trainer, model_class, loss = "FlagEmbedding", None, None

    def build(self, data: ExportData, include_scores: bool) -> pa.Table:
        columns = {
            "query": data.query_text,
            "pos": _texts(data, data.pos),
            "neg": _texts(data, data.neg),
        }
        if include_scores:
            columns["pos_scores"] = _scores(data.pos)
            columns["neg_scores"] = _scores(data.neg)
        if data.neg.weight is not None:
            columns["neg_weights"] = _weights(data.neg, data.neg.weight)
        return pa.table(columns)


def _passages(data: ExportData, seg: Segments, include_scores: bool) -> pa.Array:
    docs = seg_docs(seg)
    fields = [data.doc_ids.take(docs), data.doc_title.take(docs), data.doc_body.take(docs)]
    names = ["docid", "title", "text"]
    if include_scores:
        fields.append(floats(seg_scores(seg)))
        names.append("score")
    if seg.weight is not None:
        fields.append(floats(seg.weight[items(seg)]))
        names.append("weight")
    return lists(seg_offsets(seg), pa.StructArray.from_arrays(fields, names=names))


@EXPORT_FORMATS.register("tevatron")
class Tevatron(ExportFormat):
    """Tevatron JSONL {query_id, query, positive_passages, negative_passages}: one per query.

    Passages are ``{docid, title, text}`` (title and text kept apart); with scores each also
    carries a ``score``.
    """

    trainer, model_class, loss = "Tevatron", None, None

    def build(self, data: ExportData, include_scores: bool) -> pa.Table:
        return pa.table(
            {
                "query_id": data.query_ids,
                "query": data.query_text,
                "positive_passages": _passages(data, data.pos, include_scores),
                "negative_passages": _passages(data, data.neg, include_scores),
            }
        )
