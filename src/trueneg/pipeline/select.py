"""The select stage: filters and a sampler turn candidates into kept negatives, each dropped
candidate with its reason. Under ``auto`` the strategies are chosen here, from the candidates."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pyarrow as pa

from trueneg.pipeline.auto import auto_choice
from trueneg.pipeline.context import MineContext
from trueneg.pipeline.frames import candidate_frame, row_keys
from trueneg.pipeline.prepared import Prepared
from trueneg.pipeline.rescore import attach_judge
from trueneg.run import fingerprint
from trueneg.select import (
    Filter,
    Sampler,
    SelectionResult,
    resolve_filters,
    resolve_sampler,
    select,
)
from trueneg.select.auto import AutoChoice
from trueneg.select.base import CandidateFrame
from trueneg.select.weights import WEIGHT_COLUMN, negative_weights
from trueneg.settings import MineConfig

logger = logging.getLogger(__name__)

OUTPUTS = ["negatives.parquet", "query_stats_selected.parquet"]


@dataclass
class Selection:
    """What the select stage ran: the final filters and sampler, and ``auto``'s choice (None
    when the strategies were given)."""

    filters: list[Filter]
    sampler: Sampler
    choice: AutoChoice | None = None


def select_table(
    table: pa.Table,
    stats: pa.Table,
    filters: list[Filter],
    sampler: Sampler,
    num_negatives: int,
    *,
    shortfall: str,
    seed: int,
) -> SelectionResult:
    """Select from a candidates table sorted by query then rank (``stats``: per query)."""
    frame = table_frame(table, stats)
    return select(frame, filters, sampler, num_negatives, shortfall=shortfall, seed=seed)


def table_frame(table: pa.Table, stats: pa.Table) -> CandidateFrame:
    """The candidate frame of a candidates table sorted by query then rank."""
    keys = row_keys(table["query_id"].to_pylist(), table["doc_id"].to_pylist())
    return candidate_frame(table, stats, keys)


def choose_strategies(ctx: MineContext, prepared: Prepared) -> Selection:
    """The given strategies, or ``auto``'s choice from the candidates."""
    cfg, plan = ctx.cfg, ctx.plan
    if not cfg.auto_filters:
        return Selection(plan.filters, plan.sampler)
    choice = auto_choice(ctx.run_dir, cfg, prepared)
    filters = resolve_filters(choice.filters)
    sampler = resolve_sampler(choice.sampler) if cfg.auto_sampler else plan.sampler
    logger.info(
        "select: auto chose %s, sampler %s — %s",
        [f.spec() for f in filters],
        sampler.spec(),
        choice.reason,
    )
    return Selection(filters, sampler, choice)


def _relabel_and_weights(cfg: MineConfig) -> tuple[object, ...]:
    """The settings besides the strategies that change the negatives table; none by default,
    so runs mined before they existed keep their fingerprint."""
    extra = (cfg.relabel_query_limit, cfg.negative_weights)
    return () if extra == (None, None) else extra


def select_stage(
    ctx: MineContext, prepared: Prepared, inputs_fp: tuple[str, str | None]
) -> Selection:
    """Write ``negatives`` (every candidate with ``kept`` and ``reason``) and the per-query
    counts; ``inputs_fp``: the retrieve and rescore fingerprints."""
    cfg, run_dir = ctx.cfg, ctx.run_dir
    start = time.perf_counter()
    selection = choose_strategies(ctx, prepared)
    filters, sampler = selection.filters, selection.sampler
    stage_fp = fingerprint(
        "select",
        inputs_fp,
        [f.spec() for f in filters],
        sampler.spec(),
        cfg.num_negatives,
        cfg.shortfall,
        cfg.seed,
        *_relabel_and_weights(cfg),
    )
    if run_dir.stage_done("select", stage_fp):
        logger.info("select: reusing negatives")
        ctx.timings["select"] = 0.0
        return selection
    table = run_dir.read_table("candidates.parquet")
    stats = run_dir.read_table("query_stats.parquet")
    if cfg.judge:
        table, stats = attach_judge(run_dir, table, stats)
    frame = table_frame(table, stats)
    result = select(
        frame,
        filters,
        sampler,
        cfg.num_negatives,
        shortfall=cfg.shortfall,
        seed=cfg.seed,
        relabel_query_limit=cfg.relabel_query_limit,
    )
    negatives = table.append_column("kept", pa.array(result.kept, type=pa.bool_()))
    negatives = negatives.append_column(
        "reason", pa.array(result.reason.tolist(), type=pa.string())
    )
    if cfg.negative_weights:
        weights = negative_weights(frame, cfg.negative_weights)
        negatives = negatives.append_column(WEIGHT_COLUMN, pa.array(weights, type=pa.float32()))
    stats = stats.append_column("kept", pa.array(result.per_query_kept, type=pa.int32()))
    stats = stats.append_column("dropped", pa.array(result.dropped_queries, type=pa.bool_()))
    run_dir.write_table("negatives.parquet", negatives)
    run_dir.write_table("query_stats_selected.parquet", stats)
    run_dir.mark_stage("select", stage_fp, outputs=OUTPUTS, seconds=time.perf_counter() - start)
    ctx.timings["select"] = round(time.perf_counter() - start, 3)
    return selection
