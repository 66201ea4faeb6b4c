"""Exact search with torch.topk vs numpy argpartition for the per-chunk top-k selection.

Same random unit vectors, same retriever, the selection function swapped. Run:

    python -m benchmarks.speed.exact_topk [--docs 200000] [--queries 2048]

Writes benchmarks/results/exact_topk.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import trueneg.retrieve.topk as topk
from benchmarks.common import write_result
from trueneg.retrieve import ExactRetriever
from trueneg.retrieve.base import SearchInput


def _argpartition(scores: np.ndarray, k: int) -> np.ndarray:
    m = scores.shape[1]
    return np.argpartition(scores, m - k, axis=1)[:, m - k :]


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=2048)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    docs, queries = _unit(rng, args.docs, 384), _unit(rng, args.queries, 384)
    inputs = SearchInput(
        [""] * args.queries,
        [""] * args.docs,
        [np.array([i]) for i in range(args.queries)],
        queries,
        docs,
    )
    rows, results = [], []
    for name, fn in (("torch.topk", topk._top_k_unsorted), ("np.argpartition", _argpartition)):
        original = topk._top_k_unsorted
        topk._top_k_unsorted = fn
        try:
            start = time.perf_counter()
            results.append(ExactRetriever().search(inputs, 100))
            seconds = time.perf_counter() - start
        finally:
            topk._top_k_unsorted = original
        rows.append(
            {
                "selection": name,
                "seconds": round(seconds, 2),
                "pairs_per_s": args.docs * args.queries / seconds,
            }
        )
        print(f"{name:16s} {seconds:6.1f} s  {rows[-1]['pairs_per_s'] / 1e6:5.1f} M pairs/s")
    same = bool(np.array_equal(results[0].doc_index, results[1].doc_index))
    path = write_result(
        "exact_topk.json",
        {
            "docs": args.docs,
            "queries": args.queries,
            "depth": 100,
            "identical_results": same,
            "rows": rows,
        },
    )
    print(f"identical results: {same}; wrote {path}")


if __name__ == "__main__":
    main()
