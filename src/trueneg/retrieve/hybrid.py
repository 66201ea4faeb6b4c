"""Reciprocal-rank fusion of exact dense search and BM25."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from trueneg.errors import ConfigError
from trueneg.retrieve.base import RETRIEVERS, Candidates, SearchInput
from trueneg.retrieve.bm25 import BM25Retriever
from trueneg.retrieve.exact import ExactRetriever
from trueneg.retrieve.topk import check_search_input, make_candidates


@RETRIEVERS.register("hybrid")
@dataclass(frozen=True)
class HybridRetriever:
    """Dense + BM25 fused by reciprocal rank: ``score = Σ 1 / (k + rank)`` over both lists.

    Each list is retrieved to ``depth * depth_factor``. Rows carry ``score_dense`` (exact
    cosine, for every row) and ``score_bm25`` (NaN where BM25 did not return the doc).
    ``positive_min`` is the lowest fused score a positive would get, ranking it in each list by
    how many candidates score above it; ``positive_rank`` comes from the dense side.
    ``hybrid:30`` on the command line sets ``k``; ``hybrid:k=30,language=french`` also sets
    the BM25 side's language (the keys of ``bm25:``).
    """

    name: ClassVar[str]
    needs_embeddings: ClassVar[bool] = True
    cosine_scores: ClassVar[bool] = False
    k: int = 60
    depth_factor: int = 2
    dense: ExactRetriever = field(default_factory=ExactRetriever)
    sparse: BM25Retriever = field(default_factory=BM25Retriever)

    def __post_init__(self) -> None:
        if self.k < 0 or self.depth_factor < 1:
            raise ConfigError(
                "Invalid hybrid settings",
                received=(self.k, self.depth_factor),
                expected="k >= 0 and depth_factor >= 1",
            )

    @classmethod
    def from_value(cls, value: str | None) -> HybridRetriever:
        """``hybrid:K`` sets the RRF constant; ``hybrid:k=30,language=french`` also sets the
        BM25 side (every key of ``bm25:``, :data:`~trueneg.retrieve.bm25.SPEC_SYNTAX`)."""
        if value is None:
            return cls()
        if "=" not in value:
            return cls(k=_rrf_constant(value))
        own = [p for p in value.split(",") if p.partition("=")[0].strip().lower() == "k"]
        rest = ",".join(p for p in value.split(",") if p not in own)
        k = _rrf_constant(own[-1].partition("=")[2]) if own else cls.k
        sparse = BM25Retriever.from_value(rest) if rest else BM25Retriever()
        return cls(k=k, sparse=sparse)

    def search(self, inputs: SearchInput, depth: int, show_progress: bool = False) -> Candidates:
        """Top-``depth`` non-positive docs per query by fused reciprocal rank."""
        check_search_input(inputs, depth, embeddings=True)
        list_depth = depth * self.depth_factor
        dense = self.dense.search(inputs, list_depth, show_progress)
        sparse, sparse_positive = self.sparse.search_with_positive_scores(
            inputs, list_depth, show_progress
        )
        rows = [
            self._fuse_query(inputs, q, dense, sparse, sparse_positive[q], depth, list_depth)
            for q in range(inputs.num_queries)
        ]
        parts = [np.concatenate(c) for c in zip(*rows, strict=True)] if rows else [np.empty(0)] * 6
        counts, index, fused, dense_scores, bm25_scores, pos_min = parts
        columns = {"score_dense": dense_scores, "score_bm25": bm25_scores}
        return make_candidates(counts, index, fused, pos_min, dense.positive_rank, columns)

    def _fuse_query(
        self,
        inputs: SearchInput,
        q: int,
        dense: Candidates,
        sparse: Candidates,
        sparse_positive: np.ndarray,
        depth: int,
        list_depth: int,
    ) -> tuple[np.ndarray, ...]:
        d_index, d_score = _rows(dense, q)
        s_index, s_score = _rows(sparse, q)
        docs = np.union1d(d_index, s_index)  # sorted
        fused = rrf(docs, [d_index, s_index], self.k).astype(np.float32)
        bm25_scores = np.full(docs.shape[0], np.nan, dtype=np.float32)
        bm25_scores[np.searchsorted(docs, s_index)] = s_score
        order = np.lexsort((docs, -fused))[:depth]
        docs, fused, bm25_scores = docs[order], fused[order], bm25_scores[order]
        query = np.asarray(inputs.query_embeddings[q], dtype=np.float32)
        dense_scores = np.asarray(inputs.doc_embeddings[docs], dtype=np.float32) @ query
        pos_min = self._positive_min(inputs, q, d_score, s_score, sparse_positive, list_depth)
        return np.array([docs.shape[0]]), docs, fused, dense_scores, bm25_scores, pos_min

    def _positive_min(
        self,
        inputs: SearchInput,
        q: int,
        d_score: np.ndarray,
        s_score: np.ndarray,
        sparse_positive: np.ndarray,
        list_depth: int,
    ) -> np.ndarray:
        positives = np.asarray(inputs.positives[q], dtype=np.int64).ravel()
        if not positives.size:
            return np.array([np.nan], dtype=np.float32)
        query = np.asarray(inputs.query_embeddings[q], dtype=np.float32)
        dense_positive = np.asarray(inputs.doc_embeddings[positives], dtype=np.float32) @ query
        ranks = [
            rank_in_list(dense_positive, d_score, list_depth),
            rank_in_list(sparse_positive, s_score, list_depth),
        ]
        fused = sum(1.0 / (self.k + r) for r in ranks)
        return np.array([fused.min()], dtype=np.float32)


def rrf(docs: np.ndarray, lists: list[np.ndarray], k: int) -> np.ndarray:
    """Fused score of each doc: Σ over the lists containing it of ``1 / (k + rank)``.

    ``docs`` must be sorted and contain every doc of every list; lists are in rank order.
    """
    fused = np.zeros(docs.shape[0], dtype=np.float64)
    for ranked in lists:
        ranks = np.arange(1, ranked.shape[0] + 1, dtype=np.float64)
        fused[np.searchsorted(docs, ranked)] += 1.0 / (k + ranks)
    return fused


def rank_in_list(scores: np.ndarray, list_scores: np.ndarray, list_depth: int) -> np.ndarray:
    """Rank each score would take in a descending list: 1 + how many list entries beat it.

    A score below a full list gets ``list_depth + 1``.
    """
    above = (list_scores[None, :] > np.asarray(scores)[:, None]).sum(axis=1)
    return np.minimum(above + 1, list_depth + 1)


def _rows(candidates: Candidates, q: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = candidates.offsets[q], candidates.offsets[q + 1]
    return candidates.doc_index[lo:hi], candidates.score[lo:hi]


def _rrf_constant(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(
            "hybrid takes the RRF constant k and the BM25 keys",
            received=text,
            expected="an integer, e.g. hybrid:60 or hybrid:k=60,language=french",
        ) from None
