"""Rerank a first-stage run with a cross-encoder: the top ``top`` documents of every query are
scored as (query, document) pairs and reordered; documents below ``top`` keep their first-stage
order, after the reranked ones.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from trueneg.errors import ConfigError, ModelError
from trueneg.progress import progress_bar, transformers_bars

logger = logging.getLogger(__name__)

CHUNK = 1024  # pairs per predict call: the progress bar's step


class Reranker(Protocol):
    """What reranking needs of a model: sentence-transformers' ``CrossEncoder.predict``."""

    def predict(self, pairs: list[tuple[str, str]], **kwargs: Any) -> Any: ...


def load_reranker(model: str | Path | Reranker, device: str) -> Reranker:
    """A ``CrossEncoder`` from a folder or hub name (an object with ``predict`` as it is)."""
    if not isinstance(model, str | Path):
        return model
    from sentence_transformers.cross_encoder import CrossEncoder

    logger.info("loading the reranker %s on %s", model, device)
    try:
        with transformers_bars():
            return CrossEncoder(str(model), device=device)
    except Exception as exc:
        raise ModelError(
            f"Could not load the reranker: {type(exc).__name__}: {exc}",
            received=str(model),
            expected="a cross-encoder folder (trueneg train --model-type cross-encoder) or a "
            "hub name already in the cache",
        ) from None


def check_top(top: int) -> int:
    if top < 1:
        raise ConfigError("--top must be positive", received=top, expected=">= 1")
    return top


def rerank_run(
    reranker: Reranker,
    run: dict[str, dict[str, float]],
    query_texts: dict[str, str],
    doc_texts: dict[str, str],
    *,
    top: int,
    batch_size: int = 64,
    show_progress: bool = False,
) -> dict[str, dict[str, float]]:
    """``run`` with each query's best ``top`` documents rescored by ``reranker`` and ranked by
    that score; the rest follow in their first-stage order, scored below every reranked one."""
    ordered = {q: sorted(docs, key=docs.__getitem__, reverse=True) for q, docs in run.items()}
    pairs = [(q, d) for q, docs in ordered.items() for d in docs[:top]]
    scores = score_pairs(reranker, pairs, query_texts, doc_texts, batch_size, show_progress)
    reranked: dict[str, dict[str, float]] = {q: {} for q in ordered}
    for (q, d), score in zip(pairs, scores.tolist(), strict=True):
        reranked[q][d] = score
    for q, docs in ordered.items():
        head = reranked[q]
        floor = min(head.values(), default=0.0)
        for i, d in enumerate(docs[top:]):
            head[d] = floor - 1.0 - i
    return reranked


def score_pairs(
    reranker: Reranker,
    pairs: list[tuple[str, str]],
    query_texts: dict[str, str],
    doc_texts: dict[str, str],
    batch_size: int,
    show_progress: bool,
) -> np.ndarray:
    """The reranker's score of every (query id, doc id) pair, longest texts first (less padding
    per batch), in the order of ``pairs``."""
    texts = [(query_texts[q], doc_texts[d]) for q, d in pairs]
    order = np.argsort([-len(a) - len(b) for a, b in texts], kind="stable")
    out = np.empty(len(texts), dtype=np.float64)
    with progress_bar(show_progress, len(texts), "reranking") as advance:
        for lo in range(0, len(texts), CHUNK):
            chunk = order[lo : lo + CHUNK]
            got = reranker.predict(
                [texts[i] for i in chunk], batch_size=batch_size, show_progress_bar=False
            )
            out[chunk] = np.asarray(got, dtype=np.float64).reshape(-1)
            advance(len(chunk))
    return out
