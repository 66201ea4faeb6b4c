"""Exact dense search: chunked inner products with a running top-k, corpus streamed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, cast

import numpy as np

from trueneg.devices import require_cuda
from trueneg.errors import ConfigError, DataError
from trueneg.progress import progress_bar
from trueneg.retrieve.base import RETRIEVERS, Candidates, SearchInput
from trueneg.retrieve.topk import check_search_input, drop_masked, join_parts, running_topk

logger = logging.getLogger(__name__)

DEVICES = ("cpu", "cuda")
MatMul = Callable[[np.ndarray, np.ndarray], np.ndarray]


@RETRIEVERS.register("exact")
@dataclass(frozen=True)
class ExactRetriever:
    """Exact cosine search over all documents (chunked matmul, CPU or CUDA).

    Peak memory is about ``query_chunk_size x doc_chunk_size x 16`` bytes (scores plus the
    partition's indices), whatever the corpus size; embeddings may be memory maps.
    ``exact:cuda`` on the command line picks the device.
    """

    name: ClassVar[str]
    needs_embeddings: ClassVar[bool] = True
    cosine_scores: ClassVar[bool] = True
    query_chunk_size: int = 1024
    doc_chunk_size: int = 50_000
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ConfigError(
                "Unknown device for exact search", received=self.device, expected=DEVICES
            )
        if self.query_chunk_size < 1 or self.doc_chunk_size < 1:
            raise ConfigError(
                "Chunk sizes must be positive",
                received=(self.query_chunk_size, self.doc_chunk_size),
            )

    @classmethod
    def from_value(cls, value: str | None) -> ExactRetriever:
        return cls() if value is None else cls(device=value)

    def search(self, inputs: SearchInput, depth: int, show_progress: bool = False) -> Candidates:
        """Top-``depth`` non-positive docs per query by inner product."""
        check_search_input(inputs, depth, embeddings=True)
        queries = cast(np.ndarray, inputs.query_embeddings)  # not None: checked above
        docs = cast(np.ndarray, inputs.doc_embeddings)
        matmul = matmul_for(self.device)
        n_queries = queries.shape[0]
        parts = []
        with progress_bar(show_progress, n_queries, "Exact search") as advance:
            for lo in range(0, n_queries, self.query_chunk_size):
                hi = min(lo + self.query_chunk_size, n_queries)
                q = np.ascontiguousarray(queries[lo:hi], dtype=np.float32)
                parts.append(self._search_chunk(q, docs, inputs.positives[lo:hi], depth, matmul))
                advance(hi - lo)
        return join_parts(parts, n_queries)

    def _search_chunk(
        self,
        q: np.ndarray,
        docs: np.ndarray,
        positives: list[np.ndarray],
        depth: int,
        matmul: MatMul,
    ) -> tuple[np.ndarray, ...]:
        pos_rows, pos_docs = flat_positives(positives)
        pos_min, pos_max = positive_extremes(q, docs, pos_rows, pos_docs)
        above = np.zeros(q.shape[0], dtype=np.int64)
        best_scores = best_index = None
        for lo in range(0, docs.shape[0], self.doc_chunk_size):
            d = np.ascontiguousarray(docs[lo : lo + self.doc_chunk_size], dtype=np.float32)
            scores = matmul(q, d)
            if not np.isfinite(scores).all():
                raise DataError(
                    "Embeddings contain NaN or infinite values",
                    received=f"doc rows {lo}..{lo + d.shape[0] - 1}",
                    fix="Re-encode the texts; check the model's output",
                )
            in_chunk = (pos_docs >= lo) & (pos_docs < lo + d.shape[0])
            scores[pos_rows[in_chunk], pos_docs[in_chunk] - lo] = -np.inf
            with np.errstate(invalid="ignore"):
                above += (scores > pos_max[:, None]).sum(axis=1)
            best_scores, best_index = running_topk(best_scores, best_index, scores, depth, lo)
        if best_scores is None:  # empty corpus
            best_scores = np.empty((q.shape[0], 0), dtype=np.float32)
            best_index = np.empty((q.shape[0], 0), dtype=np.int64)
        rank = np.where(np.isnan(pos_max), 0, above + 1)
        return (*drop_masked(best_scores, best_index), pos_min, rank)


def positive_extremes(
    q: np.ndarray, docs: np.ndarray, pos_rows: np.ndarray, pos_docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per query row, min and max inner product with its positives (NaN where none)."""
    scores = np.einsum("ij,ij->i", q[pos_rows], np.asarray(docs[pos_docs], dtype=np.float32))
    low = np.full(q.shape[0], np.inf, dtype=np.float32)
    high = np.full(q.shape[0], -np.inf, dtype=np.float32)
    np.minimum.at(low, pos_rows, scores)
    np.maximum.at(high, pos_rows, scores)
    none = np.isinf(low)
    low[none] = np.nan
    high[none] = np.nan
    return low, high


def flat_positives(positives: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    arrays = [np.asarray(p, dtype=np.int64).ravel() for p in positives]
    counts = [a.shape[0] for a in arrays]
    rows = np.repeat(np.arange(len(arrays), dtype=np.int64), counts)
    docs = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int64)
    return rows, docs


def matmul_for(device: str) -> MatMul:
    if device == "cpu":
        return lambda q, d: q @ d.T
    import torch

    require_cuda(device, "Use the exact retriever on the CPU (exact, not exact:cuda)")

    def matmul(q: np.ndarray, d: np.ndarray) -> np.ndarray:
        qt = torch.from_numpy(q).to("cuda", non_blocking=True)
        dt = torch.from_numpy(d).to("cuda", non_blocking=True)
        return (qt @ dt.T).float().cpu().numpy()

    return matmul
