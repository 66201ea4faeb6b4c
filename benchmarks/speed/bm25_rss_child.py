"""The measured process of ``bm25_rss``: load the corpus, then BM25 search (the index of every
document, then the queries); prints one JSON line of peak RSS (total, anonymous, file-backed)
and seconds after each step.

Runs against whichever trueneg is first on PYTHONPATH (this one, or an older checkout that
tokenized the whole corpus at once: ``doc_text_view`` is used only where it exists)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.speed.loader_rss_child import Peaks
import trueneg
from trueneg.data import load_dataset
from trueneg.retrieve import BM25Retriever, SearchInput

QUERIES = 200
DEPTH = 100


def main() -> None:
    folder = Path(sys.argv[1])
    peaks, steps, start = Peaks(), {}, time.perf_counter()

    def step(name: str) -> None:
        steps[name] = {"seconds": round(time.perf_counter() - start, 1), **peaks.snapshot()}

    dataset = load_dataset(folder)
    step("load")
    streaming = hasattr(dataset, "doc_text_view")
    texts = dataset.doc_text_view() if streaming else dataset.doc_texts()
    queries = dataset.query_texts()[:QUERIES]
    positives = [np.array([i], dtype=np.int64) for i in range(len(queries))]
    found = BM25Retriever().search(SearchInput(queries, texts, positives), depth=DEPTH)
    step("search")
    counts = {"kept_documents": dataset.num_docs, "queries": len(queries)}
    counts.update(rows=found.num_rows, package=str(Path(trueneg.__file__).parent))
    print(json.dumps({"steps": steps, **counts}))


if __name__ == "__main__":
    main()
