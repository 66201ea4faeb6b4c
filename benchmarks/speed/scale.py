"""Scale: out-of-core exact search and FAISS on 100k / 1M random unit vectors, beside the
search loop of sentence-transformers' ``mine_hard_negatives``; then the encoding curve.

Vectors are seeded random unit float16 rows memory-mapped from benchmarks/.cache (deleted
afterwards); every measured run is its own subprocess (``benchmarks.speed.scale_tasks``), so
its peak RSS is its own. Run:

    nice -n 10 python -m benchmarks.speed.scale [--quick] [--part search|encode|all]
    nice -n 10 python -m benchmarks.speed.scale --part full-exact     # 1M docs x 100k queries, ~1 h

Writes benchmarks/results/scale_cpu.json (scale_quick.json with --quick) and, through
``benchmarks.speed.scale_encode``, encode_cpu.json. GPU rows run only where torch sees CUDA.
``--part full-exact`` runs only the exact search of every query against the largest corpus
(no extrapolation) and writes scale_exact_full_cpu.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, write_result
from benchmarks.speed import scale_encode
from benchmarks.speed.scale_faiss import faiss_rows
from benchmarks.speed.scale_tasks import DEPTH, DIM, ST_BATCH, make_vectors, run_child

FULL = {
    "docs": [100_000, 1_000_000],
    "queries": 100_000,
    "probe": 2000,
    "budget_s": 420,
    "st_queries": [512, 1024],
    "faiss_budget_s": 900,
}
QUICK = {
    "docs": [5_000, 20_000],
    "queries": 4000,
    "probe": 1000,
    "budget_s": 20,
    "st_queries": [128, 256],
    "faiss_budget_s": 60,
}
GPU_DOCS = 10_000_000


def search_rows(sizes: dict, work: Path, log) -> list[dict]:
    rows = []
    for n_docs in sizes["docs"]:
        rows.append(_exact_row(work, n_docs, sizes["probe"], "measured"))
        log(rows[-1])
    probe = rows[-1]
    per_query = probe["seconds"] / probe["n_queries"]
    n_full = int(min(sizes["queries"], max(sizes["probe"], sizes["budget_s"] / per_query)))
    if n_full > sizes["probe"]:
        rows.append(_exact_row(work, sizes["docs"][-1], n_full // 1024 * 1024, "measured"))
        log(rows[-1])
        per_query = rows[-1]["seconds"] / rows[-1]["n_queries"]
    rows.append(
        {
            "tool": "trueneg exact",
            "n_docs": sizes["docs"][-1],
            "n_queries": sizes["queries"],
            "kind": "extrapolated (time only, linear in queries)",
            "seconds": per_query * sizes["queries"],
            "device": "cpu",
        }
    )
    for n_queries in sizes["st_queries"]:
        rows.append(_st_row(work, sizes["docs"][-1], n_queries))
        log(rows[-1])
    rows.append(_st_row(work, sizes["docs"][0], min(ST_BATCH, sizes["queries"])))
    log(rows[-1])
    rows.append(st_derived(rows, sizes["docs"][-1], sizes["queries"]))
    return rows


def _exact_row(work: Path, n_docs: int, n_queries: int, kind: str, device: str = "cpu") -> dict:
    row = run_child(
        work,
        "exact",
        n_docs=n_docs,
        n_queries=n_queries,
        q_chunk=1024,
        d_chunk=50_000 if device == "cpu" else 1_000_000,
        device=device,
    )
    return _with_rates({"tool": "trueneg exact", "kind": kind, **row})


def gpu_rows(sizes: dict, work: Path, log, largest: int = GPU_DOCS) -> list[dict]:
    """Exact search on CUDA up to ``largest`` docs, and the ``mine_hard_negatives`` loop on
    CUDA beside it where its score matrix can fit."""
    rows = []
    for n_docs in sorted({*sizes["docs"], largest}):
        rows.append(_exact_row(work, n_docs, sizes["probe"], "measured", device="cuda"))
        log(rows[-1])
    for n_docs in sizes["docs"]:
        rows.append(_st_row(work, n_docs, sizes["probe"], device="cuda"))
        log(rows[-1])
    return rows


def _st_row(work: Path, n_docs: int, n_queries: int, device: str = "cpu") -> dict:
    row = run_child(work, "st", n_docs=n_docs, n_queries=n_queries, device=device)
    return _with_rates(
        {
            "tool": "mine_hard_negatives exact loop",
            "kind": "measured",
            "faiss_batch_size": ST_BATCH,
            **row,
        }
    )


def st_derived(rows: list[dict], n_docs: int, n_queries: int) -> dict:
    """Peak of the ST loop at its default batch, from a line through the measured points."""
    points = [
        r
        for r in rows
        if r["tool"].startswith("mine") and r["n_docs"] == n_docs and "error" not in r
    ]
    x = [r["n_queries"] * n_docs * 4 / 2**20 for r in points]  # score-matrix MB
    y = [r["peak_rss_anon_mb"] for r in points]
    slope, base = np.polyfit(x, y, 1) if len(points) > 1 else (1.0, y[0] if y else 0.0)
    chunk = min(ST_BATCH, n_queries) * n_docs * 4 / 2**20
    secs = [r["seconds"] / r["n_queries"] for r in points]
    return {
        "tool": "mine_hard_negatives exact loop",
        "kind": "derived (linear fit of measured peaks vs score-matrix size)",
        "device": "cpu",
        "n_docs": n_docs,
        "n_queries": n_queries,
        "faiss_batch_size": ST_BATCH,
        "peak_rss_anon_mb": round(base + slope * chunk),
        "score_matrix_mb": round(chunk),
        "fit": {"slope": slope, "base_mb": base},
        "seconds": float(np.mean(secs)) * n_queries if secs else None,
    }


def _with_rates(row: dict) -> dict:
    if "seconds" in row:
        row["docs_per_s"] = row["n_docs"] * row["n_queries"] / row["seconds"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    parser.add_argument(
        "--part", choices=["search", "encode", "all", "full-exact", "gpu"], default="all"
    )
    args = parser.parse_args()
    if args.part == "full-exact":
        run_full_exact(QUICK if args.quick else FULL, args.quick)
        return
    if args.part == "gpu":
        run_gpu(QUICK if args.quick else FULL, args.quick)
        return
    if args.part in ("search", "all"):
        run_search(QUICK if args.quick else FULL, args.quick)
    if args.part in ("encode", "all"):
        scale_encode.run(quick=args.quick)


def run_search(sizes: dict, quick: bool) -> None:
    import torch

    cuda = torch.cuda.is_available() and not quick

    def rows(work: Path) -> list[dict]:
        found = search_rows(sizes, work, _print_row) + faiss_rows(sizes, work, _print_row)
        return found + (gpu_rows(sizes, work, _print_row) if cuda else [])

    # the first rows are the same whatever n (seeded chunks), so one file serves every size
    _measure(
        "scale",
        quick,
        GPU_DOCS if cuda else sizes["docs"][-1],
        sizes["queries"],
        rows,
        "scale_cpu",
        f"top-{DEPTH} search, one positive per query",
        {
            "docs_per_s_meaning": "query-doc pairs scored per second (n_docs x n_queries / s); "
            "for FAISS over the search phase only (build_s separate)",
            "sizes": sizes,
            "gpu": "ran (see device=cuda rows)"
            if cuda
            else "skipped: no CUDA device visible to torch",
        },
    )


def run_gpu(sizes: dict, quick: bool) -> None:
    """Only the CUDA rows: exact search of ``probe`` queries over 100k, 1M and 10M documents."""
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("--part gpu needs a CUDA device visible to torch")
    largest = sizes["docs"][-1] if quick else GPU_DOCS
    _measure(
        "scale-gpu",
        quick,
        largest,
        sizes["probe"],
        lambda work: gpu_rows(sizes, work, _print_row, largest=largest),
        "scale_gpu",
        f"top-{DEPTH} exact search on CUDA, one positive per query",
        {"gpu": torch.cuda.get_device_name(0)},
    )


def run_full_exact(sizes: dict, quick: bool) -> None:
    """Every query against the largest corpus in one measured run: the issue's 1M x 100k."""
    n_docs, n_queries = sizes["docs"][-1], sizes["queries"]
    _measure(
        "scale-full",
        quick,
        n_docs,
        n_queries,
        lambda work: [_print_row(_exact_row(work, n_docs, n_queries, "measured"))],
        "scale_exact_full_cpu",
        f"top-{DEPTH} exact search of every query, one positive per query",
    )


def _measure(
    name: str,
    quick: bool,
    n_docs: int,
    n_queries: int,
    rows,
    result: str,
    task: str,
    extra: dict | None = None,
) -> None:
    """Write the vectors, run ``rows(work)``, delete the vectors, write ``results/RESULT.json``
    (``RESULT_quick.json`` with --quick)."""
    work = CACHE / (f"{name}-quick" if quick else name)
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    make_vectors(work / "docs.npy", n_docs, seed=0)
    make_vectors(work / "queries.npy", n_queries, seed=1)
    generated = time.perf_counter() - start
    try:
        measured = rows(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    path = write_result(
        f"{result.removesuffix('_cpu')}_quick.json" if quick else f"{result}.json",
        {
            "task": f"{task}, {DIM}-d random unit float16 vectors memory-mapped from disk",
            "generate_s": generated,
            "docs_per_s_meaning": "query-doc pairs scored per second (n_docs x n_queries / s)",
            **(extra or {}),
            "rows": measured,
        },
    )
    print(f"wrote {path}")


def _print_row(row: dict) -> dict:
    print(json.dumps(row), flush=True)
    return row


if __name__ == "__main__":
    main()
