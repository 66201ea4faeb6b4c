"""The hidden-qrels protocol: hide some labeled positives, mine again, count the hidden ones kept.

For every query with at least two labeled positives, a seeded draw hides
``round(hide_fraction · n)`` of them (at least one stays visible); the draw is trueneg's one
hidden-positives draw (:func:`trueneg.data.hidden.draw_hidden`, the benchmarks' hidden
splits use it too). The run's retriever searches again with only the visible positives masked
(:func:`~trueneg.pipeline.find_candidates`), so hidden positives come back as candidates, as an
unlabeled relevant document would. The run's own strategy and a few reference strategies then
select from those candidates (:func:`~trueneg.pipeline.select_table`); a kept negative that is
a hidden positive is a *known* false negative. Qrels are incomplete, so every rate here is a
lower bound.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from trueneg.audit.buckets import bucket_rates
from trueneg.audit.evidence import CLUSTERED_WILSON, counted, too_few_queries
from trueneg.audit.findings import HiddenQrels, StrategyRate
from trueneg.data.hidden import draw_hidden
from trueneg.errors import ConfigError
from trueneg.pipeline import candidates_table, find_candidates, select_table
from trueneg.retrieve import SearchInput
from trueneg.select import resolve_filters, resolve_sampler
from trueneg.settings import PERCENT_FILTERS

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext

logger = logging.getLogger(__name__)

RUN = "this run's strategy"
ELIGIBLE = (
    "a query is eligible with two or more labeled positives: one is hidden while one stays "
    "visible, unless the hide fraction rounds its hidden count to zero"
)


@dataclass(frozen=True)
class Strategy:
    """A selection strategy to replay on the hidden split: filter specs and a sampler spec."""

    name: str
    filters: tuple[str, ...]
    sampler: str


REFERENCE_STRATEGIES = (
    Strategy("naive top-k", (), "top"),
    Strategy("percent 0.95", ("percent:0.95",), "top"),
    Strategy("rank-window 10-110", ("rank-window:10-110",), "random"),
    Strategy("percent 0.95 + near-duplicate", PERCENT_FILTERS, "top"),
)


@dataclass
class HiddenSplit:
    """The re-mined candidates of the eligible queries and what each strategy kept.

    ``table`` holds the candidates (ids, rank, scores) sorted by query then rank, up to the
    deepest depth any strategy needs; ``is_hidden`` marks rows that are hidden positives;
    ``kept`` maps a strategy name to its keep-mask over ``table`` rows.
    """

    query_ids: list[str]
    hidden_ids: dict[str, set[str]]
    table: pa.Table
    is_hidden: np.ndarray
    run_depth: int
    kept: dict[str, np.ndarray] = field(default_factory=dict)
    strategies: list[Strategy] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rank(self) -> np.ndarray:
        return self.table["rank"].to_numpy()

    def row_query(self) -> np.ndarray:
        return np.asarray(self.table["query_id"].to_pylist(), dtype=object)


def hidden_count(n: int, fraction: float) -> int:
    """How many of a query's ``n`` labeled positives to hide: ``round(fraction · n)``, halves
    rounded up, always leaving one visible (none of a single positive)."""
    return min(n - 1, int(np.floor(fraction * n + 0.5))) if n >= 2 else 0


def hide_positives(
    query_ids: Sequence[str],
    positives: Sequence[np.ndarray],
    doc_ids: Sequence[str],
    fraction: float,
    seed: int,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per query, the visible and the hidden positive positions.

    The draw is :func:`~trueneg.data.hidden.draw_hidden` over each query's positives sorted
    by doc id, so it depends on the seed and the (query id, doc id) pairs, not on their order;
    each query hides :func:`hidden_count` of them.
    """
    where = [{doc_ids[p]: int(p) for p in pos} for pos in positives]
    sorted_ids = {q: sorted(w) for q, w in zip(query_ids, where, strict=True)}
    draw = draw_hidden(sorted_ids, seed, lambda n: n - hidden_count(n, fraction))
    visible, hidden = [], []
    for query_id, pos, position in zip(query_ids, positives, where, strict=True):
        shown, hid = draw[query_id]
        visible.append(np.sort(np.array([position[d] for d in shown], dtype=pos.dtype)))
        hidden.append(np.sort(np.array([position[d] for d in hid], dtype=pos.dtype)))
    return visible, hidden


def strategies_for(config: dict[str, Any], extra: Sequence[Strategy] | None) -> list[Strategy]:
    """The run's strategy first, then the references (or ``extra``), duplicates dropped."""
    run = Strategy(RUN, tuple(config.get("filters") or ()), str(config.get("sampler", "top")))
    out, seen = [run], {(run.filters, run.sampler)}
    for s in REFERENCE_STRATEGIES if extra is None else extra:
        s = s if isinstance(s, Strategy) else _named(*s)
        if (tuple(s.filters), s.sampler) not in seen:
            seen.add((tuple(s.filters), s.sampler))
            out.append(replace(s, filters=tuple(s.filters)))
    return out


def _named(filters: Sequence[str], sampler: str) -> Strategy:
    return Strategy(f"{' + '.join(filters) or 'no filter'} / {sampler}", tuple(filters), sampler)


def build_split(
    ctx: AuditContext,
    fraction: float,
    seed: int,
    strategies: list[Strategy],
    show_progress: bool = False,
) -> tuple[HiddenSplit | None, str]:
    """Hide, re-retrieve and re-select; (None, why) when too few queries have a positive to
    hide for any rate to be computed (:data:`~trueneg.audit.evidence.MIN_QUERIES`)."""
    prepared = ctx.prepared
    visible, hidden = hide_positives(
        prepared.query_ids, prepared.positives, prepared.doc_ids, fraction, seed
    )
    eligible = np.flatnonzero([h.size > 0 for h in hidden])
    reason = too_few_queries(int(eligible.size), "eligible", ELIGIBLE)
    if reason is not None:
        return None, reason
    depths = {s.name: ctx.search_depth(s.filters) for s in strategies}
    depth = max(depths.values())
    vis = [visible[i] for i in eligible]
    qids = [prepared.query_ids[i] for i in eligible]
    table, stats = _search(ctx, eligible, vis, qids, depth, show_progress)
    hidden_ids = {prepared.query_ids[i]: {prepared.doc_ids[p] for p in hidden[i]} for i in eligible}
    pair = np.char.add(
        np.asarray(table["query_id"].to_pylist(), dtype=str),
        np.char.add("\x1f", np.asarray(table["doc_id"].to_pylist(), dtype=str)),
    )
    wanted = [f"{q}\x1f{d}" for q, docs in hidden_ids.items() for d in docs]
    split = HiddenSplit(
        qids, hidden_ids, table, np.isin(pair, wanted), run_depth=depths[RUN], strategies=strategies
    )
    for s in strategies:
        _replay(ctx, split, stats, s, depths[s.name])
    return split, ""


def _search(
    ctx: AuditContext,
    eligible: np.ndarray,
    visible: list[np.ndarray],
    qids: list[str],
    depth: int,
    show_progress: bool,
) -> tuple[pa.Table, pa.Table]:
    """The mine's retrieve step on the eligible queries, only their visible positives masked."""
    vectors = ctx.vectors
    inputs = SearchInput(
        query_texts=[ctx.query_texts[i] for i in eligible],
        doc_texts=ctx.doc_texts,
        positives=visible,
        query_embeddings=np.asarray(vectors[0][eligible]) if vectors else None,
        doc_embeddings=vectors[1] if vectors else None,
    )
    logger.info("hidden qrels: searching %d queries again, top %d", len(qids), depth)
    cands = find_candidates(ctx.retriever(), inputs, depth, show_progress=show_progress)
    table, stats = candidates_table(cands, qids, ctx.prepared.doc_ids, visible)
    return ctx.attach_judge(table, stats, visible)


def _replay(
    ctx: AuditContext, split: HiddenSplit, stats: pa.Table, strategy: Strategy, depth: int
) -> None:
    """Select with ``strategy`` on the candidates ranked ``<= depth``; store its keep-mask."""
    rows = np.flatnonzero(split.rank <= depth)
    table = split.table.take(pa.array(rows))
    counts = np.bincount(_query_positions(table, split.query_ids), minlength=len(split.query_ids))
    stats = stats.set_column(
        stats.schema.get_field_index("candidates"), "candidates", pa.array(counts.astype(np.int32))
    )
    cfg = ctx.config
    try:
        result = select_table(
            table,
            stats,
            resolve_filters(list(strategy.filters)),
            resolve_sampler(strategy.sampler),
            cfg["num_negatives"],
            shortfall=cfg.get("shortfall", "keep-short"),
            seed=cfg.get("seed", 0),
        )
    except ConfigError as exc:
        split.notes.append(f"strategy {strategy.name!r} could not be replayed: {exc.message}")
        return
    kept = np.zeros(split.table.num_rows, dtype=bool)
    kept[rows[result.kept]] = True
    split.kept[strategy.name] = kept


def _query_positions(table: pa.Table, query_ids: list[str]) -> np.ndarray:
    position = {q: i for i, q in enumerate(query_ids)}
    return np.fromiter(
        (position[q] for q in table["query_id"].to_pylist()), dtype=np.int64, count=table.num_rows
    )


def query_positions(split: HiddenSplit) -> np.ndarray:
    """Each row's query, as its position in ``split.query_ids``."""
    return _query_positions(split.table, split.query_ids)


def summarize_split(split: HiddenSplit, fraction: float, seed: int, k: int) -> HiddenQrels:
    """The :class:`HiddenQrels` part of the report: every rate with its evidence."""
    rank = split.rank
    qpos = query_positions(split)
    rates = [_strategy_rate(split, s, qpos, k) for s in split.strategies if s.name in split.kept]
    run = next((r for r in rates if r.strategy == RUN), None)
    notes = [
        *split.notes,
        "A lower bound: qrels are incomplete, so an unlabeled relevant "
        "document that is kept counts as a true negative here.",
    ]
    return HiddenQrels(
        hide_fraction=fraction,
        seed=seed,
        queries_eligible=len(split.query_ids),
        positives_hidden=sum(len(v) for v in split.hidden_ids.values()),
        candidate_rate_by_rank=bucket_rates(rank, split.is_hidden, rank <= split.run_depth, qpos),
        strategies=rates,
        run_strategy=RUN,
        false_negative_rate=run.fn_rate if run else None,
        notes=notes,
        ci_low=run.ci_low if run else None,
        ci_high=run.ci_high if run else None,
        interval=CLUSTERED_WILSON,
        reason=run.reason if run else "this run's strategy could not be replayed",
        depth=split.run_depth,
    )


def _strategy_rate(split: HiddenSplit, s: Strategy, qpos: np.ndarray, k: int) -> StrategyRate:
    kept = split.kept[s.name]
    n_queries = len(split.query_ids)
    per_query = np.bincount(qpos[kept], minlength=n_queries)
    hits = np.bincount(qpos[kept & split.is_hidden], minlength=n_queries)
    rate = counted(hits, per_query)
    return StrategyRate(
        s.name,
        list(s.filters),
        s.sampler,
        int(kept.sum()),
        int(hits.sum()),
        rate.rate,
        int((per_query > 0).sum()),
        int((per_query >= k).sum()),
        bucket_rates(split.rank, split.is_hidden, kept, qpos),
        rate.ci_low,
        rate.ci_high,
        rate.reason,
    )
