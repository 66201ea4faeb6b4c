"""The Markdown report's judge sections (estimate and quality) and its table helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from trueneg.audit.findings import JudgeEstimate, JudgeQuality
from trueneg.audit.formatting import (
    DASH,
    estimate_buckets,
    interval,
    num,
    pct,
    proportion,
    statistic,
)


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def notes(items: list[str]) -> list[str]:
    return ["", *(f"- {note}" for note in items)] if items else []


def judge_estimate(estimate: JudgeEstimate) -> list[str]:
    lines = [
        f"Estimated false-negative rate: **{pct(estimate.estimated_false_negative_rate)}** "
        f"({interval(estimate.ci_low, estimate.ci_high)}) from {estimate.sample_size:,} "
        f"sampled kept negatives in {estimate.queries:,} queries ({estimate.pairs:,} judged "
        f"pairs in all; interval: {estimate.interval}).",
        "",
        f"Judge `{estimate.judge}` at threshold {num(estimate.threshold)} flagged "
        f"{pct(estimate.flagged_share)} of the sample ({num(estimate.flagged, 0)} of "
        f"{estimate.sample_size:,}, rank-weighted). Calibration: {estimate.calibration}. "
        f"Recall on the reference positives {proportion(estimate.recall, 'positives')}; "
        f"false-alarm rate on random documents "
        f"{proportion(estimate.false_alarms, 'documents')}.",
    ]
    needed = pairs_needed(estimate)
    if needed:
        lines += ["", needed]
    if estimate.by_rank:
        lines += ["", *table(["rank", "sampled", "queries", "rate"], estimate_buckets(estimate))]
    if estimate.validation:
        lines += ["", validation_text(estimate.validation)]
    return lines + notes(estimate.notes)


def pairs_needed(estimate: JudgeEstimate) -> str:
    widths = {k: v for k, v in estimate.pairs_for_width.items() if v is not None}
    if not widths:
        return ""
    width = estimate.ci_high - estimate.ci_low
    wanted = "; ".join(
        f"{v:,} for an interval {k} wide" if v > estimate.pairs else f"{k}: reached already"
        for k, v in widths.items()
    )
    return (
        f"Judged pairs for a narrower interval (width ∝ 1/√n: n′ = n·(width/target)², from "
        f"n = {estimate.pairs:,} pairs and today's width of {100 * width:.1f} points): {wanted}."
    )


def validation_text(v: dict[str, Any]) -> str:
    if "reason" in v:
        return f"Check against hidden qrels ({v.get('population')}): {v['reason']}."
    counted = v.get("hidden_qrels_count") or {}
    count_text = (
        f"{num(round(counted.get('hits', 0)))} of {counted.get('rows', 0):,} in "
        f"{counted.get('queries', 0):,} queries, "
        f"{interval(counted.get('ci_low'), counted.get('ci_high'))}"
    )
    return (
        f"Check against hidden qrels ({v.get('population')}): judge estimate "
        f"{pct(v.get('judge_estimate'))} ({interval(v.get('ci_low'), v.get('ci_high'))}) vs "
        f"counted {pct(v.get('hidden_qrels_rate'))} ({count_text}) — "
        f"{'agrees' if v.get('agrees') else 'disagrees'}. {v.get('explanation', '')}"
    )


def judge_quality(quality: JudgeQuality) -> list[str]:
    lines = [
        f"Judge `{quality.judge}` on {quality.pairs:,} {quality.population}. Hidden positives: "
        f"{proportion(quality.base_rate, 'candidates')}.",
        "",
        f"- ROC AUC: {statistic(quality.auc)}",
    ]
    if quality.brier is not None:
        lines.append(f"- Brier score: {statistic(quality.brier)}")
        lines.append(f"- expected calibration error: {statistic(quality.ece)}")
    lines.append(f"- scoring: {scoring(quality)}")
    if quality.operating_points:
        lines += ["", *table(OPERATING_HEADER, operating_rows(quality))]
    if quality.reliability:
        lines += ["", "Reliability (the observed share is a lower bound):", ""]
        lines += table(RELIABILITY_HEADER, reliability_rows(quality))
    return lines + notes([f"Intervals: {quality.interval}.", *quality.notes])


OPERATING_HEADER = [
    "threshold",
    "τ",
    "flagged",
    "precision",
    "recall",
    "false alarms (good negatives lost)",
    "FN share left (judged candidates)",
    "ceiling at this run's rate",
]
RELIABILITY_HEADER = ["judge score", "mean score", "observed hidden-positive share"]


def operating_rows(quality: JudgeQuality) -> list[list[str]]:
    return [
        [
            p.name,
            num(p.threshold, 4),
            f"{p.flagged:,}",
            proportion(p.precision),
            proportion(p.recall),
            proportion(p.false_alarm_rate),
            statistic(p.residual, percent=True),
            statistic(p.run_ceiling, percent=True) if p.run_ceiling else DASH,
        ]
        for p in quality.operating_points
    ]


def reliability_rows(quality: JudgeQuality) -> list[list[str]]:
    return [
        [f"{b.low:.1f}–{b.high:.1f}", num(b.mean_score), proportion(b.observed)]
        for b in quality.reliability
    ]


def scoring(quality: JudgeQuality) -> str:
    speed = f", {quality.pairs_per_s:.1f} pairs/s" if quality.pairs_per_s else ""
    return (
        f"{quality.pairs_scored:,} pairs scored, {quality.pairs_cached:,} from the judge "
        f"cache{speed}"
    )
