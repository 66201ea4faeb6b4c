"""Depth advice: the window of ranks where a true negative is worth more than a false one costs.

``docs/algorithms.md`` §9.2: admitting rank ``r`` is worth ``κ(1 − f(r))·b(r)`` minus the cost
of the false negatives it lets in, where ``f(r)`` is the false-negative rate at rank ``r``,
``b(r)`` the value of a true negative there, and a filter keeps true negatives with rate ``κ`` and
removes false negatives with recall ``ρ`` (no filter: ``κ = 1, ρ = 0``).

``b(r)`` is the student's softmax weight at rank ``r`` (MNRL scale 20, i.e. temperature 0.05,
over each query's candidate scores, averaged over queries), shown relative to ``b(1)``. A false
negative at rank ``r`` receives the same softmax weight, i.e. the same share of the gradient,
pushing the query away from a relevant document, so its cost is ``false_negative_cost · b(r)``::

    EU(r) = b(r) · (κ(1 − f(r)) − (1 − ρ)·f(r)·false_negative_cost)

Rank ``r`` is admitted iff ``f(r) < κ / (κ + (1 − ρ)·false_negative_cost)``; with the default
``false_negative_cost = 9`` (one false negative undoes nine true ones) that is ``f < 10%``. Because
``f`` falls with rank, the admitted ranks start at ``r_min``; the window ends where a negative
carries less than 1% of the weight of one at ``r_min`` (deeper ones teach almost nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from trueneg.audit.buckets import RANK_BUCKETS, bucket_index, bucket_label
from trueneg.audit.findings import BucketRate, DepthAdvice, HiddenQrels, JudgeEstimate

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext

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


def depth_advice(
    ctx: AuditContext,
    hidden: HiddenQrels | None,
    estimate: JudgeEstimate | None,
    false_negative_cost: float,
) -> tuple[DepthAdvice | None, str]:
    """The advice, or None and one sentence saying why it cannot be given."""
    if hidden is not None and hidden.candidate_rate_by_rank:
        basis = "hidden-qrels false-negative rate of all candidates by rank (a lower bound)"
        buckets = hidden.candidate_rate_by_rank
    elif estimate is not None and estimate.by_rank:
        basis = "judge estimate by rank bucket (kept negatives only)"
        buckets = estimate.by_rank
    else:
        return None, (
            "needs f(r): the hidden-qrels protocol (several positives per query) or a "
            "judge estimate (--judge)"
        )
    column = _cosine_column(ctx)
    if column is None:
        return None, (
            "needs cosine scores to weigh ranks by the student's softmax; this run's "
            "retriever gives none (use exact or hybrid)"
        )
    neg = ctx.negatives
    qpos = np.unique(np.asarray(neg["query_id"].to_pylist(), dtype=object), return_inverse=True)[1]
    rank = neg["rank"].to_numpy().astype(np.int64)
    b = softmax_weights(qpos, rank, neg[column].to_numpy(zero_copy_only=False))
    if b.size == 0 or b[0] <= 0:
        return None, "the run has no candidates to weigh"
    value = b / b[0]
    f = rates_by_rank(buckets, value.size)
    utility = expected_utility(f, value, false_negative_cost)
    admitted = utility > 0
    window = best_window(utility, value)
    advice = DepthAdvice(
        basis=basis,
        window=window,
        rank_window_filter=f"rank-window:{window[0]}-{window[1] + 1}" if window else None,
        percent_filter=None,
        ceiling=None,
        false_negative_cost=false_negative_cost,
        table=_table(f, value, false_negative_cost, admitted, estimate),
    )
    _percent_and_ceiling(ctx, advice, qpos, rank, f, value, estimate)
    return advice, ""


def _cosine_column(ctx: AuditContext) -> str | None:
    names = ctx.negatives.column_names
    if "score_dense" in names:
        return "score_dense"
    return "score" if str(ctx.config.get("retriever", "exact")).startswith("exact") else None


def _table(
    f: np.ndarray,
    value: np.ndarray,
    cost: float,
    admitted: np.ndarray,
    estimate: JudgeEstimate | None,
) -> list[dict]:
    rows = []
    index = bucket_index(np.arange(1, value.size + 1))
    for i in np.unique(index):
        at = index == i
        row = {
            "ranks": bucket_label(*RANK_BUCKETS[i]),
            "f": float(np.nanmean(f[at])) if np.isfinite(f[at]).any() else None,
            "value b/b(1)": float(value[at].mean()),
            "EU / b(1)": float(np.nanmean(expected_utility(f[at], value[at], cost)))
            if np.isfinite(f[at]).any()
            else None,
            "admitted": f"{int(admitted[at].sum())}/{int(at.sum())} ranks",
            "break-even cost": _break_even(f[at], value[at]),
        }
        if estimate is not None and row["f"] is not None:
            row["FN share after judge"] = fn_ceiling(
                row["f"], estimate.recall_on_positives, 1 - estimate.false_alarm_rate
            )
        rows.append(row)
    return rows


def _percent_and_ceiling(
    ctx: AuditContext,
    advice: DepthAdvice,
    qpos: np.ndarray,
    rank: np.ndarray,
    f: np.ndarray,
    value: np.ndarray,
    estimate: JudgeEstimate | None,
) -> None:
    cost = advice.false_negative_cost
    window = advice.window
    advice.notes.append(
        f"b(r) = the student's softmax weight at rank r (scale {MNRL_SCALE:g} over each query's "
        "candidates, averaged over queries), relative to b(1). A false negative at rank r gets "
        f"the same weight, so it costs {cost:g} × b(r): EU(r) = b(r)·((1 − f) − "
        f"{cost:g}·f), admitting ranks with f < {1 / (1 + cost):.1%}; "
        "the window ends where b falls below 1% of its value at the window's first rank."
    )
    if window is None:
        advice.notes.append("No rank has a positive expected utility at this cost.")
        return
    if window[0] == 1:
        advice.notes.append("The window starts at rank 1: no percent filter is needed.")
    else:
        p = percent_at_rank(
            qpos,
            rank,
            ctx.negatives["score"].to_numpy(zero_copy_only=False),
            _positive_min(ctx),
            window[0],
        )
        advice.percent_filter = f"percent:{p}" if p is not None else None
    lo, hi = window
    mean_f = float(np.nanmean(f[lo - 1 : hi]))
    if estimate is not None:
        rho, kappa = estimate.recall_on_positives, 1 - estimate.false_alarm_rate
        advice.ceiling = fn_ceiling(mean_f, rho, kappa)
        advice.notes.append(
            f"Ceiling: with the judge as a filter at τ (recall ρ = {rho:.2f}, keep rate κ = "
            f"{kappa:.2f}) the window's false-negative share falls from {mean_f:.1%} to "
            f"{advice.ceiling:.1%} at best; mining deeper cannot beat the judge's precision."
        )


def _positive_min(ctx: AuditContext) -> np.ndarray:
    """``positive_min`` per query, in the order of ``np.unique`` of the negatives' query ids."""
    stats = ctx.stats
    by_query = dict(
        zip(
            stats["query_id"].to_pylist(),
            stats["positive_min"].to_numpy(zero_copy_only=False).tolist(),
            strict=True,
        )
    )
    queries = np.unique(np.asarray(ctx.negatives["query_id"].to_pylist(), dtype=object))
    return np.array([by_query.get(q, np.nan) for q in queries], dtype=np.float64)


def _break_even(f: np.ndarray, value: np.ndarray) -> float | None:
    """The cost ratio at which the bucket turns from admitted to rejected: (1 − f) / f."""
    if not np.isfinite(f).any() or np.nanmean(f) <= 0:
        return None
    mean_f = float(np.nanmean(f))
    return (1 - mean_f) / mean_f
