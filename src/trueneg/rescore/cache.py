"""Judge fingerprints and the on-disk cache of judge scores per (query_id, doc_id).

Layout: ``cache_dir/<fingerprint[:16]>/part-00000-PID-RANDOM.parquet, ...`` (a name of its own
per writer, so runs sharing the cache never overwrite each other's shards) with columns
``query_id, doc_id, score``, plus ``judge.json`` naming the full fingerprint. Each shard
is written to a temporary name and renamed, so a killed run loses at most the shard it was
scoring.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from trueneg.hashing import folder_fingerprint, hash_json
from trueneg.storage import atomic_write_json, atomic_write_parquet, own_dir

logger = logging.getLogger(__name__)

SCHEMA = pa.schema([("query_id", pa.string()), ("doc_id", pa.string()), ("score", pa.float32())])
_SKIP = frozenset({"README.md", ".gitattributes"})


def folder_digest(folder: Path) -> str:
    """Fingerprint of a judge's model folder (its README and git attributes left out)."""
    return folder_fingerprint(folder, skip=_SKIP)


def make_fingerprint(kind: str, model_id: str, **settings: object) -> str:
    """Hash of everything that decides a judge's score for a pair."""
    return hash_json({"kind": kind, "model": model_id, **settings})


class ScoreCache:
    """Parquet shards of judge scores for one fingerprint."""

    def __init__(self, cache_dir: Path, fingerprint: str, kind: str = "") -> None:
        self.folder = Path(cache_dir) / fingerprint[:16]
        self.fingerprint = fingerprint
        self.kind = kind

    def shard_paths(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.parquet"))

    def load(self) -> dict[tuple[str, str], float]:
        """Every cached score, keyed by (query_id, doc_id)."""
        scores: dict[tuple[str, str], float] = {}
        for path in self.shard_paths():
            try:
                table = pq.read_table(path, schema=SCHEMA)
            except (OSError, pa.ArrowInvalid) as exc:
                logger.warning("Ignoring unreadable cache shard %s (%s); delete it", path, exc)
                continue
            cols = table.to_pydict()
            keys = zip(cols["query_id"], cols["doc_id"], strict=True)
            scores.update(zip(keys, cols["score"], strict=True))
        logger.debug("Loaded %d cached scores from %s", len(scores), self.folder)
        return scores

    def write_shard(
        self, query_ids: Sequence[str], doc_ids: Sequence[str], scores: np.ndarray
    ) -> Path:
        """Write one new shard atomically and return its path."""
        own_dir(self.folder.parent, self.folder.name)
        self._write_meta()
        table = pa.table(
            [
                pa.array(list(query_ids), pa.string()),
                pa.array(list(doc_ids), pa.string()),
                pa.array(np.asarray(scores, dtype=np.float32), pa.float32()),
            ],
            schema=SCHEMA,
        )
        # unique per writer: two runs sharing the cache never pick the same name
        name = f"part-{self._next_index():05d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"
        path = self.folder / name
        atomic_write_parquet(path, table)
        return path

    def _next_index(self) -> int:
        numbers = (p.stem.split("-")[1] for p in self.shard_paths())
        indices = [int(n) for n in numbers if n.isdigit()]
        return max(indices, default=-1) + 1

    def _write_meta(self) -> None:
        meta = self.folder / "judge.json"
        if not meta.exists():
            atomic_write_json(meta, {"fingerprint": self.fingerprint, "kind": self.kind})
