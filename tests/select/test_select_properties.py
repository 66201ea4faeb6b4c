"""Property tests of the selection invariants on random small frames."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trueneg.select import (
    Margin,
    MaxScore,
    MinScore,
    NearDuplicate,
    Percent,
    Random,
    RankWindow,
    SimANS,
    Softmax,
    Top,
    select,
)

FILTER_POOL = [
    RankWindow(1, 4),
    RankWindow(2, 9),
    MaxScore(0.7),
    MinScore(-0.5),
    Margin(0.05),
    Margin(0.0),
    Percent(0.95),
    Percent(0.5),
    NearDuplicate(0.9),
]
SAMPLER_POOL = [Top(), Random(), SimANS(), SimANS(5, -0.1), Softmax()]
POLICIES = ["keep-short", "drop", "backfill"]
unit = st.floats(-1, 1, allow_nan=False)


@st.composite
def frames(draw):
    """Arguments of ``make_frame``: up to 5 queries of up to 12 candidates, some s⁺ unknown."""
    n_queries = draw(st.integers(0, 5))
    scores = [draw(st.lists(unit, max_size=12)) for _ in range(n_queries)]
    positive = [draw(st.one_of(st.just(np.nan), unit)) for _ in range(n_queries)]
    cosine = [[draw(st.floats(0, 1)) for _ in s] for s in scores]
    return {"scores": scores, "positive": positive, "columns": {"pos_cosine": cosine}}


one_filter = st.sampled_from(FILTER_POOL)
filter_lists = st.lists(one_filter, max_size=4)
samplers = st.sampled_from(SAMPLER_POOL)
policies = st.sampled_from(POLICIES)
ks = st.integers(1, 6)
seeds = st.integers(0, 2**32)


def passes(frame, filters):
    mask = np.ones(frame.num_rows, dtype=bool)
    for f in filters:
        mask &= f.keep(frame)
    return mask


@settings(max_examples=150, deadline=None)
@given(
    raw=frames(),
    filters=filter_lists,
    sampler=samplers,
    k=ks,
    policy=policies,
    seed=st.integers(0, 2**70),
)
def test_kept_rows_are_survivors_or_backfill(make_frame, raw, filters, sampler, k, policy, seed):
    frame = make_frame(**raw)
    r = select(frame, filters, sampler, k, shortfall=policy, seed=seed)
    survivors = passes(frame, filters)
    others = passes(frame, [f for f in filters if not isinstance(f, RankWindow)])
    backfill = r.reason == "backfill"
    assert not (r.kept & ~survivors & ~backfill).any()
    assert not (backfill & ~others).any()
    assert np.array_equal(r.kept, (r.reason == "") | backfill)
    if policy != "backfill":
        assert not backfill.any()
    assert (r.per_query_kept <= k).all()
    assert sum(r.counts.values()) == frame.num_rows


@settings(max_examples=100, deadline=None)
@given(raw=frames(), filters=filter_lists, sampler=samplers, k=ks, policy=policies, seed=seeds)
def test_same_seed_same_selection(make_frame, raw, filters, sampler, k, policy, seed):
    frame = make_frame(**raw)
    a = select(frame, filters, sampler, k, shortfall=policy, seed=seed)
    b = select(frame, filters, sampler, k, shortfall=policy, seed=seed)
    assert np.array_equal(a.kept, b.kept)
    assert np.array_equal(a.reason, b.reason)


@settings(max_examples=150, deadline=None)
@given(raw=frames(), filters=filter_lists, extra=one_filter, sampler=samplers, k=ks)
def test_adding_a_filter_never_adds_a_survivor(make_frame, raw, filters, extra, sampler, k):
    frame = make_frame(**raw)
    before = select(frame, filters, sampler, k)
    after = select(frame, [*filters, extra], sampler, k)
    survived_before = np.isin(before.reason, ["", "not-sampled"])
    survived_after = np.isin(after.reason, ["", "not-sampled"])
    assert not (survived_after & ~survived_before).any()


@settings(max_examples=150, deadline=None)
@given(raw=frames(), filters=filter_lists, extra=one_filter)
def test_with_top_and_room_for_all_adding_a_filter_never_adds_a_kept_row(
    make_frame, raw, filters, extra
):
    frame = make_frame(**raw)
    k = 13  # more than any query's candidates
    before = select(frame, filters, Top(), k)
    after = select(frame, [*filters, extra], Top(), k)
    assert not (after.kept & ~before.kept).any()


@settings(max_examples=150, deadline=None)
@given(raw=frames(), filters=filter_lists, sampler=samplers, k=ks, seed=seeds)
def test_exactly_min_k_eligible_per_query(make_frame, raw, filters, sampler, k, seed):
    frame = make_frame(**raw)
    r = select(frame, filters, sampler, k, seed=seed)
    qidx = frame.query_index()
    eligible = np.bincount(qidx[passes(frame, filters)], minlength=frame.num_queries)
    assert r.per_query_kept.tolist() == np.minimum(eligible, k).tolist()
    assert r.short_queries.tolist() == (eligible < k).tolist()


@settings(max_examples=80, deadline=None)
@given(raw=frames(), filters=filter_lists, sampler=samplers, k=ks, seed=seeds, rnd=st.randoms())
def test_picks_do_not_depend_on_query_order(
    make_frame, rows_of, raw, filters, sampler, k, seed, rnd
):
    frame = make_frame(**raw)
    order = list(range(frame.num_queries))
    rnd.shuffle(order)
    shuffled = _reorder(frame, order)
    a = select(frame, filters, sampler, k, seed=seed)
    b = select(shuffled, filters, sampler, k, seed=seed)
    assert rows_of(frame, a.kept) == rows_of(shuffled, b.kept)


def _reorder(frame, order):
    from trueneg.select import CandidateFrame

    blocks = [np.arange(frame.offsets[q], frame.offsets[q + 1]) for q in order]
    rows = np.concatenate(blocks) if blocks else np.array([], dtype=np.int64)
    counts = [len(b) for b in blocks]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    columns = {name: col[rows] for name, col in frame.columns.items()}
    return CandidateFrame(
        offsets,
        frame.rank[rows],
        frame.score[rows],
        frame.positive_min[rows],
        frame.row_key[rows],
        columns,
    )
