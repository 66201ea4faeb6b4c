"""Glue between stages: positions ↔ ids, candidate tables, per-row keys and cosines."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from trueneg.data.tables import DocumentIds, ids_at
from trueneg.hashing import id_hash64
from trueneg.retrieve.base import Candidates
from trueneg.select.base import CandidateFrame

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_BASE_COLUMNS = ("query_id", "doc_id", "rank", "score")


def id_hashes(ids: list[str]) -> np.ndarray:
    """A stable 64-bit hash per id (independent of order and of other ids)."""
    return np.fromiter((id_hash64(i) for i in ids), dtype=np.uint64, count=len(ids))


def row_keys(query_ids: list[str], doc_ids: list[str]) -> np.ndarray:
    """A stable 64-bit key per (query id, doc id) row, for seeded per-row random draws."""
    uq, q_inv = np.unique(np.asarray(query_ids, dtype=object), return_inverse=True)
    ud, d_inv = np.unique(np.asarray(doc_ids, dtype=object), return_inverse=True)
    qh = id_hashes(list(uq))[q_inv]
    dh = id_hashes(list(ud))[d_inv]
    with np.errstate(over="ignore"):
        return qh ^ (dh * _GOLDEN + (qh >> np.uint64(7)))


def flat_positions(positives: list[np.ndarray]) -> np.ndarray:
    """Every query's positive positions, one after another."""
    return np.concatenate(positives).astype(np.int64) if positives else np.empty(0, np.int64)


def pos_cosine(
    cands: Candidates, positives: list[np.ndarray], doc_vectors: np.ndarray
) -> np.ndarray:
    """Max cosine between each candidate and any labeled positive of its query."""
    out = np.full(cands.num_rows, np.nan, dtype=np.float32)
    for q, pos in enumerate(positives):
        lo, hi = int(cands.offsets[q]), int(cands.offsets[q + 1])
        if hi == lo or pos.size == 0:
            continue
        cand_vecs = np.asarray(doc_vectors[cands.doc_index[lo:hi]], dtype=np.float32)
        pos_vecs = np.asarray(doc_vectors[pos], dtype=np.float32)
        out[lo:hi] = (cand_vecs @ pos_vecs.T).max(axis=1)
    return out


def positive_scores(
    positives: list[np.ndarray], query_vectors: np.ndarray, doc_vectors: np.ndarray
) -> np.ndarray:
    """Inner product of every query with each of its positives, flat in ``positives`` order."""
    rows = np.repeat(np.arange(len(positives)), [p.size for p in positives])
    docs = flat_positions(positives)
    q = np.asarray(query_vectors[rows], dtype=np.float32)
    d = np.asarray(doc_vectors[docs], dtype=np.float32)
    return np.einsum("ij,ij->i", q, d).astype(np.float32)


def candidates_table(
    cands: Candidates, query_ids: list[str], doc_ids: DocumentIds, positives: list[np.ndarray]
) -> tuple[pa.Table, pa.Table]:
    """The ``candidates`` table (ids, rank, scores) and the per-query ``query_stats`` table."""
    q_index = cands.query_index()
    qids = np.asarray(query_ids, dtype=object)
    columns = {
        "query_id": pa.array(qids[q_index].tolist(), type=pa.string()),
        "doc_id": ids_at(doc_ids, cands.doc_index),
        "rank": pa.array(cands.rank.astype(np.int32)),
        "score": pa.array(cands.score.astype(np.float32)),
    }
    for name, values in cands.columns.items():
        columns[name] = pa.array(np.asarray(values, dtype=np.float32))
    stats = pa.table(
        {
            "query_id": pa.array(query_ids, type=pa.string()),
            "num_positives": pa.array([int(p.size) for p in positives], type=pa.int32()),
            "positive_min": pa.array(np.asarray(cands.positive_min, dtype=np.float32)),
            "positive_rank": pa.array(np.asarray(cands.positive_rank, dtype=np.int64)),
            "candidates": pa.array(np.diff(cands.offsets).astype(np.int32)),
        }
    )
    return pa.table(columns), stats


def query_offsets(stats: pa.Table) -> np.ndarray:
    """Row offsets of each query in the candidates table, from ``query_stats["candidates"]``."""
    counts = stats["candidates"].to_numpy().astype(np.int64)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def candidate_frame(table: pa.Table, stats: pa.Table, keys: np.ndarray) -> CandidateFrame:
    """A :class:`CandidateFrame` over a candidates table sorted by query then rank."""
    offsets = query_offsets(stats)
    counts = np.diff(offsets)
    positive_min = stats["positive_min"].to_numpy(zero_copy_only=False).astype(np.float32)
    extra = {
        name: table[name].to_numpy(zero_copy_only=False)
        for name in table.column_names
        if name not in _BASE_COLUMNS
    }
    if "positive_rank" in stats.column_names:  # per query; 0 where the retriever cannot rank
        ranks = stats["positive_rank"].to_numpy(zero_copy_only=False).astype(np.int64)
        extra["positive_rank"] = np.repeat(ranks, counts)
    for name in stats.column_names:
        if name.startswith("positive_") and name not in ("positive_min", "positive_rank"):
            per_query = stats[name].to_numpy(zero_copy_only=False).astype(np.float32)
            extra[name] = np.repeat(per_query, counts)
    return CandidateFrame(
        offsets=offsets,
        rank=table["rank"].to_numpy().astype(np.int32),
        score=table["score"].to_numpy(zero_copy_only=False).astype(np.float32),
        positive_min=np.repeat(positive_min, counts),
        row_key=keys,
        columns=extra,
    )
