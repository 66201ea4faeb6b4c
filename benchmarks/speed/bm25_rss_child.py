"""The measured process of ``bm25_rss``: load the corpus, build the BM25 index of every
document, search 1,000 queries at depth 100; prints one JSON line of peak RSS (total,
anonymous, file-backed) and seconds after each step.

BM25 tokenizes a large corpus in worker processes, children of this one: each step also
records the peak of this process's RSS plus its children's (``tree_peak_rss_mb``, and the
anonymous part ``tree_peak_anon_mb``), sampled every 50 ms, and the index step the largest
peak of one child (``worker_peak_rss_mb``, from ``getrusage``) and their number.

Runs against whichever trueneg is first on PYTHONPATH (this one, or an older checkout that
tokenized the whole corpus at once: ``doc_text_view`` is used only where it exists; an older
retriever without ``search_index`` builds and searches in one step, "search")."""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np

import trueneg
from benchmarks.speed.loader_rss_child import Steps, status
from trueneg.data import load_dataset
from trueneg.retrieve import BM25Retriever, SearchInput, bm25

QUERIES = 1_000
DEPTH = 100


class TreeSteps(Steps):
    """:class:`Steps` that also record the peaks of this process and its children."""

    def __init__(self) -> None:
        super().__init__()
        self.tree = TreePeaks()

    def __call__(self, name: str) -> None:
        super().__call__(name)
        self.steps[name].update(self.tree.snapshot())


class TreePeaks:
    """Samples the RSS and RssAnon of this process and its children every 50 ms (kB → MB)."""

    def __init__(self) -> None:
        self.rss = self.anon = 0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            time.sleep(0.05)
            self.snapshot()

    def snapshot(self) -> dict[str, float]:
        parts = [status(pid) for pid in [os.getpid(), *children()]]
        self.rss = max(self.rss, sum(p.get("VmRSS", 0) for p in parts))
        self.anon = max(self.anon, sum(p.get("RssAnon", 0) for p in parts))
        return {
            "tree_peak_rss_mb": round(self.rss / 1024, 1),
            "tree_peak_anon_mb": round(self.anon / 1024, 1),
        }


def children() -> list[int]:
    """The processes whose parent is this one (read from /proc)."""
    me, found = str(os.getpid()), []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii") as handle:
                    fields = handle.read().rpartition(")")[2].split()
            except OSError:
                continue
            if fields[1] == me:
                found.append(int(entry.name))
    return found


def tokenize_workers(num_texts: int) -> int:
    """The processes that tokenized the corpus (one in a checkout from before the workers)."""
    try:
        from trueneg.retrieve.bm25_tokens import tokenize_workers as workers
    except ImportError:
        return 1
    return workers(num_texts)


def main() -> None:
    folder = Path(sys.argv[1])
    step = TreeSteps()
    dataset = load_dataset(folder)
    step("load")
    streaming = hasattr(dataset, "doc_text_view")
    texts = dataset.doc_text_view() if streaming else dataset.doc_texts()
    queries = dataset.query_texts()[:QUERIES]
    positives = [np.array([i], dtype=np.int64) for i in range(len(queries))]
    retriever, inputs = BM25Retriever(), SearchInput(queries, texts, positives)
    if hasattr(retriever, "search_index"):
        index = retriever.build_index(texts)
        step("index")
        worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB
        step.steps["index"]["worker_peak_rss_mb"] = round(worker_peak / 1024, 1)
        found, _ = retriever.search_index(index, inputs, depth=DEPTH)
        threads = bm25.query_threads(len(texts))
    else:
        found, threads = retriever.search(inputs, depth=DEPTH), 1
    step("search")
    counts = {"kept_documents": dataset.num_docs, "queries": len(queries), "threads": threads}
    counts["tokenize_workers"] = tokenize_workers(len(texts))
    counts.update(rows=found.num_rows, package=str(Path(trueneg.__file__).parent))
    print(json.dumps({"steps": step.steps, **counts}))


if __name__ == "__main__":
    main()
