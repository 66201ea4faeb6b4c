"""The loaded dataset with the positional views every later stage uses."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from trueneg.data.spool import positions_of
from trueneg.data.tables import Dataset, DocumentIds
from trueneg.errors import DataError

logger = logging.getLogger(__name__)


@dataclass
class Prepared:
    """The dataset restricted to queries with a labeled positive, and positions for its ids.

    ``positives[i]`` holds the corpus positions of query ``query_ids[i]``'s labeled positives
    (shared between queries of identical text); ``doc_ids`` reads the id at a corpus position
    from the corpus table (no list of every id); ``fingerprint`` is the load stage's.
    """

    dataset: Dataset
    fingerprint: str
    positives: list[np.ndarray]
    query_ids: list[str]
    doc_ids: DocumentIds


def prepare(dataset: Dataset, fingerprint: str) -> Prepared:
    """Restrict to queries with at least one positive and map ids to positions."""
    positives = dataset.positives()
    at = positions_of(dataset.corpus, positives["doc_id"])  # an Arrow hash table, not a dict
    by_query: dict[str, list[int]] = {}
    for q, p in zip(positives["query_id"].to_pylist(), at.tolist(), strict=True):
        if p >= 0:
            by_query.setdefault(q, []).append(p)
    all_ids = dataset.queries["query_id"].to_pylist()
    keep = [i for i, q in enumerate(all_ids) if q in by_query]
    if not keep:
        raise DataError(
            "No query has a labeled positive in this split",
            received=f"{len(all_ids)} queries, {positives.num_rows} positive qrels",
            fix="Check --split and that qrels scores are > 0",
        )
    queries = dataset.queries.take(pa.array(keep, type=pa.int64()))
    dataset = Dataset(
        queries,
        dataset.corpus,
        dataset.qrels,
        report=dataset.report,
        doc_aliases=dataset.doc_aliases,
    )
    query_ids = queries["query_id"].to_pylist()
    pos_lists = [np.unique(np.asarray(by_query[q], dtype=np.int64)) for q in query_ids]
    _share_positives_of_same_text(queries["text"].to_pylist(), pos_lists)
    return Prepared(dataset, fingerprint, pos_lists, query_ids, DocumentIds(dataset.corpus))


def _share_positives_of_same_text(texts: list[str], pos_lists: list[np.ndarray]) -> None:
    """Queries with identical text are one question: each one's positives are masked for all,
    so a positive of one is never mined as a negative of its twin."""
    groups: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        groups.setdefault(" ".join(text.split()), []).append(i)
    shared = [g for g in groups.values() if len(g) > 1]
    for group in shared:
        union = np.unique(np.concatenate([pos_lists[i] for i in group]))
        for i in group:
            pos_lists[i] = union
    if shared:
        logger.info(
            "load: %d groups of queries share a text; their positives are masked for each other",
            len(shared),
        )
