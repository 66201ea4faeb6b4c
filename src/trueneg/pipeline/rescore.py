"""The rescore stage of ``mine``: a judge scores the top candidates and the positives."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from trueneg.data.spool import texts_for
from trueneg.pipeline.context import MineContext
from trueneg.pipeline.encode import cache_root
from trueneg.pipeline.frames import flat_positions
from trueneg.pipeline.prepared import Prepared
from trueneg.rescore import load_judge, rescore
from trueneg.run import RunDir, fingerprint
from trueneg.settings import MineConfig
from trueneg.storage import own_dir

logger = logging.getLogger(__name__)

OUTPUTS = ["judge_scores.parquet", "judge_positives.parquet", "judge_positive_pairs.parquet"]


def rescore_stage(ctx: MineContext, prepared: Prepared, retrieve_fp: str) -> str | None:
    """Score candidates ranked ``<= judge_depth`` and every labeled positive with the judge.

    Writes ``judge_scores.parquet`` with a ``judge`` column aligned with the rows of
    ``candidates.parquet`` (NaN below ``judge_depth``) and ``positive_judge`` per query (the
    lowest judge score among its positives). Returns the stage fingerprint, or None without a
    judge.
    """
    cfg, run_dir = ctx.cfg, ctx.run_dir
    if not cfg.judge:
        return None
    start = time.perf_counter()
    judge = load_judge(
        cfg.judge, batch_size=cfg.judge_batch_size, device=cfg.device, cascade=cfg.judge_cascade
    )
    stage_fp = fingerprint("rescore", retrieve_fp, judge.fingerprint, cfg.judge_depth)
    if run_dir.stage_done("rescore", stage_fp):
        logger.info("rescore: reusing judge scores")
        ctx.timings["rescore"] = 0.0
        return stage_fp
    ctx.invalidate_from("rescore")
    candidates = run_dir.read_table("candidates.parquet")
    rank = candidates["rank"].to_numpy()
    judged = np.flatnonzero(rank <= cfg.judge_depth)
    cand_q = np.asarray(candidates["query_id"].to_pylist(), dtype=object)[judged]
    cand_d = np.asarray(candidates["doc_id"].to_pylist(), dtype=object)[judged]
    pos_q = [q for q, pos in zip(prepared.query_ids, prepared.positives, strict=True) for _ in pos]
    pos_d = prepared.doc_ids.take(flat_positions(prepared.positives)).to_pylist()
    dataset = prepared.dataset
    query_text = dict(zip(prepared.query_ids, dataset.query_texts(), strict=True))
    doc_text = texts_for(dataset.corpus, [*cand_d, *pos_d])  # re-read by id, not all texts
    logger.info(
        "rescore: %d candidates (ranks <= %d) and %d positives with %s",
        judged.size,
        cfg.judge_depth,
        len(pos_q),
        cfg.judge,
    )
    result = rescore(
        judge,
        [*cand_q, *pos_q],
        [*cand_d, *pos_d],
        query_text,
        doc_text,
        judge_cache(run_dir, cfg),
        batch_size=cfg.judge_batch_size,
        show_progress=ctx.show_progress,
    )
    scores = np.full(candidates.num_rows, np.nan, dtype=np.float32)
    scores[judged] = result.scores[: judged.size]
    positive_judge = _min_per_query(prepared.query_ids, pos_q, result.scores[judged.size :])
    _write(run_dir, scores, prepared.query_ids, positive_judge)
    run_dir.write_table(
        "judge_positive_pairs.parquet",
        pa.table(
            {
                "query_id": pa.array(pos_q, type=pa.string()),
                "doc_id": pa.array(pos_d, type=pa.string()),
                "judge": pa.array(result.scores[judged.size :]),
            }
        ),
    )
    run_dir.mark_stage(
        "rescore",
        stage_fp,
        outputs=OUTPUTS,
        seconds=time.perf_counter() - start,
        judge=str(cfg.judge),
        judge_kind=judge.kind,
        judge_fingerprint=judge.fingerprint,
        pairs=len(result.scores),
        pairs_scored=result.pairs_scored,
        pairs_per_s=round(result.pairs_per_s, 2),
        **judge_costs(judge),
    )
    ctx.timings["rescore"] = round(time.perf_counter() - start, 3)
    return stage_fp


def judge_costs(judge: object) -> dict:
    """What a remote judge or a cascade spent, for the manifest and the summary (empty for a
    local judge)."""
    out: dict = {}
    if hasattr(judge, "report"):
        out["cascade"] = judge.report()
    cost = getattr(judge, "cost", None)
    if cost is not None:
        out["cost"] = cost.as_dict()
    return out


def judge_cache(run_dir: RunDir, cfg: MineConfig) -> Path:
    """Where judge scores are cached: ``CACHE_DIR/judge`` when a shared cache folder is set,
    else ``RUN_DIR/judge``."""
    shared = cache_root(cfg)
    return own_dir(shared, "judge") if shared else own_dir(run_dir.path, "judge")


def _min_per_query(query_ids: list[str], pos_q: list[str], scores: np.ndarray) -> np.ndarray:
    lowest: dict[str, float] = {}
    for q, s in zip(pos_q, scores.tolist(), strict=True):
        lowest[q] = min(s, lowest.get(q, np.inf))
    return np.array([lowest.get(q, np.nan) for q in query_ids], dtype=np.float32)


def _write(
    run_dir: RunDir, scores: np.ndarray, query_ids: list[str], positive_judge: np.ndarray
) -> None:
    per_row = pa.table({"judge": pa.array(scores)})
    per_query = pa.table(
        {
            "query_id": pa.array(query_ids, type=pa.string()),
            "positive_judge": pa.array(positive_judge),
        }
    )
    run_dir.write_table("judge_scores.parquet", per_row)
    run_dir.write_table("judge_positives.parquet", per_query)


def attach_judge(run_dir: RunDir, table: pa.Table, stats: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Add the ``judge`` column to candidates and ``positive_judge`` to query stats."""
    per_row = run_dir.read_table("judge_scores.parquet")
    per_query = run_dir.read_table("judge_positives.parquet")
    table = table.append_column("judge", per_row["judge"])
    stats = stats.append_column("positive_judge", per_query["positive_judge"])
    return table, stats
