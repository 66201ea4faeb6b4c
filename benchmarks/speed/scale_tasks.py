"""The measured tasks of ``benchmarks.speed.scale`` and ``benchmarks.speed.scale_faiss``, each
run in a fresh interpreter so its peak RSS is its own.

Every task reads seeded random unit vectors memory-mapped from a work folder
(``make_vectors``) and returns one result row. ``run_child`` starts one task as
``python -m benchmarks.speed.scale_tasks SPEC`` and reads the row back.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT

DIM, DEPTH, SAMPLE = 384, 100, 1000
ST_BATCH = 16_384  # mine_hard_negatives' faiss_batch_size default


def make_vectors(path: Path, n: int, seed: int, chunk: int = 100_000) -> None:
    """Seeded random unit vectors as a float16 ``.npy``, written chunk by chunk."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(n, DIM))
    rng = np.random.default_rng(seed)
    for lo in range(0, n, chunk):
        block = rng.standard_normal((min(chunk, n - lo), DIM), dtype=np.float32)
        out[lo : lo + block.shape[0]] = block / np.linalg.norm(block, axis=1, keepdims=True)
    out.flush()


class AnonPeak:
    """Samples /proc/self/status RssAnon: RSS without the memory map's clean file pages."""

    def __init__(self) -> None:
        self.peak_kb, self._stop = 0, threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def stop(self) -> dict:
        self._stop.set()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        row = {"peak_rss_mb": round(rss, 1), "peak_rss_anon_mb": round(self.peak_kb / 1024, 1)}
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_initialized():
            row["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        return row


def search_input(work: Path, n_docs: int, n_queries: int):
    from trueneg.retrieve import SearchInput

    docs = np.load(work / "docs.npy", mmap_mode="r")[:n_docs]
    queries = np.load(work / "queries.npy", mmap_mode="r")[:n_queries]
    positives = [np.array([p]) for p in np.random.default_rng(2).integers(0, n_docs, n_queries)]
    return SearchInput([""] * n_queries, [""] * n_docs, positives, queries, docs)


def task_exact(
    work: Path,
    n_docs: int,
    n_queries: int,
    q_chunk: int | None,
    d_chunk: int | None,
    device: str = "cpu",
) -> dict:
    from trueneg.retrieve import ExactRetriever

    inputs, peak = search_input(work, n_docs, n_queries), AnonPeak()
    start = time.perf_counter()
    cands = ExactRetriever(q_chunk, d_chunk, device).search(inputs, DEPTH)
    seconds = time.perf_counter() - start
    row = {"seconds": seconds, **peak.stop()}
    keep = int(cands.offsets[min(SAMPLE, n_queries)])
    np.savez(
        work / f"exact_{n_docs}.npz",
        offsets=cands.offsets[: SAMPLE + 1],
        doc_index=cands.doc_index[:keep],
    )
    return row


def task_st(work: Path, n_docs: int, n_queries: int, device: str = "cpu") -> dict:
    """The ``use_faiss=False`` loop of ``mine_hard_negatives`` (corpus as one float32 tensor,
    on ``device`` as ``encode(..., convert_to_tensor=True)`` leaves it)."""
    import torch
    from sentence_transformers.util import cos_sim

    docs = np.load(work / "docs.npy", mmap_mode="r")[:n_docs].astype(np.float32)  # as encoded
    queries = np.load(work / "queries.npy", mmap_mode="r")[:n_queries].astype(np.float32)
    peak, start = AnonPeak(), time.perf_counter()
    corpus, k, parts = torch.as_tensor(docs, device=device), min(DEPTH + 1 + 1, n_docs), []
    batch = torch.as_tensor(queries, device=device)
    for i in range(0, n_queries, ST_BATCH):  # model.similarity == cos_sim for MiniLM
        chunk_scores = cos_sim(batch[i : i + ST_BATCH], corpus)
        parts.append(torch.topk(chunk_scores, k=k, dim=1))
        del chunk_scores
    if device == "cuda":
        torch.cuda.synchronize()
    return {"seconds": time.perf_counter() - start, **peak.stop()}


def task_faiss(work: Path, n_docs: int, kind: str) -> dict:
    from trueneg.retrieve.faiss import RETRIEVERS, recall_at_depth, search_chunk
    from trueneg.retrieve.topk import make_candidates

    retriever = RETRIEVERS.resolve(kind)
    inputs, peak = search_input(work, n_docs, SAMPLE), AnonPeak()
    start = time.perf_counter()
    index = retriever.build_index(inputs.doc_embeddings, DEPTH + 1)
    built = time.perf_counter()
    q = np.asarray(inputs.query_embeddings, dtype=np.float32)
    part = search_chunk(index, q, inputs.doc_embeddings, inputs.positives, DEPTH)
    searched = time.perf_counter()
    row = {"build_s": built - start, "search_s": searched - built, **peak.stop()}
    approx = make_candidates(part[0], part[2], part[1], part[3], part[4])
    exact = np.load(work / f"exact_{n_docs}.npz")
    truth = make_candidates(
        np.diff(exact["offsets"]),
        exact["doc_index"],
        np.zeros(exact["doc_index"].shape[0]),
        np.zeros(SAMPLE),
        np.zeros(SAMPLE),
    )
    row["recall_at_100"] = recall_at_depth(approx, truth, np.arange(SAMPLE))
    return row


TASKS = {"exact": task_exact, "st": task_st, "faiss": task_faiss}


def run_child(work: Path, task: str, **kwargs: object) -> dict:
    """Run one task in a fresh interpreter; returns its result row (or the error)."""
    spec = json.dumps({"task": task, "work": str(work), **kwargs})
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.speed.scale_tasks", spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not lines:
        return {"task": task, **kwargs, "error": proc.stderr.strip().splitlines()[-1:]}
    return {"task": task, **kwargs, **json.loads(lines[-1][len("RESULT ") :])}


def main() -> None:
    spec = json.loads(sys.argv[1])
    task, work = TASKS[spec.pop("task")], Path(spec.pop("work"))
    print("RESULT " + json.dumps(task(work, **spec)), flush=True)


if __name__ == "__main__":
    main()
