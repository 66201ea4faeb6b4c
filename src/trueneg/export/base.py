"""The interface of export formats, their registry, and shared vectorised helpers.

Each format is a small class registered in :data:`EXPORT_FORMATS` with one method,
``build(data, include_scores) -> pa.Table``. Column names and order follow what each trainer
reads (sentence-transformers matches training data by column order).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa

from trueneg.export.gather import ExportData, Segments
from trueneg.registry import Registry


class ExportFormat:
    """Turns gathered positives and kept negatives into one training table.

    The class attributes say who trains on the table, for the dataset card's loading snippet:
    ``trainer`` (the library), and for sentence-transformers layouts the ``model_class`` and
    the ``loss`` that read it (``scores_loss`` with teacher scores).
    """

    name: ClassVar[str]
    trainer: ClassVar[str] = "sentence-transformers"
    model_class: ClassVar[str | None] = "SentenceTransformer"
    loss: ClassVar[str | None] = "MultipleNegativesRankingLoss"
    scores_loss: ClassVar[str | None] = None

    def build(self, data: ExportData, include_scores: bool) -> pa.Table:
        """The training table; counts queries it leaves out in ``data.skipped``."""
        raise NotImplementedError


EXPORT_FORMATS: Registry[ExportFormat] = Registry("export format")


def cross(p: Segments, n: Segments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query, positive item, negative item) for every positive × negative of each query."""
    per = p.count * n.count
    q = np.repeat(np.arange(per.shape[0]), per)
    within = np.arange(q.shape[0]) - np.repeat(np.cumsum(per) - per, per)
    return q, p.start[q] + within // n.count[q], n.start[q] + within % n.count[q]


def per_positive(p: Segments, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(query, positive item) for every positive of ``queries``."""
    q = np.repeat(queries, p.count[queries])
    within = np.arange(q.shape[0]) - np.repeat(
        np.cumsum(p.count[queries]) - p.count[queries], p.count[queries]
    )
    return q, p.start[q] + within


def items(seg: Segments) -> np.ndarray:
    """Item positions of ``seg`` in exported-query order (flattened segments)."""
    q = np.repeat(np.arange(seg.count.shape[0]), seg.count)
    within = np.arange(q.shape[0]) - np.repeat(np.cumsum(seg.count) - seg.count, seg.count)
    return seg.start[q] + within


def merged(data: ExportData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per query its positives then its negatives: (offsets, doc, score, is_positive)."""
    p_items, n_items = items(data.pos), items(data.neg)
    q = np.concatenate(
        [
            np.repeat(np.arange(data.num_queries), data.pos.count),
            np.repeat(np.arange(data.num_queries), data.neg.count),
        ]
    )
    is_pos = np.concatenate([np.ones(p_items.shape[0], bool), np.zeros(n_items.shape[0], bool)])
    order = np.lexsort((~is_pos, q))  # stable: keeps qrels / rank order inside each part
    doc = np.concatenate([data.pos.doc[p_items], data.neg.doc[n_items]])[order]
    score = np.concatenate([data.pos.score[p_items], data.neg.score[n_items]])[order]
    offsets = np.concatenate([[0], np.cumsum(data.pos.count + data.neg.count)])
    return offsets.astype(np.int32), doc, score, is_pos[order]


def lists(offsets: np.ndarray, values: pa.Array) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)


def floats(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.float64), type=pa.float64())


def seg_offsets(seg: Segments) -> np.ndarray:
    """List offsets with one list per exported query."""
    return np.concatenate([[0], np.cumsum(seg.count)]).astype(np.int32)


def seg_docs(seg: Segments) -> np.ndarray:
    """Corpus rows of ``seg`` in exported-query order."""
    return seg.doc[items(seg)]


def seg_scores(seg: Segments) -> np.ndarray:
    return seg.score[items(seg)]
