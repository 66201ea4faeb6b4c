"""The judge estimate: how many kept negatives are relevant, from a judge calibrated per dataset.

A judge's probability scale does not transfer across domains (the ms-marco reranker gives
NFCorpus's labeled positives a median probability of 0.0001), so no fixed threshold is used.
Instead the threshold ``τ`` is the median judge score of a *positive reference* from the
dataset itself, which fixes the judge's recall ``ρ`` there at about one half; ``α`` is the share
of random corpus documents scoring ``≥ τ`` (false alarms) and ``π`` the share of a stratified
sample of kept negatives scoring ``≥ τ``. If kept negatives are a mixture of relevant documents
(scored like the reference) and non-relevant ones (scored like random documents),
``π = f·ρ + (1 − f)·α``, so ``f = (π − α) / (ρ − α)``, clipped to [0, 1].

The positive reference is, when the hidden-qrels split exists, the hidden positives that came
back as candidates (relevant documents as they look when they sit among the negatives) from a
calibration half of the queries; the other half checks the estimate against the hidden count.
Otherwise it is the labeled positives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from trueneg.audit.estimator import (
    N_BOOT,
    bootstrap_rates,
    matched_indices,
    mixture_rate,
    percentile_ci,
    stratified_indices,
    stratified_share,
    threshold_for_recall,
)
from trueneg.audit.hidden import RUN, HiddenSplit, bucket_index, query_halves
from trueneg.audit.report import RANK_BUCKETS, BucketRate, JudgeEstimate, bucket_label
from trueneg.pipeline import judge_cache

if TYPE_CHECKING:
    from trueneg.audit.core import AuditContext

logger = logging.getLogger(__name__)

MIN_HIDDEN_REFERENCE = 10


# --- samples ---------------------------------------------------------------------------------
@dataclass
class Sample:
    """(query, doc) pairs to score; for kept negatives also their rank bucket and the
    population share of every bucket."""

    query_ids: list[str]
    doc_ids: list[str]
    strata: np.ndarray | None = None
    weights: np.ndarray | None = None
    population: int = 0


def kept_sample(
    query_ids: np.ndarray, doc_ids: np.ndarray, rank: np.ndarray, n: int, rng: np.random.Generator
) -> Sample:
    strata = bucket_index(rank)
    rows = stratified_indices(strata, n, rng)
    weights = np.bincount(strata, minlength=len(RANK_BUCKETS)) / max(strata.size, 1)
    return Sample(list(query_ids[rows]), list(doc_ids[rows]), strata[rows], weights, strata.size)


def random_sample(
    ctx: AuditContext, queries: list[str], n: int, rng: np.random.Generator
) -> Sample:
    """Random corpus documents paired with random queries (never the query's positive)."""
    doc_ids = ctx.prepared.doc_ids
    qs, ds = [], []
    for q in rng.choice(np.asarray(queries, dtype=object), n):
        positives = set(ctx.positives_by_query.get(q, ()))
        for _ in range(20):
            d = doc_ids[int(rng.integers(len(doc_ids)))]
            if d not in positives:
                qs.append(q)
                ds.append(d)
                break
    return Sample(qs, ds)


def positive_reference(
    ctx: AuditContext,
    split: HiddenSplit | None,
    calibration: set[str],
    weights: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> tuple[Sample, str]:
    """Relevant documents at the ranks where the kept negatives sit (``weights`` = their rank
    bucket mix): hidden positives that came back as candidates in the calibration half of the
    hidden split, else labeled positives by their query's positive rank."""
    if split is not None:
        rows = np.flatnonzero(
            split.is_hidden
            & (split.rank <= split.run_depth)
            & np.isin(split.row_query(), list(calibration))
        )
        if rows.size >= MIN_HIDDEN_REFERENCE:
            rows = rows[matched_indices(bucket_index(split.rank[rows]), weights, n, rng)]
            table = split.table.take(rows)
            text = (
                "hidden positives that came back as candidates of the hidden-qrels split "
                f"({len(calibration)} calibration queries), sampled to match the kept "
                "negatives' rank buckets"
            )
            return Sample(table["query_id"].to_pylist(), table["doc_id"].to_pylist()), text
    stats = ctx.stats
    ranks = stats["positive_rank"].to_numpy(zero_copy_only=False)
    queries = np.asarray(stats["query_id"].to_pylist(), dtype=object)
    known = np.flatnonzero((ranks > 0) & np.isin(queries, list(ctx.positives_by_query)))
    picked = queries[known[matched_indices(bucket_index(ranks[known]), weights, n, rng)]]
    docs = [
        ctx.positives_by_query[q][int(rng.integers(len(ctx.positives_by_query[q])))] for q in picked
    ]
    text = (
        "labeled positives (one per sampled query), queries sampled so their positive's rank "
        "buckets match the kept negatives'"
    )
    return Sample(list(picked), docs), text


# --- the part --------------------------------------------------------------------------------
def estimate_with_judge(
    ctx: AuditContext, split: HiddenSplit | None, judge: Any, budget: int, seed: int
) -> JudgeEstimate:
    """Score the samples with ``judge`` (cached in ``RUN/judge``) and build the estimate."""
    from trueneg.rescore import load_judge, rescore

    judge_name = judge if isinstance(judge, str) else getattr(judge, "kind", type(judge).__name__)
    judge = load_judge(str(judge)) if isinstance(judge, str) else judge
    rng = np.random.default_rng(seed)
    samples, reference, calibration = _draw(ctx, split, budget, rng, seed)
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


def _draw(
    ctx: AuditContext, split: HiddenSplit | None, budget: int, rng: np.random.Generator, seed: int
) -> tuple[dict[str, Sample], str, set[str]]:
    neg = ctx.negatives.filter(ctx.negatives["kept"])
    kept_q = np.asarray(neg["query_id"].to_pylist(), dtype=object)
    with_split = split is not None and RUN in split.kept
    shares = (0.35, 0.2, 0.2, 0.25) if with_split else (0.5, 0.25, 0.25, 0.0)
    n_kept, n_pos, n_rand, n_val = (max(4, round(budget * s)) for s in shares)
    calibration: set[str] = set()
    if with_split:
        halves = query_halves(split.query_ids, seed)
        calibration = {q for q, c in zip(split.query_ids, halves, strict=True) if c}
    samples = {
        "kept": kept_sample(
            kept_q,
            np.asarray(neg["doc_id"].to_pylist(), dtype=object),
            neg["rank"].to_numpy(),
            n_kept,
            rng,
        )
    }
    samples["positives"], reference = positive_reference(
        ctx, split, calibration, samples["kept"].weights, n_pos, rng
    )
    samples["random"] = random_sample(ctx, sorted(set(kept_q)), n_rand, rng)
    if with_split:
        rows = np.flatnonzero(split.kept[RUN] & ~np.isin(split.row_query(), list(calibration)))
        if rows.size:
            table = split.table.take(rows)
            samples["validation"] = kept_sample(
                np.asarray(table["query_id"].to_pylist(), dtype=object),
                np.asarray(table["doc_id"].to_pylist(), dtype=object),
                table["rank"].to_numpy(),
                n_val,
                rng,
            )
            samples["validation"].population = rows.size
    return samples, reference, calibration


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
