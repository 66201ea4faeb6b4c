"""``write_html_report``: one self-contained HTML page (inline CSS, inline PNGs, no network)."""

from __future__ import annotations

import base64
import datetime as dt
from html import escape
from pathlib import Path
from typing import Any

from trueneg.api import Run
from trueneg.audit.findings import AuditFindings
from trueneg.audit.formatting import (
    interval,
    not_computed,
    num,
    pct,
    run_count,
    strategy_text,
)
from trueneg.audit.html_judge import judge_section, quality_section
from trueneg.audit.html_sections import (
    depth_section,
    health_section,
    strategy_table,
    suspicious_table,
)
from trueneg.audit.plots import fn_rate_by_rank, positive_rank_distribution, score_histograms
from trueneg.storage import atomic_write_bytes, own_dir
from trueneg.version import __version__

CSS = """
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --zebra: #f8fafc; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: var(--ink); line-height: 1.5;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; background: #fff;
  min-height: 100vh; box-shadow: 0 0 24px rgba(0,0,0,.06); }
h1 { font-size: 1.7rem; margin: .2em 0 .1em; }
h2 { font-size: 1.25rem; margin: 2em 0 .6em; padding-bottom: .25em;
  border-bottom: 2px solid var(--line); }
.meta { color: var(--muted); font-size: .9rem; margin: 0; }
.meta code { color: var(--ink); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 14px;
  margin-top: 20px; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card .label { color: var(--muted); font-size: .85rem; }
.card .value { font-size: 1.7rem; font-weight: 650; }
.card .sub { color: var(--muted); font-size: .85rem; }
.na { color: var(--muted); font-style: italic; }
.card .value .na { font-size: 1rem; font-weight: 500; }
figure { margin: 18px 0; }
figure img { display: block; width: 100%; max-width: 990px; height: auto;
  border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: .88rem; margin-top: 4px; }
table { border-collapse: collapse; min-width: 60%; font-size: .9rem; margin: 8px 0; }
table.wide { width: 100%; }
th, td { padding: 6px 9px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { background: #eef2f7; font-weight: 600; }
tbody tr:nth-child(even) { background: var(--zebra); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.mine { font-weight: 650; }
.id { color: var(--muted); font-size: .78rem; font-family: ui-monospace, monospace; }
details summary { cursor: pointer; color: var(--accent); font-size: .82rem; }
table.suspicious td:nth-child(-n+3) { min-width: 190px; max-width: 320px; }
table.suspicious td { overflow-wrap: break-word; }
table.suspicious td:last-child { min-width: 170px; }
td.num .id { white-space: nowrap; }
ul.notes { color: var(--muted); font-size: .9rem; }
"""

PLOTS = (
    (
        "score_histograms",
        "Score distributions",
        "Retriever scores of the lowest-scoring positive per query and of kept and dropped "
        "negatives. Kept negatives far into the positives' range are the likeliest false "
        "negatives.",
    ),
    (
        "fn_rate_by_rank",
        "False-negative rate by rank",
        "Share of mined negatives that are hidden labeled positives, per rank bucket.",
    ),
    (
        "positive_rank_distribution",
        "Positive's own rank",
        "Where each query's best labeled positive ranks among the corpus; the dashed line is "
        "the retrieval depth.",
    ),
)


def write_html_report(
    report: AuditFindings, run: Run | str | Path | None, path: str | Path
) -> Path:
    """Write ``report`` (with plots of ``run``) to ``path`` as one self-contained HTML file.

    The plots are also written as PNGs to ``path.parent / "plots"``. ``run`` may be a
    :class:`~trueneg.api.Run`, a run directory, or ``None`` to open ``report.run``.
    """
    path = Path(path)
    run = run if isinstance(run, Run) else Run(run if run is not None else report.run)
    plots = _draw_plots(report, run)
    folder = own_dir(path.parent, "plots") if plots else None
    for name, png in plots.items():
        atomic_write_bytes(folder / f"{name}.png", png)
    atomic_write_bytes(path, render_html(report, run, plots).encode("utf-8"))
    return path


def _draw_plots(report: AuditFindings, run: Run) -> dict[str, bytes]:
    drawn = {
        "score_histograms": score_histograms(run),
        "fn_rate_by_rank": fn_rate_by_rank(report),
        "positive_rank_distribution": positive_rank_distribution(run),
    }
    return {name: png for name, png in drawn.items() if png is not None}


def render_html(report: AuditFindings, run: Run, plots: dict[str, bytes]) -> str:
    """The page as a string; ``plots`` maps plot names to PNG bytes (missing ones say why)."""
    body = [
        _header(report, run),
        _key_numbers(report, run),
        "<h2>Plots</h2>",
        *(_figure(name, title, caption, plots.get(name), report) for name, title, caption in PLOTS),
        "<h2>Hidden-qrels protocol, per strategy</h2>",
        strategy_table(report),
        "<h2>Judge estimate</h2>",
        judge_section(report),
        "<h2>Judge quality against hidden qrels</h2>",
        quality_section(report),
        "<h2>Depth advice</h2>",
        depth_section(report),
        "<h2>Data health</h2>",
        health_section(report),
        "<h2>Most suspicious kept negatives</h2>",
        '<p class="meta">Judge these by eye: would a human call the negative relevant?</p>',
        suspicious_table(report),
    ]
    title = escape(f"trueneg audit — {report.run}")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _header(report: AuditFindings, run: Run) -> str:
    made_with = run.manifest.get("trueneg_version")
    version = escape(__version__) + (
        f" (run made with {escape(str(made_with))})"
        if made_with and made_with != __version__
        else ""
    )
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<h1>False-negative audit</h1>"
        f'<p class="meta">run <code>{escape(str(report.run))}</code></p>'
        f'<p class="meta">strategy <code>{escape(strategy_text(report.strategy))}</code></p>'
        f'<p class="meta">trueneg {version} · {date}</p>'
    )


def _card(label: str, value: str, sub: str = "") -> str:
    return (
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value">{value}</div><div class="sub">{escape(sub)}</div></div>'
    )


def _na(report: AuditFindings, part: str) -> str:
    return f'<span class="na">{escape(not_computed(report, part))}</span>'


def _key_numbers(report: AuditFindings, run: Run) -> str:
    summary: Any = run.summary()
    cards = [
        _card("false-negative rate, hidden qrels", *_hidden_card(report)),
        _card("estimated false-negative rate (judge)", *_estimate_card(report)),
        _card("judge quality (ROC AUC vs hidden qrels)", *_quality_card(report)),
        _card("kept negatives", f"{summary.kept:,}", f"of {summary.candidates:,} candidates"),
        _card(
            "queries",
            f"{summary.queries:,}",
            f"{summary.queries_full:,} full, {summary.queries_short:,} short",
        ),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _hidden_card(report: AuditFindings) -> tuple[str, str]:
    hidden = report.hidden_qrels
    if hidden is None:
        return _missing(report, "hidden_qrels")
    counted = run_count(hidden, missing="")
    if hidden.false_negative_rate is None:
        return '<span class="na">not computable</span>', f"{hidden.reason} ({counted})"
    return pct(hidden.false_negative_rate), (
        f"{interval(hidden.ci_low, hidden.ci_high)} (Wilson, queries as clusters); {counted}"
    )


def _estimate_card(report: AuditFindings) -> tuple[str, str]:
    estimate = report.judge_estimate
    if estimate is None:
        return _missing(report, "judge_estimate")
    return pct(estimate.estimated_false_negative_rate), (
        f"{interval(estimate.ci_low, estimate.ci_high)} (bootstrap); "
        f"{estimate.sample_size:,} sampled kept negatives in {estimate.queries:,} queries"
    )


def _quality_card(report: AuditFindings) -> tuple[str, str]:
    quality = report.judge_quality
    if quality is None:
        return _missing(report, "judge_quality")
    auc = quality.auc
    if auc.value is None:
        return '<span class="na">not computable</span>', str(auc.reason)
    return num(auc.value, 2), (
        f"95% CI {num(auc.ci_low, 2)}–{num(auc.ci_high, 2)} (bootstrap over queries); "
        f"{quality.pairs:,} candidates in {quality.queries:,} queries"
    )


def _missing(report: AuditFindings, part: str) -> tuple[str, str]:
    """A card's value and subtitle for a part that was not computed: the reason goes below."""
    reason = report.unavailable.get(part, "")
    return '<span class="na">not computed</span>', reason


def _figure(name: str, title: str, caption: str, png: bytes | None, report: AuditFindings) -> str:
    if png is None:
        part = "hidden_qrels" if name == "fn_rate_by_rank" else name
        return f"<h3>{escape(title)}</h3><p>{_na(report, part)}</p>"
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="{name}"><img src="data:image/png;base64,{data}" '
        f'alt="{escape(title)}"><figcaption>{escape(caption)}</figcaption></figure>'
    )
