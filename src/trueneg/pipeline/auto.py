"""Where ``auto`` meets the pipeline: what it adds before retrieval, and its choice after it,
made from the run's own candidates (the estimate itself is :mod:`trueneg.select.auto`)."""

from __future__ import annotations

import numpy as np

from trueneg.pipeline.frames import query_offsets
from trueneg.pipeline.prepared import Prepared
from trueneg.run import RunDir
from trueneg.select.auto import (
    DEFAULT_COST,
    DEFAULT_WIDTH,
    JUDGE_FILTER,
    MIN_QUERIES,
    NEAR_DUPLICATE,
    AutoChoice,
    buckets,
    choose,
    estimate,
    few_queries,
    judge_bound,
    training_queries,
    with_judge_bound,
)
from trueneg.settings import MineConfig
from trueneg.settings.mine import RELABEL_OFF, relabel_value

AUTO_WIDTH = DEFAULT_WIDTH  # auto's rank window: the search goes this much deeper than --depth


def provisional_filters(cfg: MineConfig) -> list[str]:
    """The filters known before retrieval: the given ones, or what ``auto`` always adds (the
    rank window is chosen after retrieval, from the candidates)."""
    if not cfg.auto_filters:
        return [*(cfg.filters or []), *given_relabel(cfg)]
    return [NEAR_DUPLICATE, *([JUDGE_FILTER] if cfg.judge else []), *given_relabel(cfg)]


def given_relabel(cfg: MineConfig) -> list[str]:
    """The relabel filter the settings ask for (none for ``off``, or None left to ``auto``)."""
    if cfg.relabel is None or cfg.relabel == RELABEL_OFF:
        return []
    return [f"relabel:{relabel_value(cfg.relabel)}"]


def auto_choice(run_dir: RunDir, cfg: MineConfig, prepared: Prepared) -> AutoChoice:
    """Estimate contamination per rank from the labeled positives (and the judge's scores,
    with one) and choose. Reads only the columns it needs."""
    stats = run_dir.read_table("query_stats.parquet", columns=["candidates", "positive_rank"])
    columns = ["score", "rank"] if cfg.judge else ["score"]
    candidates = run_dir.read_table("candidates.parquet", columns=columns)
    positives = run_dir.read_table("positives.parquet")
    position = {q: i for i, q in enumerate(prepared.query_ids)}
    pos_query = np.array([position[q] for q in positives["query_id"].to_pylist()], dtype=np.int64)
    pos_score = (
        positives["score"].to_numpy(zero_copy_only=False).astype(np.float32)
        if "score" in positives.column_names
        else None
    )
    depth = int(run_dir.stage_info("retrieve").get("depth", cfg.depth))
    f, evidence = estimate(
        query_offsets(stats),
        candidates["score"].to_numpy(zero_copy_only=False).astype(np.float32),
        pos_query,
        pos_score,
        stats["positive_rank"].to_numpy().astype(np.int64),
        depth,
    )
    upper = evidence.pop("upper_contamination")
    few = evidence["queries_ranked"] < MIN_QUERIES
    if few:  # a point estimate from so few queries is noise: use each rank's upper bound
        f = upper
        evidence["contamination_by_rank"] = buckets(f)
        evidence["contamination_estimate"] = "upper end of each rank's 95% interval"
    if cfg.judge:
        f = _judge_tightened(run_dir, candidates["rank"].to_numpy(), f, evidence, depth)
    cost = DEFAULT_COST if cfg.false_negative_cost is None else float(cfg.false_negative_cost)
    if few:
        choice = few_queries(
            f, evidence["queries_ranked"], cfg.num_negatives, cost=cost, judge=bool(cfg.judge)
        )
    else:
        choice = choose(f, cfg.num_negatives, cost=cost, judge=bool(cfg.judge))
    choice.evidence = {**evidence, "search_depth": depth, "cost": cost}
    choice.train_queries = training_queries(stats["positive_rank"].to_numpy())
    return choice


def _judge_tightened(
    run_dir: RunDir, rank: np.ndarray, f: np.ndarray, evidence: dict, depth: int
) -> np.ndarray:
    """``f`` with the judge's mixture-proportion bound where it is lower (see
    :func:`trueneg.select.auto.judge_bound`); ``rank``: each candidate's rank."""
    judge = run_dir.read_table("judge_scores.parquet")["judge"].to_numpy(zero_copy_only=False)
    pairs = run_dir.read_table("judge_positive_pairs.parquet")["judge"]
    positive = pairs.to_numpy(zero_copy_only=False).astype(np.float64)
    bound = judge_bound(rank, judge.astype(np.float64), positive, depth)
    return with_judge_bound(f, bound, evidence, int(np.isfinite(positive).sum()))
