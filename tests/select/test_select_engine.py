import numpy as np
import pytest

from trueneg.errors import ConfigError
from trueneg.select import Margin, MaxScore, RankWindow, Top, select

# Query A, s⁺ = 0.80:
#   rank 1  0.93  above s⁺: an unlabeled positive (false negative)
#   rank 2  0.78  within the 0.05 margin of s⁺: a likely false negative
#   rank 3  0.72
#   rank 4  0.70
#   rank 5  0.66
#   rank 6  0.90  out of score order on purpose (a reranked list): another false negative
#   rank 7  0.60
# Query B, s⁺ = 0.50: one candidate at 0.40.


@pytest.fixture
def frame(make_frame):
    return make_frame([[0.93, 0.78, 0.72, 0.70, 0.66, 0.90, 0.60], [0.40]], positive=[0.80, 0.50])


def test_reason_is_the_first_failing_filter_in_user_order(frame):
    a = select(frame, ["margin:0.05", "max-score:0.8"], "top", 2)
    b = select(frame, ["max-score:0.8", "margin:0.05"], "top", 2)
    assert a.reason[0] == "margin" and b.reason[0] == "max-score"  # 0.93 fails both
    assert a.reason[1] == b.reason[1] == "margin"  # 0.78 passes max-score 0.8


def test_kept_not_sampled_and_counts(frame):
    r = select(frame, ["margin"], "top", 2)
    assert r.kept.tolist() == [False, False, True, True, False, False, False, True]
    assert r.reason.tolist() == [
        "margin",
        "margin",
        "",
        "",
        "not-sampled",
        "margin",
        "not-sampled",
        "",
    ]
    assert r.counts == {"kept": 3, "margin": 3, "not-sampled": 2}
    assert sum(r.counts.values()) == frame.num_rows
    assert r.per_query_kept.tolist() == [2, 1]
    assert r.short_queries.tolist() == [False, True]
    assert not r.dropped_queries.any()


def test_drop_policy_drops_short_queries_with_a_reason(frame):
    r = select(frame, ["margin"], "top", 2, shortfall="drop")
    assert r.reason[7] == "query-dropped" and not r.kept[7]
    assert r.dropped_queries.tolist() == [False, True]
    assert r.per_query_kept.tolist() == [2, 0]
    assert r.counts["query-dropped"] == 1


def test_backfill_takes_rows_past_the_window_that_pass_the_other_filters(frame):
    # window 2-5 holds ranks 2, 3, 4; margin drops rank 2; max-score 0.75 drops rank 6.
    # Survivors: ranks 3, 4. Backfill to 4: rank 5, skip rank 6, rank 7. Never rank 1.
    filters = [RankWindow(2, 5), Margin(0.05), MaxScore(0.75)]
    r = select(frame, filters, "top", 4, shortfall="backfill")
    assert r.kept[:7].tolist() == [False, False, True, True, True, False, True]
    assert r.reason[:7].tolist() == [
        "rank-window",
        "margin",
        "",
        "",
        "backfill",
        "rank-window",
        "backfill",
    ]
    # query B's only candidate is rank 1: above the window, so never backfilled
    assert r.per_query_kept.tolist() == [4, 0]
    assert r.short_queries.tolist() == [False, True]


def test_backfill_only_fills_what_is_missing_in_rank_order(frame):
    r = select(frame, [RankWindow(3, 5)], "top", 3, shortfall="backfill")
    assert np.flatnonzero(r.kept[:7]).tolist() == [2, 3, 4]  # ranks 3, 4 + backfill rank 5
    assert r.reason[4] == "backfill" and r.reason[5] == "rank-window"


def test_backfill_without_a_window_never_adds_a_filtered_row(frame):
    r = select(frame, ["margin"], "random", 5, shortfall="backfill", seed=3)
    assert not (r.kept & (r.reason == "margin")).any()
    assert r.per_query_kept.tolist() == [4, 1]


def test_more_negatives_than_candidates_keeps_what_there_is(frame):
    r = select(frame, [], "random", 100)
    assert r.kept.all() and r.per_query_kept.tolist() == [7, 1]


def test_empty_queries_and_empty_frames(make_frame):
    frame = make_frame([[], [0.5], []], positive=[0.9, 0.9, 0.9])
    r = select(frame, ["margin"], "simans", 2, shortfall="drop")
    assert r.per_query_kept.tolist() == [0, 0, 0]
    assert r.dropped_queries.tolist() == [True, True, True]
    empty = select(make_frame([]), ["margin"], "top", 1)
    assert empty.kept.shape == (0,) and empty.counts == {}


def test_strategies_can_be_names_classes_or_instances(frame):
    by_name = select(frame, ["margin:0.05"], "top", 2)
    by_obj = select(frame, [Margin(0.05)], Top(), 2)
    by_cls = select(frame, Margin, Top, 2)
    for r in (by_obj, by_cls):
        assert np.array_equal(r.kept, by_name.kept)


def test_unchecked_rows_are_reported(make_frame):
    frame = make_frame([[0.9, 0.1]], positive=[np.nan])
    r = select(frame, ["percent", "max-score:0.95"], "top", 1)
    assert r.unchecked == {"percent:0.95": 2}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_negatives": 0}, "at least 1"),
        ({"num_negatives": 2.5}, "integer"),
        ({"shortfall": "pad"}, "keep-short"),
        ({"sampler": "best"}, "simans"),
        ({"filters": ["window:1-10"]}, "rank-window"),
    ],
)
def test_invalid_options_list_the_valid_ones(kwargs, match, frame):
    args = {"filters": [], "sampler": "top", "num_negatives": 1} | kwargs
    with pytest.raises(ConfigError, match=match):
        select(frame, args.pop("filters"), args.pop("sampler"), args.pop("num_negatives"), **args)
