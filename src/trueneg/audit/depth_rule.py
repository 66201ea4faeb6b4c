"""The depth rule in plain numpy: b(r), the expected utility of admitting a rank, the admitted
window, and the fLaws ceiling a judge filter sets (the reasoning: :mod:`trueneg.audit.depth`).
"""

from __future__ import annotations

import numpy as np

from trueneg.audit.buckets import RANK_BUCKETS, bucket_index, bucket_label
from trueneg.audit.findings import BucketRate, Proportion

MNRL_SCALE = 20.0


def softmax_weights(
    query_index: np.ndarray, rank: np.ndarray, score: np.ndarray, scale: float = MNRL_SCALE
) -> np.ndarray:
    """``b(r)`` for ``r = 1..max(rank)``: per query softmax of ``scale·score`` over its candidates,
    averaged over the queries that have a candidate at rank ``r`` (0 where none has)."""
    ok = np.isfinite(score)
    query_index, rank, score = query_index[ok], rank[ok], score[ok].astype(np.float64)
    if score.size == 0:
        return np.zeros(0)
    n_q = int(query_index.max()) + 1
    top = np.full(n_q, -np.inf)
    np.maximum.at(top, query_index, score)
    weight = np.exp(scale * (score - top[query_index]))
    weight /= np.bincount(query_index, weights=weight, minlength=n_q)[query_index]
    sums = np.bincount(rank - 1, weights=weight)
    counts = np.bincount(rank - 1)
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


def expected_utility(
    f: np.ndarray, b: np.ndarray, cost: float, kappa: float = 1.0, rho: float = 0.0
) -> np.ndarray:
    """``b·(κ(1 − f) − (1 − ρ)·f·cost)`` per rank (NaN where ``f`` is unknown)."""
    return b * (kappa * (1.0 - f) - (1.0 - rho) * f * cost)


def best_window(
    utility: np.ndarray, value: np.ndarray | None = None, min_value: float = 0.01
) -> tuple[int, int] | None:
    """The admitted window ``(lo, hi)`` (1-based, inclusive): ``lo`` is the first rank after the
    last rank of negative utility, ``hi`` the last admitted rank whose value is still at least
    ``min_value`` × the value at ``lo``. Ranks of unknown utility (NaN) are skipped."""
    known = np.isfinite(utility)
    bad = np.flatnonzero(known & (utility <= 0))
    start = int(bad[-1]) + 1 if bad.size else 0
    good = np.flatnonzero(known[start:] & (utility[start:] > 0)) + start
    if good.size == 0:
        return None
    lo = int(good[0])
    if value is not None:
        good = good[value[good] >= min_value * value[lo]]
    return lo + 1, int(good[-1]) + 1


def fn_ceiling(f: float, rho: float, kappa: float) -> float:
    """FN share among kept negatives after a filter with recall ``ρ`` and keep rate ``κ``."""
    kept_fn, kept_tn = (1 - rho) * f, kappa * (1 - f)
    return float(kept_fn / (kept_fn + kept_tn)) if kept_fn + kept_tn > 0 else 0.0


def percent_at_rank(
    query_index: np.ndarray, rank: np.ndarray, score: np.ndarray, positive_min: np.ndarray, lo: int
) -> float | None:
    """The ``percent:P`` whose cut falls at rank ``lo`` for the median query: P solves
    ``s_lo = s⁺ − |s⁺|(1 − P)`` (the filter's sign-safe form). None when no valid P (0 < P ≤ 1)
    cuts there: at rank ``lo`` the median candidate scores above the positive."""
    at = rank == lo
    s, s_pos = score[at].astype(np.float64), positive_min[query_index[at]].astype(np.float64)
    ok = np.isfinite(s) & np.isfinite(s_pos) & (s_pos != 0)
    if not ok.any():
        return None
    p = float(np.median(1.0 - (s_pos[ok] - s[ok]) / np.abs(s_pos[ok])))
    return round(p, 3) if 0 < p <= 1 else None


def rates_by_rank(buckets: list[BucketRate], depth: int) -> np.ndarray:
    """Per rank 1..depth, the rate of its bucket (NaN where the bucket has no measurement)."""
    by_label = {b.bucket: b.rate for b in buckets if b.rate is not None}
    labels = [bucket_label(*bk) for bk in RANK_BUCKETS]
    index = bucket_index(np.arange(1, depth + 1))
    return np.array([by_label.get(labels[i], np.nan) for i in index], dtype=np.float64)


def informs_advice(bucket: BucketRate, width: float) -> bool:
    """Whether a bucket's rate has the evidence to inform the advice: computable, with a 95%
    interval at most ``width`` wide (:func:`~trueneg.audit.evidence.advice_width`)."""
    if bucket.rate is None or bucket.ci_low is None or bucket.ci_high is None:
        return False
    return bucket.ci_high - bucket.ci_low <= width + 1e-12


def ceiling_bounds(
    f: tuple[float, float], rho: Proportion | None, alarms: Proportion | None
) -> tuple[float, float] | None:
    """An interval for :func:`fn_ceiling` from the ends of the intervals of ``f``, the recall
    ``ρ`` and the false-alarm rate ``α = 1 − κ`` (the ceiling rises with ``f`` and ``α`` and
    falls with ``ρ``): conservative. None when ``ρ`` or ``α`` is not computable."""
    if rho is None or alarms is None or rho.ci_low is None or alarms.ci_low is None:
        return None
    low = fn_ceiling(f[0], rho.ci_high, 1 - alarms.ci_low)
    high = fn_ceiling(f[1], rho.ci_low, 1 - alarms.ci_high)
    return low, high
