"""How the audit's numbers read, in every rendering (Markdown, HTML, plots): percentages,
numbers, intervals, strategy settings, and the hidden-qrels table's cells."""

from __future__ import annotations

from typing import Any

from trueneg.audit.findings import (
    AuditFindings,
    BucketRate,
    HiddenQrels,
    JudgeEstimate,
    Proportion,
    Statistic,
    StrategyRate,
)

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


def count(hits: float | None, rows: int, queries: int | None = None, what: str = "") -> str:
    """``"5 of 52 WHAT in 13 queries"`` (hits rounded to whole numbers)."""
    text = f"{num(round(hits) if hits is not None else None)} of {rows:,}"
    text += f" {what}" if what else ""
    if queries is not None:
        text += f" in {queries:,} {'query' if queries == 1 else 'queries'}"
    return text


def proportion(p: Proportion | None, what: str = "") -> str:
    """A counted share with its evidence: ``"9.6% (95% CI 4.2%–20.6%; 5 of 52 kept negatives
    in 13 queries)"``, or ``"not computable: REASON (5 of 52 … )"``."""
    if p is None:
        return DASH
    counted = count(p.hits, p.rows, p.queries, what)
    if p.rate is None:
        return f"not computable: {p.reason} ({counted})"
    return f"{pct(p.rate)} ({interval(p.ci_low, p.ci_high)}; {counted})"


def statistic(s: Statistic | None, digits: int = 3, percent: bool = False) -> str:
    """A bootstrapped value with its interval, or ``"not computable: REASON"``."""
    if s is None:
        return DASH
    if s.value is None:
        return f"not computable: {s.reason}"
    if percent:
        return f"{pct(s.value)} ({interval(s.ci_low, s.ci_high)})"
    return f"{num(s.value, digits)} (95% CI {num(s.ci_low, digits)}–{num(s.ci_high, digits)})"


def strategy_rate(s: StrategyRate) -> str:
    """A strategy's hidden-qrels rate with its interval, or why it is not computable."""
    if s.fn_rate is None:
        return f"not computable: {s.reason}" if s.reason else DASH
    return f"{pct(s.fn_rate)} ({interval(s.ci_low, s.ci_high)})"


def run_count(hidden: HiddenQrels, missing: str = "not replayed") -> str:
    """``k of n kept negatives in Q queries`` for the run's own strategy (``missing`` when
    the split did not replay it)."""
    run = next((s for s in hidden.strategies if s.strategy == hidden.run_strategy), None)
    if run is None:
        return missing
    return f"{run.false_negatives:,} of {run.kept:,} kept negatives in {run.queries:,} queries"


def hidden_headline(hidden: HiddenQrels) -> str:
    """The run's hidden-qrels rate with interval and count, or why it is not computable."""
    counted = run_count(hidden)
    if hidden.false_negative_rate is None:
        return f"not computable: {hidden.reason} ({counted})"
    return (
        f"{pct(hidden.false_negative_rate)} ({interval(hidden.ci_low, hidden.ci_high)}; {counted})"
    )


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


def bucket_cell(b: BucketRate | None) -> str:
    """``"6/50: 12.0% (4.1–20.3%)"``; ``"6/5: n/a"`` when not computable; a dash without rows."""
    if b is None:
        return DASH
    hits = DASH if b.false_negatives is None else f"{b.false_negatives:.0f}"
    if b.rate is None:
        return f"{hits}/{b.rows}: n/a"
    if b.ci_low is None:
        return f"{hits}/{b.rows}: {pct(b.rate)}"
    return f"{hits}/{b.rows}: {pct(b.rate)} ({pct(b.ci_low)}–{pct(b.ci_high)})"


def bucket_cells(buckets: list[BucketRate], labels: list[str]) -> list[str]:
    """The cell of each labelled bucket, a dash where the bucket has no rows."""
    by_label = {b.bucket: b for b in buckets}
    return [bucket_cell(by_label.get(label)) for label in labels]


STRATEGY_HEADER = ["strategy", "kept", "false negatives", "FN rate (95% CI)", "queries full"]
BUCKET_NOTE = (
    "Rank cells: hidden positives/rows: rate (95% CI); n/a: too little evidence for a rate."
)


def strategy_rows(hidden: HiddenQrels) -> tuple[list[str], list[list[Any]]]:
    """The hidden-qrels table's bucket labels and rows (the candidates first, then one row per
    strategy: name, kept, false negatives, FN rate with its interval, queries full, one cell
    per bucket)."""
    labels = bucket_labels(hidden)
    rows = [
        [CANDIDATES, DASH, DASH, DASH, DASH, *bucket_cells(hidden.candidate_rate_by_rank, labels)]
    ]
    rows += [
        [
            s.strategy,
            s.kept,
            s.false_negatives,
            strategy_rate(s),
            f"{s.queries_full}/{s.queries}",
            *bucket_cells(s.by_rank, labels),
        ]
        for s in hidden.strategies
    ]
    return labels, rows


def estimate_buckets(estimate: JudgeEstimate) -> list[list[Any]]:
    """The judge estimate by rank: bucket, sampled pairs, queries, rate with its interval (or
    why it is not computable)."""
    return [
        [
            b.bucket,
            b.rows,
            DASH if b.queries is None else b.queries,
            f"not computable: {b.reason}"
            if b.rate is None
            else f"{pct(b.rate)} ({interval(b.ci_low, b.ci_high)})",
        ]
        for b in estimate.by_rank
    ]


def cost_text(cost: dict[str, Any]) -> str:
    """A remote judge's spend: ``"requests 12, prompt_tokens 3400, …, seconds 8.1"``."""
    return ", ".join(f"{k} {num(v)}" for k, v in cost.items())


HEALTH_NOTE = (
    "Data health describes the whole run (every query, every kept negative), not a sample: its "
    "shares are exact, so they carry counts but no interval."
)


def share_of(share: float | None, total: int | None, what: str) -> str:
    """``"54.1% (53 of 98 queries)"``; the share alone when the total is unknown."""
    if share is None or total is None or share != share:
        return pct(share)
    return f"{pct(share)} ({round(share * total):,} of {total:,} {what})"
