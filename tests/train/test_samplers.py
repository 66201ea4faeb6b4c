"""Batch samplers: k-means and topic batches as plain functions, then one real training step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trueneg
from fixtures import write_tiny_beir
from trueneg.errors import ConfigError
from trueneg.train import SAMPLERS, train
from trueneg.train.samplers import TopicAware, kmeans, topic_batches


def test_kmeans_separates_two_obvious_topics():
    x = np.array([[1, 0], [0.99, 0.1], [0.98, -0.1], [0, 1], [0.1, 0.99]], dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = kmeans(x, 2, seed=0)
    assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1 and labels[0] != labels[3]


def test_topic_batches_keep_one_cluster_per_batch_and_no_repeated_text():
    labels = np.array([0, 0, 0, 0, 1, 1, 1])
    # rows 0 and 1 share the anchor "a": they must land in different batches
    texts = [
        frozenset(t)
        for t in (
            ["a", "p0"],
            ["a", "p1"],
            ["b", "p2"],
            ["c", "p3"],
            ["d", "p4"],
            ["e", "p5"],
            ["f", "p6"],
        )
    ]
    batches = topic_batches(labels, texts, 3, np.random.default_rng(0))

    assert sorted(i for batch in batches for i in batch) == list(range(7))
    for batch in batches:
        assert len(batch) <= 3 and len({int(labels[i]) for i in batch}) == 1
        seen = [t for i in batch for t in texts[i]]
        assert len(seen) == len(set(seen))


def test_topic_batches_drop_last_keeps_only_full_batches():
    labels = np.array([0, 0, 0, 1])
    texts = [frozenset([str(i)]) for i in range(4)]
    batches = topic_batches(labels, texts, 2, np.random.default_rng(0), drop_last=True)
    assert all(len(batch) == 2 for batch in batches) and len(batches) == 1


def test_sampler_names_and_values_are_validated():
    assert SAMPLERS.names() == ["no-duplicates", "random", "topic"]
    from sentence_transformers.base.sampler import BatchSamplers

    plain = SAMPLERS.resolve("random").trainer_arg(None, None, batch_size=2, seed=0)
    assert plain == BatchSamplers.BATCH_SAMPLER  # the trainer's own default, duplicates allowed
    assert SAMPLERS.resolve("topic:3") == TopicAware(3)
    with pytest.raises(ConfigError, match="clusters"):
        SAMPLERS.resolve("topic:x")
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
