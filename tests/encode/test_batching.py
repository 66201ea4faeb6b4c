"""Length bucketing: the batch plan on hand-made token lengths."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trueneg.encode.batching import padded_length, plan_batches, windows
from trueneg.errors import ConfigError


def check_plan(lengths, budget, plan, multiple_of=1, max_batch_size=None):
    """Every position once; lengths never increase; batches within budget and cap."""
    lengths = np.asarray(lengths)
    flat = np.concatenate(plan) if plan else np.array([], dtype=np.int64)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    assert np.all(np.diff(lengths[flat]) <= 0)  # longest first, across and within batches
    for batch in plan:
        padded = padded_length(max(int(lengths[batch].max()), 1), multiple_of)
        assert len(batch) * padded <= budget or len(batch) == 1
        assert max_batch_size is None or len(batch) <= max_batch_size


def test_hand_made_lengths_fill_the_budget_longest_first():
    lengths = [5, 100, 7, 60, 60, 3, 100, 8]
    plan = plan_batches(lengths, token_budget=200)
    # 100+100 fill 200; then 60s (3 × 60 ≤ 200 → 60, 60, 8); then 7, 5, 3.
    assert [b.tolist() for b in plan] == [[1, 6], [3, 4, 7], [2, 0, 5]]
    check_plan(lengths, 200, plan)


def test_a_text_longer_than_the_budget_runs_alone():
    lengths = [10, 500, 10, 10]
    plan = plan_batches(lengths, token_budget=64)
    assert plan[0].tolist() == [1]
    assert [b.tolist() for b in plan[1:]] == [[0, 2, 3]]
    check_plan(lengths, 64, plan)


def test_restoring_the_order_puts_each_result_at_its_text():
    lengths = np.array([3, 9, 1, 9, 4, 2])
    out = np.empty(len(lengths), dtype=np.int64)
    for batch in plan_batches(lengths, token_budget=10):
        out[batch] = lengths[batch] * 10  # stand-in for "the vector of that text"
    assert out.tolist() == (lengths * 10).tolist()


def test_rounding_to_multiples_of_8_and_batch_cap():
    lengths = [9, 9, 9, 3]
    plan = plan_batches(lengths, token_budget=48, multiple_of=8)  # 9 pads to 16: 3 per batch
    assert [len(b) for b in plan] == [3, 1]
    check_plan(lengths, 48, plan, multiple_of=8)
    capped = plan_batches([2] * 10, token_budget=1000, max_batch_size=4)
    assert [len(b) for b in capped] == [4, 4, 2]


def test_empty_input_and_bad_budget():
    assert plan_batches([], token_budget=10) == []
    with pytest.raises(ConfigError, match="token_budget"):
        plan_batches([1, 2], token_budget=0)


def test_windows_cover_every_position_once():
    assert [(w.start, w.stop) for w in windows(10, 4)] == [(0, 4), (4, 8), (8, 10)]
    assert windows(0, 4) == []


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=300), max_size=80),
    budget=st.integers(min_value=1, max_value=2000),
    multiple_of=st.sampled_from([1, 8]),
    max_batch_size=st.one_of(st.none(), st.integers(min_value=1, max_value=20)),
)
def test_plan_properties_hold_for_any_lengths(lengths, budget, multiple_of, max_batch_size):
    plan = plan_batches(lengths, budget, multiple_of=multiple_of, max_batch_size=max_batch_size)
    check_plan(lengths, budget, plan, multiple_of=multiple_of, max_batch_size=max_batch_size)
