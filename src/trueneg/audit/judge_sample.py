"""The judge estimate's samples: kept negatives by rank bucket, a positive reference at the
same ranks, random corpus documents, and (with a hidden-qrels split) a validation sample from
the queries not used to calibrate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from trueneg.audit.buckets import RANK_BUCKETS, bucket_index
from trueneg.audit.estimator import matched_indices, stratified_indices
from trueneg.audit.hidden import RUN, HiddenSplit
from trueneg.pipeline import id_hashes

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext

MIN_HIDDEN_REFERENCE = 10


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


def draw_samples(
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


def query_halves(query_ids: Sequence[str], seed: int) -> np.ndarray:
    """A seeded, order-independent split of queries in two halves (True = calibration)."""
    return (id_hashes([f"half\x1f{seed}\x1f{q}" for q in query_ids]) & np.uint64(1)) == 0
