"""Length-sorted batching across queries must give back scores in input order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trueneg.errors import ModelError
from trueneg.rescore.batching import batch_slices, length_order, score_in_batches, sigmoid

texts = st.text(max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    pairs=st.lists(st.tuples(texts, texts), max_size=40),
    batch_size=st.integers(min_value=1, max_value=9),
)
def test_scores_come_back_in_input_order(pairs, batch_size, fake_judge_cls, fake_scorer):
    queries = [q for q, _ in pairs]
    docs = [d for _, d in pairs]
    judge = fake_judge_cls()
    scores = score_in_batches(judge.score, queries, docs, batch_size)
    expected = np.array([fake_scorer(q, d) for q, d in pairs], dtype=np.float32)
    np.testing.assert_array_equal(scores, expected)
    assert scores.dtype == np.float32
    assert judge.calls == -(-len(pairs) // batch_size)  # ceil: one call per batch


def test_batches_mix_queries_and_group_similar_lengths(fake_judge_cls):
    # two queries, each with one short and one long doc: batches pair long with long
    queries = ["q1", "q1", "q2", "q2"]
    docs = ["short", "x" * 500, "tiny", "y" * 400]
    judge = fake_judge_cls()
    score_in_batches(judge.score, queries, docs, batch_size=2)
    first, second = judge.scored[:2], judge.scored[2:]
    assert {d for _, d in first} == {"x" * 500, "y" * 400}
    assert {q for q, _ in first} == {"q1", "q2"}
    assert {d for _, d in second} == {"short", "tiny"}


def test_length_order_is_longest_first_and_stable():
    order = length_order(["a", "bb", "a", "ccc"], ["", "", "", ""])
    assert order.tolist() == [3, 1, 0, 2]


def test_batch_slices_cover_everything_once():
    parts = list(batch_slices(10, 4))
    assert [(p.start, p.stop) for p in parts] == [(0, 4), (4, 8), (8, 10)]
    assert list(batch_slices(0, 4)) == []
    with pytest.raises(ValueError):
        list(batch_slices(3, 0))


def test_a_judge_returning_the_wrong_shape_is_a_model_error():
    with pytest.raises(ModelError, match="wrong number of scores"):
        score_in_batches(lambda q, d: np.zeros(1), ["a", "b"], ["c", "d"], batch_size=2)


def test_sigmoid_is_stable_at_extremes():
    out = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
