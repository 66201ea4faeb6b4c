"""FAISS retrievers: ``faiss-flat`` (exact), ``faiss-ivf`` and ``faiss-hnsw`` (approximate).

All three score by inner product (the embeddings are L2-normalised, so this is cosine), add the
corpus to the index in chunks (it may be a float16 memory map; the index itself holds float32),
search each query chunk for ``depth + max positives`` and drop the positives with the shared
helpers, so the output follows ``Candidates``' order and never contains a labeled positive.
``positive_min`` is computed exactly (dot products with the positives); ``positive_rank`` is 0
(unknown). ``estimate_recall`` compares with exact search on a seeded sample of queries.

Determinism: flat is deterministic; IVF is deterministic for a fixed thread count (seeded
k-means on a seeded sample); an HNSW graph built with more than one thread depends on thread
scheduling, so pass ``threads=1`` when results must be bit-reproducible.
GPU (``device="auto"`` or ``"cuda"``): flat and IVF indexes move to the first GPU when
``faiss.get_num_gpus() > 0``. That path is untested (no GPU where this was written).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, cast

import numpy as np

from trueneg.errors import ConfigError, DataError
from trueneg.progress import progress_bar
from trueneg.retrieve.base import RETRIEVERS, Candidates, SearchInput
from trueneg.retrieve.exact import ExactRetriever, flat_positives, positive_extremes
from trueneg.retrieve.recall import recall_at_depth, sample_queries, subset_queries
from trueneg.retrieve.topk import check_search_input, drop_masked, join_parts, sort_rows

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
GPU_MAX_K = 2048  # FAISS GPU indexes return at most this many neighbours per query


def load_faiss() -> ModuleType:
    """Import FAISS, or explain how to install it."""
    try:
        import faiss
    except ImportError:
        raise ConfigError(
            "The FAISS retrievers need the faiss package",
            received="no module named 'faiss'",
            fix="pip install 'trueneg[faiss]' (faiss-gpu from conda for GPUs), or use 'exact'",
        ) from None
    return faiss


@dataclass(frozen=True)
class FaissRetriever:
    """Shared search loop of the FAISS retrievers; subclasses say how to build the index."""

    name: ClassVar[str]
    needs_embeddings: ClassVar[bool] = True
    cosine_scores: ClassVar[bool] = True
    gpu_capable: ClassVar[bool] = True
    add_chunk_size: int = 65_536
    query_chunk_size: int = 4096
    device: str = "auto"
    threads: int = 0  # 0: FAISS's default (all cores)

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ConfigError("Unknown device for FAISS", received=self.device, expected=DEVICES)
        if self.add_chunk_size < 1 or self.query_chunk_size < 1 or self.threads < 0:
            raise ConfigError(
                "Chunk sizes must be positive and threads >= 0",
                received=(self.add_chunk_size, self.query_chunk_size, self.threads),
            )

    def search(self, inputs: SearchInput, depth: int, show_progress: bool = False) -> Candidates:
        """Top-``depth`` non-positive docs per query by (approximate) inner product."""
        check_search_input(inputs, depth, embeddings=True)
        docs = cast(np.ndarray, inputs.doc_embeddings)  # not None: checked above
        max_positives = max((np.asarray(p).size for p in inputs.positives), default=0)
        k = min(int(depth) + max_positives + 1, docs.shape[0])
        faiss = load_faiss()
        with omp_threads(faiss, self.threads):
            index = self.build_index(docs, k)
            return self._search_all(index, inputs, int(depth), show_progress)

    def build_index(self, docs: np.ndarray, k: int = 0) -> Any:
        """Build (train and fill) the index, chunk by chunk; on a GPU when allowed."""
        faiss = load_faiss()
        if docs.shape[0] == 0:
            raise DataError("Cannot build a FAISS index over an empty corpus", received=docs.shape)
        index = self._new_index(faiss, docs)
        for lo in range(0, docs.shape[0], self.add_chunk_size):
            index.add(_float32_chunk(docs, lo, lo + self.add_chunk_size))
        self._configure(index, k)
        return self._maybe_to_gpu(faiss, index, k)

    def estimate_recall(
        self,
        inputs: SearchInput,
        depth: int,
        sample: int = 1000,
        seed: int = 0,
        candidates: Candidates | None = None,
    ) -> dict[str, float | int]:
        """Recall@depth against ``ExactRetriever`` on a seeded sample of queries.

        Pass the ``candidates`` of a full search to reuse them instead of searching again.
        """
        check_search_input(inputs, depth, embeddings=True)
        chosen = sample_queries(inputs.num_queries, sample, seed)
        subset = subset_queries(inputs, chosen)
        exact = ExactRetriever().search(subset, depth)
        if candidates is None:
            approx, rows = self.search(subset, depth), np.arange(chosen.shape[0])
        else:
            approx, rows = candidates, chosen
        recall = recall_at_depth(approx, exact, rows)
        return {"recall_at_depth": recall, "sample_queries": int(chosen.shape[0])}

    def _new_index(self, faiss: ModuleType, docs: np.ndarray) -> Any:
        raise NotImplementedError

    def _configure(self, index: Any, k: int) -> None:
        """Set search-time parameters (nprobe, efSearch) once ``k`` is known."""

    def _maybe_to_gpu(self, faiss: ModuleType, index: Any, k: int) -> Any:
        gpus = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
        if self.device == "cpu" or (self.device == "auto" and (gpus == 0 or not self.gpu_capable)):
            return index
        if gpus == 0 or not self.gpu_capable:
            raise ConfigError(
                f"{self.name} cannot run on a GPU here",
                received=f"device='cuda', {gpus} GPU(s) visible to FAISS",
                fix="Install faiss-gpu (flat and IVF only), or use device='cpu'",
            )
        if k > GPU_MAX_K:
            if self.device == "cuda":
                raise ConfigError("FAISS on GPU returns at most 2048 neighbours", received=k)
            logger.warning("depth + positives = %d > %d: searching on CPU", k, GPU_MAX_K)
            return index
        resources = faiss.StandardGpuResources()
        gpu_index = faiss.index_cpu_to_gpu(resources, 0, index)
        gpu_index.referenced_objects = [resources]  # keep the GPU memory pool alive
        return gpu_index

    def _search_all(
        self, index: Any, inputs: SearchInput, depth: int, show_progress: bool
    ) -> Candidates:
        queries = cast(np.ndarray, inputs.query_embeddings)
        docs = cast(np.ndarray, inputs.doc_embeddings)
        n_queries, parts = queries.shape[0], []
        max_k = GPU_MAX_K if "Gpu" in type(index).__name__ else docs.shape[0]
        with progress_bar(show_progress, n_queries, f"Searching ({self.name})") as advance:
            for lo in range(0, n_queries, self.query_chunk_size):
                q = _float32_chunk(queries, lo, lo + self.query_chunk_size)
                positives = inputs.positives[lo : lo + q.shape[0]]
                parts.append(search_chunk(index, q, docs, positives, depth, max_k))
                advance(q.shape[0])
        return join_parts(parts, n_queries)


def search_chunk(
    index: Any,
    q: np.ndarray,
    docs: np.ndarray,
    positives: list[np.ndarray],
    depth: int,
    max_k: int | None = None,
) -> tuple[np.ndarray, ...]:
    """One query chunk: search ``depth + positives + 1``, mask positives, keep ``depth``.

    A row whose last fetched score ties its ``depth``-th kept one is searched again with twice
    the ``k`` (up to ``max_k``), so ties at the cut go to the lowest doc positions, as in exact
    search.
    """
    pos_rows, pos_docs = flat_positives(positives)
    n_docs, pos_keys = docs.shape[0], pos_rows * docs.shape[0] + pos_docs
    max_k = min(max_k or n_docs, n_docs)
    extra = 1 + int(np.bincount(pos_rows, minlength=len(q)).max(initial=0))  # +1 shows ties
    k = min(depth + extra, max_k)
    scores = np.full((len(q), depth), -np.inf, dtype=np.float32)
    found = np.full((len(q), depth), -1, dtype=np.int64)
    rows = np.arange(len(q))
    while rows.size:
        raw_scores, raw_found = index.search(q[rows], k)
        raw_found = raw_found.astype(np.int64)
        masked = (raw_found < 0) | np.isin(rows[:, None] * n_docs + raw_found, pos_keys)
        top = sort_rows(np.where(masked, -np.inf, raw_scores).astype(np.float32), raw_found)
        width = min(depth, k)
        scores[rows, :width], found[rows, :width] = top[0][:, :width], top[1][:, :width]
        tied = (raw_found[:, -1] >= 0) & (raw_scores[:, -1] >= scores[rows, -1])
        rows, k = (rows[tied], min(2 * k, max_k)) if k < max_k else (rows[:0], k)
    pos_min, _ = positive_extremes(q, docs, pos_rows, pos_docs)
    unknown_rank = np.zeros(len(q), dtype=np.int64)
    return (*drop_masked(scores, found), pos_min, unknown_rank)


@RETRIEVERS.register("faiss-flat")
@dataclass(frozen=True)
class FaissFlatRetriever(FaissRetriever):
    """FAISS exhaustive inner-product search (exact; the corpus is held in RAM as float32).

    ``faiss-flat:cuda`` / ``faiss-flat:cpu`` picks the device (default: GPU when available).
    """

    @classmethod
    def from_value(cls, value: str | None) -> FaissFlatRetriever:
        return cls() if value is None else cls(device=value)

    def _new_index(self, faiss: ModuleType, docs: np.ndarray) -> Any:
        return faiss.IndexFlatIP(docs.shape[1])


@RETRIEVERS.register("faiss-ivf")
@dataclass(frozen=True)
class FaissIVFRetriever(FaissRetriever):
    """FAISS inverted lists (approximate): k-means cells, ``nprobe`` cells searched per query.

    ``faiss-ivf:NLIST`` or ``faiss-ivf:NLIST,NPROBE``; by default NLIST = 4·sqrt(n) (at most
    n/39) and NPROBE = 16. K-means trains on a seeded sample of ``train_per_list`` x NLIST docs.
    """

    nlist: int | None = None
    nprobe: int = 16
    train_per_list: int = 64
    seed: int = 0

    @classmethod
    def from_value(cls, value: str | None) -> FaissIVFRetriever:
        if value is None:
            return cls()
        numbers = _parse_ints(value, "faiss-ivf:NLIST or faiss-ivf:NLIST,NPROBE", 2)
        return cls(**dict(zip(("nlist", "nprobe"), numbers, strict=False)))

    def _new_index(self, faiss: ModuleType, docs: np.ndarray) -> Any:
        n, dim = docs.shape
        nlist = self.nlist or default_nlist(n)
        if not 1 <= nlist <= n or self.nprobe < 1:
            raise ConfigError(
                "IVF needs 1 <= NLIST <= docs and NPROBE >= 1",
                received=f"nlist={nlist}, nprobe={self.nprobe}, docs={n}",
            )
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = self.seed
        rows = sample_queries(n, nlist * self.train_per_list, self.seed)
        index.train(np.ascontiguousarray(docs[rows], dtype=np.float32))
        return index

    def _configure(self, index: Any, k: int) -> None:
        index.nprobe = min(self.nprobe, index.nlist)


@RETRIEVERS.register("faiss-hnsw")
@dataclass(frozen=True)
class FaissHNSWRetriever(FaissRetriever):
    """FAISS HNSW graph (approximate, CPU only): ``faiss-hnsw:M`` neighbours per node (32).

    efConstruction 200; efSearch max(128, 2 x (depth + max positives)) unless ``ef_search``.
    """

    gpu_capable: ClassVar[bool] = False
    m: int = 32
    ef_construction: int = 200
    ef_search: int | None = None

    @classmethod
    def from_value(cls, value: str | None) -> FaissHNSWRetriever:
        return cls() if value is None else cls(m=_parse_ints(value, "faiss-hnsw:M", 1)[0])

    def _new_index(self, faiss: ModuleType, docs: np.ndarray) -> Any:
        if self.m < 2 or self.ef_construction < 1:
            raise ConfigError(
                "HNSW needs M >= 2 and efConstruction >= 1", received=(self.m, self.ef_construction)
            )
        index = faiss.IndexHNSWFlat(docs.shape[1], self.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        return index

    def _configure(self, index: Any, k: int) -> None:
        index.hnsw.efSearch = self.ef_search or max(128, 2 * k)


def default_nlist(n_docs: int) -> int:
    """About 4·sqrt(n) cells, with at least 39 training docs per cell (FAISS's minimum)."""
    return int(np.clip(round(4 * np.sqrt(n_docs)), 1, max(1, n_docs // 39)))


@contextmanager
def omp_threads(faiss: ModuleType, threads: int) -> Iterator[None]:
    """Run FAISS with ``threads`` OpenMP threads (0: leave as is), restoring the old value."""
    if threads <= 0:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _float32_chunk(array: np.ndarray, lo: int, hi: int) -> np.ndarray:
    chunk = np.ascontiguousarray(array[lo:hi], dtype=np.float32)
    if not np.isfinite(chunk).all():
        raise DataError(
            "Embeddings contain NaN or infinite values",
            received=f"rows {lo}..{lo + chunk.shape[0] - 1}",
            fix="Re-encode the texts; check the model's output",
        )
    return chunk


def _parse_ints(value: str, expected: str, most: int) -> list[int]:
    try:
        numbers = [int(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if not 1 <= len(numbers) <= most or min(numbers) < 1:
        raise ConfigError("Bad FAISS setting", received=value, expected=expected)
    return numbers
