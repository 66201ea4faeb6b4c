"""Where ``auto`` meets the pipeline: what it adds before retrieval, and its choice after it,
made from the run's own candidates (the estimate itself is :mod:`trueneg.select.auto`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

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
from trueneg.select.auto_relabel import relabel_advice, relabelable
from trueneg.select.relabel import Relabel
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
    with one) and choose, with the relabel filter the settings give or, left to ``auto`` with a
    judge, the one the evidence supports. Reads only the columns it needs."""
    stats = run_dir.read_table("query_stats.parquet", columns=["candidates", "positive_rank"])
    columns = ["score", "rank"] if cfg.judge else ["score"]
    candidates = run_dir.read_table("candidates.parquet", columns=columns)
    depth = int(run_dir.stage_info("retrieve").get("depth", cfg.depth))
    f, evidence = _rank_estimate(run_dir, prepared, stats, candidates, depth)
    few = evidence["queries_ranked"] < MIN_QUERIES
    judged = _read_judge(run_dir, candidates["rank"].to_numpy()) if cfg.judge else None
    if judged is not None:
        bound = judge_bound(judged.rank, judged.judge, judged.positive_pairs, depth)
        f = with_judge_bound(f, bound, evidence, int(np.isfinite(judged.positive_pairs).sum()))
    cost = DEFAULT_COST if cfg.false_negative_cost is None else float(cfg.false_negative_cost)
    if few:
        choice = few_queries(
            f, evidence["queries_ranked"], cfg.num_negatives, cost=cost, judge=bool(cfg.judge)
        )
    else:
        choice = choose(f, cfg.num_negatives, cost=cost, judge=bool(cfg.judge))
    choice.evidence = {**evidence, "search_depth": depth, "cost": cost}
    choice.train_queries = training_queries(stats["positive_rank"].to_numpy())
    if judged is not None and cfg.relabel is None:
        _advise_relabel(choice, judged, query_offsets(stats), f, evidence["queries_ranked"])
    else:
        choice.filters = [*choice.filters, *given_relabel(cfg)]
    return choice


def _rank_estimate(
    run_dir: RunDir, prepared: Prepared, stats: pa.Table, candidates: pa.Table, depth: int
) -> tuple[np.ndarray, dict]:
    """The contamination profile from the labeled positives' ranks alone, and its evidence;
    with too few queries for a point estimate, each rank's upper bound."""
    positives = run_dir.read_table("positives.parquet")
    position = {q: i for i, q in enumerate(prepared.query_ids)}
    pos_query = np.array([position[q] for q in positives["query_id"].to_pylist()], dtype=np.int64)
    pos_score = (
        positives["score"].to_numpy(zero_copy_only=False).astype(np.float32)
        if "score" in positives.column_names
        else None
    )
    f, evidence = estimate(
        query_offsets(stats),
        candidates["score"].to_numpy(zero_copy_only=False).astype(np.float32),
        pos_query,
        pos_score,
        stats["positive_rank"].to_numpy().astype(np.int64),
        depth,
    )
    upper = evidence.pop("upper_contamination")
    if evidence["queries_ranked"] < MIN_QUERIES:  # a point estimate from so few is noise
        f = upper
        evidence["contamination_by_rank"] = buckets(f)
        evidence["contamination_estimate"] = "upper end of each rank's 95% interval"
    return f, evidence


@dataclass(frozen=True)
class _Judged:
    """The judge's scores: per candidate (NaN where not judged), with each candidate's rank;
    per labeled positive; per query (its lowest-judged positive)."""

    judge: np.ndarray
    rank: np.ndarray
    positive_pairs: np.ndarray
    positive_per_query: np.ndarray


def _read_judge(run_dir: RunDir, rank: np.ndarray) -> _Judged:
    def column(name: str, col: str) -> np.ndarray:
        values = run_dir.read_table(name, columns=[col])[col]
        return values.to_numpy(zero_copy_only=False).astype(np.float64)

    return _Judged(
        column("judge_scores.parquet", "judge"),
        rank,
        column("judge_positive_pairs.parquet", "judge"),
        column("judge_positives.parquet", "positive_judge"),
    )


def _advise_relabel(
    choice: AutoChoice, judged: _Judged, offsets: np.ndarray, f: np.ndarray, queries: int
) -> None:
    """Add ``auto``'s relabel decision (and why) to its choice; ``f`` is the contamination
    profile it chose from, estimated on ``queries`` queries (see
    :mod:`trueneg.select.auto_relabel`)."""
    rule = Relabel()
    would = relabelable(
        rule, judged.judge, judged.positive_per_query, offsets, judged.rank, f, queries
    )
    advice = relabel_advice(judged.positive_pairs, would, rule)
    if advice.spec:
        choice.filters = [*choice.filters, advice.spec]
    choice.reason = f"{choice.reason}; {advice.reason}"
    choice.evidence["relabel"] = {"chosen": advice.spec, **advice.evidence}
