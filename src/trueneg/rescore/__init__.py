"""The rescore stage: score (query, doc) candidates with a judge, cached and resumable.

>>> judge = load_judge(".models/ms-marco-MiniLM-L-12-v2")  # doctest: +SKIP
>>> result = rescore(judge, qids, dids, query_text, doc_text, cache_dir)  # doctest: +SKIP
>>> result.scores  # float32, aligned with (qids, dids)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trueneg.errors import ConfigError, DataError
from trueneg.progress import progress_bar
from trueneg.rescore.batching import batch_slices, length_order, score_in_batches
from trueneg.rescore.cache import ScoreCache
from trueneg.rescore.cascade import batch_size_for
from trueneg.rescore.loader import JUDGE_KINDS, Judge, detect_kind, load_judge

__all__ = ["JUDGE_KINDS", "Judge", "RescoreResult", "detect_kind", "load_judge", "rescore"]

logger = logging.getLogger(__name__)


@dataclass
class RescoreResult:
    """Scores aligned with the input pairs, and what it took to get them.

    Attributes:
        scores: float32, one per input pair (duplicates get the same score).
        pairs_scored: distinct pairs the judge scored in this call.
        pairs_cached: distinct pairs read from the cache.
        seconds: wall time of the call.
        pairs_per_s: judge throughput on the newly scored pairs (0 when none were scored).
    """

    scores: np.ndarray
    pairs_scored: int
    pairs_cached: int
    seconds: float
    pairs_per_s: float


def rescore(
    judge: Judge,
    query_ids: Sequence[str],
    doc_ids: Sequence[str],
    query_text: Mapping[str, str],
    doc_text: Mapping[str, str],
    cache_dir: Path,
    *,
    batch_size: int = 32,
    shard_size: int = 2048,
    show_progress: bool = False,
) -> RescoreResult:
    """Score every (query_ids[i], doc_ids[i]) pair, reusing and extending the cache.

    Pairs are deduplicated, looked up in ``cache_dir/<fingerprint[:16]>/``, and the missing
    ones are scored in length-sorted batches across queries. Every ``shard_size`` new scores
    are written as one Parquet shard, so an interrupted call resumes where it stopped.
    """
    start = time.perf_counter()
    _check_args(query_ids, doc_ids, batch_size, shard_size)
    keys, inverse = _distinct_pairs(query_ids, doc_ids)
    _check_texts(keys, query_text, doc_text)
    cache = ScoreCache(Path(cache_dir), judge.fingerprint, judge.kind)
    known = cache.load()
    missing = [k for k in keys if k not in known]
    if getattr(judge, "whole_batches", False):
        # a cascade takes every missing pair at once (its ``top`` rule ranks them all), caches
        # each stage itself (nothing is lost by one shard) and shows each stage's progress
        judge.use_cache(Path(cache_dir), show_progress)  # type: ignore[attr-defined]
        batch_size = shard_size = max(len(missing), 1)
        show_progress = False
    else:  # a remote judge's batch feeds its concurrent requests
        batch_size = max(batch_size, batch_size_for(judge, batch_size))
    pairs_cached = len(keys) - len(missing)
    scoring_start = time.perf_counter()
    with progress_bar(show_progress and bool(missing), len(missing), "Rescoring pairs") as advance:
        for shard in _shards(missing, query_text, doc_text, shard_size):
            queries = [query_text[q] for q, _ in shard]
            docs = [doc_text[d] for _, d in shard]
            scores = score_in_batches(judge.score, queries, docs, batch_size, on_batch=advance)
            cache.write_shard([q for q, _ in shard], [d for _, d in shard], scores)
            known.update(zip(shard, scores.tolist(), strict=True))
    scoring_seconds = time.perf_counter() - scoring_start
    distinct = np.array([known[k] for k in keys], dtype=np.float32)
    seconds = time.perf_counter() - start
    rate = len(missing) / scoring_seconds if missing and scoring_seconds > 0 else 0.0
    logger.info(
        "Rescored %d pairs with %s: %d new, %d cached, %.1f pairs/s",
        len(inverse),
        judge.kind,
        len(missing),
        pairs_cached,
        rate,
    )
    return RescoreResult(distinct[inverse], len(missing), pairs_cached, seconds, rate)


def _check_args(query_ids: Sequence[str], doc_ids: Sequence[str], batch: int, shard: int):
    if len(query_ids) != len(doc_ids):
        raise DataError(
            "query_ids and doc_ids must be aligned pairs",
            received=f"{len(query_ids)} query ids, {len(doc_ids)} doc ids",
            expected="the same number of each",
        )
    for name, value in (("batch_size", batch), ("shard_size", shard)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1", received=value)


def _distinct_pairs(
    query_ids: Sequence[str], doc_ids: Sequence[str]
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Distinct (query_id, doc_id) keys in first-seen order, and each input pair's key index."""
    index: dict[tuple[str, str], int] = {}
    inverse = np.fromiter(
        (index.setdefault((q, d), len(index)) for q, d in zip(query_ids, doc_ids, strict=True)),
        dtype=np.int64,
        count=len(query_ids),
    )
    return list(index), inverse


def _check_texts(
    keys: list[tuple[str, str]], query_text: Mapping[str, str], doc_text: Mapping[str, str]
) -> None:
    for side, ids, texts in (
        ("query", {q for q, _ in keys}, query_text),
        ("doc", {d for _, d in keys}, doc_text),
    ):
        absent = sorted(i for i in ids if i not in texts)
        if absent:
            raise DataError(
                f"{len(absent)} {side} ids of the pairs have no text",
                received=absent[:10],
                expected=f"every {side} id to be a key of {side}_text",
            )


def _shards(
    missing: list[tuple[str, str]],
    query_text: Mapping[str, str],
    doc_text: Mapping[str, str],
    shard_size: int,
) -> Iterator[list[tuple[str, str]]]:
    """The missing pairs sorted by text length (longest first), cut into shards."""
    order = length_order([query_text[q] for q, _ in missing], [doc_text[d] for _, d in missing])
    for part in batch_slices(len(order), shard_size):
        yield [missing[i] for i in order[part]]
