"""``render_markdown``: an audit report as a concise Markdown page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from trueneg.audit.findings import (
    AuditFindings,
    DataHealth,
    DepthAdvice,
    HiddenQrels,
    JudgeEstimate,
)
from trueneg.audit.formatting import (
    DASH,
    interval,
    not_computed,
    num,
    pct,
    plain_text,
    strategy_rows,
    strategy_text,
)

PARTS = ("hidden_qrels", "judge_estimate", "depth", "health", "suspicious")


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def render_markdown(report: AuditFindings) -> str:
    """The whole report: key numbers, then one section per part (or why it is missing)."""
    lines = [f"# Audit of `{report.run}`", "", f"strategy: {strategy_text(report.strategy)}", ""]
    lines += _key_numbers(report)
    sections = (
        ("Hidden-qrels protocol", "hidden_qrels", _hidden_qrels),
        ("Judge estimate", "judge_estimate", _judge_estimate),
        ("Depth advice", "depth", _depth),
        ("Data health", "health", _health),
    )
    for title, part, render in sections:
        value = getattr(report, part)
        body = render(value) if value is not None else [not_computed(report, part)]
        lines += ["", f"## {title}", "", *body]
    lines += ["", "## Most suspicious kept negatives", "", *_suspicious(report)]
    extra = {k: v for k, v in report.unavailable.items() if k not in PARTS}
    if extra:
        lines += ["", "## Not computed", ""]
        lines += [f"- {part}: not computed: {reason}" for part, reason in extra.items()]
    return "\n".join(lines) + "\n"


def _key_numbers(report: AuditFindings) -> list[str]:
    hidden = report.hidden_qrels
    hidden_text = (
        pct(hidden.false_negative_rate) if hidden else not_computed(report, "hidden_qrels")
    )
    estimate = report.judge_estimate
    if estimate:
        estimate_text = (
            f"{pct(estimate.estimated_false_negative_rate)} "
            f"({interval(estimate.ci_low, estimate.ci_high)})"
        )
    else:
        estimate_text = not_computed(report, "judge_estimate")
    return [
        f"- false-negative rate, hidden qrels: {hidden_text}",
        f"- false-negative rate, judge estimate: {estimate_text}",
    ]


def _hidden_qrels(hidden: HiddenQrels) -> list[str]:
    labels, rows = strategy_rows(hidden)
    lines = [
        f"Hid {pct(hidden.hide_fraction, 0)} of labeled positives (seed {hidden.seed}) "
        f"on {hidden.queries_eligible} eligible queries: {hidden.positives_hidden} hidden. "
        f"FN rate = share of kept negatives that are hidden positives.",
        "",
    ]
    header = [
        "strategy",
        "kept",
        "false negatives",
        "FN rate",
        "queries full",
        *[f"rank {label}" for label in labels],
    ]
    for row in rows:
        if row[0] == hidden.run_strategy:
            row[0] = f"**{row[0]}**"
    return lines + table(header, rows)


def _judge_estimate(estimate: JudgeEstimate) -> list[str]:
    lines = [
        f"Estimated false-negative rate: **{pct(estimate.estimated_false_negative_rate)}** "
        f"({interval(estimate.ci_low, estimate.ci_high)}) from {estimate.sample_size} "
        f"sampled kept negatives.",
        "",
        f"Judge `{estimate.judge}` at threshold {num(estimate.threshold)} flagged "
        f"{pct(estimate.flagged_share)} of the sample. Calibration: {estimate.calibration}. "
        f"Recall on the reference positives {pct(estimate.recall_on_positives)}, false-alarm "
        f"rate on random documents {pct(estimate.false_alarm_rate)}.",
    ]
    if estimate.by_rank:
        rows = [
            [b.bucket, b.rows, num(b.false_negatives, 1), pct(b.rate)] for b in estimate.by_rank
        ]
        lines += ["", *table(["rank", "sampled", "est. false negatives", "rate"], rows)]
    if estimate.validation:
        v = estimate.validation
        lines += [
            "",
            (
                f"Check against hidden qrels ({v.get('population')}): judge estimate "
                f"{pct(v.get('judge_estimate'))} ({interval(v.get('ci_low'), v.get('ci_high'))})"
                f" vs counted {pct(v.get('hidden_qrels_rate'))} — "
                f"{'agrees' if v.get('agrees') else 'disagrees'}. {v.get('explanation', '')}"
            ),
        ]
    return lines + _notes(estimate.notes)


def _depth(depth: DepthAdvice) -> list[str]:
    window = f"ranks {depth.window[0]}–{depth.window[1]}" if depth.window else "no window"
    lines = [
        f"Recommended: **{window}** (basis: {depth.basis}, false-negative cost = "
        f"{num(depth.false_negative_cost, 2)}× a true negative's value)."
    ]
    filters = [f"`{f}`" for f in (depth.rank_window_filter, depth.percent_filter) if f]
    bullets = [f"- filters: {', '.join(filters)}"] if filters else []
    if depth.ceiling is not None:
        bullets.append(f"- ceiling (set by the judge's precision): {pct(depth.ceiling)}")
    lines += ["", *bullets] if bullets else []
    if depth.table:
        header = list(dict.fromkeys(k for row in depth.table for k in row))
        lines += ["", *table(header, ([num(row.get(k)) for k in header] for row in depth.table))]
    return lines + _notes(depth.notes)


def _notes(notes: list[str]) -> list[str]:
    return ["", *(f"- {note}" for note in notes)] if notes else []


def _health(health: DataHealth) -> list[str]:
    rows = [
        ["queries", health.queries],
        [f"positive not in top {health.top_k}", pct(health.positive_not_in_top_k)],
        [
            "kept negatives that are another query's positive",
            f"{health.kept_other_query_positive} ({pct(health.kept_other_query_positive_share)})",
        ],
    ]
    rows += [[f"near-duplicate share, {k}", pct(v)] for k, v in health.near_duplicate_share.items()]
    quantiles = ", ".join(f"{k}={num(v, 0)}" for k, v in health.positive_rank_quantiles.items())
    rows.append(["positive's own rank", quantiles or DASH])
    return table(["signal", "value"], rows)


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
