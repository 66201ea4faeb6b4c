"""The measured process of ``loader_rss``: load, write the tables, prepare, encode; prints one
JSON line of peak RSS (total, anonymous, file-backed) and seconds after each step (load,
tables, prepare, encode, and export: gathering 10 random negatives a query for an export).

Runs against whichever trueneg is first on PYTHONPATH (the streaming one, or an older
in-memory one: ``doc_text_view`` and ``row_group_size`` are used only where they exist)."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from trueneg.data import load_dataset
from trueneg.encode.cache import encode_cached
from trueneg.export.gather import gather
from trueneg.pipeline.prepared import prepare
from trueneg.run import RunDir

TABLES = ["data/queries.parquet", "data/corpus.parquet", "data/qrels.parquet"]


class HashEncoder:
    """A stand-in encoder: 16 numbers from each text's BLAKE2b digest (no model)."""

    fingerprint = "hash-encoder-16"
    dim = 16
    model_path = "none"

    def encode(self, texts: list[str], kind: str, *, show_progress: bool = False) -> np.ndarray:
        raw = b"".join(hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts)
        vectors = np.frombuffer(raw, dtype=np.uint8).reshape(len(texts), 16).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class Peaks:
    """Samples RssAnon every 20 ms; reads VmHWM and RssFile on demand (kB → MB)."""

    def __init__(self) -> None:
        self.anon = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.anon = max(self.anon, status()["RssAnon"])

    def snapshot(self) -> dict[str, float]:
        now = status()
        self.anon = max(self.anon, now["RssAnon"])
        return {
            "peak_rss_mb": round(now["VmHWM"] / 1024, 1),
            "peak_anon_mb": round(self.anon / 1024, 1),
            "file_rss_mb": round(now["RssFile"] / 1024, 1),
        }


def negatives(dataset, per_query: int = 10) -> pa.Table:
    """``per_query`` random kept negatives for every query (the export step's input)."""
    rng = np.random.default_rng(0)
    queries = np.repeat(dataset.queries["query_id"].to_numpy(zero_copy_only=False), per_query)
    docs = rng.integers(dataset.num_docs, size=queries.size)
    docs += (docs % 20 == 0) & (docs > 0)  # the generator's d{20k} are aliases: not kept
    return pa.table(
        {
            "query_id": queries.tolist(),
            "doc_id": [f"d{i}" for i in docs.tolist()],  # not read from the corpus
            "rank": np.tile(np.arange(1, per_query + 1, dtype=np.int32), len(queries) // per_query),
            "kept": np.ones(queries.size, dtype=bool),
            "score": rng.random(queries.size).astype(np.float32),
        }
    )


def status(pid: int | str = "self") -> dict[str, int]:
    """VmHWM, VmRSS, RssAnon and RssFile (kB) of a process; {} for one that has just ended."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            pairs = [line.split(":", 1) for line in handle]
    except OSError:
        return {}
    keys = ("VmHWM", "VmRSS", "RssAnon", "RssFile")
    return {k: int(v.split()[0]) for k, v in pairs if k in keys}


class Steps:
    """``step(name)`` records seconds since start and the peaks so far under ``name``."""

    def __init__(self) -> None:
        self.peaks, self.steps, self.start = Peaks(), {}, time.perf_counter()

    def __call__(self, name: str) -> None:
        seconds = round(time.perf_counter() - self.start, 1)
        self.steps[name] = {"seconds": seconds, **self.peaks.snapshot()}


def main() -> None:
    folder = Path(sys.argv[1])
    step = Steps()
    dataset = load_dataset(folder)
    step("load")
    with tempfile.TemporaryDirectory() as work:
        run_dir = RunDir(Path(work) / "run", create=True)
        streaming = hasattr(dataset, "doc_text_view")
        options = {"row_group_size": 65_536} if streaming else {}
        tables = (dataset.queries, dataset.corpus, dataset.qrels)
        for name, table in zip(TABLES, tables, strict=True):
            run_dir.write_table(name, table, **options)
        step("tables")
        prepared = prepare(dataset, "benchmark")
        step("prepare")
        texts = dataset.doc_text_view() if streaming else dataset.doc_texts()
        vectors = encode_cached(HashEncoder(), texts, "document", Path(work) / "cache")
        step("encode")
        exported = gather(negatives(dataset), dataset, score_column="score")
        step("export")
        counts = {"kept_documents": dataset.num_docs, "aliases": len(dataset.doc_aliases)}
        counts["queries"], counts["vectors"] = len(prepared.query_ids), int(vectors.shape[0])
        counts["exported_queries"] = exported.num_queries
    print(json.dumps({"steps": step.steps, **counts}))


if __name__ == "__main__":
    main()
