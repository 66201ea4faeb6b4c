"""The hidden-qrels protocol: hide some labeled positives, mine again, count the hidden ones kept.

For every query with at least two labeled positives, a seeded draw hides
``round(hide_fraction · n)`` of them (at least one stays visible). The run's retriever searches
again with only the visible positives masked, so hidden positives come back as candidates, as an
unlabeled relevant document would. The run's own strategy and a few reference strategies then
select from those candidates; a kept negative that is a hidden positive is a *known* false
negative. Qrels are incomplete, so every rate here is a lower bound.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from trueneg.audit.report import RANK_BUCKETS, BucketRate, HiddenQrels, StrategyRate, bucket_label
from trueneg.config import PERCENT_FILTERS
from trueneg.errors import ConfigError
from trueneg.pipeline import candidate_frame, candidates_table, id_hashes, pos_cosine, row_keys

if TYPE_CHECKING:
    from trueneg.audit.core import AuditContext

logger = logging.getLogger(__name__)

RUN = "this run's strategy"


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


def hide_positives(
    query_ids: Sequence[str],
    positives: Sequence[np.ndarray],
    doc_ids: Sequence[str],
    fraction: float,
    seed: int,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per query, the visible and the hidden positive positions.

    The draw is seeded and depends only on the (query id, doc id) pairs, not on their order:
    each pair gets a hash of ``(seed, query id, doc id)`` and the smallest hashes are hidden.
    """
    visible, hidden = [], []
    for query_id, pos in zip(query_ids, positives, strict=True):
        n = int(pos.size)
        count = min(n - 1, int(np.floor(fraction * n + 0.5))) if n >= 2 else 0
        if count <= 0:
            visible.append(pos)
            hidden.append(pos[:0])
            continue
        keys = row_keys([f"{seed}\x1f{query_id}"] * n, [doc_ids[p] for p in pos])
        order = np.argsort(keys, kind="stable")
        hidden.append(np.sort(pos[order[:count]]))
        visible.append(np.sort(pos[order[count:]]))
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
) -> HiddenSplit | None:
    """Hide, re-retrieve and re-select; None when no query has a positive to hide."""
    prepared = ctx.prepared
    visible, hidden = hide_positives(
        prepared.query_ids, prepared.positives, prepared.doc_ids, fraction, seed
    )
    eligible = np.flatnonzero([h.size > 0 for h in hidden])
    if eligible.size == 0:
        return None
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
    return split


def _search(
    ctx: AuditContext,
    eligible: np.ndarray,
    visible: list[np.ndarray],
    qids: list[str],
    depth: int,
    show_progress: bool,
) -> tuple[pa.Table, pa.Table]:
    from trueneg.retrieve.base import SearchInput

    vectors = ctx.vectors()
    texts = ctx.prepared.dataset.query_texts()
    inputs = SearchInput(
        query_texts=[texts[i] for i in eligible],
        doc_texts=ctx.doc_texts,
        positives=visible,
        query_embeddings=np.asarray(vectors[0][eligible]) if vectors else None,
        doc_embeddings=vectors[1] if vectors else None,
    )
    logger.info("hidden qrels: searching %d queries again, top %d", len(qids), depth)
    cands = ctx.retriever().search(inputs, depth, show_progress=show_progress)
    if vectors is not None:
        cands.columns["pos_cosine"] = pos_cosine(cands, visible, vectors[1])
    table, stats = candidates_table(cands, qids, ctx.prepared.doc_ids, visible)
    return ctx.attach_judge(table, stats, visible)


def _replay(
    ctx: AuditContext, split: HiddenSplit, stats: pa.Table, strategy: Strategy, depth: int
) -> None:
    """Select with ``strategy`` on the candidates ranked ``<= depth``; store its keep-mask."""
    from trueneg.select import select

    rows = np.flatnonzero(split.rank <= depth)
    table = split.table.take(pa.array(rows))
    counts = np.bincount(_query_positions(table, split.query_ids), minlength=len(split.query_ids))
    stats = stats.set_column(
        stats.schema.get_field_index("candidates"), "candidates", pa.array(counts.astype(np.int32))
    )
    frame = candidate_frame(
        table, stats, row_keys(table["query_id"].to_pylist(), table["doc_id"].to_pylist())
    )
    cfg = ctx.config
    try:
        result = select(
            frame,
            list(strategy.filters),
            strategy.sampler,
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


def bucket_index(rank: np.ndarray) -> np.ndarray:
    """Index into :data:`RANK_BUCKETS` of every rank (1-based)."""
    lows = np.array([lo for lo, _ in RANK_BUCKETS])
    return np.searchsorted(lows, np.asarray(rank), side="right") - 1


def bucket_rates(
    rank: np.ndarray, positive: np.ndarray, mask: np.ndarray | None = None
) -> list[BucketRate]:
    """Rows and share of ``positive`` rows per non-empty rank bucket (within ``mask``)."""
    mask = np.ones(rank.shape[0], dtype=bool) if mask is None else mask
    index = bucket_index(rank[mask])
    rows = np.bincount(index, minlength=len(RANK_BUCKETS))
    hits = np.bincount(
        index, weights=positive[mask].astype(np.float64), minlength=len(RANK_BUCKETS)
    )
    return [
        BucketRate(
            bucket_label(*RANK_BUCKETS[b]), int(rows[b]), float(hits[b]), float(hits[b] / rows[b])
        )
        for b in range(len(RANK_BUCKETS))
        if rows[b]
    ]


def summarize_split(split: HiddenSplit, fraction: float, seed: int, k: int) -> HiddenQrels:
    """The :class:`HiddenQrels` part of the report."""
    rank = split.rank
    in_run_depth = rank <= split.run_depth
    qpos = _query_positions(split.table, split.query_ids)
    rates = []
    for s in split.strategies:
        kept = split.kept.get(s.name)
        if kept is None:
            continue
        per_query = np.bincount(qpos[kept], minlength=len(split.query_ids))
        fn = int(np.count_nonzero(kept & split.is_hidden))
        n = int(kept.sum())
        rates.append(
            StrategyRate(
                s.name,
                list(s.filters),
                s.sampler,
                n,
                fn,
                fn / n if n else None,
                int((per_query > 0).sum()),
                int((per_query >= k).sum()),
                bucket_rates(rank, split.is_hidden, kept),
            )
        )
    run_rate = next((r.fn_rate for r in rates if r.strategy == RUN), None)
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
        candidate_rate_by_rank=bucket_rates(rank, split.is_hidden, in_run_depth),
        strategies=rates,
        run_strategy=RUN,
        false_negative_rate=run_rate,
        notes=notes,
    )


def query_halves(query_ids: Sequence[str], seed: int) -> np.ndarray:
    """A seeded, order-independent split of queries in two halves (True = calibration)."""
    return (id_hashes([f"half\x1f{seed}\x1f{q}" for q in query_ids]) & np.uint64(1)) == 0
