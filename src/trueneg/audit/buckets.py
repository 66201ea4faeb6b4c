"""Rank buckets: the ranks every audit part reports by, and the false-negative rate per bucket."""

from __future__ import annotations

import numpy as np

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
