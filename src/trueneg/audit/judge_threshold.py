"""The judge used as a filter at a threshold: which thresholds to measure it at (named), and
what it flags and leaves on the hidden-qrels split — precision, recall, false alarms and the
fLaws ceiling (the formula: :mod:`trueneg.audit.judge_quality`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from trueneg.audit.depth_rule import ceiling_bounds, fn_ceiling
from trueneg.audit.evidence import bootstrapped, per_query
from trueneg.audit.findings import (
    HiddenQrels,
    JudgeEstimate,
    OperatingPoint,
    Proportion,
    Statistic,
)
from trueneg.audit.judge_metrics import residual_share
from trueneg.errors import ConfigError
from trueneg.rescore import Judge
from trueneg.select import resolve_filters
from trueneg.select.judge import JudgeThreshold

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext


def operating_thresholds(
    ctx: AuditContext, judge: Judge, estimate: JudgeEstimate | None, probabilities: bool
) -> list[tuple[str, float]]:
    """The thresholds to measure the judge at, the one in use first, each with its name."""
    out = []
    run_tau = _run_filter_threshold(ctx, judge)
    if run_tau is not None:
        out.append((f"this run's judge-threshold filter (τ = {run_tau:g})", run_tau))
    if estimate is not None and np.isfinite(estimate.threshold):
        out.append(
            ("the judge estimate's τ (median score of its reference positives)", estimate.threshold)
        )
    default = JudgeThreshold().threshold
    if probabilities and run_tau != default:
        out.append((f"the judge-threshold filter's default (τ = {default:g}, RocketQA's)", default))
    return out


def _run_filter_threshold(ctx: AuditContext, judge: Judge) -> float | None:
    """τ of the run's ``judge-threshold`` filter when the audited judge is the run's judge."""
    info = ctx.run.dir.stage_info("rescore") or {}
    if info.get("judge_fingerprint") != getattr(judge, "fingerprint", None):
        return None
    try:
        filters = resolve_filters(list(ctx.config.get("filters") or []))
    except ConfigError:
        return None
    found = [f for f in filters if isinstance(f, JudgeThreshold) and f.on == "judge"]
    return float(found[0].threshold) if found else None


def operating_point(
    name: str,
    tau: float,
    scores: np.ndarray,
    labels: np.ndarray,
    queries: np.ndarray,
    hidden: HiddenQrels | None,
    seed: int,
) -> OperatingPoint:
    """The judge as a filter at ``tau``: precision, recall, false alarms and the ceiling."""
    flagged = scores >= tau
    recall = per_query(queries, flagged, labels)
    alarms = per_query(queries, flagged, ~labels)
    return OperatingPoint(
        name=name,
        threshold=float(tau),
        flagged=int(flagged.sum()),
        precision=per_query(queries, labels, flagged),
        recall=recall,
        false_alarm_rate=alarms,
        residual=bootstrapped(queries, lambda r: residual_share(labels[r], flagged[r]), seed),
        run_ceiling=run_ceiling(hidden, recall, alarms),
    )


def run_ceiling(
    hidden: HiddenQrels | None, recall: Proportion, alarms: Proportion
) -> Statistic | None:
    """The ceiling at this run's hidden-qrels rate ``f``; its interval from the ends of the
    three intervals (the ceiling rises with ``f`` and ``a`` and falls with ``r``)."""
    if hidden is None:
        return None
    parts = (hidden.false_negative_rate, recall.rate, alarms.rate)
    if any(p is None for p in parts):
        why = hidden.reason or recall.reason or alarms.reason or "no base rate"
        return Statistic(None, reason=why)
    f, r, a = parts
    low, high = ceiling_bounds((hidden.ci_low, hidden.ci_high), recall, alarms)
    return Statistic(fn_ceiling(f, r, 1 - a), low, high)
