"""How long does the ``topic`` sampler take to set up and to cut an epoch, as queries grow?

Synthetic rows shaped like a triplet export (4 rows per query, anchor + positive + one of a
pool of shared negatives), random unit query vectors of 384 dimensions (all-MiniLM-L6-v2's
size; the encoding itself is the encoder benchmarks' business, not timed here). For each size:
k-means (k = queries / 64, 20 iterations), the nearest-centroid chain, and one epoch's batches
(``topic_batches``), in seconds. Run:

    python -m benchmarks.speed.topic_scale [--queries 10000 100000]   # → results/topic_scale.json
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.common import write_result
from trueneg.train.samplers import cluster_chain, kmeans_fit, topic_batches

BATCH = 64
ROWS_PER_QUERY = 4


def synthetic(queries: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(queries, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owner = np.repeat(np.arange(queries), ROWS_PER_QUERY)
    negatives = rng.integers(0, queries * 2, size=len(owner))
    texts = [frozenset((f"q{q}", f"p{q}", f"n{n}")) for q, n in zip(owner, negatives, strict=True)]
    return vectors, owner, texts


def timed(step, *args, **kwargs):
    start = time.perf_counter()
    out = step(*args, **kwargs)
    return out, round(time.perf_counter() - start, 2)


def measure(queries: int) -> dict[str, object]:
    vectors, owner, texts = synthetic(queries)
    k = max(1, round(queries / BATCH))
    (labels, centroids), km_s = timed(kmeans_fit, vectors, k, seed=0)
    order, chain_s = timed(cluster_chain, centroids, labels, np.random.default_rng(0))
    batches, cut_s = timed(
        topic_batches,
        labels[owner],
        texts,
        BATCH,
        np.random.default_rng(0),
        order=order,
        queries=owner,
    )
    sizes = np.array([len(b) for b in batches])
    return {
        "queries": queries,
        "rows": len(owner),
        "clusters": k,
        "kmeans_s": km_s,
        "chain_s": chain_s,
        "epoch_batches_s": cut_s,
        "batches": len(batches),
        "full_batches": int((sizes == BATCH).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    rows = [measure(n) for n in args.queries]
    path = write_result("topic_scale.json", {"batch_size": BATCH, "sizes": rows})
    print(f"wrote {path}\n")
    print(
        "| queries | rows | clusters | k-means s | chain s | one epoch's batches s | "
        "full batches |\n|---|---|---|---|---|---|---|"
    )
    for r in rows:
        print(
            f"| {r['queries']:,} | {r['rows']:,} | {r['clusters']:,} | {r['kmeans_s']} | "
            f"{r['chain_s']} | {r['epoch_batches_s']} | "
            f"{r['full_batches']:,} of {r['batches']:,} |"
        )


if __name__ == "__main__":
    main()
