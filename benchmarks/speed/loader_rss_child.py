"""The measured process of ``loader_rss``: load, write the tables, prepare, encode; prints one
JSON line of peak RSS (total, anonymous, file-backed) and seconds after each step.

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

from trueneg.data import load_dataset
from trueneg.encode.cache import encode_cached
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


def status() -> dict[str, int]:
    with open("/proc/self/status", encoding="ascii") as handle:
        pairs = (line.split(":", 1) for line in handle)
        return {k: int(v.split()[0]) for k, v in pairs if k in ("VmHWM", "RssAnon", "RssFile")}


def main() -> None:
    folder = Path(sys.argv[1])
    peaks, steps, start = Peaks(), {}, time.perf_counter()

    def step(name: str) -> None:
        steps[name] = {"seconds": round(time.perf_counter() - start, 1), **peaks.snapshot()}

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
        counts = {"kept_documents": dataset.num_docs, "aliases": len(dataset.doc_aliases)}
        counts["queries"], counts["vectors"] = len(prepared.query_ids), int(vectors.shape[0])
    print(json.dumps({"steps": steps, **counts}))


if __name__ == "__main__":
    main()
