"""What every retriever takes and returns.

Retrievers work on integer positions (query ``i`` = row ``i`` of the queries table, doc ``j`` =
row ``j`` of the corpus table); the pipeline turns positions back into ids once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np

from trueneg.registry import Registry


@dataclass
class SearchInput:
    """Everything a retriever may need. Dense retrievers read the embeddings, BM25 the texts.

    Attributes:
        query_texts: one text per query position.
        doc_texts: one text per corpus position.
        positives: per query, the corpus positions of its labeled positives. They are never
            returned as candidates, and their scores give ``Candidates.positive_min``.
        query_embeddings: ``(n_queries, dim)`` L2-normalised, may be a memory map.
        doc_embeddings: ``(n_docs, dim)`` L2-normalised, may be a memory map.
    """

    query_texts: list[str]
    doc_texts: list[str]
    positives: list[np.ndarray]
    query_embeddings: np.ndarray | None = None
    doc_embeddings: np.ndarray | None = None

    @property
    def num_queries(self) -> int:
        return len(self.positives)

    @property
    def num_docs(self) -> int:
        return len(self.doc_texts)


@dataclass
class Candidates:
    """Top candidates of every query, flat and grouped by query.

    Rows ``offsets[q]:offsets[q + 1]`` belong to query ``q`` and are sorted by descending
    ``score`` (ties by ascending doc position). ``rank`` is 1-based among the query's
    non-positive documents.

    Attributes:
        positive_min: per query, the lowest score among its labeled positives on the same
            scale as ``score`` (NaN where unknown).
        positive_rank: per query, 1 + the number of non-positive documents scoring above its
            best positive (0 where unknown). A value above the search depth means the
            positive is not in its own top-k.
        columns: extra per-row arrays, e.g. ``score_dense`` and ``score_bm25`` for hybrid.
    """

    offsets: np.ndarray
    doc_index: np.ndarray
    score: np.ndarray
    rank: np.ndarray
    positive_min: np.ndarray
    positive_rank: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def num_rows(self) -> int:
        return int(self.doc_index.shape[0])

    def query_index(self) -> np.ndarray:
        """Query position of every row."""
        counts = np.diff(self.offsets)
        return np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)


class Retriever(Protocol):
    """A candidate generator. Implementations are small dataclasses registered by name."""

    name: ClassVar[str]
    needs_embeddings: ClassVar[bool]
    # True when candidate scores are the query-document cosines that the labeled positives'
    # scores are computed as (exact and FAISS search); False for BM25 and fused ranks
    cosine_scores: ClassVar[bool]

    def search(self, inputs: SearchInput, depth: int, show_progress: bool = False) -> Candidates:
        """Return up to ``depth`` non-positive candidates per query."""
        ...


RETRIEVERS: Registry[Retriever] = Registry("retriever")
