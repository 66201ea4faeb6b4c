"""The retrieve stage: every query's candidates, positives masked, up to the plan's depth."""

from __future__ import annotations

import logging
import time

import numpy as np
import pyarrow as pa

from trueneg.distributed import DevicesSearch, RaySearch
from trueneg.pipeline.context import MineContext
from trueneg.pipeline.encode import Vectors
from trueneg.pipeline.frames import (
    candidates_table,
    flat_positions,
    pos_cosine,
    positive_scores,
)
from trueneg.pipeline.prepared import Prepared
from trueneg.retrieve.base import Candidates, Retriever, SearchInput
from trueneg.run import fingerprint

logger = logging.getLogger(__name__)

OUTPUTS = ["candidates.parquet", "query_stats.parquet", "positives.parquet"]


def find_candidates(
    retriever: Retriever,
    inputs: SearchInput,
    depth: int,
    *,
    show_progress: bool = False,
) -> Candidates:
    """Search ``depth`` deep; with document vectors, add ``pos_cosine`` (each candidate's
    largest cosine to a labeled positive of its query)."""
    cands = retriever.search(inputs, depth, show_progress=show_progress)
    if inputs.doc_embeddings is not None:
        cands.columns["pos_cosine"] = pos_cosine(cands, inputs.positives, inputs.doc_embeddings)
    return cands


def retrieve_stage(ctx: MineContext, prepared: Prepared, vectors: Vectors | None) -> str:
    """Write ``candidates``, ``query_stats`` and ``positives``; returns the stage fingerprint."""
    cfg, run_dir, depth = ctx.cfg, ctx.run_dir, ctx.plan.depth
    stage_fp = fingerprint(
        "retrieve",
        prepared.fingerprint,
        vectors.fingerprint if vectors else None,
        cfg.retriever,
        depth,
    )
    if run_dir.stage_done("retrieve", stage_fp):
        logger.info("retrieve: reusing candidates")
        ctx.timings["retrieve"] = 0.0
        return stage_fp
    with ctx.timed("retrieve"):
        start = time.perf_counter()
        ctx.invalidate_from("retrieve")
        dataset = prepared.dataset
        inputs = SearchInput(
            query_texts=dataset.query_texts(),
            doc_texts=dataset.doc_text_view(),
            positives=prepared.positives,
            query_embeddings=vectors.queries if vectors else None,
            doc_embeddings=vectors.docs if vectors else None,
        )
        logger.info("retrieve: %s, top %d of %d documents", cfg.retriever, depth, dataset.num_docs)
        retriever = ctx.plan.retriever
        if cfg.ray:  # exact search over corpus shards on Ray: the same candidates as locally
            retriever = RaySearch(retriever, cfg.ray, workers=cfg.ray_workers)
        elif ctx.devices:  # query shards, one per device: the same candidates as one device
            retriever = DevicesSearch(retriever, ctx.devices)
        cands = find_candidates(retriever, inputs, depth, show_progress=ctx.show_progress)
        recall = _recall(retriever, inputs, depth, cfg.seed, cands)
        table, stats = candidates_table(
            cands, prepared.query_ids, prepared.doc_ids, prepared.positives
        )
        run_dir.write_table("positives.parquet", positives_table(prepared, vectors, retriever))
        run_dir.write_table("candidates.parquet", table)
        run_dir.write_table("query_stats.parquet", stats)
        run_dir.mark_stage(
            "retrieve",
            stage_fp,
            outputs=OUTPUTS,
            seconds=time.perf_counter() - start,
            depth=depth,
            rows=table.num_rows,
            retriever=cfg.retriever,
            **recall,
            **(retriever.state() if cfg.ray or ctx.devices else {}),
        )
    return stage_fp


def _recall(
    retriever: Retriever, inputs: SearchInput, depth: int, seed: int, cands: Candidates
) -> dict:
    """Approximate search measured against exact search on a sample (empty for exact ones)."""
    if not hasattr(retriever, "estimate_recall"):
        return {}
    recall = retriever.estimate_recall(inputs, depth, sample=1000, seed=seed, candidates=cands)
    logger.info(
        "retrieve: recall@%d vs exact search %.3f on %d sampled queries",
        depth,
        recall["recall_at_depth"],
        recall["sample_queries"],
    )
    return recall


def positives_table(prepared: Prepared, vectors: Vectors | None, retriever: Retriever) -> pa.Table:
    """Every labeled positive with ``score_dense`` (NaN without embeddings) and, when the
    candidates' scores are cosines too, ``score`` (BM25 and fused scores of positives are not
    stored: exports then give positives 1.0 and say so)."""
    query_ids = [
        q for q, pos in zip(prepared.query_ids, prepared.positives, strict=True) for _ in pos
    ]
    doc_ids = prepared.doc_ids.take(flat_positions(prepared.positives)).to_pylist()
    dense = (
        positive_scores(prepared.positives, vectors.queries, vectors.docs)
        if vectors
        else np.full(len(doc_ids), np.nan, dtype=np.float32)
    )
    columns = {
        "query_id": pa.array(query_ids, type=pa.string()),
        "doc_id": pa.array(doc_ids, type=pa.string()),
        "score_dense": pa.array(dense),
    }
    if retriever.cosine_scores:
        columns["score"] = pa.array(dense)  # the candidates' scale: positives are comparable
    return pa.table(columns)
