"""Exact search of every query on one GPU, beside ``mine_hard_negatives``' search on the same GPU.

Seeded random unit float16 vectors (384-d) memory-mapped from disk, one positive per query,
top-100; every run in its own process (``benchmarks.speed.scale_tasks``) with its peak host
RSS and peak GPU memory. trueneg runs at the GPU's default chunk sizes and the device memory
its formula predicts is recorded beside the measured peak. Run (the issue's sizes):

    python -m benchmarks.speed.gpu_search --docs 1000000,10000000 --queries 100000

Writes ``benchmarks/results/search_<device>.json`` (device: ``cuda`` where torch sees a GPU;
the CPU fallback only proves the script runs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time

from benchmarks.common import CACHE, write_result
from benchmarks.speed.scale_tasks import DEPTH, DIM, make_vectors, run_child


def rows(n_docs: list[int], n_queries: int, device: str, st: bool, save) -> list[dict]:
    """Each corpus size in turn (its vectors written just before), the file rewritten after
    every row: a run stopped by a time limit keeps the rows it finished."""
    from trueneg.retrieve.exact import CHUNK_SIZES
    from trueneg.retrieve.exact_torch import device_memory_bytes

    work = CACHE / "gpu-search"
    work.mkdir(parents=True, exist_ok=True)
    q_chunk, d_chunk = CHUNK_SIZES["cuda" if device == "cuda" else "cpu"]
    formula = round(device_memory_bytes(q_chunk, d_chunk, DIM, DEPTH) / 2**20)
    out: list[dict] = []
    try:
        make_vectors(work / "queries.npy", n_queries, seed=1)
        for n in sorted(n_docs):
            start = time.perf_counter()
            make_vectors(work / "docs.npy", n, seed=0)
            print(f"{n} doc vectors written in {time.perf_counter() - start:.1f} s", flush=True)
            row = run_child(
                work,
                "exact",
                n_docs=n,
                n_queries=n_queries,
                q_chunk=None,
                d_chunk=None,
                device="auto",
            )
            out.append(
                _print(
                    row
                    | {
                        "tool": "trueneg exact",
                        "chunks": [q_chunk, d_chunk],
                        "formula_gpu_mb": formula,
                    }
                )
            )
            save(out)
            if st:
                st_row = run_child(work, "st", n_docs=n, n_queries=n_queries, device=device)
                out.append(_print(st_row | {"tool": "mine_hard_negatives exact loop"}))
                save(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _print(row: dict) -> dict:
    if "seconds" in row:
        row["pairs_per_s"] = row["n_docs"] * row["n_queries"] / row["seconds"]
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="1000000,10000000")
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--no-st", action="store_true", help="skip mine_hard_negatives' loop")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    n_docs = [int(n) for n in args.docs.split(",")]
    payload = {
        "task": f"top-{DEPTH} exact search of every query, {DIM}-d random unit float16 vectors",
        "device": device,
        "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
    }

    def save(measured: list[dict]) -> None:
        print(f"wrote {write_result(f'search_{device}.json', {**payload, 'rows': measured})}")

    rows(n_docs, args.queries, device, not args.no_st, save)


if __name__ == "__main__":
    main()
