"""Rank buckets: the ranks every audit part reports by, and the false-negative rate per bucket."""

from __future__ import annotations

import numpy as np

from trueneg.audit.evidence import per_query
from trueneg.audit.findings import BucketRate

RANK_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (1, 5),
    (6, 10),
    (11, 30),
    (31, 100),
    (101, None),
)


def bucket_label(lo: int, hi: int | None) -> str:
    return f"{lo}-{hi}" if hi is not None else f"{lo}+"


def bucket_index(rank: np.ndarray) -> np.ndarray:
    """Index into :data:`RANK_BUCKETS` of every rank (1-based)."""
    lows = np.array([lo for lo, _ in RANK_BUCKETS])
    return np.searchsorted(lows, np.asarray(rank), side="right") - 1


def bucket_rates(
    rank: np.ndarray,
    positive: np.ndarray,
    mask: np.ndarray | None = None,
    query: np.ndarray | None = None,
) -> list[BucketRate]:
    """Rows and share of ``positive`` rows per non-empty rank bucket (within ``mask``), each
    with its evidence (:func:`~trueneg.audit.evidence.per_query`; ``query`` gives each row's
    query, None counts every row as its own)."""
    mask = np.ones(rank.shape[0], dtype=bool) if mask is None else mask
    query = np.arange(rank.shape[0]) if query is None else query
    index = np.full(rank.shape[0], -1)
    index[mask] = bucket_index(rank[mask])
    out = []
    for b in np.unique(index[mask]):
        counted = per_query(query, positive, index == b)
        out.append(
            BucketRate(
                bucket_label(*RANK_BUCKETS[b]),
                counted.rows,
                counted.hits,
                counted.rate,
                counted.queries,
                counted.ci_low,
                counted.ci_high,
                counted.reason,
            )
        )
    return out
