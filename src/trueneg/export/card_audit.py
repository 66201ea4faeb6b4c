"""The dataset card's "Measured contamination" section, from the run's ``audit.json``.

The numbers are copied from the audit as saved (``trueneg audit RUN`` writes it), never
recomputed: the hidden-qrels false-negative rate with its count, the judge's estimate with
its 95% interval and sample size, and the depth advice. A run that was not audited (or whose
audit describes other mining settings: mined again since) says so and how to audit it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trueneg.export.card_text import code, md_table, pct, public_name

AUDIT_COMMAND = "trueneg audit RUN_DIR --judge cross-encoder/ms-marco-MiniLM-L6-v2"


def audit_matches(audit: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    """Whether ``audit`` (``audit.json``) describes the run mined with ``config``: every
    strategy setting it recorded equals the manifest's."""
    strategy = audit.get("strategy")
    if not isinstance(strategy, Mapping):
        return False
    return all(config.get(key) == value for key, value in strategy.items())


def contamination_facts(audit: Mapping[str, Any] | None) -> dict[str, Any]:
    """The audit's headline numbers for the card's metadata (``audited: false`` without one)."""
    if audit is None:
        return {"audited": False}
    estimate = audit.get("judge_estimate") or {}
    run_row = _run_strategy(audit.get("hidden_qrels") or {})
    return {
        "audited": True,
        "hidden_qrels_false_negative_rate": audit.get("hidden_qrels_false_negative_rate"),
        "hidden_qrels_false_negatives": run_row.get("false_negatives"),
        "hidden_qrels_kept": run_row.get("kept"),
        "hidden_qrels_ci_low": audit.get("hidden_qrels_ci_low"),
        "hidden_qrels_ci_high": audit.get("hidden_qrels_ci_high"),
        "estimated_false_negative_rate": audit.get("estimated_false_negative_rate"),
        "ci_low": audit.get("ci_low"),
        "ci_high": audit.get("ci_high"),
        "judge_sample_size": estimate.get("sample_size"),
    }


def contamination_section(audit: Mapping[str, Any] | None, stale: bool = False) -> list[str]:
    """``## Measured contamination``: the audit's numbers, or why there are none."""
    lines = ["## Measured contamination", ""]
    if audit is None or stale:
        why = (
            "The run's `audit.json` describes other mining settings (the run was mined again "
            "after it was audited), so it is left out."
            if stale
            else "This run was not audited: the share of false negatives among its negatives "
            "(unlabeled relevant documents kept as negatives) is not measured."
        )
        return [
            *lines,
            why,
            "",
            f"To measure it, audit the run and export again: `{AUDIT_COMMAND}` (any judge "
            "folder or name; without `--judge` only the hidden-qrels rate is measured).",
        ]
    lines += [
        "From the run's audit (`trueneg audit`, saved in `audit.json`). A false negative is a "
        "kept negative that is in fact relevant to its query.",
        "",
        *md_table(["measure", "value"], _rows(audit)),
    ]
    calibration = (audit.get("judge_estimate") or {}).get("calibration")
    return [*lines, "", f"Judge calibration: {calibration}."] if calibration else lines


def _rows(audit: Mapping[str, Any]) -> list[list[str]]:
    unavailable = audit.get("unavailable") or {}
    hidden = audit.get("hidden_qrels")
    estimate = audit.get("judge_estimate")
    depth = audit.get("depth")
    return [
        [
            "false-negative rate, hidden qrels",
            _hidden(hidden) if hidden else _not(unavailable, "hidden_qrels"),
        ],
        [
            "false-negative rate, judge estimate",
            _judge(estimate) if estimate else _not(unavailable, "judge_estimate"),
        ],
        ["depth advice", _depth(depth) if depth else _not(unavailable, "depth")],
    ]


def _run_strategy(hidden: Mapping[str, Any]) -> dict[str, Any]:
    rows = hidden.get("strategies") or []
    return next((r for r in rows if r.get("strategy") == hidden.get("run_strategy")), {})


def _hidden(hidden: Mapping[str, Any]) -> str:
    row = _run_strategy(hidden)
    eligible = int(hidden.get("queries_eligible", 0))
    if hidden.get("false_negative_rate") is None:
        reason = hidden.get("reason") or row.get("reason") or "too little evidence"
        return f"not computable: {reason}"
    counted = (
        f", {row['false_negatives']:,} of the {row['kept']:,} negatives it kept were hidden "
        "positives"
        if row
        else ""
    )
    interval = ""
    if hidden.get("ci_low") is not None and hidden.get("ci_high") is not None:
        interval = f" (95% CI {pct(hidden['ci_low'])}–{pct(hidden['ci_high'])})"
    return (
        f"**{pct(hidden.get('false_negative_rate'))}**{interval}: replaying this run's settings "
        f"with {pct(hidden.get('hide_fraction'), 0)} of the labeled positives of {eligible:,} "
        f"{'query' if eligible == 1 else 'queries'} hidden (seed {hidden.get('seed')})"
        f"{counted}; a lower bound, as qrels are incomplete"
    )


def _judge(estimate: Mapping[str, Any]) -> str:
    return (
        f"**{pct(estimate.get('estimated_false_negative_rate'))}** (95% CI "
        f"{pct(estimate.get('ci_low'))}–{pct(estimate.get('ci_high'))}, "
        f"{estimate.get('sample_size', 0):,} sampled kept negatives, judge "
        f"{code(public_name(estimate.get('judge', '')))})"
    )


def _depth(depth: Mapping[str, Any]) -> str:
    window = depth.get("window")
    text = f"ranks {window[0]}–{window[1]}" if window else "no rank window"
    filters = [code(f) for f in (depth.get("rank_window_filter"), depth.get("percent_filter")) if f]
    if filters:
        text += " (" + ", ".join(filters) + ")"
    text += f"; basis: {depth.get('basis')}; false-negative cost {depth.get('false_negative_cost')}"
    if depth.get("ceiling") is not None:
        text += f"; ceiling set by the judge's precision: {pct(depth['ceiling'])}"
    return text


def _not(unavailable: Mapping[str, str], part: str) -> str:
    reason = unavailable.get(part)
    return f"not computed: {reason}" if reason else "not computed"
