"""Judge quality: how well the judge finds the positives the hidden-qrels split hid.

The judged candidates are, on the hidden split, those this run's strategy or naive top-k keeps
(where a false negative does harm), in whole queries drawn in a seeded order from the queries
the judge estimate did not calibrate on, until ``budget`` pairs; pairs the estimate already
scored come from the judge cache. A hidden positive is the positive class. Qrels are
incomplete, so an unlabeled relevant document counts as a negative: precision, AUC and each
reliability bin's observed share are lower bounds, the false-alarm rate an upper bound.

Reported: ROC AUC; at each operating threshold (which one is named: the run's own
``judge-threshold`` filter, the judge estimate's τ, the filter's default) precision, recall and
false-alarm rate, and the ceiling of "Inference Scaling fLaws" (``docs/algorithms.md`` §9.2):
with base rate ``f``, recall ``r`` and false-alarm rate ``a``, a judge filter keeps ``f(1 − r)``
false and ``(1 − f)(1 − a)`` true negatives per candidate, so what it keeps is a share

    f(1 − r) / (f(1 − r) + (1 − f)(1 − a))

false negatives however deep one mines: the judge's misses set the floor and its false alarms
cost good negatives. For judges that give probabilities, a reliability table, the Brier score
and the expected calibration error. Intervals: :mod:`trueneg.audit.evidence`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from trueneg.audit.evidence import CLUSTERED_WILSON, QUERY_BOOTSTRAP, bootstrapped, per_query
from trueneg.audit.findings import (
    HiddenQrels,
    JudgeEstimate,
    JudgeQuality,
    ReliabilityBin,
)
from trueneg.audit.hidden import RUN, HiddenSplit, query_positions
from trueneg.audit.judge_estimate import score_pairs
from trueneg.audit.judge_metrics import (
    BINS,
    bin_index,
    brier_score,
    expected_calibration_error,
    roc_auc,
)
from trueneg.audit.judge_sample import query_halves
from trueneg.audit.judge_threshold import operating_point, operating_thresholds
from trueneg.pipeline import id_hashes
from trueneg.rescore import Judge, RescoreResult
from trueneg.rescore.bi_encoder import OnnxBiEncoder, STBiEncoder

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext

logger = logging.getLogger(__name__)

POPULATION = (
    "candidates this run's strategy or naive top-k keeps on the hidden-qrels split, whole "
    "queries not used to calibrate the judge estimate; hidden positives are the positive class"
)


def judge_quality(
    ctx: AuditContext,
    split: HiddenSplit,
    judge: Judge,
    judge_name: str,
    *,
    estimate: JudgeEstimate | None,
    hidden: HiddenQrels | None,
    budget: int,
    seed: int,
) -> tuple[JudgeQuality | None, str]:
    """The :class:`JudgeQuality` part, or (None, why) when there is nothing to judge."""
    calibration = calibration_queries(split, estimate, seed)
    rows = judged_rows(split, calibration, budget, seed, known=set(ctx.judged))
    if rows.size == 0:
        return None, "no strategy kept a candidate on the hidden-qrels split"
    scores, result = _scores(ctx, split, judge, rows)
    scored = np.isfinite(scores)  # a remote judge may leave a pair without a verdict
    scores, rows = scores[scored], rows[scored]
    labels, queries = split.is_hidden[rows], query_positions(split)[rows]
    probabilities = not isinstance(judge, OnnxBiEncoder | STBiEncoder) and bool(
        scores.size and scores.min() >= 0 and scores.max() <= 1
    )
    thresholds = operating_thresholds(ctx, judge, estimate, probabilities)
    quality = JudgeQuality(
        judge=judge_name,
        population=POPULATION,
        queries=len(set(queries.tolist())),
        pairs=int(rows.size),
        base_rate=per_query(queries, labels),
        auc=bootstrapped(queries, lambda r: roc_auc(scores[r], labels[r]), seed),
        operating_points=[
            operating_point(name, tau, scores, labels, queries, hidden, seed)
            for name, tau in thresholds
        ],
        probabilities=probabilities,
        pairs_scored=result.pairs_scored,
        pairs_cached=result.pairs_cached,
        pairs_per_s=result.pairs_per_s or None,
        interval=f"proportions: {CLUSTERED_WILSON}; AUC, Brier, ECE, residual: {QUERY_BOOTSTRAP}",
        notes=_notes(probabilities, thresholds, int((~scored).sum())),
    )
    if probabilities:
        _calibration(quality, scores, labels, queries, seed)
    return quality, ""


def _scores(
    ctx: AuditContext, split: HiddenSplit, judge: Judge, rows: np.ndarray
) -> tuple[np.ndarray, RescoreResult]:
    table = split.table.take(rows)
    logger.info("judge quality: scoring %d pairs", rows.size)
    result = score_pairs(ctx, judge, table["query_id"].to_pylist(), table["doc_id"].to_pylist())
    return result.scores.astype(np.float64), result


def calibration_queries(split: HiddenSplit, estimate: JudgeEstimate | None, seed: int) -> set[str]:
    """The half of the queries the judge estimate calibrates on (its τ may come from their
    hidden positives), to be left out; none without an estimate."""
    if estimate is None:
        return set()
    halves = query_halves(split.query_ids, seed)
    return {q for q, c in zip(split.query_ids, halves, strict=True) if c}


def judged_rows(
    split: HiddenSplit,
    calibration: set[str],
    budget: int,
    seed: int,
    known: set[tuple[str, str]] | frozenset = frozenset(),
) -> np.ndarray:
    """Rows kept by this run's strategy or naive top-k, of whole queries outside
    ``calibration``, until ``budget`` rows: queries with the most ``known`` (already judged)
    pairs first, so the judge estimate's scores are reused, then in a seeded order."""
    kept = split.kept.get(RUN, np.zeros(split.table.num_rows, dtype=bool)).copy()
    for s in split.strategies:
        if not s.filters and s.sampler == "top" and s.name in split.kept:
            kept |= split.kept[s.name]
    open_ = np.array([q not in calibration for q in split.query_ids], dtype=bool)
    qpos = query_positions(split)
    kept &= open_[qpos]
    rows = np.flatnonzero(kept)
    rows = rows[np.argsort(qpos[rows], kind="stable")]
    positions, starts = np.unique(qpos[rows], return_index=True)
    groups = np.split(rows, starts[1:])
    doc_ids = split.table["doc_id"].to_pylist()
    reused = [
        sum((split.query_ids[p], doc_ids[r]) in known for r in g)
        for p, g in zip(positions, groups, strict=True)
    ]
    names = [f"quality\x1f{seed}\x1f{split.query_ids[p]}" for p in positions]
    order = np.lexsort((id_hashes(names), -np.asarray(reused))) if names else []
    chosen, total = [], 0
    for i in order:
        if total >= budget:
            break
        chosen.append(groups[i])
        total += groups[i].size
    return np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)


def _calibration(
    quality: JudgeQuality, scores: np.ndarray, labels: np.ndarray, queries: np.ndarray, seed: int
) -> None:
    index = bin_index(scores)
    for b in np.unique(index):
        in_bin = index == b
        quality.reliability.append(
            ReliabilityBin(
                b / BINS,
                (b + 1) / BINS,
                float(scores[in_bin].mean()),
                per_query(queries, labels, in_bin),
            )
        )
    quality.brier = bootstrapped(queries, lambda r: brier_score(scores[r], labels[r]), seed)
    quality.ece = bootstrapped(
        queries, lambda r: expected_calibration_error(scores[r], labels[r]), seed
    )


def _notes(probabilities: bool, thresholds: list[tuple[str, float]], unscored: int) -> list[str]:
    notes = [
        "Qrels are incomplete: an unlabeled relevant document counts as a negative, so "
        "precision, AUC and each bin's observed share are lower bounds and the false-alarm "
        "rate an upper bound.",
        "Ceiling (Inference Scaling fLaws, docs/algorithms.md §9.2): with base rate f, recall "
        "r and false-alarm rate a, the judge as a filter leaves a false-negative share "
        "f(1 − r) / (f(1 − r) + (1 − f)(1 − a)) of what it keeps, however deep one mines; "
        "it loses a share a of the good negatives.",
    ]
    if thresholds:
        notes.append(f"Headline operating point: {thresholds[0][0]}.")
    else:
        notes.append(
            "No operating threshold: the judge's scores are not probabilities and neither the "
            "run nor a judge estimate sets one."
        )
    if not probabilities:
        notes.append("The judge's scores are not probabilities: no calibration is reported.")
    if unscored:
        notes.append(f"{unscored} pairs the judge gave no score are left out.")
    return notes


def judge_cost(judge: Any) -> dict[str, Any] | None:
    """What a remote judge spent (its ``cost.as_dict()``), None for a local one."""
    cost = getattr(judge, "cost", None)
    return cost.as_dict() if cost is not None and hasattr(cost, "as_dict") else None
