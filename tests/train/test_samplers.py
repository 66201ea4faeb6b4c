"""Batch samplers: k-means and topic batches as plain functions, then one real training step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trueneg
from fixtures import write_tiny_beir
from trueneg.errors import ConfigError
from trueneg.train import BATCH_SAMPLERS, train
from trueneg.train.samplers import (
    TopicAware,
    cluster_chain,
    kmeans,
    kmeans_fit,
    topic_batches,
)


def test_kmeans_separates_two_obvious_topics():
    x = np.array([[1, 0], [0.99, 0.1], [0.98, -0.1], [0, 1], [0.1, 0.99]], dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = kmeans(x, 2, seed=0)
    assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1 and labels[0] != labels[3]


def test_kmeans_in_chunks_gives_the_same_clusters():
    x = np.random.default_rng(3).normal(size=(50, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    whole, centroids = kmeans_fit(x, 6, seed=1)
    chunked, again = kmeans_fit(x, 6, seed=1, chunk=7)
    assert (whole == chunked).all() and np.allclose(centroids, again)
    assert np.allclose(np.linalg.norm(centroids, axis=1), 1.0)


def _assert_no_text_twice(batches: list[list[int]], texts: list[frozenset[str]]) -> None:
    for batch in batches:
        seen = [t for i in batch for t in texts[i]]
        assert len(seen) == len(set(seen)), batch


def test_topic_batches_fill_from_one_cluster_and_never_repeat_a_text():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    # rows 0 and 1 share the anchor "a": they must land in different batches
    texts = [frozenset(["a", "p0"]), frozenset(["a", "p1"])]
    texts += [frozenset([anchor, f"p{i + 2}"]) for i, anchor in enumerate("bcdefg")]
    batches = topic_batches(labels, texts, 3, np.random.default_rng(0), order=[0, 1])

    assert sorted(i for batch in batches for i in batch) == list(range(8))
    _assert_no_text_twice(batches, texts)
    assert sorted(len(b) for b in batches) == [2, 3, 3]
    # laid out cluster 0 then cluster 1: only the batch at the seam mixes them
    assert sum(len({int(labels[i]) for i in b}) > 1 for b in batches) <= 1


def _triplet_rows(queries: int, per_cluster: int, shared: bool):
    """One row per (query, negative), as a triplet export has them: 4 rows per query; with
    ``shared``, the negatives come from a pool of 5 per cluster, so queries share them."""
    labels, texts, owner = [], [], []
    for q in range(queries):
        for n in range(4):
            labels.append(q // per_cluster)
            owner.append(q)
            negative = f"neg{q // per_cluster}-{(q + n) % 5}" if shared else f"neg{q}-{n}"
            texts.append(frozenset([f"q{q}", f"pos{q}", negative]))
    return np.array(labels), texts, np.array(owner)


def test_topic_batches_are_full_for_triplet_rows():
    """Each cluster holds 3 queries, fewer than a batch of 4, and a query's 4 rows may not
    share a batch: one cluster per batch could not fill any; spread over rounds, batches fill."""
    labels, texts, owner = _triplet_rows(12, 3, shared=True)
    for seed in range(3):
        batches = topic_batches(
            labels, texts, 4, np.random.default_rng(seed), order=[0, 1, 2, 3], queries=owner
        )
        assert sorted(i for b in batches for i in b) == list(range(48))
        _assert_no_text_twice(batches, texts)
        sizes = sorted((len(b) for b in batches), reverse=True)
        assert sizes[:11] == [4] * 11, sizes  # 48 rows: 12 full batches at best


def test_topic_batches_hold_one_cluster_when_clusters_fill_a_batch():
    labels, texts, owner = _triplet_rows(16, 4, shared=False)
    batches = topic_batches(labels, texts, 4, np.random.default_rng(0), queries=owner)
    assert len(batches) == 16 and all(len(b) == 4 for b in batches)
    assert all(len({int(labels[i]) for i in b}) == 1 for b in batches)
    _assert_no_text_twice(batches, texts)


def test_cluster_chain_walks_to_the_nearest_centroid():
    centroids = np.array([[1, 0], [0, 1], [0.9, 0.44], [0.44, 0.9]], dtype=np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    chain = cluster_chain(centroids, np.array([0, 1, 2, 3, 3]), np.random.default_rng(0))
    assert sorted(chain) == [0, 1, 2, 3]
    # whichever cluster it starts from, each step goes to the closest one left
    assert chain in ([0, 2, 3, 1], [1, 3, 2, 0], [2, 0, 3, 1], [3, 1, 2, 0])


def test_topic_sampler_clusters_distinct_queries_not_rows(minilm_path: str):
    """k defaults to distinct queries / batch size: 8 queries with 4 rows each and batch size 4
    make 2 clusters (rows / batch size would make 8, clusters of one query each), and the
    sampler built from a real model's embeddings gives 8 full batches."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer

    topics = ["heart disease and blood pressure", "protein folding in yeast cells"]
    anchors, positives, negatives = [], [], []
    for q in range(8):
        for n in range(4):
            anchors.append(f"question {q} about {topics[q % 2]}")
            positives.append(f"answer {q}")
            negatives.append(f"other {q}-{n}")
    dataset = Dataset.from_dict({"anchor": anchors, "positive": positives, "negative": negatives})
    model = SentenceTransformer(minilm_path, device="cpu")

    assert TopicAware().resolved(dataset, batch_size=4) == TopicAware(2)  # what the card says
    assert TopicAware(5).resolved(dataset, batch_size=4) == TopicAware(5)
    build = TopicAware().trainer_arg(model, dataset, batch_size=4, seed=0)
    labels = build.keywords["labels"]
    assert len(set(labels.tolist())) == 2
    assert len({labels[i] for i in range(0, 32, 8)}) == 1  # the heart-disease queries together
    sampler = build(dataset, batch_size=4, drop_last=False)
    batches = list(sampler)
    assert len(sampler) == len(batches) == 8 and all(len(b) == 4 for b in batches)


def test_topic_batches_drop_last_keeps_only_full_batches():
    labels = np.array([0, 0, 0, 1, 1])
    texts = [frozenset([str(i)]) for i in range(5)]
    batches = topic_batches(labels, texts, 2, np.random.default_rng(0), drop_last=True)
    assert all(len(batch) == 2 for batch in batches) and len(batches) == 2


def test_sampler_names_and_values_are_validated():
    assert BATCH_SAMPLERS.names() == ["no-duplicates", "random", "topic"]
    from sentence_transformers.base.sampler import BatchSamplers

    plain = BATCH_SAMPLERS.resolve("random").trainer_arg(None, None, batch_size=2, seed=0)
    assert plain == BatchSamplers.BATCH_SAMPLER  # the trainer's own default, duplicates allowed
    assert BATCH_SAMPLERS.resolve("topic:3") == TopicAware(3)
    with pytest.raises(ConfigError, match="clusters"):
        BATCH_SAMPLERS.resolve("topic:x")
    with pytest.raises(ConfigError) as info:
        train("no-such-run", "no-such-model", batch_sampler="tas")
    assert "no-duplicates" in str(info.value) and "topic" in str(info.value)


def test_topic_sampler_trains_and_is_named_in_the_card(tmp_path: Path, minilm_path: str):
    data = write_tiny_beir(tmp_path / "beir")
    run = trueneg.mine(data, tmp_path / "run", retriever="bm25", filters=[], num_negatives=1)
    result = train(
        run, tmp_path / "model", batch_sampler="topic:2", max_steps=1, batch_size=2, device="cpu"
    )

    assert result.steps == 1
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert '"batch_sampler": "topic"' in card and '"clusters": 2' in card
