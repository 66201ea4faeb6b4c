"""Batch samplers by name: how training rows are grouped into batches.

``no-duplicates`` is sentence-transformers' own sampler (no text twice in a batch, so no
in-batch false negative from a repeated text); ``random`` is its default, plain random batches,
for reproducing recipes that used it. ``topic`` is TAS-Balanced-style topic-aware
sampling (Hofstätter et al., 2021): k-means on the query embeddings, about one cluster per
batch, so in-batch negatives share the topic and are harder. A batch fills from its cluster
and, when the cluster runs out of rows that fit, from the nearest clusters, so batches are full
even when a query has several rows (one per hard negative) that may not share a batch. It keeps
the no-duplicates rule; it does not balance batches by teacher margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np

from trueneg.errors import ConfigError
from trueneg.registry import Registry


class BatchSampler:
    """Turns the training set into the trainer's ``batch_sampler`` argument."""

    name: ClassVar[str]
    embeds_queries: ClassVar[bool] = False  # encodes queries with the model (bi-encoders only)

    def trainer_arg(self, model: Any, dataset: Any, *, batch_size: int, seed: int) -> Any:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {"batch_sampler": self.name}

    def resolved(self, dataset: Any, *, batch_size: int) -> BatchSampler:
        """This sampler with its defaults worked out for ``dataset`` (what the card records)."""
        return self


BATCH_SAMPLERS: Registry[BatchSampler] = Registry("batch sampler")


class _TrainerSampler(BatchSampler):
    """One of sentence-transformers' own samplers, named by its ``BatchSamplers`` member."""

    member: ClassVar[str]

    def trainer_arg(self, model: Any, dataset: Any, *, batch_size: int, seed: int) -> Any:
        from sentence_transformers.base.sampler import BatchSamplers

        return BatchSamplers[self.member]


@BATCH_SAMPLERS.register("no-duplicates")
@dataclass(frozen=True)
class NoDuplicates(_TrainerSampler):
    """Random batches in which no text appears twice (sentence-transformers' sampler)."""

    member = "NO_DUPLICATES"


@BATCH_SAMPLERS.register("random")
@dataclass(frozen=True)
class RandomBatches(_TrainerSampler):
    """Plain random batches (sentence-transformers' default); a text may repeat in a batch."""

    member = "BATCH_SAMPLER"


@BATCH_SAMPLERS.register("topic")
@dataclass(frozen=True)
class TopicAware(BatchSampler):
    """TAS-Balanced-style: k-means on query embeddings, about one cluster per batch, no text twice.

    ``topic:K`` sets the number of clusters (default: distinct queries / batch size, so a cluster
    holds about one batch of distinct queries).
    """

    clusters: int | None = None
    embeds_queries = True

    @classmethod
    def from_value(cls, value: str | None) -> TopicAware:
        if value is None:
            return cls()
        if not value.isdigit() or int(value) < 1:
            raise ConfigError(
                "topic takes a number of clusters",
                received=value,
                expected="topic or topic:K with K >= 1",
            )
        return cls(int(value))

    def trainer_arg(self, model: Any, dataset: Any, *, batch_size: int, seed: int) -> Any:
        anchors = np.asarray(dataset["anchor"], dtype=object)
        unique, inverse = np.unique(anchors, return_inverse=True)
        vectors = model.encode(
            list(unique),
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        k = self.clusters or _default_clusters(len(unique), batch_size)
        labels, centroids = kmeans_fit(np.asarray(vectors, dtype=np.float32), k, seed=seed)
        order = cluster_chain(centroids, labels, np.random.default_rng(seed))
        return partial(_topic_sampler, labels=labels[inverse], order=order, queries=inverse)

    def resolved(self, dataset: Any, *, batch_size: int) -> TopicAware:
        if self.clusters is not None:
            return self
        return TopicAware(_default_clusters(len(set(dataset["anchor"])), batch_size))

    def config(self) -> dict[str, Any]:
        return {
            "batch_sampler": self.name,
            "clusters": self.clusters or "distinct queries / batch size",
        }


def _default_clusters(queries: int, batch_size: int) -> int:
    """About one batch of distinct queries per cluster."""
    return max(1, round(queries / batch_size))


def kmeans(x: np.ndarray, k: int, *, seed: int = 0, iterations: int = 20) -> np.ndarray:
    """Cluster label of each row of ``x`` (L2-normalised rows; Lloyd's with cosine)."""
    return kmeans_fit(x, k, seed=seed, iterations=iterations)[0]


def kmeans_fit(
    x: np.ndarray, k: int, *, seed: int = 0, iterations: int = 20, chunk: int = 8192
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster label of each row of ``x`` and the (unit-length) centroids, ``min(k, len(x))``.

    Rows are assigned ``chunk`` at a time, so memory stays at ``chunk × k`` scores however many
    queries there are; a cluster left empty keeps its previous centroid.
    """
    k = min(k, len(x))
    rng = np.random.default_rng(seed)
    centroids = x[rng.choice(len(x), size=k, replace=False)].copy()
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(iterations):
        for start in range(0, len(x), chunk):
            labels[start : start + chunk] = np.argmax(x[start : start + chunk] @ centroids.T, 1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, x)
        norms = np.linalg.norm(sums, axis=1)
        filled = norms > 1e-12
        centroids[filled] = sums[filled] / norms[filled, None]
    return labels, centroids


def cluster_chain(centroids: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> list[int]:
    """The non-empty clusters in a nearest-neighbour chain: from a random one, each next is the
    unvisited cluster whose centroid is closest to the current one's, so a batch that spills
    over into the next cluster stays near its topic."""
    left = [int(c) for c in np.unique(labels)]
    current = left.pop(int(rng.integers(len(left))))
    chain = [current]
    while left:
        sims = centroids[left] @ centroids[current]
        current = left.pop(int(np.argmax(sims)))
        chain.append(current)
    return chain


def topic_batches(
    labels: np.ndarray,
    texts: list[frozenset[str]],
    batch_size: int,
    rng: np.random.Generator,
    drop_last: bool = False,
    order: list[int] | None = None,
    queries: np.ndarray | None = None,
) -> list[list[int]]:
    """Batches of row indices, no text twice in a batch, in random order.

    The rows are laid out in rounds: each round takes one row of every query (``queries``: the
    query of each row; default: every row its own query), cluster by cluster in ``order``
    (default random), queries shuffled within their cluster. A query's second row (its second
    triplet) comes in the second round, and so on. The layout is cut into batches in order: a
    row that would repeat a text of its batch waits for the next batch, and a batch whose
    cluster has no more rows takes the next cluster's. So batches are full but for a few at the
    end, and each holds one cluster or neighbouring ones.
    """
    queries = np.arange(len(labels)) if queries is None else np.asarray(queries)
    members = _groups(np.arange(len(labels)), labels)
    clusters = order if order is not None else list(rng.permutation(sorted(members)))
    rounds: list[list[int]] = []
    for cluster in clusters:
        own_rows = list(_groups(members[cluster], queries[members[cluster]]).values())
        for q in rng.permutation(len(own_rows)):
            for depth, row in enumerate(rng.permutation(own_rows[q])):
                if depth == len(rounds):
                    rounds.append([])
                rounds[depth].append(int(row))
    batches = _cut([row for layer in rounds for row in layer], texts, batch_size)
    if drop_last:
        batches = [batch for batch in batches if len(batch) == batch_size]
    return [batches[i] for i in rng.permutation(len(batches))]


def _groups(rows: np.ndarray, keys: np.ndarray) -> dict[int, np.ndarray]:
    """``rows`` grouped by their ``keys`` (in key order), by one sort: no pass per group."""
    ordered = np.argsort(keys, kind="stable")
    cuts = np.flatnonzero(np.diff(keys[ordered])) + 1
    return {int(keys[g[0]]): rows[g] for g in np.split(ordered, cuts) if len(g)}


def _cut(stream: list[int], texts: list[frozenset[str]], batch_size: int) -> list[list[int]]:
    """Greedy no-duplicates batches over ``stream``; rows that clash wait, first in line."""
    batches: list[list[int]] = []
    waiting: list[int] = []
    position = 0
    while waiting or position < len(stream):
        batch: list[int] = []
        seen: set[str] = set()
        still: list[int] = []
        candidates = iter(waiting)
        while len(batch) < batch_size:
            row = next(candidates, None)
            if row is None:
                if position == len(stream):
                    break
                row, position = stream[position], position + 1
            if texts[row] & seen:
                still.append(row)
            else:
                batch.append(row)
                seen.update(texts[row])
        still.extend(candidates)  # waiting rows not looked at: a full batch stopped early
        waiting = still
        batches.append(batch)
    return batches


def _topic_sampler(
    dataset: Any,
    *,
    labels: np.ndarray,
    order: list[int],
    queries: np.ndarray,
    batch_size: int,
    drop_last: bool,
    valid_label_columns: list[str] | None = None,
    generator: Any = None,
    seed: int = 0,
) -> Any:
    from sentence_transformers.base.sampler import DefaultBatchSampler

    class TopicBatchSampler(DefaultBatchSampler):
        def _batches(self) -> list[list[int]]:
            if self.epoch not in cache:  # __len__ and __iter__ ask for the same epoch
                rng = np.random.default_rng(self.seed + self.epoch)
                cache.clear()
                cache[self.epoch] = topic_batches(
                    labels, texts, self.batch_size, rng, self.drop_last, order, queries
                )
            return cache[self.epoch]

        def __iter__(self):
            yield from self._batches()

        def __len__(self) -> int:
            return len(self._batches())

    cache: dict[int, list[list[int]]] = {}
    skip = set(valid_label_columns or [])
    columns = [c for c in dataset.column_names if c not in skip]
    texts = [frozenset(row[c] for c in columns) for row in dataset.select_columns(columns)]
    return TopicBatchSampler(
        dataset,
        batch_size=batch_size,
        drop_last=drop_last,
        valid_label_columns=valid_label_columns,
        generator=generator,
        seed=seed,
    )
