"""``audit``: how many false negatives a finished run kept, measured and estimated.

One function builds the whole :class:`~trueneg.audit.report.AuditReport`; every part that
cannot be computed for the run is left out and its reason goes to ``report.unavailable``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trueneg.api import Run
from trueneg.audit.context import AuditContext
from trueneg.audit.depth import depth_advice
from trueneg.audit.health import data_health
from trueneg.audit.hidden import (
    HiddenSplit,
    Strategy,
    build_split,
    strategies_for,
    summarize_split,
)
from trueneg.audit.judge_estimate import estimate_with_judge, resolve_judge
from trueneg.audit.judge_quality import judge_cost, judge_quality
from trueneg.audit.report import AuditReport
from trueneg.audit.suspicious import most_suspicious
from trueneg.errors import ConfigError
from trueneg.pipeline import check_remote_judges, judge_cache
from trueneg.rescore.cascade import DEFAULT_RULE
from trueneg.rescore.spec import check_judge_spec
from trueneg.settings import AuditSettings

logger = logging.getLogger(__name__)

NO_JUDGE = (
    "no judge was given: pass --judge FOLDER_OR_NAME (e.g. the ms-marco cross-encoder "
    "folder) to estimate the false-negative share of the kept negatives"
)


def audit(
    run: Run | str | Path,
    settings: AuditSettings | None = None,
    *,
    judge: Any = None,
    strategies: Sequence[Strategy | tuple[Sequence[str], str]] | None = None,
    show_progress: bool = False,
    **overrides: Any,
) -> AuditReport:
    """Audit a finished run: hidden-qrels rates, a judge estimate, depth advice, data health.

    Args:
        run: a :class:`~trueneg.api.Run` or its directory.
        settings: :class:`~trueneg.settings.AuditSettings` (its defaults where None);
            keyword ``overrides`` set some of them (``hide_fraction``, ``judge_sample``,
            ``false_negative_cost``, ``seed``; unknown names are refused).
        judge: a judge folder/name or a loaded judge; None: ``settings.judge``, else the run's
            own judge if it had one.
        strategies: reference strategies replayed on the hidden split, as
            :class:`~trueneg.audit.hidden.Strategy` or ``(filters, sampler)`` pairs (None: naive
            top-k, percent 0.95, rank-window 10-110 random, the default filters).
    """
    s = (settings or AuditSettings()).replace(**overrides)
    judge = judge if judge is not None else s.judge
    hide_fraction, judge_sample, cost, seed = (
        s.hide_fraction,
        s.judge_sample,
        s.false_negative_cost,
        s.seed,
    )
    _check_args(hide_fraction, judge_sample, cost)
    if isinstance(judge, str):  # a malformed spec or rule fails before the split is mined
        check_judge_spec(judge, s.judge_cascade or DEFAULT_RULE)
    ctx = AuditContext(run if isinstance(run, Run) else Run(run), show_progress=show_progress)
    report = AuditReport(run=str(ctx.run.path), strategy=_strategy(ctx.config))
    spec = judge if isinstance(judge, str) else ctx.config.get("judge") if judge is None else None
    if spec:  # a remote judge answers one pair before the split is mined
        check_remote_judges(spec, judge_cache(ctx.run.dir, ctx.mine_config))
    with ctx.run.reading():  # one finished run throughout: `mine` into it fails meanwhile
        split = _hidden_part(ctx, report, hide_fraction, seed, strategies)
        cascade = s.judge_cascade or ctx.config.get("judge_cascade") or DEFAULT_RULE
        _judge_parts(ctx, report, split, judge, judge_sample, seed, cascade)
        _depth_part(ctx, report, cost)
        report.health = data_health(ctx)
        report.suspicious = most_suspicious(ctx, report.judge_estimate, ctx.judged)
    if not report.suspicious:
        report.unavailable["suspicious"] = "the run kept no negatives"
    return report


def _hidden_part(
    ctx: AuditContext, report: AuditReport, fraction: float, seed: int, extra: Sequence[Any] | None
) -> HiddenSplit | None:
    if fraction == 0:
        report.unavailable["hidden_qrels"] = "--hide-fraction is 0, so no positive was hidden"
        return None
    split, reason = build_split(
        ctx, fraction, seed, strategies_for(ctx.config, extra), show_progress=ctx.show_progress
    )
    if split is None:
        report.unavailable["hidden_qrels"] = reason
        return None
    report.hidden_qrels = summarize_split(split, fraction, seed, ctx.config["num_negatives"])
    return split


def _judge_parts(
    ctx: AuditContext,
    report: AuditReport,
    split: HiddenSplit | None,
    judge: Any,
    budget: int,
    seed: int,
    cascade: str = DEFAULT_RULE,
) -> None:
    """The judge estimate and the judge's quality against the hidden split (same judge, same
    cache: pairs the estimate scored are not paid for again)."""
    judge = judge if judge is not None else ctx.config.get("judge")
    if judge is None:
        report.unavailable["judge_estimate"] = NO_JUDGE
        report.unavailable["judge_quality"] = NO_JUDGE
        return
    judge, name = resolve_judge(judge, cascade)
    if ctx.negatives.num_rows == 0 or not np.any(ctx.negatives["kept"].to_numpy(False)):
        report.unavailable["judge_estimate"] = "the run kept no negatives to estimate on"
    else:
        report.judge_estimate, reason = estimate_with_judge(ctx, split, judge, budget, seed)
        if report.judge_estimate is None:
            report.unavailable["judge_estimate"] = reason
    if split is None:
        why = report.unavailable.get("hidden_qrels", "no hidden-qrels split")
        report.unavailable["judge_quality"] = f"needs the hidden-qrels split: {why}"
    else:
        report.judge_quality, reason = judge_quality(
            ctx,
            split,
            judge,
            name,
            estimate=report.judge_estimate,
            hidden=report.hidden_qrels,
            budget=budget,
            seed=seed,
        )
        if report.judge_quality is None:
            report.unavailable["judge_quality"] = reason
    report.judge_cost = judge_cost(judge)


def _depth_part(ctx: AuditContext, report: AuditReport, cost: float) -> None:
    advice, reason = depth_advice(
        ctx, report.hidden_qrels, report.judge_estimate, cost, report.judge_quality
    )
    hidden_reason = report.unavailable.get("hidden_qrels")
    if advice is None and report.hidden_qrels is None and hidden_reason:
        reason = f"{reason}; hidden qrels not computed: {hidden_reason}"
    if advice is None:
        report.unavailable["depth"] = reason
    report.depth = advice


def _strategy(config: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "retriever",
        "model",
        "depth",
        "filters",
        "sampler",
        "num_negatives",
        "shortfall",
        "seed",
        "judge",
    )
    return {k: config.get(k) for k in keys if config.get(k) is not None}


def _check_args(hide_fraction: float, judge_sample: int, cost: float) -> None:
    if not 0 <= hide_fraction <= 1:
        raise ConfigError(
            "--hide-fraction (hide_fraction) must be between 0 and 1",
            received=hide_fraction,
            expected="e.g. 0.5",
        )
    if judge_sample < 12:
        raise ConfigError(
            "--judge-sample (judge_sample) is too small to estimate anything",
            received=judge_sample,
            expected=f"at least 12 pairs (default {AuditSettings.judge_sample})",
        )
    if not cost > 0:
        raise ConfigError(
            "--false-negative-cost (false_negative_cost) must be positive",
            received=cost,
            expected="e.g. 9 or 3",
        )
