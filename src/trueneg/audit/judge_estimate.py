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
from dataclasses import asdict
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
from trueneg.audit.evidence import (
    MAX_WIDTH,
    MIN_EFFECTIVE_ROWS,
    MIN_QUERIES,
    pairs_for_width,
    per_query,
    plural,
)
from trueneg.audit.findings import BucketRate, JudgeEstimate
from trueneg.audit.hidden import RUN, HiddenSplit
from trueneg.audit.judge_sample import Sample, draw_samples
from trueneg.pipeline import judge_cache
from trueneg.rescore import Judge, RescoreResult, load_judge, rescore
from trueneg.rescore.cascade import DEFAULT_RULE

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext

logger = logging.getLogger(__name__)

TARGET_WIDTHS = (0.10, 0.20)  # ±5 and ±10 points
PERCENTILE_BOOTSTRAP = (
    f"95% percentile bootstrap ({N_BOOT} resamples) over the three samples (kept negatives, "
    "reference positives, random documents), τ re-chosen in each"
)


def resolve_judge(judge: Any, cascade: str = DEFAULT_RULE) -> tuple[Judge, str]:
    """A loaded judge and the name the report gives it (a spec is loaded; ``cascade`` is the
    pass rule of a cascade spec)."""
    if isinstance(judge, str):
        return load_judge(judge, cascade=cascade), judge
    return judge, str(getattr(judge, "kind", type(judge).__name__))


def score_pairs(
    ctx: AuditContext, judge: Judge, query_ids: list[str], doc_ids: list[str]
) -> RescoreResult:
    """Judge scores of the pairs through the run's judge cache (pairs scored before are free);
    every score is remembered in ``ctx.judged``."""
    result = rescore(
        judge,
        query_ids,
        doc_ids,
        ctx.query_text,
        ctx.doc_text.load(doc_ids),
        judge_cache(ctx.run.dir, ctx.mine_config),
        show_progress=ctx.show_progress,
    )
    ctx.judged.update(
        zip(zip(query_ids, doc_ids, strict=True), result.scores.tolist(), strict=True)
    )
    return result


# --- the part --------------------------------------------------------------------------------
def estimate_with_judge(
    ctx: AuditContext, split: HiddenSplit | None, judge: Any, budget: int, seed: int
) -> tuple[JudgeEstimate | None, str]:
    """Score the samples with ``judge`` (cached in ``RUN/judge``) and build the estimate; (None,
    why) when the kept negatives are too few to estimate from (checked before any scoring)."""
    judge, judge_name = resolve_judge(judge)
    rng = np.random.default_rng(seed)
    samples, reference, calibration = draw_samples(ctx, split, budget, rng, seed)
    reason = _too_little(samples["kept"])
    if reason:
        return None, reason
    pairs_q = [q for s in samples.values() for q in s.query_ids]
    pairs_d = [d for s in samples.values() for d in s.doc_ids]
    logger.info("judge estimate: scoring %d pairs with %s", len(pairs_q), judge_name)
    result = score_pairs(ctx, judge, pairs_q, pairs_d)
    scores, start = {}, 0
    for name, s in samples.items():
        scores[name] = result.scores[start : start + len(s.query_ids)].astype(np.float64)
        start += len(s.query_ids)
    estimate = _estimate(samples, scores, judge_name, reference, seed)
    if "validation" in samples:
        estimate.validation = _validation(samples["validation"], scores, split, calibration, seed)
    return estimate, ""


def _too_little(sample: Sample) -> str | None:
    """Why the kept-negative sample is too thin for an estimate (the audit's evidence rules)."""
    queries, rows = len(set(sample.query_ids)), len(sample.query_ids)
    if queries >= MIN_QUERIES and rows >= MIN_EFFECTIVE_ROWS:
        return None
    return (
        f"the sample of kept negatives holds {rows} {plural(rows, 'pair', 'pairs')} from "
        f"{queries} {plural(queries, 'query', 'queries')}: at least {MIN_EFFECTIVE_ROWS} pairs "
        f"from {MIN_QUERIES} queries needed (the run keeps too few negatives, or raise "
        "--judge-sample)"
    )


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
    pairs = int(pos.size + rand.size + kept.size)
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
        by_rank=_by_rank(samples["kept"], scores, seed),
        notes=_notes(rho, alpha, samples, pos.size, rand.size, high - low),
        queries=len(set(samples["kept"].query_ids)),
        flagged=float((kept >= tau).sum()),
        pairs=pairs,
        interval=PERCENTILE_BOOTSTRAP,
        recall=per_query(np.asarray(samples["positives"].query_ids, dtype=object), pos >= tau),
        false_alarms=per_query(np.asarray(samples["random"].query_ids, dtype=object), rand >= tau),
        pairs_for_width={
            f"{100 * w:.0f} points (±{50 * w:.0f})": pairs_for_width(pairs, high - low, w)
            for w in TARGET_WIDTHS
        },
    )


def _by_rank(sample: Sample, scores: dict[str, np.ndarray], seed: int) -> list[BucketRate]:
    """The estimate per rank bucket, each from its own rows with its own bootstrap interval;
    a bucket with too few sampled pairs or queries is not computable."""
    pos, rand, kept = scores["positives"], scores["random"], scores["kept"]
    tau = threshold_for_recall(pos)
    rho, alpha = (pos >= tau).mean(), (rand >= tau).mean()
    queries = np.asarray(sample.query_ids, dtype=object)
    out = []
    for s in np.flatnonzero(sample.weights > 0):
        in_s = sample.strata == s
        if not in_s.any():
            continue
        rows, n_q = int(in_s.sum()), len(set(queries[in_s]))
        label = bucket_label(*RANK_BUCKETS[s])
        if rows < MIN_EFFECTIVE_ROWS or n_q < MIN_QUERIES:
            reason = f"{rows} sampled pairs from {n_q} queries: at least {MIN_EFFECTIVE_ROWS} "
            reason += f"pairs from {MIN_QUERIES} queries needed"
            out.append(BucketRate(label, rows, None, None, n_q, reason=reason))  # type: ignore[arg-type]
            continue
        rate = float(mixture_rate((kept[in_s] >= tau).mean(), rho, alpha))
        one = np.eye(len(RANK_BUCKETS))[0]
        low, high = percentile_ci(
            bootstrap_rates(pos, rand, kept[in_s], np.zeros(rows, np.int64), one, seed=seed + s)
        )
        out.append(BucketRate(label, rows, rate * rows, rate, n_q, low, high))
    return out


def _calibration_text(reference: str, tau: float) -> str:
    return (
        f"per dataset, τ = {tau:.4g} = the median judge score of {reference} (so recall ≈ "
        "50% there; the judge's raw probability scale is not trusted across domains); false "
        "alarms measured on random corpus documents"
    )


def _notes(
    rho: float, alpha: float, samples: dict[str, Sample], n_pos: int, n_rand: int, width: float
) -> list[str]:
    notes = [
        f"f = (π − α)/(ρ − α), clipped to [0, 1]; π from a sample of {samples['kept'].population}"
        f" kept negatives stratified by rank bucket; ρ from {n_pos} reference positives, α from "
        f"{n_rand} random documents.",
        "α comes from random documents, which are easier than hard true negatives: it is "
        "optimistic, so the estimate leans high (a hard true negative the judge mistakes for "
        "relevant counts as a false negative).",
        f"95% CI: percentile bootstrap ({N_BOOT} resamples) over all three samples, τ re-chosen "
        "in each resample. Its width scales as 1/√n with the judged pairs n (all three samples "
        "grow together), so n′ = n·(width/target)² pairs give an interval `target` wide; a "
        "better judge narrows it too: by the delta method Var f ≈ [Var π + (1 − f)²·Var α + "
        "f²·Var ρ] / (ρ − α)², so a wider gap ρ − α between positives and random documents "
        "shrinks every term.",
    ]
    if width >= MAX_WIDTH:
        notes.append(
            f"The interval is {100 * width:.0f} points wide, wider than the {100 * MAX_WIDTH:.0f} "
            "the audit's other rates may have: read it as a range, not a number; it does not "
            "inform the depth advice."
        )
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
    beside the exact count of hidden positives among them; only the population and the reason
    when either side has too little evidence."""
    rows = split.kept[RUN] & ~np.isin(split.row_query(), list(calibration))
    count = per_query(split.row_query(), split.is_hidden, rows)
    out: dict[str, Any] = {
        "population": "kept negatives of this run's strategy on the hidden-qrels split, "
        f"{len(split.query_ids) - len(calibration)} queries not used to calibrate",
        "kept": int(rows.sum()),
        "sample_size": len(sample.query_ids),
        "hidden_qrels_count": asdict(count),
    }
    reason = count.reason or _too_little(sample)
    if reason:
        return {**out, "reason": f"not computable: {reason}"}
    pos, rand, val = scores["positives"], scores["random"], scores["validation"]
    tau = threshold_for_recall(pos)
    pi = stratified_share(val >= tau, sample.strata, sample.weights)
    f = float(mixture_rate(pi, (pos >= tau).mean(), (rand >= tau).mean()))
    low, high = percentile_ci(
        bootstrap_rates(pos, rand, val, sample.strata, sample.weights, seed=seed + 1)
    )
    counted = float(count.rate)
    agrees = bool(low <= counted <= high)
    return {
        **out,
        "hidden_qrels_rate": counted,
        "judge_estimate": f,
        "ci_low": low,
        "ci_high": high,
        "agrees": agrees,
        "explanation": _explain(agrees, f, counted),
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
