"""Batch samplers by name: how training rows are grouped into batches.

``no-duplicates`` is sentence-transformers' own sampler (no text twice in a batch, so no
in-batch false negative from a repeated text); ``random`` is its default, plain random batches,
for reproducing recipes that used it. ``topic`` is TAS-Balanced-style topic-aware
sampling (Hofstätter et al., 2021): k-means on the query embeddings, every batch drawn from one
cluster, so in-batch negatives share the topic and are harder. It keeps the no-duplicates rule;
it does not balance batches by teacher margin.
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

    def trainer_arg(self, model: Any, dataset: Any, *, batch_size: int, seed: int) -> Any:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {"batch_sampler": self.name}


SAMPLERS: Registry[BatchSampler] = Registry("batch sampler")


class _TrainerSampler(BatchSampler):
    """One of sentence-transformers' own samplers, named by its ``BatchSamplers`` member."""

    member: ClassVar[str]

    def trainer_arg(self, model: Any, dataset: Any, *, batch_size: int, seed: int) -> Any:
        from sentence_transformers.base.sampler import BatchSamplers

        return BatchSamplers[self.member]


@SAMPLERS.register("no-duplicates")
@dataclass(frozen=True)
class NoDuplicates(_TrainerSampler):
    """Random batches in which no text appears twice (sentence-transformers' sampler)."""

    member = "NO_DUPLICATES"


@SAMPLERS.register("random")
@dataclass(frozen=True)
class RandomBatches(_TrainerSampler):
    """Plain random batches (sentence-transformers' default); a text may repeat in a batch."""

    member = "BATCH_SAMPLER"


@SAMPLERS.register("topic")
@dataclass(frozen=True)
class TopicAware(BatchSampler):
    """TAS-Balanced-style: k-means on query embeddings, one cluster per batch, no repeated text.

    ``topic:K`` sets the number of clusters (default: rows / batch size).
    """

    clusters: int | None = None

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
        anchors = dataset["anchor"]
        unique, inverse = np.unique(np.asarray(anchors, dtype=object), return_inverse=True)
        vectors = model.encode(
            list(unique),
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        k = self.clusters or max(1, round(len(anchors) / batch_size))
        labels = kmeans(np.asarray(vectors, dtype=np.float32), k, seed=seed)[inverse]
        return partial(_topic_sampler, labels=labels)

    def config(self) -> dict[str, Any]:
        return {"batch_sampler": self.name, "clusters": self.clusters or "rows / batch size"}


def kmeans(x: np.ndarray, k: int, *, seed: int = 0, iterations: int = 20) -> np.ndarray:
    """Cluster label of each row of ``x`` (L2-normalised rows; Lloyd's with cosine)."""
    k = min(k, len(x))
    rng = np.random.default_rng(seed)
    centroids = x[rng.choice(len(x), size=k, replace=False)]
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(iterations):
        labels = np.argmax(x @ centroids.T, axis=1)
        for c in range(k):
            members = x[labels == c]
            if len(members):
                mean = members.mean(axis=0)
                centroids[c] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return labels


def topic_batches(
    labels: np.ndarray,
    texts: list[frozenset[str]],
    batch_size: int,
    rng: np.random.Generator,
    drop_last: bool = False,
) -> list[list[int]]:
    """Batches of row indices, each from one cluster, no text twice, in random order."""
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
            if len(batch) == batch_size or not drop_last:
                batches.append(batch)
    return [batches[i] for i in rng.permutation(len(batches))]


def _topic_sampler(
    dataset: Any,
    *,
    labels: np.ndarray,
    batch_size: int,
    drop_last: bool,
    valid_label_columns: list[str] | None = None,
    generator: Any = None,
    seed: int = 0,
) -> Any:
    from sentence_transformers.base.sampler import DefaultBatchSampler

    class TopicBatchSampler(DefaultBatchSampler):
        def _batches(self) -> list[list[int]]:
            rng = np.random.default_rng(self.seed + self.epoch)
            return topic_batches(labels, texts, self.batch_size, rng, self.drop_last)

        def __iter__(self):
            yield from self._batches()

        def __len__(self) -> int:
            return len(self._batches())

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
