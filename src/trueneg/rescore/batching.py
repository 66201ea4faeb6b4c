"""Batch (query, doc) pairs across queries by length, score them, restore the input order.

Sorting by length keeps padding small: a batch of short pairs is not padded to the length of
one long abstract. Pairs from different queries share a batch; there is no per-query loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from trueneg.errors import ModelError

ScoreFn = Callable[[list[str], list[str]], np.ndarray]


def length_order(queries: Sequence[str], docs: Sequence[str]) -> np.ndarray:
    """Positions of the pairs sorted by total character length, longest first.

    Longest first makes an out-of-memory batch fail at once instead of at the end. The sort
    is stable, so equal lengths keep their input order.
    """
    lengths = np.fromiter(
        (len(q) + len(d) for q, d in zip(queries, docs, strict=True)),
        dtype=np.int64,
        count=len(queries),
    )
    return np.argsort(-lengths, kind="stable")


def batch_slices(n: int, batch_size: int) -> Iterator[slice]:
    """Consecutive slices of at most ``batch_size`` covering ``range(n)``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def score_in_batches(
    score_fn: ScoreFn,
    queries: Sequence[str],
    docs: Sequence[str],
    batch_size: int,
    *,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Score pairs in length-sorted batches and return float32 scores in input order.

    Args:
        score_fn: scores one batch, ``(queries, docs) -> (len,)`` array.
        queries: the pairs' query texts.
        docs: the pairs' document texts, aligned with ``queries``.
        batch_size: pairs per call of ``score_fn``.
        on_batch: called with the number of pairs after each batch (progress bars).
    """
    if len(queries) != len(docs):
        raise ValueError(f"{len(queries)} queries but {len(docs)} docs")
    order = length_order(queries, docs)
    scores = np.empty(len(queries), dtype=np.float32)
    for part in batch_slices(len(order), batch_size):
        idx = order[part]
        batch = np.asarray(score_fn([queries[i] for i in idx], [docs[i] for i in idx]))
        if batch.shape != (len(idx),):
            raise ModelError(
                "The judge returned the wrong number of scores",
                received=f"shape {batch.shape}",
                expected=f"shape ({len(idx)},), one score per pair",
            )
        scores[idx] = batch
        if on_batch is not None:
            on_batch(len(idx))
    return scores


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function, float32."""
    x = np.asarray(x, dtype=np.float64)
    return (0.5 * (1.0 + np.tanh(0.5 * x))).astype(np.float32)
