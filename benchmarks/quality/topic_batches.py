"""How full, and how topical, are the ``topic`` sampler's batches on a real training export?

Mines one [[mining]] row of a comparison config the way ``trueneg compare`` does (same hidden
split, [mine] table, seed and embedding cache; no training), builds its training rows (the
config's [train] ``rows``, e.g. one triplet per hard negative) and cuts them into batches with:

- ``topic``: the sampler as it is (k-means on distinct queries, k = queries / batch size,
  batches filled along a nearest-centroid chain);
- ``topic, one cluster per batch``: the rule before it, kept here for the record (k = rows /
  batch size, a batch never leaves its cluster): with 4 rows per query and the no-duplicates
  rule, its clusters cannot fill a batch;
- ``no-duplicates``: sentence-transformers' NoDuplicatesBatchSampler, the default;
- ``topic:K`` for each ``--clusters K``: more, smaller clusters, a batch spanning several
  neighbours on the chain.

For each: number of batches, sizes, share of rows in full batches, and the mean cosine between
two distinct queries of a batch (what topic batches are for: in-batch negatives nearer the
query). About 6 minutes on 2 CPU cores the first time (encoding the corpus), a minute after.

    python -m benchmarks.quality.topic_batches benchmarks/configs/compare_scifact_auto_cpu.toml \
        auto --seed 0 --clusters 26 51 102 204
    # → results/topic_batches_scifact.json
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import write_result
from benchmarks.quality.auto_training_rows import mine_row
from trueneg.compare import hide_extra_positives, load_config
from trueneg.compare.runner import HIDDEN_SEED
from trueneg.encode.models import default_model_path
from trueneg.train.losses import LOSSES
from trueneg.train.samplers import TopicAware, kmeans


def one_cluster_batches(
    anchors: list[str], vectors: np.ndarray, inverse: np.ndarray, texts: list, batch_size: int
) -> list[list[int]]:
    """The previous ``topic`` rule: k = rows / batch size, batches never leave their cluster."""
    labels = kmeans(vectors, max(1, round(len(anchors) / batch_size)), seed=0)[inverse]
    rng = np.random.default_rng(0)
    batches: list[list[int]] = []
    for cluster in np.unique(labels):
        pending = list(rng.permutation(np.flatnonzero(labels == cluster)))
        while pending:
            batch, seen, later = [], set(), []
            for row in pending:
                if len(batch) < batch_size and not texts[row] & seen:
                    batch.append(int(row))
                    seen |= texts[row]
                else:
                    later.append(row)
            pending = later
            batches.append(batch)
    return batches


def describe(batches: list[list[int]], vectors: np.ndarray, inverse: np.ndarray, size: int):
    sizes = np.array([len(b) for b in batches])
    cosines = []
    for batch in batches:
        queries = np.unique(inverse[batch])
        if len(queries) > 1:
            sims = vectors[queries] @ vectors[queries].T
            cosines.append(float(sims[np.triu_indices(len(queries), 1)].mean()))
    return {
        "batches": len(batches),
        "mean_size": round(float(sizes.mean()), 2),
        "median_size": float(np.median(sizes)),
        "min_size": int(sizes.min()),
        "full_batches": int((sizes == size).sum()),
        "rows_in_full_batches": round(float(sizes[sizes == size].sum() / sizes.sum()), 4),
        "mean_in_batch_query_cosine": round(float(np.mean(cosines)), 4),
    }


def measure(
    config_path: str, row_name: str, seed: int, clusters: list[int] | None = None
) -> dict[str, Any]:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.sampler import NoDuplicatesBatchSampler

    from trueneg.train.data import training_set

    config = load_config(config_path)
    (dataset,) = config.datasets
    row = {m.name: m for m in config.mining}[row_name]
    data = config.out / dataset.name / "data"
    hide_extra_positives(dataset.path, dataset.train_split, data, seed=HIDDEN_SEED)
    batch_size = config.train.batch_size
    with tempfile.TemporaryDirectory() as tmp:
        run = mine_row(config, dataset, row, data, Path(tmp) / "run", seed)
        rows, _ = training_set(run, LOSSES.resolve("mnrl"), None, config.train.rows)
    model = SentenceTransformer(str(config.model or default_model_path()), device="cpu")
    anchors = rows["anchor"]
    unique, inverse = np.unique(np.asarray(anchors, dtype=object), return_inverse=True)
    vectors = model.encode(list(unique), batch_size=64, normalize_embeddings=True)
    texts = [frozenset(r.values()) for r in rows]

    build = TopicAware().trainer_arg(model, rows, batch_size=batch_size, seed=seed)
    topic = list(build(rows, batch_size=batch_size, drop_last=False, seed=seed))
    # The trainer hands its samplers a torch.Generator, which NoDuplicatesBatchSampler seeds with
    # seed + epoch; without one it shuffles with torch's global state and the draw is not fixed.
    plain = NoDuplicatesBatchSampler(
        rows, batch_size=batch_size, drop_last=False, seed=seed, generator=torch.Generator()
    )
    variants = {
        "topic": topic,
        "topic, one cluster per batch (previous rule)": one_cluster_batches(
            anchors, vectors, inverse, texts, batch_size
        ),
        "no-duplicates": list(plain),
    }
    for k in clusters or []:
        more = TopicAware(k).trainer_arg(model, rows, batch_size=batch_size, seed=seed)
        variants[f"topic:{k}"] = list(more(rows, batch_size=batch_size, drop_last=False, seed=seed))
    return {
        "config": config_path,
        "row": row_name,
        "seed": seed,
        "rows": len(rows),
        "queries": len(unique),
        "batch_size": batch_size,
        "clusters": len(set(build.keywords["labels"].tolist())),
        "samplers": {
            name: describe(batches, vectors, inverse, batch_size)
            for name, batches in variants.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("row")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clusters", type=int, nargs="*", help="also topic:K for each K")
    args = parser.parse_args()
    result = measure(args.config, args.row, args.seed, args.clusters)
    name = load_config(args.config).datasets[0].name
    path = write_result(f"topic_batches_{name}.json", result)
    print(f"wrote {path}\n")
    print(
        f"{result['rows']} rows, {result['queries']} queries, batch {result['batch_size']}\n\n"
        "| sampler | batches | mean size | median | full | rows in full batches "
        "| query cosine in batch |\n|---|---|---|---|---|---|---|"
    )
    for sampler, r in result["samplers"].items():
        print(
            f"| {sampler} | {r['batches']} | {r['mean_size']} | {r['median_size']} | "
            f"{r['full_batches']} | {r['rows_in_full_batches']:.1%} | "
            f"{r['mean_in_batch_query_cosine']} |"
        )


if __name__ == "__main__":
    main()
