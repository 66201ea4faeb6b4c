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

No advice from too little evidence: a rank bucket's ``f`` informs the advice only when its 95%
interval is at most the admission threshold wide (:mod:`trueneg.audit.evidence`); ranks of
other buckets, and ranks deeper than the hidden-qrels split searched, are never admitted, and
the advice says what it rests on. The math is in :mod:`trueneg.audit.depth_rule`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from trueneg.audit.buckets import RANK_BUCKETS, bucket_index, bucket_label
from trueneg.audit.depth_rule import (
    MNRL_SCALE,
    best_window,
    ceiling_bounds,
    expected_utility,
    fn_ceiling,
    informs_advice,
    percent_at_rank,
    rates_by_rank,
    softmax_weights,
)
from trueneg.audit.evidence import MIN_QUERIES, advice_width
from trueneg.audit.findings import (
    BucketRate,
    DepthAdvice,
    HiddenQrels,
    JudgeEstimate,
    JudgeQuality,
    Proportion,
)
from trueneg.audit.formatting import count as count_text
from trueneg.audit.formatting import interval, pct

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext

HIDDEN_BASIS = "hidden-qrels false-negative rate of all candidates by rank (a lower bound)"


def depth_advice(
    ctx: AuditContext,
    hidden: HiddenQrels | None,
    estimate: JudgeEstimate | None,
    false_negative_cost: float,
    quality: JudgeQuality | None = None,
) -> tuple[DepthAdvice | None, str]:
    """The advice, or None and one sentence saying why it cannot be given (too little
    evidence included: no rank bucket whose rate is narrow enough to decide on)."""
    basis, buckets = _basis(hidden, estimate)
    if basis is None:
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
    width = advice_width(false_negative_cost)
    usable = [b for b in buckets if informs_advice(b, width)]
    if not usable:
        return None, _no_evidence(basis, buckets, width)
    neg = ctx.negatives
    qpos = np.unique(np.asarray(neg["query_id"].to_pylist(), dtype=object), return_inverse=True)[1]
    rank = neg["rank"].to_numpy().astype(np.int64)
    b = softmax_weights(qpos, rank, neg[column].to_numpy(zero_copy_only=False))
    if b.size == 0 or b[0] <= 0:
        return None, "the run has no candidates to weigh"
    value = b / b[0]
    f = rates_by_rank(usable, value.size)
    from_hidden = hidden is not None and buckets is hidden.candidate_rate_by_rank
    measured = hidden.depth if from_hidden else None
    if measured:
        f[measured:] = np.nan  # ranks deeper than the hidden split searched: never measured
    utility = expected_utility(f, value, false_negative_cost)
    window = best_window(utility, value)
    rho, alarms, source = _judge_rates(estimate, quality)
    advice = DepthAdvice(
        basis=basis,
        window=window,
        rank_window_filter=f"rank-window:{window[0]}-{window[1] + 1}" if window else None,
        percent_filter=None,
        ceiling=None,
        false_negative_cost=false_negative_cost,
        table=_table(buckets, usable, value, false_negative_cost, utility > 0, rho, alarms),
        evidence=_evidence(basis, hidden, estimate, buckets, usable, width),
    )
    _percent_and_ceiling(ctx, advice, qpos, rank, f, value, usable, (rho, alarms, source))
    return advice, ""


def _basis(
    hidden: HiddenQrels | None, estimate: JudgeEstimate | None
) -> tuple[str | None, list[BucketRate]]:
    if hidden is not None and hidden.candidate_rate_by_rank:
        return HIDDEN_BASIS, hidden.candidate_rate_by_rank
    if estimate is not None and estimate.by_rank:
        return "judge estimate by rank bucket (kept negatives only)", estimate.by_rank
    return None, []


def _no_evidence(basis: str, buckets: list[BucketRate], width: float) -> str:
    shown = "; ".join(f"ranks {b.bucket}: {_bucket_evidence(b)}" for b in buckets)
    return (
        f"too little evidence to advise: no rank bucket of the {basis} has a rate whose 95% "
        f"interval is at most {100 * width:.0f} points wide (the admission threshold "
        f"1/(1 + cost) it is compared with) — {shown}"
    )


def _bucket_evidence(b: BucketRate) -> str:
    count = count_text(b.false_negatives, b.rows, b.queries)
    if b.rate is None:
        return f"{count}, not computable ({b.reason})"
    return f"{count}, {pct(b.rate)} ({interval(b.ci_low, b.ci_high)})"


def _evidence(
    basis: str,
    hidden: HiddenQrels | None,
    estimate: JudgeEstimate | None,
    buckets: list[BucketRate],
    usable: list[BucketRate],
    width: float,
) -> str:
    unmeasured = ""
    if hidden is not None and buckets is hidden.candidate_rate_by_rank:
        source = (
            f"{hidden.positives_hidden:,} hidden positives of {hidden.queries_eligible:,} "
            f"queries among {sum(b.rows for b in buckets):,} candidates"
        )
        unmeasured = (
            f", nor ranks deeper than {hidden.depth} (not searched)" if hidden.depth else ""
        )
    else:
        source = f"{estimate.sample_size:,} judged kept negatives" if estimate else basis
    return (
        f"Rests on {source}; {len(usable)} of {len(buckets)} rank buckets had the evidence to "
        f"decide on (a rate from {MIN_QUERIES}+ queries whose 95% interval is at most "
        f"{100 * width:.0f} points wide); ranks of the other buckets are never "
        f"admitted{unmeasured}."
    )


def _judge_rates(
    estimate: JudgeEstimate | None, quality: JudgeQuality | None
) -> tuple[Proportion | None, Proportion | None, str]:
    """The judge's recall on relevant documents and false-alarm rate on true negatives: from the
    judge-quality measurement on the hidden split (hard candidates) where there is one, else
    from the judge estimate (reference positives, random documents)."""
    point = quality.operating_points[0] if quality and quality.operating_points else None
    if (
        point is not None
        and point.recall.rate is not None
        and point.false_alarm_rate.rate is not None
    ):
        return point.recall, point.false_alarm_rate, f"judge quality at {point.name}"
    if estimate is not None:
        return estimate.recall, estimate.false_alarms, "the judge estimate at τ"
    return None, None, ""


def _cosine_column(ctx: AuditContext) -> str | None:
    names = ctx.negatives.column_names
    if "score_dense" in names:
        return "score_dense"
    return "score" if str(ctx.config.get("retriever", "exact")).startswith("exact") else None


def _table(
    buckets: list[BucketRate],
    usable: list[BucketRate],
    value: np.ndarray,
    cost: float,
    admitted: np.ndarray,
    rho: Proportion | None,
    alarms: Proportion | None,
) -> list[dict]:
    rows = []
    index = bucket_index(np.arange(1, value.size + 1))
    by_label = {b.bucket: b for b in buckets}
    for i in np.unique(index):
        at = index == i
        bucket = by_label.get(bucket_label(*RANK_BUCKETS[i]))
        f = bucket.rate if bucket is not None and bucket in usable else None
        row = {
            "ranks": bucket_label(*RANK_BUCKETS[i]),
            "f (95% CI; count)": _bucket_evidence(bucket) if bucket else "no candidates",
            "value b/b(1)": float(value[at].mean()),
            "EU / b(1)": float(np.mean(expected_utility(f, value[at], cost)))
            if f is not None
            else None,
            "admitted": f"{int(admitted[at].sum())}/{int(at.sum())} ranks"
            + ("" if f is not None or bucket is None else " (too little evidence)"),
            "break-even cost": (1 - f) / f if f else None,
        }
        bounds = (
            ceiling_bounds((bucket.ci_low, bucket.ci_high), rho, alarms) if f is not None else None
        )
        if bounds is not None:
            row["FN share after judge"] = (
                f"{pct(fn_ceiling(f, rho.rate, 1 - alarms.rate))} ({interval(*bounds)})"
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
    usable: list[BucketRate],
    judge: tuple[Proportion | None, Proportion | None, str],
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
    inside = [b for b in usable if _overlaps(b.bucket, lo, hi)]
    f_bounds = (min(b.ci_low for b in inside), max(b.ci_high for b in inside))
    rho, alarms, source = judge
    bounds = ceiling_bounds(f_bounds, rho, alarms)
    if bounds is None:
        return
    advice.ceiling = fn_ceiling(mean_f, rho.rate, 1 - alarms.rate)
    advice.ceiling_ci = bounds
    advice.notes.append(
        f"Ceiling: with the judge as a filter ({source}: recall ρ = {pct(rho.rate)}, "
        f"false alarms α = {pct(alarms.rate)}) the window's false-negative share falls from "
        f"{mean_f:.1%} to {advice.ceiling:.1%} at best ({interval(*bounds)}, from the ends of "
        "the intervals of f, ρ and α); mining deeper cannot beat the judge's precision."
    )


def _overlaps(label: str, lo: int, hi: int) -> bool:
    bucket = next(b for b in RANK_BUCKETS if bucket_label(*b) == label)
    return bucket[0] <= hi and (bucket[1] is None or bucket[1] >= lo)


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
