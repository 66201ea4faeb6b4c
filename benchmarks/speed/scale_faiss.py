"""FAISS rows of ``benchmarks.speed.scale``: build, search a 1000-query sample, recall@100 vs
exact.

Run through ``python -m benchmarks.speed.scale``; each row is a subprocess
(``benchmarks.speed.scale_tasks``, task ``faiss``).
"""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks.speed.scale_tasks import SAMPLE, run_child

KINDS = ("faiss-flat", "faiss-ivf", "faiss-hnsw")


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
