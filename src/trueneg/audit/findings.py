"""What each part of the audit found, as plain data: no computation, no rendering.

The parts (:class:`HiddenQrels`, :class:`JudgeEstimate`, :class:`JudgeQuality`,
:class:`DepthAdvice`, :class:`DataHealth`) are optional: a part that cannot be computed for a
run is ``None`` and its reason is in :attr:`AuditFindings.unavailable`.
:class:`~trueneg.audit.report.AuditReport` adds the renderings to these findings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trueneg.storage import atomic_write_json


@dataclass
class Proportion:
    """A counted share and its evidence: ``hits`` of ``rows`` over ``queries``, the ``rate`` with
    its 95% interval, or ``rate`` None and the ``reason`` when the evidence is too thin (the
    rules: :mod:`trueneg.audit.evidence`)."""

    hits: float
    rows: int
    queries: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    design_effect: float = 1.0
    reason: str | None = None


@dataclass
class Statistic:
    """A value that is not a count ratio (ROC AUC, a Brier score), its 95% bootstrap interval
    over queries, or ``value`` None and the ``reason``."""

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str | None = None


@dataclass
class BucketRate:
    """False-negative rate among candidates (or kept negatives) in one rank bucket: ``rate``
    with its 95% interval over ``queries`` queries, or None and the ``reason``."""

    bucket: str
    rows: int
    false_negatives: float
    rate: float | None
    queries: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str | None = None


@dataclass
class StrategyRate:
    """Hidden-qrels result of one selection strategy."""

    strategy: str
    filters: list[str]
    sampler: str
    kept: int
    false_negatives: int
    fn_rate: float | None
    queries: int
    queries_full: int
    by_rank: list[BucketRate] = field(default_factory=list)
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str | None = None


@dataclass
class HiddenQrels:
    """Hide a fraction of labeled positives, mine with the rest, count hidden positives mined."""

    hide_fraction: float
    seed: int
    queries_eligible: int
    positives_hidden: int
    candidate_rate_by_rank: list[BucketRate]
    strategies: list[StrategyRate]
    run_strategy: str
    false_negative_rate: float | None
    notes: list[str] = field(default_factory=list)
    ci_low: float | None = None
    ci_high: float | None = None
    interval: str = ""
    reason: str | None = None
    depth: int | None = None


@dataclass
class JudgeEstimate:
    """Estimated false-negative share of the kept negatives from a judge's scores."""

    judge: str
    threshold: float
    calibration: str
    recall_on_positives: float
    false_alarm_rate: float
    flagged_share: float
    estimated_false_negative_rate: float
    ci_low: float
    ci_high: float
    sample_size: int
    by_rank: list[BucketRate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    validation: dict[str, Any] | None = None
    queries: int = 0
    flagged: float = 0.0
    pairs: int = 0
    interval: str = ""
    recall: Proportion | None = None
    false_alarms: Proportion | None = None
    pairs_for_width: dict[str, int | None] = field(default_factory=dict)


@dataclass
class OperatingPoint:
    """The judge used as a filter at one threshold, measured on the hidden-qrels split.

    ``precision``: hidden positives among the flagged candidates (a lower bound: unlabeled
    relevant documents count as negatives); ``recall``: hidden positives flagged;
    ``false_alarm_rate``: other candidates flagged (good negatives a filter would lose; an upper
    bound). ``residual``: the false-negative share of what the filter keeps, on the judged
    candidates; ``run_ceiling``: the same applied to this run's kept negatives.
    """

    name: str
    threshold: float
    flagged: int
    precision: Proportion
    recall: Proportion
    false_alarm_rate: Proportion
    residual: Statistic
    run_ceiling: Statistic | None = None


@dataclass
class ReliabilityBin:
    """Judge scores in ``[low, high)``: their mean against the observed hidden-positive share."""

    low: float
    high: float
    mean_score: float
    observed: Proportion


@dataclass
class JudgeQuality:
    """How well the judge finds the hidden positives among the candidates a strategy keeps."""

    judge: str
    population: str
    queries: int
    pairs: int
    base_rate: Proportion
    auc: Statistic
    operating_points: list[OperatingPoint]
    probabilities: bool
    reliability: list[ReliabilityBin] = field(default_factory=list)
    brier: Statistic | None = None
    ece: Statistic | None = None
    pairs_scored: int = 0
    pairs_cached: int = 0
    pairs_per_s: float | None = None
    interval: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class DepthAdvice:
    """The rank window where a true negative's value outweighs a false negative's cost."""

    basis: str
    window: tuple[int, int] | None
    rank_window_filter: str | None
    percent_filter: str | None
    ceiling: float | None
    false_negative_cost: float
    table: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    evidence: str = ""
    ceiling_ci: tuple[float, float] | None = None


@dataclass
class DataHealth:
    """Signals of noisy labels and duplicates in the mined data."""

    queries: int
    positive_not_in_top_k: float
    top_k: int
    kept_other_query_positive: int
    kept_other_query_positive_share: float
    near_duplicate_share: dict[str, float]
    positive_rank_quantiles: dict[str, float]
    depth: int | None = None
    positive_beyond_depth: float | None = None
    ranked_queries: int | None = None
    kept: int | None = None
    kept_with_cosine: int | None = None


@dataclass
class AuditFindings:
    """Everything ``trueneg audit`` measures about one run, as data."""

    run: str
    strategy: dict[str, Any]
    hidden_qrels: HiddenQrels | None = None
    judge_estimate: JudgeEstimate | None = None
    judge_quality: JudgeQuality | None = None
    judge_cost: dict[str, Any] | None = None
    depth: DepthAdvice | None = None
    health: DataHealth | None = None
    suspicious: list[dict[str, Any]] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)

    # the names other tools rely on ----------------------------------------------------
    @property
    def estimated_false_negative_rate(self) -> float | None:
        return self.judge_estimate.estimated_false_negative_rate if self.judge_estimate else None

    @property
    def hidden_qrels_false_negative_rate(self) -> float | None:
        return self.hidden_qrels.false_negative_rate if self.hidden_qrels else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        estimate = self.judge_estimate
        data["estimated_false_negative_rate"] = self.estimated_false_negative_rate
        data["ci_low"] = estimate.ci_low if estimate else None
        data["ci_high"] = estimate.ci_high if estimate else None
        data["hidden_qrels_false_negative_rate"] = self.hidden_qrels_false_negative_rate
        hidden = self.hidden_qrels
        data["hidden_qrels_ci_low"] = hidden.ci_low if hidden else None
        data["hidden_qrels_ci_high"] = hidden.ci_high if hidden else None
        return data

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        atomic_write_json(path, self.to_dict())
        return path

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)
