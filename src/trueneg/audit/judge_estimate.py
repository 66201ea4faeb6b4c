"""The judge estimate: how many kept negatives are relevant, from a judge calibrated per dataset.

A judge's probability scale does not transfer across domains (how far the ms-marco reranker's
scores of labeled positives move between datasets is measured in
``docs/benchmarks/false-negatives.md``, "Does the judge estimate agree with the hidden-qrels
count?"), so no fixed threshold is used. Instead the threshold ``τ`` is the median judge score
of a *positive reference* from the dataset itself, which fixes the judge's recall ``ρ`` there at
about one half; ``α`` is the share of random corpus documents scoring ``≥ τ`` (false alarms) and
``π`` the share of a stratified sample of kept negatives scoring ``≥ τ``. If kept negatives are
a mixture of relevant documents (scored like the reference) and non-relevant ones (scored like
random documents), ``π = f·ρ + (1 − f)·α``, so ``f = (π − α) / (ρ − α)``, clipped to [0, 1].

The positive reference is, when the hidden-qrels split exists, the hidden positives that came
back as candidates (relevant documents as they look when they sit among the negatives) from a
calibration half of the queries; the other half checks the estimate against the hidden count.
Otherwise it is the labeled positives.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from trueneg.audit.buckets import RANK_BUCKETS, bucket_label
from trueneg.audit.estimator import (
    N_BOOT,
    bootstrap_rates,
    mixture_rate,
    percentile_ci,
    stratified_share,
    threshold_for_recall,
)
from trueneg.audit.findings import BucketRate, JudgeEstimate
from trueneg.audit.hidden import RUN, HiddenSplit
from trueneg.audit.judge_sample import Sample, draw_samples
from trueneg.pipeline import judge_cache
from trueneg.rescore import load_judge, rescore

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext

logger = logging.getLogger(__name__)


# --- the part --------------------------------------------------------------------------------
def estimate_with_judge(
    ctx: AuditContext, split: HiddenSplit | None, judge: Any, budget: int, seed: int
) -> JudgeEstimate:
    """Score the samples with ``judge`` (cached in ``RUN/judge``) and build the estimate."""
    judge_name = judge if isinstance(judge, str) else getattr(judge, "kind", type(judge).__name__)
    judge = load_judge(str(judge)) if isinstance(judge, str) else judge
    rng = np.random.default_rng(seed)
    samples, reference, calibration = draw_samples(ctx, split, budget, rng, seed)
    pairs_q = [q for s in samples.values() for q in s.query_ids]
    pairs_d = [d for s in samples.values() for d in s.doc_ids]
    logger.info("judge estimate: scoring %d pairs with %s", len(pairs_q), judge_name)
    result = rescore(
        judge,
        pairs_q,
        pairs_d,
        ctx.query_text,
        ctx.doc_text,
        judge_cache(ctx.run.dir, ctx.mine_config),
        show_progress=ctx.show_progress,
    )
    ctx.judged.update(zip(zip(pairs_q, pairs_d, strict=True), result.scores.tolist(), strict=True))
    scores, start = {}, 0
    for name, s in samples.items():
        scores[name] = result.scores[start : start + len(s.query_ids)].astype(np.float64)
        start += len(s.query_ids)
    estimate = _estimate(samples, scores, str(judge_name), reference, seed)
    if "validation" in samples:
        estimate.validation = _validation(samples["validation"], scores, split, calibration, seed)
    return estimate


def _estimate(
    samples: dict[str, Sample], scores: dict[str, np.ndarray], judge: str, reference: str, seed: int
) -> JudgeEstimate:
    pos, rand, kept = scores["positives"], scores["random"], scores["kept"]
    strata, weights = samples["kept"].strata, samples["kept"].weights
    tau = threshold_for_recall(pos)
    rho, alpha = float((pos >= tau).mean()), float((rand >= tau).mean())
    pi = stratified_share(kept >= tau, strata, weights)
    f = float(mixture_rate(pi, rho, alpha))
    low, high = percentile_ci(bootstrap_rates(pos, rand, kept, strata, weights, seed=seed))
    by_rank = []
    for s in np.flatnonzero(weights > 0):
        in_s = strata == s
        if in_s.any():
            rate = float(mixture_rate((kept[in_s] >= tau).mean(), rho, alpha))
            by_rank.append(
                BucketRate(
                    bucket_label(*RANK_BUCKETS[s]), int(in_s.sum()), rate * int(in_s.sum()), rate
                )
            )
    return JudgeEstimate(
        judge=judge,
        threshold=tau,
        calibration=_calibration_text(reference, tau),
        recall_on_positives=rho,
        false_alarm_rate=alpha,
        flagged_share=pi,
        estimated_false_negative_rate=f if np.isfinite(f) else None,
        ci_low=low,
        ci_high=high,
        sample_size=int(kept.size),
        by_rank=by_rank,
        notes=_notes(rho, alpha, samples, pos.size, rand.size),
    )


def _calibration_text(reference: str, tau: float) -> str:
    return (
        f"per dataset, τ = {tau:.4g} = the median judge score of {reference} (so recall ≈ "
        "50% there; the judge's raw probability scale is not trusted across domains); false "
        "alarms measured on random corpus documents"
    )


def _notes(
    rho: float, alpha: float, samples: dict[str, Sample], n_pos: int, n_rand: int
) -> list[str]:
    notes = [
        f"f = (π − α)/(ρ − α), clipped to [0, 1]; π from a sample of {samples['kept'].population}"
        f" kept negatives stratified by rank bucket; ρ from {n_pos} reference positives, α from "
        f"{n_rand} random documents.",
        "α comes from random documents, which are easier than hard true negatives: it is "
        "optimistic, so the estimate leans high (a hard true negative the judge mistakes for "
        "relevant counts as a false negative).",
        f"95% CI: percentile bootstrap ({N_BOOT} resamples) over all three samples, τ re-chosen "
        "in each resample.",
    ]
    if not rho > alpha:
        notes.append(
            "The judge does not separate the positive reference from random documents "
            "at τ (ρ ≤ α): the estimate is undefined."
        )
    return notes


def _validation(
    sample: Sample,
    scores: dict[str, np.ndarray],
    split: HiddenSplit,
    calibration: set[str],
    seed: int,
) -> dict[str, Any]:
    """The same estimator on the hidden split's kept negatives (queries not used to calibrate),
    beside the exact count of hidden positives among them."""
    pos, rand, val = scores["positives"], scores["random"], scores["validation"]
    tau = threshold_for_recall(pos)
    pi = stratified_share(val >= tau, sample.strata, sample.weights)
    f = float(mixture_rate(pi, (pos >= tau).mean(), (rand >= tau).mean()))
    low, high = percentile_ci(
        bootstrap_rates(pos, rand, val, sample.strata, sample.weights, seed=seed + 1)
    )
    rows = split.kept[RUN] & ~np.isin(split.row_query(), list(calibration))
    counted = float(split.is_hidden[rows].mean())
    agrees = bool(low <= counted <= high)
    return {
        "population": "kept negatives of this run's strategy on the hidden-qrels split, "
        f"{len(split.query_ids) - len(calibration)} queries not used to "
        "calibrate",
        "kept": int(rows.sum()),
        "sample_size": int(val.size),
        "hidden_qrels_rate": counted,
        "judge_estimate": f,
        "ci_low": low,
        "ci_high": high,
        "agrees": agrees,
        "explanation": _explain(agrees, f, counted)
        + (f" Only {val.size} negatives were judged: not conclusive." if val.size < 30 else ""),
    }


def _explain(agrees: bool, estimate: float, counted: float) -> str:
    if agrees:
        return (
            "The hidden-qrels count lies inside the judge estimate's 95% CI on the same negatives."
        )
    if estimate > counted:
        return (
            "The judge estimate is above the hidden-qrels count. That is the expected "
            "direction: the count sees only the hidden labeled positives while the judge also "
            "flags unlabeled relevant documents (qrels are incomplete), and α from random "
            "documents is optimistic for hard true negatives."
        )
    return (
        "The judge estimate is below the hidden-qrels count: the judge scores some labeled "
        "positives lower than the calibration positives (qrels that do not read as relevant "
        "to it); read the judge estimate as a lower bound on this dataset."
    )
