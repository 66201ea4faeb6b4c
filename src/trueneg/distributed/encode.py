"""Encoding on Ray: a Ray Data job over text shards, run by a pool of encoder actors.

The vectors land, in order, in the same resumable cache that local encoding uses (same key:
encoder fingerprint, kind, dtype and texts), one shard at a time: a local run reuses what Ray
encoded and vice versa, and a crash loses at most the shards in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from trueneg.distributed.cluster import RayCluster, import_ray
from trueneg.encode.base import Encoder, TextKind
from trueneg.encode.cache import EmbeddingCache, EntryWriter
from trueneg.errors import ModelError
from trueneg.progress import progress_bar

logger = logging.getLogger(__name__)


class EncoderActor:
    """One Ray actor's encoder: its model loads on the first shard and serves every later one."""

    def __init__(self, encoder: Encoder, kind: TextKind) -> None:
        self.encoder = encoder
        self.kind = kind

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(text) for text in batch["text"]]
        return {"row": batch["row"], "vector": self.encoder.encode(texts, self.kind)}


def encode_on_ray(
    encoder: Encoder,
    texts: Sequence[str],
    kind: TextKind,
    cache_dir: Path,
    cluster: RayCluster,
    *,
    chunk_size: int = 1024,
    show_progress: bool = False,
    dtype: str = "float32",
) -> np.memmap:
    """Like :func:`~trueneg.encode.encode_cached`, with the rows not yet cached encoded on Ray.

    Returns the read-only memory map of the finished cache entry. Shards hold at most
    ``chunk_size`` texts, fewer when that gives every worker a shard; each is written through
    the cache's :meth:`~trueneg.encode.EmbeddingCache.writer`, as local encoding does.
    """

    def write(out: EntryWriter, key: str, rows: Sequence[str]) -> None:
        _fill(out, key, encoder, rows, kind, cluster, chunk_size, show_progress)

    return EmbeddingCache(Path(cache_dir)).fill(encoder, texts, kind, dtype, write)


def _fill(
    out: EntryWriter,
    key: str,
    encoder: Encoder,
    texts: Sequence[str],
    kind: TextKind,
    cluster: RayCluster,
    chunk_size: int,
    show_progress: bool,
) -> None:
    """Write the missing rows of ``key`` shard by shard, saving progress after each."""
    if out.rows_done == len(texts):
        return
    logger.info(
        "ray: encoding %d %s texts from row %d on %d actors (cache key %s)",
        len(texts),
        kind,
        out.rows_done,
        cluster.workers,
        key,
    )
    label = "Encoding queries (Ray)" if kind == "query" else "Encoding documents (Ray)"
    with progress_bar(show_progress, len(texts), label, out.rows_done) as advance:
        for rows, vectors in shard_vectors(
            encoder, texts, kind, out.rows_done, cluster, chunk_size
        ):
            _check_shard(rows, vectors, out.rows_done, encoder)
            out.append(vectors)
            advance(len(rows))
    if out.rows_done != len(texts):
        raise ModelError(
            "The Ray encode job returned fewer rows than it was given",
            received=f"{out.rows_done} of {len(texts)} rows",
            expected="every row",
            fix="Re-run: encoded shards are kept in the cache",
        )


def shard_vectors(
    encoder: Encoder,
    texts: Sequence[str],
    kind: TextKind,
    start: int,
    cluster: RayCluster,
    chunk_size: int,
) -> Iterator[tuple[np.ndarray, Any]]:
    """Yield ``(rows, vectors)`` for ``texts[start:]``, in order, shard by shard. Each shard
    goes to Ray's object store as it is read (which spills to disk when full), so this process
    holds one shard of texts at a time."""
    ray = import_ray()
    size = max(1, min(chunk_size, -(-(len(texts) - start) // cluster.workers)))
    bounds = [(lo, min(lo + size, len(texts))) for lo in range(start, len(texts), size)]
    shards = [ray.put(_shard(texts, lo, hi)) for lo, hi in bounds]
    workers, resources = _actor_pool(encoder, cluster, len(shards))
    dataset = ray.data.from_arrow_refs(shards).map_batches(
        EncoderActor,
        fn_constructor_kwargs={"encoder": encoder, "kind": kind},
        batch_size=None,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
        **resources,
    )
    dataset.context.execution_options.preserve_order = True
    dataset.context.enable_progress_bars = False
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        yield batch["row"], batch["vector"]


def _shard(texts: Sequence[str], lo: int, hi: int) -> pa.Table:
    rows = pa.array(range(lo, hi), type=pa.int64())
    return pa.table({"row": rows, "text": pa.array(texts[lo:hi], type=pa.string())})


def _actor_pool(encoder: Encoder, cluster: RayCluster, shards: int) -> tuple[int, dict]:
    """Actors and the resources of each: one GPU each when the cluster has GPUs (and the
    encoder may use them), else an even share of the CPUs, at most one each."""
    if cluster.gpus and getattr(encoder, "device", "auto") != "cpu":
        return max(1, min(cluster.workers, cluster.gpus, shards)), {"num_gpus": 1}
    workers = max(1, min(cluster.workers, shards))
    return workers, {"num_cpus": min(1.0, cluster.cpus / workers) or 1.0}


def _check_shard(rows: np.ndarray, vectors: Any, expected_row: int, encoder: Encoder) -> None:
    array = np.asarray(vectors)
    if array.ndim != 2 or array.shape[0] != len(rows):
        raise ModelError(
            "The encoder returned vectors of the wrong shape",
            received=f"{array.shape} from {encoder!r}",
            expected=f"({len(rows)}, dim)",
        )
    if len(rows) and (rows[0] != expected_row or rows[-1] != expected_row + len(rows) - 1):
        raise ModelError(
            "The Ray encode job returned shards out of order",
            received=f"rows {rows[0]}..{rows[-1]}",
            expected=f"rows from {expected_row}",
            fix="Re-run: encoded shards are kept in the cache",
        )
