"""Data health: label noise and duplicates that no selection strategy can fix on its own.

These describe the whole run — every query, every kept negative — not a sample, so its shares
are exact: they carry their counts but no interval."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from trueneg.audit.findings import DataHealth

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext

TOP_K = 10
NEAR_DUPLICATE = (0.9, 0.95)
RANK_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def positive_rank_signals(
    positive_rank: np.ndarray, top_k: int, depth: int
) -> tuple[float, float, dict[str, float]]:
    """Share of queries whose best positive ranks below ``top_k`` and below ``depth``, and
    quantiles of that rank (rank 0 = unknown, left out)."""
    known = positive_rank[positive_rank > 0].astype(np.float64)
    if known.size == 0:
        return float("nan"), float("nan"), {}
    quantiles = {f"q{round(q * 100)}": float(np.quantile(known, q)) for q in RANK_QUANTILES}
    return float((known > top_k).mean()), float((known > depth).mean()), quantiles


def other_query_positives(kept_docs: np.ndarray, positive_docs: set[str]) -> np.ndarray:
    """Mask of kept negatives that are some query's labeled positive (never their own query's:
    the retriever masks those)."""
    return np.fromiter((d in positive_docs for d in kept_docs), dtype=bool, count=len(kept_docs))


def near_duplicate_shares(pos_cosine: np.ndarray | None) -> dict[str, float]:
    """Share of kept negatives whose cosine to a labeled positive is at least each threshold."""
    if pos_cosine is None:
        return {}
    values = pos_cosine[np.isfinite(pos_cosine)]
    if values.size == 0:
        return {}
    return {f"pos_cosine >= {t:g}": float((values >= t).mean()) for t in NEAR_DUPLICATE}


def data_health(ctx: AuditContext) -> DataHealth:
    """The :class:`DataHealth` part of the report."""
    kept = ctx.negatives.filter(ctx.negatives["kept"])
    depth = ctx.search_depth(ctx.config.get("filters") or [])
    top, beyond, quantiles = positive_rank_signals(
        ctx.stats["positive_rank"].to_numpy(zero_copy_only=False), TOP_K, depth
    )
    positive_docs = {d for docs in ctx.positives_by_query.values() for d in docs}
    other = other_query_positives(
        np.asarray(kept["doc_id"].to_pylist(), dtype=object), positive_docs
    )
    cosine = (
        kept["pos_cosine"].to_numpy(zero_copy_only=False).astype(np.float64)
        if "pos_cosine" in kept.column_names
        else None
    )
    ranks = ctx.stats["positive_rank"].to_numpy(zero_copy_only=False)
    return DataHealth(
        queries=ctx.stats.num_rows,
        positive_not_in_top_k=top,
        top_k=TOP_K,
        kept_other_query_positive=int(other.sum()),
        kept_other_query_positive_share=float(other.mean()) if other.size else 0.0,
        near_duplicate_share=near_duplicate_shares(cosine),
        positive_rank_quantiles=quantiles,
        depth=depth,
        positive_beyond_depth=beyond,
        ranked_queries=int((ranks > 0).sum()),
        kept=int(other.size),
        kept_with_cosine=None if cosine is None else int(np.isfinite(cosine).sum()),
    )
