"""Every device of one machine without Ray: one worker process per device.

``--devices cuda:0,cuda:1`` (or ``all``, or ``cpu,cpu`` for tests) starts one process per
entry, each seeing only its own GPU (``CUDA_VISIBLE_DEVICES``) or, for ``cpu``, an even share
of the cores. Encoding hands out the same ``chunk_size`` shards that local encoding cuts, each
to the next free device, and writes them in order through the embedding cache: the entry, and
every vector in it, is the one a single-device run writes. Exact search gives each device a
contiguous shard of the queries, cut at multiples of the query chunk size, so every device
runs exactly the query chunks the single-device search runs; the shards' candidates are
joined in order.
"""

from __future__ import annotations

import logging
import mmap
import multiprocessing
import os
import pickle
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from trueneg.devices import in_order
from trueneg.encode.base import Encoder, TextKind
from trueneg.encode.cache import EmbeddingCache, EntryWriter
from trueneg.errors import ConfigError
from trueneg.progress import progress_bar
from trueneg.retrieve.base import Candidates, SearchInput
from trueneg.retrieve.exact import ExactRetriever
from trueneg.retrieve.topk import join_parts

logger = logging.getLogger(__name__)

DEVICE_FORMS = ("all", "cuda:0,cuda:1,…", "cpu,cpu,…")
_DEVICE = re.compile(r"^(cpu|cuda:\d+)$")
_ENCODERS: dict[str, Encoder] = {}  # a worker's encoders by fingerprint (models stay loaded)


def parse_devices(spec: str, gpu_count: int | None = None) -> tuple[str, ...]:
    """``all`` → every GPU torch sees; else comma-separated ``cpu`` / ``cuda:N`` entries."""
    if gpu_count is None and ("cuda" in spec or spec == "all"):
        import torch

        gpu_count = torch.cuda.device_count()
    if spec == "all":
        if not gpu_count:
            raise ConfigError(
                "--devices all found no GPU",
                received=spec,
                expected=DEVICE_FORMS,
                fix="Drop --devices, or name CPU workers (cpu,cpu)",
            )
        return tuple(f"cuda:{i}" for i in range(gpu_count))
    devices = tuple(part.strip() for part in spec.split(","))
    for device in devices:
        if not _DEVICE.match(device) or (
            device.startswith("cuda:") and int(device[5:]) >= (gpu_count or 0)
        ):
            raise ConfigError(
                "Unknown device in --devices",
                received=device,
                expected=DEVICE_FORMS,
                fix=f"torch sees {gpu_count or 0} GPU(s); name cpu or cuda:N below that",
            )
    if len(set(devices) - {"cpu"}) != sum(d != "cpu" for d in devices):
        raise ConfigError("A GPU is named twice in --devices", received=spec)
    return devices


def check_devices(spec: str) -> str:
    """``spec`` if it has the form of ``--devices`` (checked against the GPUs at run time)."""
    parts = spec.split(",") if isinstance(spec, str) else [spec]
    if spec != "all" and not all(_DEVICE.match(str(p).strip()) for p in parts):
        raise ConfigError(
            "Not a --devices value",
            received=spec,
            expected=DEVICE_FORMS,
            fix="Name every device (cuda:0,cuda:1 or cpu,cpu), or pass all for every GPU",
        )
    device_kind(tuple(p.strip().split(":")[0] for p in parts) if spec != "all" else ("cuda",))
    return spec


def spec_kind(spec: str) -> str:
    """``cuda`` or ``cpu``: the kind of device ``--devices SPEC`` names."""
    return "cuda" if spec == "all" else device_kind(tuple(p.strip() for p in spec.split(",")))


def device_kind(devices: tuple[str, ...]) -> str:
    """``cuda`` when the devices are GPUs, else ``cpu`` (mixing them is refused)."""
    kinds = {d.split(":")[0] for d in devices}
    if len(kinds) != 1:
        raise ConfigError("--devices mixes CPUs and GPUs", received=",".join(devices))
    return kinds.pop()


class DeviceWorkers:
    """One single-process pool per device (spawned on first use, ended by :meth:`close`)."""

    def __init__(self, devices: tuple[str, ...]) -> None:
        self.devices = devices
        self._pools: list[ProcessPoolExecutor] = []

    @property
    def cpu_threads(self) -> int:
        """Torch threads of each CPU worker: the machine's cores shared out among the devices.
        A CPU worker's vectors are bit-for-bit those of one process at this thread count; a
        matrix product on another count may sum in another order (last bits differ)."""
        return max(1, (os.cpu_count() or 1) // len(self.devices))

    def pools(self) -> list[ProcessPoolExecutor]:
        if not self._pools:
            context = multiprocessing.get_context("spawn")  # a fresh interpreter: no CUDA state
            args = [(d, self.cpu_threads) for d in self.devices]
            self._pools = [
                ProcessPoolExecutor(1, context, initializer=_init_worker, initargs=a) for a in args
            ]
        return self._pools

    def ordered(self, tasks: Iterator[tuple[Any, ...]], ahead: int = 2) -> Iterator[Any]:
        """Run ``(function, *args)`` tasks round-robin over the devices (``ahead`` queued on
        each); results in task order."""
        pools = self.pools()

        def submit(task: tuple[int, tuple[Any, ...]]) -> Future:
            i, (function, *args) = task
            return pools[i % len(pools)].submit(function, *args)

        yield from in_order(submit, enumerate(tasks), ahead * len(pools))

    def close(self) -> None:
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools = []


def encode_on_devices(
    encoder: Encoder,
    texts: Sequence[str],
    kind: TextKind,
    cache_dir: Path,
    workers: DeviceWorkers,
    *,
    chunk_size: int = 1024,
    show_progress: bool = False,
    dtype: str = "float32",
) -> np.memmap:
    """Like :func:`~trueneg.encode.encode_cached`, the missing rows encoded on every device.
    A lazy view of the corpus (``Dataset.doc_text_view()``) stays lazy: each shard's texts
    are read when the shard is handed out, never the whole corpus at once."""

    def write(out: EntryWriter, _key: str, rows: Sequence[str]) -> None:
        _fill(out, encoder, rows, kind, workers, chunk_size, show_progress)

    return EmbeddingCache(Path(cache_dir)).fill(encoder, texts, kind, dtype, write)


def _fill(
    out: EntryWriter,
    encoder: Encoder,
    texts: Sequence[str],
    kind: TextKind,
    workers: DeviceWorkers,
    chunk_size: int,
    show_progress: bool,
) -> None:
    logger.info(
        "encoding %d %s texts from row %d on %s",
        len(texts),
        kind,
        out.rows_done,
        ",".join(workers.devices),
    )
    blob = pickle.dumps(encoder)
    starts = range(out.rows_done, len(texts), chunk_size)
    tasks = ((_encode_shard, blob, texts[lo : lo + chunk_size], kind) for lo in starts)
    label = f"Encoding {kind}s on {len(workers.devices)} devices"
    with progress_bar(show_progress, len(texts), label, out.rows_done) as advance:
        for vectors in workers.ordered(tasks):
            out.append(vectors)
            advance(len(vectors))


def search_on_devices(
    retriever: ExactRetriever,
    inputs: SearchInput,
    depth: int,
    workers: DeviceWorkers,
    *,
    show_progress: bool = False,
) -> Candidates:
    """``retriever.search(inputs, depth)`` with the queries split over the devices."""
    kind = device_kind(workers.devices)
    q_chunk = retriever.chunk_sizes(kind)[0]
    blocks = -(-inputs.num_queries // q_chunk)
    shards = len(workers.devices)
    edges = [min(inputs.num_queries, (i * blocks // shards) * q_chunk) for i in range(shards)]
    bounds = [(lo, hi) for lo, hi in pairwise([*edges, inputs.num_queries]) if hi > lo]
    local = ExactRetriever(*retriever.chunk_sizes(kind), device=kind)
    docs = portable(inputs.doc_embeddings)
    tasks = ((_search_shard, local, _query_shard(inputs, lo, hi), docs, depth) for lo, hi in bounds)
    parts = []
    with progress_bar(show_progress, len(bounds), "Exact search (devices)") as advance:
        for part in workers.ordered(tasks, ahead=1):
            parts.append(part)
            advance(1)
    return join_parts(parts, inputs.num_queries)


def portable(array: Any) -> Any:
    """A memory-mapped ``.npy`` (or its first rows) travels to a worker as its file name,
    reopened there; anything else travels as is."""
    if isinstance(array, np.memmap) and array.filename and _starts_its_file(array):
        return ("npy", str(array.filename), array.shape[0])
    return array


def _starts_its_file(array: np.memmap) -> bool:
    """Whether ``array`` is row 0 onwards of the ``.npy`` it maps (not a later slice)."""
    try:
        full = np.load(array.filename, mmap_mode="r")
        start = np.frombuffer(array._mmap, np.uint8).ctypes.data  # type: ignore[attr-defined]
        first = start + array.offset % mmap.ALLOCATIONGRANULARITY
    except (OSError, ValueError, AttributeError, TypeError):
        return False
    return (
        array.flags.c_contiguous
        and array.ctypes.data == first
        and full.dtype == array.dtype
        and full.shape[1:] == array.shape[1:]
    )


def _query_shard(inputs: SearchInput, lo: int, hi: int) -> tuple[Any, list[np.ndarray]]:
    queries = np.ascontiguousarray(inputs.query_embeddings[lo:hi], dtype=np.float32)
    return queries, list(inputs.positives[lo:hi])


def _init_worker(device: str, threads: int) -> None:
    """Runs first in every worker, before torch is imported: see only this device."""
    if device.startswith("cuda:"):
        os.environ["CUDA_VISIBLE_DEVICES"] = device[5:]
    import torch

    if device == "cpu":
        torch.set_num_threads(threads)


def _encode_shard(blob: bytes, texts: list[str], kind: TextKind) -> np.ndarray:
    encoder: Encoder = pickle.loads(blob)
    encoder = _ENCODERS.setdefault(encoder.fingerprint, encoder)
    return np.asarray(encoder.encode(texts, kind), dtype=np.float32)


def _search_shard(
    retriever: ExactRetriever, shard: tuple[Any, list[np.ndarray]], docs: Any, depth: int
) -> tuple[np.ndarray, ...]:
    queries, positives = shard
    if isinstance(docs, tuple):
        docs = np.load(docs[1], mmap_mode="r")[: docs[2]]
    n = queries.shape[0]
    cands = retriever.search(
        SearchInput([""] * n, [""] * docs.shape[0], positives, queries, docs), depth
    )
    counts = np.diff(cands.offsets)
    return counts, cands.score, cands.doc_index, cands.positive_min, cands.positive_rank
