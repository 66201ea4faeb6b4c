"""Exact dense search on Ray: one task per corpus shard, per-shard top-k merged on the driver.

Every task scores all queries against its shard with the same chunked inner products and
running top-k as :class:`~trueneg.retrieve.exact.ExactRetriever`; merging keeps the same total
order (higher score first, then lower doc position), so the merged top-k, ``positive_min`` and
``positive_rank`` equal the single-process result. Shard edges fall on multiples of
:data:`GRANULE` docs: no matrix product is narrower than a local one would be (one-column
products take another BLAS path whose last bit can differ). Scores with exact float32 products
(the tests' small-integer vectors) come out identical; real-valued ones can differ in the last
bit where the BLAS rounds a column differently for another matrix width or thread count (OpenBLAS
on an AMD EPYC does), which could swap two candidates tied to within that bit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from itertools import pairwise
from typing import Any, cast

import numpy as np

from trueneg.distributed.cluster import RayCluster, import_ray
from trueneg.errors import DataError
from trueneg.progress import progress_bar
from trueneg.retrieve.base import Candidates, SearchInput
from trueneg.retrieve.exact import (
    ExactRetriever,
    flat_positives,
    matmul_for,
    positive_extremes,
)
from trueneg.retrieve.topk import (
    check_search_input,
    drop_masked,
    join_parts,
    running_topk,
    sort_rows,
)

logger = logging.getLogger(__name__)

GRANULE = 64
ShardResult = tuple[np.ndarray, np.ndarray, np.ndarray]


def shard_bounds(n_docs: int, shards: int, granule: int = GRANULE) -> list[tuple[int, int]]:
    """Split ``[0, n_docs)`` into at most ``shards`` ranges whose inner edges are multiples of
    ``granule``, as even as that allows."""
    blocks = -(-n_docs // granule)
    shards = max(1, min(shards, blocks))
    edges = [min(n_docs, (i * blocks // shards) * granule) for i in range(shards)] + [n_docs]
    return list(pairwise(edges))


def search_on_ray(
    retriever: ExactRetriever,
    inputs: SearchInput,
    depth: int,
    cluster: RayCluster,
    *,
    show_progress: bool = False,
) -> Candidates:
    """What ``retriever.search(inputs, depth)`` returns, computed over corpus shards on Ray."""
    check_search_input(inputs, depth, embeddings=True)
    queries = np.ascontiguousarray(inputs.query_embeddings, dtype=np.float32)
    docs = np.ascontiguousarray(inputs.doc_embeddings, dtype=np.float32)
    if docs.shape[0] == 0 or queries.shape[0] == 0:
        return retriever.search(inputs, depth)
    _check_finite(queries, docs)
    q_chunk = _shard_chunks(retriever)[0]
    pos_min, pos_max = _positive_bounds(queries, docs, inputs.positives, q_chunk)
    bounds = shard_bounds(docs.shape[0], cluster.workers)
    logger.info(
        "ray: exact search of %d queries over %d corpus shards", queries.shape[0], len(bounds)
    )
    best_scores, best_index, above = _run_shards(
        retriever, queries, docs, inputs.positives, pos_max, bounds, depth, cluster, show_progress
    )
    rank = np.where(np.isnan(pos_max), 0, above + 1)
    counts, scores, index = drop_masked(best_scores, best_index)
    return join_parts([(counts, scores, index, pos_min, rank)], queries.shape[0])


def _run_shards(
    retriever: ExactRetriever,
    queries: np.ndarray,
    docs: np.ndarray,
    positives: list[np.ndarray],
    pos_max: np.ndarray,
    bounds: list[tuple[int, int]],
    depth: int,
    cluster: RayCluster,
    show_progress: bool,
) -> ShardResult:
    """Launch one task per shard (embeddings put in the object store once), merge as they end."""
    ray = import_ray()
    shared = [ray.put(x) for x in (queries, docs, *flat_positives(positives), pos_max)]
    task = ray.remote(search_shard).options(**_task_resources(retriever, cluster))
    chunks = (*_shard_chunks(retriever), retriever.device)
    pending = [task.remote(*shared, lo, hi, depth, *chunks) for lo, hi in bounds]
    best_scores = best_index = None
    above = np.zeros(queries.shape[0], dtype=np.int64)
    with progress_bar(show_progress, len(pending), "Exact search (Ray shards)") as advance:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            scores, index, shard_above = ray.get(done[0])
            best_scores, best_index = merge_topk(best_scores, best_index, scores, index, depth)
            above += shard_above
            advance(1)
    return cast(np.ndarray, best_scores), cast(np.ndarray, best_index), above


def merge_topk(
    best_scores: np.ndarray | None,
    best_index: np.ndarray | None,
    scores: np.ndarray,
    index: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` of two sorted ``(n, ·)`` row sets: higher score first, then lower doc."""
    if best_scores is None or best_index is None:
        return scores, index
    merged_scores, merged_index = sort_rows(
        np.concatenate([best_scores, scores], axis=1), np.concatenate([best_index, index], axis=1)
    )
    return merged_scores[:, :k], merged_index[:, :k]


def search_shard(
    queries: np.ndarray,
    docs: np.ndarray,
    pos_rows: np.ndarray,
    pos_docs: np.ndarray,
    pos_max: np.ndarray,
    lo: int,
    hi: int,
    depth: int,
    query_chunk_size: int,
    doc_chunk_size: int,
    device: str,
) -> ShardResult:
    """Top-``depth`` of every query among docs ``lo..hi-1`` (positives masked to ``-inf``),
    and per query the number of those docs scoring above its best positive."""
    matmul = matmul_for(device)
    parts, above = [], np.zeros(queries.shape[0], dtype=np.int64)
    for qlo in range(0, queries.shape[0], query_chunk_size):
        qhi = min(qlo + query_chunk_size, queries.shape[0])
        q = np.ascontiguousarray(queries[qlo:qhi], dtype=np.float32)
        first, last = np.searchsorted(pos_rows, [qlo, qhi])
        rows, pdocs = pos_rows[first:last] - qlo, pos_docs[first:last]
        best_scores = best_index = None
        for dlo, dhi in _pieces(lo, hi, doc_chunk_size):
            scores = matmul(q, np.ascontiguousarray(docs[dlo:dhi], dtype=np.float32))
            inside = (pdocs >= dlo) & (pdocs < dhi)
            scores[rows[inside], pdocs[inside] - dlo] = -np.inf
            with np.errstate(invalid="ignore"):
                above[qlo:qhi] += (scores > pos_max[qlo:qhi, None]).sum(axis=1)
            best_scores, best_index = running_topk(best_scores, best_index, scores, depth, dlo)
        parts.append((best_scores, best_index))
    scores_all = np.concatenate([p[0] for p in parts])
    return scores_all, np.concatenate([p[1] for p in parts]), above


def _pieces(lo: int, hi: int, chunk: int) -> Iterator[tuple[int, int]]:
    """``[lo, hi)`` cut at the multiples of ``chunk``, where the local search cuts it too."""
    start = lo
    while start < hi:
        end = min(hi, (start // chunk + 1) * chunk)
        yield start, end
        start = end


def _positive_bounds(
    queries: np.ndarray, docs: np.ndarray, positives: list[np.ndarray], query_chunk_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Min and max positive score per query, in the same query chunks as the local search."""
    lows, highs = [], []
    for lo in range(0, queries.shape[0], query_chunk_size):
        q = np.ascontiguousarray(queries[lo : lo + query_chunk_size], dtype=np.float32)
        rows, pdocs = flat_positives(positives[lo : lo + query_chunk_size])
        low, high = positive_extremes(q, docs, rows, pdocs)
        lows.append(low)
        highs.append(high)
    return np.concatenate(lows), np.concatenate(highs)


def _shard_chunks(retriever: ExactRetriever) -> tuple[int, int]:
    """The chunk sizes every shard uses: the CPU's unless ``exact:cuda`` asked for GPUs."""
    return retriever.chunk_sizes("cuda" if retriever.device == "cuda" else "cpu")


def _task_resources(retriever: ExactRetriever, cluster: RayCluster) -> dict[str, Any]:
    """One GPU per shard task for ``exact:cuda``, and for ``auto`` on a cluster with GPUs."""
    if retriever.device == "cuda" or (retriever.device == "auto" and cluster.gpus):
        return {"num_gpus": 1}
    return {"num_cpus": min(1.0, cluster.cpus / max(1, cluster.workers)) or 1.0}


def _check_finite(queries: np.ndarray, docs: np.ndarray) -> None:
    for name, array in (("query", queries), ("doc", docs)):
        if not np.isfinite(array).all():
            raise DataError(
                "Embeddings contain NaN or infinite values",
                received=f"{name} embeddings",
                fix="Re-encode the texts; check the model's output",
            )
