"""What ``mine`` swaps in when ``--ray`` or ``--devices`` is set: drop-in stand-ins for
``encode_cached`` and the exact retriever, each connecting to the cluster (or starting its
device workers) only when it has work for it, each reporting in ``state()`` what ran where
(stored in the stage's entry of ``state.json``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from trueneg.distributed.cluster import RAY_RETRIEVERS, RayCluster, connect
from trueneg.distributed.encode import encode_on_ray
from trueneg.distributed.local import DeviceWorkers, encode_on_devices, search_on_devices
from trueneg.distributed.search import search_on_ray, shard_bounds
from trueneg.encode.base import Encoder, TextKind
from trueneg.encode.cache import encode_cached, is_cached
from trueneg.errors import ConfigError
from trueneg.retrieve.base import Candidates, SearchInput
from trueneg.retrieve.exact import ExactRetriever


class _CachedEncode:
    """Called like ``encode_cached``: cached rows are read back, the rest go to
    :meth:`encode_missing` (a cluster or device workers), which fills the same cache entry."""

    def __init__(self) -> None:
        self.texts = 0  # in the cache entries this stand-in wrote

    def __call__(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        kind: TextKind,
        cache_dir: Path,
        *,
        chunk_size: int = 1024,
        show_progress: bool = False,
        dtype: str = "float32",
    ) -> np.memmap:
        if is_cached(encoder, texts, kind, cache_dir, dtype):
            return encode_cached(encoder, texts, kind, cache_dir, dtype=dtype)
        self.texts += len(texts)
        options = {"chunk_size": chunk_size, "show_progress": show_progress, "dtype": dtype}
        return self.encode_missing(encoder, texts, kind, cache_dir, options)

    def encode_missing(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        kind: TextKind,
        cache_dir: Path,
        options: dict[str, Any],
    ) -> np.memmap:
        raise NotImplementedError


class RayEncode(_CachedEncode):
    """Called like ``encode_cached``; rows missing from the cache are encoded on Ray."""

    def __init__(self, address: str, workers: int | None = None) -> None:
        super().__init__()
        self.address = address
        self.workers = workers
        self.cluster: RayCluster | None = None

    def encode_missing(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        kind: TextKind,
        cache_dir: Path,
        options: dict[str, Any],
    ) -> np.memmap:
        self.cluster = self.cluster or connect(self.address, self.workers)
        return encode_on_ray(encoder, texts, kind, cache_dir, self.cluster, **options)

    def state(self) -> dict[str, Any]:
        """``{"ray": {...}}`` when something was encoded on Ray, else ``{}``."""
        if self.cluster is None:
            return {}
        return {"ray": {**self.cluster.state(), "texts": self.texts}}


class _ExactSearch:
    """What the search stand-ins share: they wrap the exact retriever (and refuse any other,
    naming ``option``) and look like it to the pipeline."""

    needs_embeddings: ClassVar[bool] = True
    cosine_scores: ClassVar[bool] = True

    def __init__(self, retriever: Any, option: str) -> None:
        if not isinstance(retriever, ExactRetriever):
            raise ConfigError(
                f"{option} runs exact dense search only",
                received=getattr(retriever, "name", repr(retriever)),
                expected=RAY_RETRIEVERS,
                fix=f"Use the exact retriever with {option}, or drop {option}",
            )
        self.retriever = retriever

    @property
    def name(self) -> str:
        return self.retriever.name


class RaySearch(_ExactSearch):
    """An exact retriever whose search runs over corpus shards on Ray (same candidates)."""

    def __init__(self, retriever: Any, address: str, workers: int | None = None) -> None:
        super().__init__(retriever, "--ray")
        self.address = address
        self.workers = workers
        self._state: dict[str, Any] = {}

    def search(self, inputs: SearchInput, depth: int, show_progress: bool = False) -> Candidates:
        cluster = connect(self.address, self.workers)
        shards = len(shard_bounds(inputs.num_docs, cluster.workers))
        self._state = {"ray": {**cluster.state(), "shards": shards}}
        return search_on_ray(self.retriever, inputs, depth, cluster, show_progress=show_progress)

    def state(self) -> dict[str, Any]:
        """``{"ray": {...}}`` once :meth:`search` ran, else ``{}``."""
        return dict(self._state)


class DevicesEncode(_CachedEncode):
    """Called like ``encode_cached``; missing rows are encoded by one worker per device."""

    def __init__(self, workers: DeviceWorkers) -> None:
        super().__init__()
        self.workers = workers

    def encode_missing(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        kind: TextKind,
        cache_dir: Path,
        options: dict[str, Any],
    ) -> np.memmap:
        return encode_on_devices(encoder, texts, kind, cache_dir, self.workers, **options)

    def state(self) -> dict[str, Any]:
        """``{"devices": {...}}`` when something was encoded on the devices, else ``{}``."""
        return (
            {"devices": {"devices": list(self.workers.devices), "texts": self.texts}}
            if self.texts
            else {}
        )


class DevicesSearch(_ExactSearch):
    """An exact retriever whose queries are split over one worker per device (same result)."""

    def __init__(self, retriever: Any, workers: DeviceWorkers) -> None:
        super().__init__(retriever, "--devices")
        self.workers = workers

    def search(self, inputs: SearchInput, depth: int, show_progress: bool = False) -> Candidates:
        return search_on_devices(
            self.retriever, inputs, depth, self.workers, show_progress=show_progress
        )

    def state(self) -> dict[str, Any]:
        return {"devices": {"devices": list(self.workers.devices)}}
