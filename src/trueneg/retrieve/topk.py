"""Deterministic top-k helpers (numpy only).

Order everywhere: higher score first, then lower doc position. ``np.argpartition`` alone is not
deterministic on ties at the cut, so rows with such ties are resolved explicitly.
"""

from __future__ import annotations

import numpy as np

from trueneg.errors import ConfigError, DataError
from trueneg.retrieve.base import Candidates, SearchInput


def sort_rows(scores: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort every row by descending score, ties by ascending index."""
    order = np.lexsort((index, -scores), axis=-1)
    return np.take_along_axis(scores, order, -1), np.take_along_axis(index, order, -1)


def chunk_topk(scores: np.ndarray, k: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` of every row of a ``(n, m)`` block whose column ``j`` is doc ``offset + j``.

    Returns ``(n, min(k, m))`` scores and doc positions, sorted.
    """
    n, m = scores.shape
    if k >= m:
        index = np.broadcast_to(np.arange(offset, offset + m, dtype=np.int64), (n, m))
        return sort_rows(scores, index)
    top = _top_k_unsorted(scores, k)
    threshold = np.take_along_axis(scores, top, 1).min(axis=1)
    at_or_above = (scores >= threshold[:, None]).sum(axis=1)
    for row in np.flatnonzero(at_or_above > k):  # ties straddle the cut: take the lowest docs
        above = np.flatnonzero(scores[row] > threshold[row])
        tied = np.flatnonzero(scores[row] == threshold[row])[: k - above.shape[0]]
        top[row] = np.concatenate([above, tied])
    top_scores = np.take_along_axis(scores, top, 1)
    return sort_rows(top_scores, top.astype(np.int64) + offset)


def _top_k_unsorted(scores: np.ndarray, k: int) -> np.ndarray:
    """Column positions of each row's ``k`` largest scores, in no order.

    ``torch.topk`` runs on every core where ``np.argpartition`` uses one (measured by
    ``benchmarks/speed/exact_topk.py``); numpy is the fallback when torch is not installed.
    """
    try:
        import torch
    except ImportError:  # pragma: no cover - torch comes with sentence-transformers
        m = scores.shape[1]
        return np.argpartition(scores, m - k, axis=1)[:, m - k :]
    block = torch.from_numpy(np.ascontiguousarray(scores))
    return torch.topk(block, k, dim=1, sorted=False).indices.numpy()


def running_topk(
    best_scores: np.ndarray | None,
    best_index: np.ndarray | None,
    scores: np.ndarray,
    k: int,
    offset: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Merge the top-``k`` so far with the top-``k`` of a new block of docs.

    ``best_*`` are ``(n, k')`` sorted rows (None before the first block); ``scores`` is the
    ``(n, m)`` block for docs ``offset .. offset + m - 1``.
    """
    new_scores, new_index = chunk_topk(scores, k, offset)
    if best_scores is None or best_index is None:
        return new_scores, new_index
    merged_scores, merged_index = sort_rows(
        np.concatenate([best_scores, new_scores], axis=1),
        np.concatenate([best_index, new_index], axis=1),
    )
    return merged_scores[:, :k], merged_index[:, :k]


def drop_masked(scores: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, ...]:
    """Flatten sorted ``(n, k)`` rows, dropping ``-inf`` (masked) entries.

    Returns ``(counts, flat_scores, flat_index)``.
    """
    keep = scores > -np.inf
    return keep.sum(axis=1), scores[keep], index[keep]


def make_candidates(
    counts: np.ndarray,
    doc_index: np.ndarray,
    score: np.ndarray,
    positive_min: np.ndarray,
    positive_rank: np.ndarray,
    columns: dict[str, np.ndarray] | None = None,
) -> Candidates:
    """Build ``Candidates`` from per-query row counts and flat, already sorted rows."""
    counts = np.asarray(counts, dtype=np.int64)
    offsets = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    rank = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1], counts) + 1
    return Candidates(
        offsets=offsets,
        doc_index=np.asarray(doc_index, dtype=np.int64),
        score=np.asarray(score, dtype=np.float32),
        rank=rank.astype(np.int32),
        positive_min=np.asarray(positive_min, dtype=np.float32),
        positive_rank=np.asarray(positive_rank, dtype=np.int64),
        columns=dict(columns or {}),
    )


def join_parts(parts: list[tuple[np.ndarray, ...]], n_queries: int) -> Candidates:
    """Concatenate ``(counts, scores, index, positive_min, positive_rank)`` query blocks."""
    if not parts:
        empty = np.empty(0)
        return make_candidates(np.zeros(n_queries), empty, empty, empty, empty)
    counts, scores, index, pos_min, pos_rank = (np.concatenate(c) for c in zip(*parts, strict=True))
    return make_candidates(counts, index, scores, pos_min, pos_rank)


def check_search_input(inputs: SearchInput, depth: int, *, embeddings: bool) -> None:
    """Refuse a bad depth, out-of-range positives or missing/mismatched embeddings."""
    if int(depth) < 1:
        raise ConfigError("Search depth must be at least 1", received=depth, expected=">= 1")
    n_docs = inputs.num_docs
    for q, positives in enumerate(inputs.positives):
        pos = np.asarray(positives)
        if pos.size and (pos.min() < 0 or pos.max() >= n_docs):
            raise DataError(
                f"Query {q} has a positive outside the corpus",
                received=pos.tolist(),
                expected=f"positions in [0, {n_docs})",
            )
    if embeddings:
        _check_embeddings(inputs)


def _check_embeddings(inputs: SearchInput) -> None:
    queries, docs = inputs.query_embeddings, inputs.doc_embeddings
    if queries is None or docs is None:
        raise ConfigError(
            "This retriever needs query and document embeddings",
            received="SearchInput without embeddings",
            fix="Encode the texts first (trueneg.encode.encode_cached), or use the bm25 retriever",
        )
    expected = f"({inputs.num_queries}, d) queries and ({inputs.num_docs}, d) docs"
    if (
        queries.ndim != 2
        or docs.ndim != 2
        or queries.shape[0] != inputs.num_queries
        or docs.shape[0] != inputs.num_docs
        or queries.shape[1] != docs.shape[1]
    ):
        raise DataError(
            "Embeddings do not match the texts",
            received=f"queries {queries.shape}, docs {docs.shape}",
            expected=expected,
        )
