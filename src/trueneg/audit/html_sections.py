"""The HTML report's tables and sections; every text from data is escaped here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from trueneg.audit.findings import AuditFindings
from trueneg.audit.formatting import (
    BUCKET_NOTE,
    DASH,
    HEALTH_NOTE,
    STRATEGY_HEADER,
    interval,
    not_computed,
    num,
    pct,
    plain_text,
    share_of,
    strategy_rows,
)

TRUNCATE = 160


class Raw(str):
    """A cell that already is HTML (built here from escaped parts)."""


def html_table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Sequence[int] = (),
    row_class: Sequence[str] = (),
    css_class: str = "",
) -> str:
    """A zebra table; cells are escaped unless ``Raw``; ``numeric`` columns align right."""

    def cell(tag: str, index: int, value: Any) -> str:
        klass = ' class="num"' if index in numeric else ""
        text = value if isinstance(value, Raw) else escape(str(value))
        return f"<{tag}{klass}>{text}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = []
    for n, row in enumerate(rows):
        klass = f' class="{row_class[n]}"' if n < len(row_class) and row_class[n] else ""
        body.append(f"<tr{klass}>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>")
    table_class = f' class="{css_class}"' if css_class else ""
    return (
        f"<table{table_class}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def na(report: AuditFindings, part: str) -> str:
    return f'<p class="na">{escape(not_computed(report, part))}</p>'


def notes(items: Sequence[str]) -> str:
    return (
        '<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in items) + "</ul>"
        if items
        else ""
    )


def long_text(value: Any, limit: int = TRUNCATE) -> Raw:
    """Escaped text; past ``limit`` characters a preview plus the full text in ``<details>``."""
    text = plain_text(value)
    if len(text) <= limit:
        return Raw(escape(text))
    preview = escape(text[:limit].rstrip()) + "…"
    return Raw(f"{preview}<details><summary>show full text</summary>{escape(text)}</details>")


def _with_id(value: Any, identifier: Any) -> Raw:
    ident = f'<div class="id">{escape(str(identifier))}</div>' if identifier is not None else ""
    return Raw(long_text(value) + ident)


def strategy_table(report: AuditFindings) -> str:
    hidden = report.hidden_qrels
    if hidden is None:
        return na(report, "hidden_qrels")
    labels, rows = strategy_rows(hidden)
    header = [*STRATEGY_HEADER, *[f"rank {label}" for label in labels]]
    classes = ["mine" if row[0] == hidden.run_strategy else "" for row in rows]
    intro = (
        f"<p>Hid {pct(hidden.hide_fraction, 0)} of labeled positives (seed {hidden.seed}) "
        f"on {hidden.queries_eligible:,} queries with several positives: "
        f"{hidden.positives_hidden:,} hidden. A mined negative that is a hidden positive "
        f"is a known false negative. Intervals: {escape(hidden.interval)}. "
        f"{escape(BUCKET_NOTE)}</p>"
    )
    table = html_table(
        header, rows, numeric=range(1, len(header)), row_class=classes, css_class="wide"
    )
    return intro + table + notes(hidden.notes)


def depth_section(report: AuditFindings) -> str:
    d = report.depth
    if d is None:
        return na(report, "depth")
    window = f"ranks {d.window[0]}–{d.window[1]}" if d.window else "no window recommended"
    filters = [f for f in (d.rank_window_filter, d.percent_filter) if f]
    lines = [
        f"<p><strong>{escape(window)}</strong> (basis: {escape(d.basis)}; a false "
        f"negative costs {num(d.false_negative_cost, 2)}× a true negative's value)</p>"
    ]
    if filters:
        lines.append(
            "<p>Filters: " + ", ".join(f"<code>{escape(f)}</code>" for f in filters) + "</p>"
        )
    if d.evidence:
        lines.append(f"<p>Evidence: {escape(d.evidence)}</p>")
    if d.ceiling is not None and d.ceiling_ci is not None:
        lines.append(
            f"<p>Ceiling set by the judge's precision: {pct(d.ceiling)} "
            f"({interval(*d.ceiling_ci)})</p>"
        )
    if d.table:
        header = list(dict.fromkeys(k for row in d.table for k in row))
        lines.append(
            html_table(
                header,
                ([num(row.get(k)) for k in header] for row in d.table),
                numeric=range(len(header)),
            )
        )
    return "".join(lines) + notes(d.notes)


def health_section(report: AuditFindings) -> str:
    h = report.health
    if h is None:
        return na(report, "health")
    rows = [
        ["queries", f"{h.queries:,}"],
        [
            f"positive not in its own top {h.top_k}",
            share_of(h.positive_not_in_top_k, h.ranked_queries, "ranked queries"),
        ],
        [
            "kept negatives that are another query's positive",
            share_of(h.kept_other_query_positive_share, h.kept, "kept negatives"),
        ],
        *(
            [f"near-duplicate share, {k}", share_of(v, h.kept_with_cosine, "kept negatives")]
            for k, v in h.near_duplicate_share.items()
        ),
        [
            "positive's own rank, quantiles",
            ", ".join(f"{k}: {num(v, 0)}" for k, v in h.positive_rank_quantiles.items()) or DASH,
        ],
    ]
    return html_table(["signal", "value"], rows) + notes([HEALTH_NOTE])


def suspicious_table(report: AuditFindings) -> str:
    if not report.suspicious:
        return na(report, "suspicious") if "suspicious" in report.unavailable else "<p>none</p>"
    rows = []
    for s in report.suspicious:
        score = num(s.get("score"))
        if s.get("pos_cosine") is not None:
            score = Raw(
                f'{escape(score)}<div class="id" title="cosine to the positive">cos '
                f"{escape(num(s.get('pos_cosine'), 2))}</div>"
            )
        rows.append(
            [
                _with_id(s.get("query"), s.get("query_id")),
                _with_id(s.get("positive"), s.get("positive_id")),
                _with_id(s.get("negative"), s.get("doc_id")),
                num(s.get("rank")),
                score,
                num(s.get("judge")),
                long_text(s.get("why")),
            ]
        )
    header = ["query", "positive", "suspicious negative", "rank", "score", "judge", "why"]
    return html_table(header, rows, numeric=(3, 4, 5), css_class="wide suspicious")
