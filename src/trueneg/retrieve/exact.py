"""Exact dense search: chunked inner products with a running top-k, corpus streamed.

On the CPU the chunks are numpy products; on a GPU (``device="auto"`` picks one when torch sees
it) :mod:`trueneg.retrieve.exact_torch` keeps each query chunk on the device. Both return the
same candidates in the same order (higher score first, then lower doc position).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, cast

import numpy as np

from trueneg.devices import pick_device, require_cuda
from trueneg.errors import ConfigError, DataError
from trueneg.progress import progress_bar
from trueneg.retrieve import exact_torch
from trueneg.retrieve.base import RETRIEVERS, Candidates, SearchInput
from trueneg.retrieve.topk import check_search_input, drop_masked, join_parts, running_topk

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
CHUNK_SIZES = {"cpu": (1024, 50_000), "cuda": (16_384, 65_536)}
"""Default (query, doc) chunk sizes by device: on a GPU about 6.4 GiB per query chunk (see
:func:`~trueneg.retrieve.exact_torch.device_memory_bytes`), and few passes over the corpus."""
MatMul = Callable[[np.ndarray, np.ndarray], np.ndarray]


@RETRIEVERS.register("exact")
@dataclass(frozen=True)
class ExactRetriever:
    """Exact cosine search over all documents (chunked matmul, CPU or CUDA).

    ``device="auto"`` searches on the GPU when torch sees one; ``exact:cpu`` / ``exact:cuda``
    on the command line pick the device. Chunk sizes left at None follow :data:`CHUNK_SIZES`.
    Peak host memory on the CPU is about ``query_chunk_size x doc_chunk_size x 16`` bytes
    (scores plus the partition's indices); GPU memory follows
    :func:`~trueneg.retrieve.exact_torch.device_memory_bytes` — both whatever the corpus size;
    embeddings may be memory maps.
    """

    name: ClassVar[str]
    needs_embeddings: ClassVar[bool] = True
    cosine_scores: ClassVar[bool] = True
    query_chunk_size: int | None = None
    doc_chunk_size: int | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ConfigError(
                "Unknown device for exact search", received=self.device, expected=DEVICES
            )
        sizes = (self.query_chunk_size, self.doc_chunk_size)
        if any(size is not None and size < 1 for size in sizes):
            raise ConfigError("Chunk sizes must be positive", received=sizes, expected=">= 1")

    def chunk_sizes(self, device: str = "cpu") -> tuple[int, int]:
        """(query, doc) chunk sizes on ``device`` (``cpu`` or ``cuda``): the given ones, else
        that device's defaults."""
        default_q, default_d = CHUNK_SIZES["cuda" if device.startswith("cuda") else "cpu"]
        return self.query_chunk_size or default_q, self.doc_chunk_size or default_d

    def resolved_device(self) -> str:
        """``cpu`` or ``cuda``: where :meth:`search` runs (a ConfigError for ``cuda`` without
        a GPU)."""
        if self.device == "cuda":
            require_cuda(self.device, "Use exact search on the CPU (exact or exact:cpu)")
        return pick_device(self.device)

    @classmethod
    def from_value(cls, value: str | None) -> ExactRetriever:
        return cls() if value is None else cls(device=value)

    def search(self, inputs: SearchInput, depth: int, show_progress: bool = False) -> Candidates:
        """Top-``depth`` non-positive docs per query by inner product."""
        check_search_input(inputs, depth, embeddings=True)
        queries = cast(np.ndarray, inputs.query_embeddings)  # not None: checked above
        docs = cast(np.ndarray, inputs.doc_embeddings)
        device = self.resolved_device()
        q_chunk, d_chunk = self.chunk_sizes(device)
        search_chunk = _torch_chunk if device == "cuda" else _numpy_chunk
        n_queries = queries.shape[0]
        parts = []
        label = "Exact search (GPU)" if device == "cuda" else "Exact search"
        with progress_bar(show_progress, n_queries, label) as advance:
            for lo in range(0, n_queries, q_chunk):
                hi = min(lo + q_chunk, n_queries)
                q = np.ascontiguousarray(queries[lo:hi], dtype=np.float32)
                positives = inputs.positives[lo:hi]
                parts.append(search_chunk(q, docs, positives, depth, d_chunk, device))
                advance(hi - lo)
        return join_parts(parts, n_queries)


def search_query_chunk(
    q: np.ndarray,
    docs: np.ndarray,
    positives: list[np.ndarray],
    depth: int,
    doc_chunk_size: int,
    best_topk: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, ...]:
    """One query chunk's ``(counts, scores, index, positive_min, positive_rank)``;
    ``best_topk(q, docs, pos_rows, pos_docs, pos_max, depth, doc_chunk_size)`` returns the
    sorted top-k rows and the count of docs above each best positive."""
    pos_rows, pos_docs = flat_positives(positives)
    pos_min, pos_max = positive_extremes(q, docs, pos_rows, pos_docs)
    best_scores, best_index, above = best_topk(
        q, docs, pos_rows, pos_docs, pos_max, depth, doc_chunk_size
    )
    rank = np.where(np.isnan(pos_max), 0, above + 1)
    return (*drop_masked(best_scores, best_index), pos_min, rank)


def _numpy_chunk(q, docs, positives, depth, doc_chunk_size, device) -> tuple[np.ndarray, ...]:
    return search_query_chunk(q, docs, positives, depth, doc_chunk_size, numpy_topk)


def _torch_chunk(q, docs, positives, depth, doc_chunk_size, device) -> tuple[np.ndarray, ...]:
    def best(*args: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return exact_torch.search_query_chunk(*args, device=device)  # type: ignore[arg-type]

    return search_query_chunk(q, docs, positives, depth, doc_chunk_size, best)


def numpy_topk(
    q: np.ndarray,
    docs: np.ndarray,
    pos_rows: np.ndarray,
    pos_docs: np.ndarray,
    pos_max: np.ndarray,
    depth: int,
    doc_chunk_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CPU path of :func:`~trueneg.retrieve.exact_torch.search_query_chunk` (numpy
    products, same order and masking)."""
    above = np.zeros(q.shape[0], dtype=np.int64)
    best_scores = best_index = None
    for lo in range(0, docs.shape[0], doc_chunk_size):
        d = np.ascontiguousarray(docs[lo : lo + doc_chunk_size], dtype=np.float32)
        scores = q @ d.T
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
    if best_scores is None or best_index is None:  # empty corpus
        best_scores = np.empty((q.shape[0], 0), dtype=np.float32)
        best_index = np.empty((q.shape[0], 0), dtype=np.int64)
    return best_scores, best_index, above


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
    """Chunk products for the Ray shards: numpy on the CPU, torch on a GPU (``auto``: the
    worker's own)."""
    if device == "cuda":
        require_cuda(device, "Use the exact retriever on the CPU (exact, not exact:cuda)")
    if pick_device(device) == "cpu":
        return lambda q, d: q @ d.T
    import torch

    def matmul(q: np.ndarray, d: np.ndarray) -> np.ndarray:
        qt = torch.from_numpy(q).to("cuda", non_blocking=True)
        dt = torch.from_numpy(d).to("cuda", non_blocking=True)
        return (qt @ dt.T).float().cpu().numpy()

    return matmul
