import numpy as np
import pytest

from trueneg.errors import ConfigError
from trueneg.select import (
    FILTERS,
    Margin,
    MaxScore,
    MinScore,
    NearDuplicate,
    Percent,
    PositiveRank,
    RankWindow,
)

# One query whose least-similar labeled positive scores s⁺ = 0.80.
#   d1 0.92  above s⁺: almost surely an unlabeled positive (false negative)
#   d2 0.79  within 0.05 of s⁺: suspicious; margin 0.05 and percent 0.95 (0.76) drop it
#   d3 0.76  = 0.95·s⁺ up to rounding: the percent boundary; margin 0.05 (0.75) drops it
#   d4 0.70  a plausible hard negative
#   d5 0.40  an easy negative
UP = np.nextafter


@pytest.fixture
def frame(make_frame):
    return make_frame([[0.92, 0.79, 0.76, 0.70, 0.40]], positive=[0.80])


def keep(f, frame):
    return f.keep(frame).tolist()


def test_rank_window_is_one_based_and_half_open(frame):
    assert keep(RankWindow(2, 4), frame) == [False, True, True, False, False]
    assert FILTERS.resolve("rank-window:10-110") == RankWindow(10, 110)


@pytest.mark.parametrize("value", [None, "abc", "5-5", "7-3", "0-10", "3"])
def test_rank_window_rejects_bad_ranges(value):
    with pytest.raises(ConfigError, match="rank-window"):
        RankWindow.from_value(value)


def test_max_score_keeps_equal_drops_above(make_frame, frame):
    boundary = make_frame([[0.75, UP(0.75, 1), 0.2]], positive=[0.9])
    assert keep(MaxScore(0.75), boundary) == [True, False, True]
    assert FILTERS.resolve("max-score") == MaxScore(0.7)
    assert keep(MaxScore(), frame) == [False, False, False, True, True]  # TopK-Abs 0.7


def test_min_score_keeps_equal_and_needs_a_value(make_frame):
    frame = make_frame([[0.3, UP(0.3, 0), 0.9]])
    assert keep(MinScore(0.3), frame) == [True, False, True]
    with pytest.raises(ConfigError, match="needs a value"):
        FILTERS.resolve("min-score")


def test_margin_boundary_is_inclusive(make_frame):
    # s⁺ = 0.75, m = 0.25: threshold exactly 0.5
    frame = make_frame([[UP(0.5, 1), 0.5, 0.1]], positive=[0.75])
    assert keep(Margin(0.25), frame) == [False, True, True]


def test_margin_default_drops_the_false_negatives(frame):
    # threshold 0.80 − 0.05 = 0.75: d1, d2 and d3 dropped
    assert keep(Margin(), frame) == [False, False, False, True, True]


def test_margin_keeps_rows_without_positive_score_and_counts_them(make_frame):
    frame = make_frame([[0.99, 0.5], [0.99]], positive=[np.nan, 0.5])
    f = Margin(0.05)
    assert keep(f, frame) == [True, True, False]
    assert f.unchecked(frame).tolist() == [True, True, False]


def test_percent_boundary_is_inclusive(make_frame):
    # s⁺ = 0.5, p = 0.75: threshold 0.5 − 0.5·0.25 = 0.375, exact in binary
    frame = make_frame([[UP(0.375, 1), 0.375, 0.0]], positive=[0.5])
    assert keep(Percent(0.75), frame) == [False, True, True]


def test_percent_default_drops_the_false_negatives(frame):
    assert keep(Percent(), frame)[:2] == [False, False]  # d1 above s⁺, d2 above 0.95·s⁺
    assert keep(Percent(), frame)[3:] == [True, True]


def test_percent_equals_p_times_positive_when_positive_is_positive(make_frame):
    rng = np.random.default_rng(0)
    pos = rng.uniform(0.05, 1, 200)
    score = rng.uniform(-1, 1, 200)
    frame = make_frame([[s] for s in score], positive=pos)
    far = np.abs(score - 0.9 * pos) > 1e-9  # away from the rounding boundary
    assert np.array_equal(Percent(0.9).keep(frame)[far], (score <= 0.9 * pos)[far])


def test_percent_is_sign_safe_for_negative_positive_score(make_frame):
    # sentence-transformers #3819: with s⁺ = −0.2 the naive rule keeps s ≤ 0.95·s⁺ = −0.19,
    # which admits −0.205, a candidate scoring *closer* to s⁺ than the 5% gap allows.
    # The sign-safe threshold is −0.2 − 0.2·0.05 = −0.21.
    frame = make_frame([[-0.195, -0.205, -0.215, -0.5]], positive=[-0.2])
    assert keep(Percent(0.95), frame) == [False, False, True, True]


def test_near_duplicate_drops_at_threshold_keeps_unknown(make_frame):
    frame = make_frame(
        [[0.9, 0.8, 0.7, 0.6]],
        positive=[0.95],
        # d1 is a copy of the positive with a different id (cosine 0.99)
        columns={"pos_cosine": [[0.99, 0.95, UP(0.95, 0), np.nan]]},
    )
    assert keep(NearDuplicate(), frame) == [False, False, True, True]


def test_near_duplicate_without_column_explains_what_is_missing(frame):
    with pytest.raises(ConfigError, match="pos_cosine"):
        NearDuplicate().keep(frame)


def test_filters_on_another_column_use_its_positive_baseline(make_frame):
    frame = make_frame(
        [[0.9, 0.8]],
        positive=[0.1],
        columns={"judge": [[0.95, 0.2]], "positive_judge": [[0.9, 0.9]]},
    )
    f = FILTERS.resolve("margin:0.1@judge")
    assert f == Margin(0.1, on="judge")
    assert keep(f, frame) == [False, True]
    assert keep(MaxScore(0.5, on="judge"), frame) == [False, True]


def test_missing_positive_baseline_column_is_a_config_error(make_frame):
    frame = make_frame([[0.9]], positive=[0.5], columns={"judge": [[0.3]]})
    with pytest.raises(ConfigError, match="positive_judge"):
        Percent(on="judge").keep(frame)


def test_unjudged_candidates_pass_judge_relative_rules_and_are_counted(make_frame):
    frame = make_frame(
        [[0.9, 0.8, 0.7]],
        positive=[0.5],
        columns={"judge": [[0.95, 0.1, np.nan]], "positive_judge": [[0.5] * 3]},
    )
    for f in (Percent(0.95, on="judge"), Margin(0.05, on="judge")):
        assert keep(f, frame) == [False, True, True]
        assert f.unchecked(frame).tolist() == [False, False, True]


def test_positive_rank_keeps_whole_queries_whose_positive_ranks_in_the_top_n(make_frame):
    # query 0's positive ranks 3rd, query 1's 40th, query 2's is unknown (0: FAISS)
    frame = make_frame(
        [[0.9, 0.8], [0.7, 0.6], [0.5]],
        positive=[0.85, 0.2, 0.4],
        columns={"positive_rank": [[3, 3], [40, 40], [0]]},
    )
    assert keep(PositiveRank(3), frame) == [True, True, False, False, True]
    assert keep(FILTERS.resolve("positive-rank:40"), frame) == [True] * 5
    assert PositiveRank(3).unchecked(frame).tolist() == [False] * 4 + [True]


@pytest.mark.parametrize("value", [None, "", "ten", "2.5", "0", "-4"])
def test_positive_rank_rejects_values_that_are_not_ranks(value):
    with pytest.raises(ConfigError, match="positive-rank"):
        PositiveRank.from_value(value)


def test_positive_rank_without_the_column_says_what_is_missing(frame):
    with pytest.raises(ConfigError, match="positive_rank"):
        PositiveRank(10).keep(frame)


def test_nan_scores_fail_score_rules(make_frame):
    frame = make_frame([[np.nan]], positive=[0.5])
    for f in (MaxScore(), MinScore(0.0), Margin(), Percent()):
        assert keep(f, frame) == [False]


@pytest.mark.parametrize(
    "f",
    [
        RankWindow(3, 50),
        MaxScore(0.6),
        MinScore(-0.25),
        Margin(0.1),
        Percent(0.9),
        NearDuplicate(0.9),
        Margin(0.1, on="judge"),
        NearDuplicate(0.8, column="cos"),
        PositiveRank(100),
    ],
)
def test_spec_rebuilds_the_filter(f):
    assert FILTERS.resolve(f.spec()) == f


def test_every_filter_has_a_one_line_description():
    for _, cls in FILTERS.items():
        assert cls.__doc__ and cls.__doc__.strip().splitlines()[0]


def test_unknown_filter_lists_valid_names():
    with pytest.raises(ConfigError, match="percent"):
        FILTERS.resolve("percentile:0.9")


def test_bad_numbers_are_config_errors():
    with pytest.raises(ConfigError, match="number"):
        FILTERS.resolve("margin:lots")
    with pytest.raises(ConfigError):
        FILTERS.resolve("percent:0")
