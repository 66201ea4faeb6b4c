"""Exact search with torch on one device: what :class:`~trueneg.retrieve.exact.ExactRetriever`
runs on a GPU, written so that the same code runs (and is tested) on the CPU.

One query chunk at a time stays on the device: each document chunk is copied in as stored
(float16 vectors travel as float16) and widened to float32 there, so scores are the same float32
inner products the numpy path computes. The running top-k keeps the total order of
:mod:`trueneg.retrieve.topk` (higher score first, then lower doc position): ``torch.topk``
breaks ties arbitrarily, so rows whose cut falls inside a run of equal scores are re-cut with a
stable sort, and every merge is a stable sort of ``[earlier docs, later docs]``.

Device memory for one query chunk of ``Q`` rows and document chunks of ``C`` rows of ``D``
dimensions, depth ``k`` (float32 scores; see :data:`TIE_ROWS`)::

    Q*C*6  +  C*D*6  +  Q*D*4  +  Q*k*24  +  TIE_ROWS*C*12   bytes

(scores and two boolean masks; the stored and widened doc chunk; the queries; the running and
new top-k; one block of tie rows being re-sorted) — independent of the corpus size.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from trueneg.errors import DataError

TIE_ROWS = 256
"""Rows re-sorted at once when ties straddle a chunk's top-k cut (bounds that step's memory)."""


def device_memory_bytes(q_chunk: int, d_chunk: int, dim: int, depth: int) -> int:
    """The formula of the module docstring: device bytes one query chunk needs at most."""
    return (
        q_chunk * d_chunk * 6 + d_chunk * dim * 6 + q_chunk * dim * 4 + q_chunk * depth * 24
    ) + TIE_ROWS * d_chunk * 12


def search_query_chunk(
    q: np.ndarray,
    docs: np.ndarray,
    pos_rows: np.ndarray,
    pos_docs: np.ndarray,
    pos_max: np.ndarray,
    depth: int,
    doc_chunk_size: int,
    device: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted top-``depth`` scores and doc positions of every row of ``q`` (positives masked
    to ``-inf``), and how many docs score above each row's best positive (NaN: none)."""
    import torch

    qt = torch.from_numpy(np.ascontiguousarray(q, dtype=np.float32)).to(device)
    rows_t = torch.from_numpy(pos_rows).to(device)
    pdocs_t = torch.from_numpy(pos_docs).to(device)
    pmax_t = torch.from_numpy(np.asarray(pos_max, dtype=np.float32)).to(device)
    above = torch.zeros(q.shape[0], dtype=torch.int64, device=device)
    best = None
    with torch.inference_mode():
        for lo, d in _doc_chunks(docs, doc_chunk_size, device):
            scores = qt @ d.float().T
            _check_finite(scores, lo)
            inside = (pdocs_t >= lo) & (pdocs_t < lo + d.shape[0])
            scores[rows_t[inside], pdocs_t[inside] - lo] = -torch.inf
            above += (scores > pmax_t[:, None]).sum(dim=1)
            best = merge_sorted(best, chunk_topk(scores, depth, lo), depth)
            del scores
    if best is None:  # empty corpus
        empty = np.empty((q.shape[0], 0))
        return empty.astype(np.float32), empty.astype(np.int64), above.cpu().numpy()
    return best[0].cpu().numpy(), best[1].cpu().numpy(), above.cpu().numpy()


def chunk_topk(scores: Any, k: int, offset: int = 0) -> tuple[Any, Any]:
    """Top-``k`` of every row of a ``(n, m)`` score block (column ``j`` is doc ``offset + j``),
    sorted by score descending then doc ascending; ties at the cut keep the lowest docs."""
    import torch

    k = min(k, scores.shape[1])
    values, index = torch.topk(scores, k, dim=1, sorted=True)
    threshold = values[:, -1:]
    tied = ((scores >= threshold).sum(dim=1) > k).nonzero().flatten()
    for lo in range(0, tied.shape[0], TIE_ROWS):  # ties straddle the cut: stable re-sort
        rows = tied[lo : lo + TIE_ROWS]
        exact = torch.sort(scores[rows], dim=1, descending=True, stable=True)
        values[rows], index[rows] = exact.values[:, :k], exact.indices[:, :k]
    return _sort_rows(values, index + offset)


def merge_sorted(best: tuple[Any, Any] | None, new: tuple[Any, Any], k: int) -> tuple[Any, Any]:
    """Top-``k`` of two sorted row sets whose docs in ``new`` all follow those in ``best``."""
    import torch

    if best is None:
        return new
    scores = torch.cat([best[0], new[0]], dim=1)
    index = torch.cat([best[1], new[1]], dim=1)
    order = torch.sort(scores, dim=1, descending=True, stable=True).indices[:, :k]
    return scores.gather(1, order), index.gather(1, order)


def _sort_rows(values: Any, index: Any) -> tuple[Any, Any]:
    """Rows by score descending, equal scores by doc ascending (two stable sorts)."""
    import torch

    index, by_doc = torch.sort(index, dim=1, stable=True)
    values = values.gather(1, by_doc)
    order = torch.sort(values, dim=1, descending=True, stable=True).indices
    return values.gather(1, order), index.gather(1, order)


def _doc_chunks(docs: np.ndarray, size: int, device: str) -> Iterator[tuple[int, Any]]:
    """``(first row, chunk on device)``, as stored; the next chunk is read from the (possibly
    memory-mapped) array by a thread while the device works on this one."""
    import torch

    def read(lo: int) -> Any:
        host = torch.from_numpy(np.ascontiguousarray(docs[lo : lo + size]))
        return host.pin_memory() if device.startswith("cuda") else host

    starts = list(range(0, docs.shape[0], size))
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(read, starts[0]) if starts else None
        for i, lo in enumerate(starts):
            host = pending.result()  # type: ignore[union-attr]
            pending = pool.submit(read, starts[i + 1]) if i + 1 < len(starts) else None
            yield lo, host.to(device, non_blocking=True)


def _check_finite(scores: Any, lo: int) -> None:
    import torch

    if not bool(torch.isfinite(scores).all()):
        raise DataError(
            "Embeddings contain NaN or infinite values",
            received=f"doc rows {lo}..{lo + scores.shape[1] - 1}",
            fix="Re-encode the texts; check the model's output",
        )
