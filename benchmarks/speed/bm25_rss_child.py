"""The measured process of ``bm25_rss``: load the corpus, build the BM25 index of every
document, search 1,000 queries at depth 100; prints one JSON line of peak RSS (total,
anonymous, file-backed) and seconds after each step.

Runs against whichever trueneg is first on PYTHONPATH (this one, or an older checkout that
tokenized the whole corpus at once: ``doc_text_view`` is used only where it exists; an older
retriever without ``search_index`` builds and searches in one step, "search")."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import trueneg
from benchmarks.speed.loader_rss_child import Steps
from trueneg.data import load_dataset
from trueneg.retrieve import BM25Retriever, SearchInput, bm25

QUERIES = 1_000
DEPTH = 100


def main() -> None:
    folder = Path(sys.argv[1])
    step = Steps()
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
        found, _ = retriever.search_index(index, inputs, depth=DEPTH)
        threads = bm25.query_threads(len(texts))
    else:
        found, threads = retriever.search(inputs, depth=DEPTH), 1
    step("search")
    counts = {"kept_documents": dataset.num_docs, "queries": len(queries), "threads": threads}
    counts.update(rows=found.num_rows, package=str(Path(trueneg.__file__).parent))
    print(json.dumps({"steps": step.steps, **counts}))


if __name__ == "__main__":
    main()
