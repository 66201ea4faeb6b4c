"""The HTML report's judge sections: the estimate and the judge's quality against hidden
qrels; every text from data is escaped (by :func:`~trueneg.audit.html_sections.html_table`)."""

from __future__ import annotations

from html import escape

from trueneg.audit.findings import AuditFindings
from trueneg.audit.formatting import (
    cost_text,
    estimate_buckets,
    interval,
    num,
    pct,
    proportion,
    statistic,
)
from trueneg.audit.html_sections import html_table, na, notes
from trueneg.audit.markdown_judge import (
    OPERATING_HEADER,
    RELIABILITY_HEADER,
    operating_rows,
    pairs_needed,
    reliability_rows,
    scoring,
    validation_text,
)


def judge_section(report: AuditFindings) -> str:
    e = report.judge_estimate
    if e is None:
        return na(report, "judge_estimate")
    rows = [
        [
            "estimated false-negative rate",
            f"{pct(e.estimated_false_negative_rate)} ({interval(e.ci_low, e.ci_high)})",
        ],
        ["interval", e.interval],
        ["judge", f"{e.judge} (threshold {num(e.threshold)})"],
        ["calibration", e.calibration],
        ["recall on the reference positives", proportion(e.recall, "positives")],
        ["false-alarm rate on random documents", proportion(e.false_alarms, "documents")],
        [
            "flagged share of sampled negatives",
            f"{pct(e.flagged_share)} ({num(e.flagged, 0)} of {e.sample_size:,}, rank-weighted)",
        ],
        ["sample size", f"{e.sample_size:,} kept negatives in {e.queries:,} queries"],
        ["judged pairs", f"{e.pairs:,} (kept negatives, reference positives, random documents)"],
    ]
    needed = pairs_needed(e)
    if needed:
        rows.append(["pairs for a narrower interval", needed])
    if e.validation:
        rows.append(["check against hidden qrels", validation_text(e.validation)])
    parts = [html_table(["measure", "value"], rows)]
    if e.by_rank:
        parts.append(
            html_table(
                ["rank", "sampled", "queries", "rate"], estimate_buckets(e), numeric=(1, 2, 3)
            )
        )
    return "".join(parts) + notes(e.notes)


def quality_section(report: AuditFindings) -> str:
    q = report.judge_quality
    cost = _cost(report)
    if q is None:
        return na(report, "judge_quality") + cost
    rows = [
        ["judge", q.judge],
        ["judged candidates", f"{q.pairs:,}: {q.population}"],
        ["hidden positives among them", proportion(q.base_rate, "candidates")],
        ["ROC AUC", statistic(q.auc)],
    ]
    if q.brier is not None:
        rows += [
            ["Brier score", statistic(q.brier)],
            ["expected calibration error", statistic(q.ece)],
        ]
    rows.append(["scoring", scoring(q)])
    parts = [html_table(["measure", "value"], rows)]
    if q.operating_points:
        parts.append(html_table(OPERATING_HEADER, operating_rows(q), css_class="wide"))
    if q.reliability:
        parts.append("<p>Reliability (the observed share is a lower bound):</p>")
        parts.append(html_table(RELIABILITY_HEADER, reliability_rows(q)))
    return "".join(parts) + cost + notes([f"Intervals: {q.interval}.", *q.notes])


def _cost(report: AuditFindings) -> str:
    if not report.judge_cost:
        return ""
    return f"<p>Remote judge cost: {escape(cost_text(report.judge_cost))}</p>"
