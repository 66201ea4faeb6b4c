"""``render_markdown``: an audit report as a concise Markdown page."""

from __future__ import annotations

from typing import Any

from trueneg.audit.findings import (
    AuditFindings,
    DataHealth,
    DepthAdvice,
    HiddenQrels,
)
from trueneg.audit.formatting import (
    BUCKET_NOTE,
    DASH,
    HEALTH_NOTE,
    STRATEGY_HEADER,
    cost_text,
    hidden_headline,
    interval,
    not_computed,
    num,
    pct,
    plain_text,
    share_of,
    statistic,
    strategy_rows,
    strategy_text,
)
from trueneg.audit.markdown_judge import judge_estimate, judge_quality, notes, table

PARTS = ("hidden_qrels", "judge_estimate", "judge_quality", "depth", "health", "suspicious")


def render_markdown(report: AuditFindings) -> str:
    """The whole report: key numbers, then one section per part (or why it is missing)."""
    lines = [f"# Audit of `{report.run}`", "", f"strategy: {strategy_text(report.strategy)}", ""]
    lines += _key_numbers(report)
    sections = (
        ("Hidden-qrels protocol", "hidden_qrels", _hidden_qrels),
        ("Judge estimate", "judge_estimate", judge_estimate),
        ("Judge quality against hidden qrels", "judge_quality", judge_quality),
        ("Depth advice", "depth", _depth),
        ("Data health", "health", _health),
    )
    for title, part, render in sections:
        value = getattr(report, part)
        body = render(value) if value is not None else [not_computed(report, part)]
        if part == "judge_quality" and report.judge_cost:
            body = [*body, "", _cost(report.judge_cost)]
        lines += ["", f"## {title}", "", *body]
    lines += ["", "## Most suspicious kept negatives", "", *_suspicious(report)]
    extra = {k: v for k, v in report.unavailable.items() if k not in PARTS}
    if extra:
        lines += ["", "## Not computed", ""]
        lines += [f"- {part}: not computed: {reason}" for part, reason in extra.items()]
    return "\n".join(lines) + "\n"


def _key_numbers(report: AuditFindings) -> list[str]:
    hidden = report.hidden_qrels
    hidden_text = hidden_headline(hidden) if hidden else not_computed(report, "hidden_qrels")
    estimate = report.judge_estimate
    if estimate:
        estimate_text = (
            f"{pct(estimate.estimated_false_negative_rate)} "
            f"({interval(estimate.ci_low, estimate.ci_high)}, bootstrap; "
            f"{estimate.sample_size:,} sampled kept negatives in {estimate.queries:,} queries)"
        )
    else:
        estimate_text = not_computed(report, "judge_estimate")
    quality = report.judge_quality
    quality_text = (
        f"ROC AUC {statistic(quality.auc)} on {quality.pairs:,} candidates in "
        f"{quality.queries:,} queries"
        if quality
        else not_computed(report, "judge_quality")
    )
    return [
        f"- false-negative rate, hidden qrels: {hidden_text}",
        f"- false-negative rate, judge estimate: {estimate_text}",
        f"- judge quality: {quality_text}",
    ]


def _hidden_qrels(hidden: HiddenQrels) -> list[str]:
    labels, rows = strategy_rows(hidden)
    lines = [
        f"Hid {pct(hidden.hide_fraction, 0)} of labeled positives (seed {hidden.seed}) "
        f"on {hidden.queries_eligible:,} eligible queries: {hidden.positives_hidden:,} hidden. "
        f"FN rate = share of kept negatives that are hidden positives; intervals: "
        f"{hidden.interval}. {BUCKET_NOTE}",
        "",
    ]
    header = [*STRATEGY_HEADER, *[f"rank {label}" for label in labels]]
    for row in rows:
        if row[0] == hidden.run_strategy:
            row[0] = f"**{row[0]}**"
    return lines + table(header, rows) + notes(hidden.notes)


def _depth(depth: DepthAdvice) -> list[str]:
    window = f"ranks {depth.window[0]}–{depth.window[1]}" if depth.window else "no window"
    lines = [
        f"Recommended: **{window}** (basis: {depth.basis}, false-negative cost = "
        f"{num(depth.false_negative_cost, 2)}× a true negative's value)."
    ]
    filters = [f"`{f}`" for f in (depth.rank_window_filter, depth.percent_filter) if f]
    bullets = [f"- filters: {', '.join(filters)}"] if filters else []
    if depth.evidence:
        bullets.append(f"- evidence: {depth.evidence}")
    if depth.ceiling is not None and depth.ceiling_ci is not None:
        bullets.append(
            f"- ceiling (set by the judge's precision): {pct(depth.ceiling)} "
            f"({interval(*depth.ceiling_ci)})"
        )
    lines += ["", *bullets] if bullets else []
    if depth.table:
        header = list(dict.fromkeys(k for row in depth.table for k in row))
        lines += ["", *table(header, ([num(row.get(k)) for k in header] for row in depth.table))]
    return lines + notes(depth.notes)


def _cost(cost: dict[str, Any]) -> str:
    return f"Remote judge cost: {cost_text(cost)}."


def _health(health: DataHealth) -> list[str]:
    rows = [
        ["queries", health.queries],
        [
            f"positive not in top {health.top_k}",
            share_of(health.positive_not_in_top_k, health.ranked_queries, "ranked queries"),
        ],
        [
            "kept negatives that are another query's positive",
            share_of(health.kept_other_query_positive_share, health.kept, "kept negatives"),
        ],
    ]
    rows += [
        [f"near-duplicate share, {k}", share_of(v, health.kept_with_cosine, "kept negatives")]
        for k, v in health.near_duplicate_share.items()
    ]
    quantiles = ", ".join(f"{k}={num(v, 0)}" for k, v in health.positive_rank_quantiles.items())
    rows.append(["positive's own rank", quantiles or DASH])
    return [*table(["signal", "value"], rows), "", HEALTH_NOTE]


def _suspicious(report: AuditFindings) -> list[str]:
    if not report.suspicious:
        return [
            not_computed(report, "suspicious") if "suspicious" in report.unavailable else "none"
        ]

    def short(text: Any, limit: int = 80) -> str:
        text = " ".join(plain_text(text).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    rows = [
        [
            short(s.get("query")),
            short(s.get("positive")),
            short(s.get("negative")),
            num(s.get("rank")),
            num(s.get("score")),
            num(s.get("judge")),
            short(s.get("why")),
        ]
        for s in report.suspicious
    ]
    return table(
        ["query", "positive", "suspicious negative", "rank", "score", "judge", "why"], rows
    )
