"""FAISS rows of ``benchmarks.scale``: build, search a 1000-query sample, recall@100 vs exact.

Run through ``python -m benchmarks.scale``; each row is a subprocess of that script.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from benchmarks.scale import DEPTH, SAMPLE, AnonPeak, _inputs, run_child

KINDS = ("faiss-flat", "faiss-ivf", "faiss-hnsw")


def faiss_task(work: Path, n_docs: int, kind: str) -> dict:
    from trueneg.retrieve.faiss import RETRIEVERS, recall_at_depth, search_chunk

    retriever = RETRIEVERS.resolve(kind)
    inputs, peak = _inputs(work, n_docs, SAMPLE), AnonPeak()
    start = time.perf_counter()
    index = retriever.build_index(inputs.doc_embeddings, DEPTH + 1)
    built = time.perf_counter()
    q = np.asarray(inputs.query_embeddings, dtype=np.float32)
    part = search_chunk(index, q, inputs.doc_embeddings, inputs.positives, DEPTH)
    searched = time.perf_counter()
    row = {"build_s": built - start, "search_s": searched - built, **peak.stop()}
    from trueneg.retrieve.topk import make_candidates

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


def faiss_rows(sizes: dict, work: Path, log) -> list[dict]:
    rows: list[dict] = []
    for n_docs in sizes["docs"]:
        for kind in KINDS:
            before = [r for r in rows if r["kind_name"] == kind and "build_s" in r]
            estimate = (
                before[-1]["build_s"]
                * n_docs
                / before[-1]["n_docs"]
                * math.log10(n_docs)
                / math.log10(before[-1]["n_docs"])
                if before
                else 0.0
            )
            if estimate > sizes["faiss_budget_s"]:
                rows.append(
                    {
                        "tool": "trueneg " + kind,
                        "kind_name": kind,
                        "n_docs": n_docs,
                        "skipped": f"estimated build {estimate:.0f} s (n log n from the "
                        f"{before[-1]['n_docs']} build) > {sizes['faiss_budget_s']} s",
                    }
                )
            else:
                row = run_child(work, "faiss", n_docs=n_docs, kind=kind)
                rows.append(
                    {
                        "tool": "trueneg " + kind,
                        "kind_name": kind,
                        "device": "cpu",
                        "n_queries": SAMPLE,
                        **row,
                    }
                )
                if "search_s" in row:
                    rows[-1]["docs_per_s"] = n_docs * SAMPLE / row["search_s"]
            log(rows[-1])
    return rows
