"""How the audit's numbers read, in every rendering (Markdown, HTML, plots): percentages,
numbers, intervals, strategy settings, and the hidden-qrels table's cells."""

from __future__ import annotations

from typing import Any

from trueneg.audit.findings import AuditFindings, BucketRate, HiddenQrels

DASH = "—"
CANDIDATES = "all candidates (no filter)"


def pct(value: float | None, digits: int = 1) -> str:
    """``0.1234`` → ``"12.3%"``; ``None`` or NaN → ``"—"``."""
    if value is None or value != value:
        return DASH
    return f"{100 * value:.{digits}f}%"


def num(value: Any, digits: int = 3) -> str:
    """Floats to ``digits`` decimals, ints as they are, ``None``/NaN as ``"—"``."""
    if value is None or (isinstance(value, float) and value != value):
        return DASH
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def interval(low: float | None, high: float | None) -> str:
    """A 95% confidence interval of two rates: ``"95% CI 4.1%–11.2%"``."""
    return f"95% CI {pct(low)}–{pct(high)}"


def strategy_text(strategy: dict[str, Any]) -> str:
    """``{"filters": [...], "sampler": "top", ...}`` → ``"filters=a, b; sampler=top; ..."``."""
    parts = []
    for key, value in strategy.items():
        shown = ", ".join(map(str, value)) or "none" if isinstance(value, list | tuple) else value
        parts.append(f"{key}={shown}")
    return "; ".join(parts) or DASH


def plain_text(value: Any) -> str:
    """A cell value as text: ``None`` → ``""``, lists joined by ``"; "``."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(map(str, value))
    return str(value)


def not_computed(report: AuditFindings, part: str) -> str:
    """``"not computed: REASON"`` for a part the audit left out."""
    reason = report.unavailable.get(part)
    return f"not computed: {reason}" if reason else "not computed"


def bucket_labels(hidden: HiddenQrels) -> list[str]:
    """Rank-bucket labels in order of first appearance (candidate level, then strategies)."""
    labels = [b.bucket for b in hidden.candidate_rate_by_rank]
    for strategy in hidden.strategies:
        labels += [b.bucket for b in strategy.by_rank if b.bucket not in labels]
    return labels


def bucket_cells(buckets: list[BucketRate], labels: list[str]) -> list[str]:
    """The rate of each labelled bucket, a dash where the bucket has none."""
    by_label = {b.bucket: b for b in buckets}
    return [pct(by_label[label].rate) if label in by_label else DASH for label in labels]


def strategy_rows(hidden: HiddenQrels) -> tuple[list[str], list[list[Any]]]:
    """The hidden-qrels table's bucket labels and rows (the candidates first, then one row per
    strategy: name, kept, false negatives, FN rate, queries full, one rate per bucket)."""
    labels = bucket_labels(hidden)
    rows = [
        [CANDIDATES, DASH, DASH, DASH, DASH, *bucket_cells(hidden.candidate_rate_by_rank, labels)]
    ]
    rows += [
        [
            s.strategy,
            s.kept,
            s.false_negatives,
            pct(s.fn_rate),
            f"{s.queries_full}/{s.queries}",
            *bucket_cells(s.by_rank, labels),
        ]
        for s in hidden.strategies
    ]
    return labels, rows
