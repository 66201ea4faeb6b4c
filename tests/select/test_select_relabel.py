"""Relabel (RLHN), negative weights (CET-style), the mix sampler (STAR), and auto's relabel
advice, on tiny hand-made frames."""

import numpy as np
import pytest

from trueneg.errors import ConfigError
from trueneg.select import FILTERS, SAMPLERS, Mix, Relabel, negative_weights, select
from trueneg.select.auto import MIN_QUERIES
from trueneg.select.auto_relabel import (
    MIN_POSITIVES,
    MIN_PRECISION,
    Relabelable,
    relabel_advice,
    relabelable,
)

# One query whose labeled positive the judge scores 0.8 (its retriever score is 0.9).
#   d1 judge 0.95  rated above the positive: an unlabeled relevant document → relabel
#   d2 judge 0.80  rated exactly like the positive → relabel (the bar is inclusive)
#   d3 judge 0.60  75% of the positive: relabeled at R 0.7, not at 0.9 or 1.0; weight 1 − 0.6/0.8
#   d4 judge 0.05  a true hard negative
#   d5 judge NaN   deeper than --judge-depth: never relabeled, weight 1
JUDGE = [[0.95, 0.80, 0.60, 0.05, np.nan]]


@pytest.fixture
def frame(make_frame):
    return make_frame(
        [[0.9, 0.85, 0.8, 0.7, 0.6]],
        positive=[0.9],
        columns={"judge": JUDGE, "positive_judge": [[0.8] * 5]},
    )


def test_relabel_marks_candidates_the_judge_rates_like_the_positive(frame):
    assert Relabel(1.0).relevant(frame).tolist() == [True, True, False, False, False]
    assert Relabel(0.7).relevant(frame).tolist() == [True, True, True, False, False]
    assert FILTERS.resolve("relabel") == Relabel(0.9, 0.5)
    assert FILTERS.resolve("relabel:0.5,0.2").spec() == "relabel:0.5,0.2"


def test_relabel_floor_stops_an_out_of_domain_judge(make_frame):
    # the judge rates the labeled positive 0.001: beating it is no evidence of relevance
    frame = make_frame(
        [[0.9, 0.8]],
        positive=[0.9],
        columns={"judge": [[0.3, 0.7]], "positive_judge": [[1e-3] * 2]},
    )
    assert Relabel().relevant(frame).tolist() == [False, True]


def test_relabel_without_a_judged_positive_uses_the_floor_only(make_frame):
    frame = make_frame(
        [[0.9, 0.8]],
        positive=[0.9],
        columns={"judge": [[0.4, 0.6]], "positive_judge": [[np.nan] * 2]},
    )
    assert Relabel().relevant(frame).tolist() == [False, True]


@pytest.mark.parametrize("value", ["0", "1.5", "nan", "x"])
def test_relabel_refuses_bad_ratios(value):
    with pytest.raises(ConfigError):
        FILTERS.resolve(f"relabel:{value}")


def test_engine_gives_relabel_its_reason_before_any_other_filter(frame):
    # the rank window alone would drop d1 and d2 as "rank-window"; relabel runs first
    result = select(frame, ["rank-window:3-10", "relabel:1.0"], "top", 2)
    assert result.reason.tolist() == ["relabel", "relabel", "", "", "not-sampled"]
    assert result.counts == {"kept": 2, "not-sampled": 1, "relabel": 2}


def test_relabel_query_limit_drops_a_query_whose_top_is_mostly_relevant(frame, make_frame):
    result = select(frame, ["relabel:1.0"], "top", 2, relabel_query_limit=2)
    assert result.dropped_queries.tolist() == [True]
    assert not result.kept.any()
    assert result.reason.tolist()[:2] == ["relabel", "relabel"]
    assert set(result.reason.tolist()[2:4]) == {"query-dropped"}
    kept = select(frame, ["relabel:1.0"], "top", 2, relabel_query_limit=3)
    assert kept.dropped_queries.tolist() == [False] and kept.kept.sum() == 2


def test_negative_weights_judge_and_relative(frame):
    judge = negative_weights(frame, "judge")
    np.testing.assert_allclose(judge, [0.05, 0.2, 0.4, 0.95, 1.0], rtol=1e-6)
    relative = negative_weights(frame, "relative")
    np.testing.assert_allclose(relative, [0.0, 0.0, 0.25, 0.9375, 1.0], rtol=1e-6)
    assert relative.dtype == np.float32


def test_relative_weights_fall_back_to_the_probability_without_a_judged_positive(make_frame):
    frame = make_frame(
        [[0.9]], positive=[0.9], columns={"judge": [[0.3]], "positive_judge": [[np.nan]]}
    )
    np.testing.assert_allclose(negative_weights(frame, "relative"), [0.7], rtol=1e-6)


def test_unknown_weight_rule_is_refused(frame):
    with pytest.raises(ConfigError, match="relative"):
        negative_weights(frame, "softmax")


def test_mix_takes_the_hardest_then_random_ones(make_frame):
    frame = make_frame([[0.9 - 0.01 * i for i in range(20)]] * 3)
    eligible = np.ones(frame.num_rows, dtype=bool)
    picked = Mix(0.5).sample(frame, eligible, 4, seed=0)
    for q in range(3):
        ranks = sorted(frame.rank[picked & (frame.query_index() == q)].tolist())
        assert ranks[:2] == [1, 2] and len(ranks) == 4 and min(ranks[2:]) > 2
    again = Mix(0.5).sample(frame, eligible, 4, seed=0)
    other = Mix(0.5).sample(frame, eligible, 4, seed=1)
    assert (again == picked).all() and not (other == picked).all()
    assert SAMPLERS.resolve("mix") == Mix(0.5)


def test_mix_extremes_are_top_and_random(make_frame):
    frame = make_frame([[0.9 - 0.01 * i for i in range(10)]])
    eligible = np.ones(frame.num_rows, dtype=bool)
    assert frame.rank[Mix(1.0).sample(frame, eligible, 3, 0)].tolist() == [1, 2, 3]
    assert Mix(0.0).hard_count(4) == 0 and Mix(0.5).hard_count(3) == 2
    with pytest.raises(ConfigError):
        SAMPLERS.resolve("mix:1.5")


def test_mix_respects_eligibility(make_frame):
    frame = make_frame([[0.9 - 0.01 * i for i in range(6)]])
    eligible = np.array([False, True, False, True, True, False])
    picked = Mix(0.5).sample(frame, eligible, 2, 0)
    assert picked.sum() == 2 and not (picked & ~eligible).any()
    assert picked[1]  # the hardest eligible one


def test_auto_relabels_only_with_a_judge_that_knows_the_labeled_positives():
    rng = np.random.default_rng(0)
    room = Relabelable(relabeled=40, expected_relevant=30.0, queries_ranked=200)
    trusted = relabel_advice(rng.uniform(0.7, 1.0, 200), room)
    assert trusted.spec == "relabel:0.9,0.5" and "200/200" in trusted.reason
    assert trusted.evidence["precision_bound"] == 0.75 and "at most 75%" in trusted.reason
    # an out-of-domain judge: labeled positives near 0 (as ms-marco on NFCorpus)
    doubtful = relabel_advice(rng.uniform(0.0, 0.01, 200), room)
    assert doubtful.spec is None and "not trusted" in doubtful.reason
    assert doubtful.evidence["precision_bound"] == 0.75  # recorded whichever test decides
    thin = relabel_advice(np.full(MIN_POSITIVES - 1, 0.9), room)
    assert thin.spec is None and f"only {MIN_POSITIVES - 1}" in thin.reason
    assert relabel_advice(np.array([np.nan] * 40), room).evidence["judged_positives"] == 0


def test_auto_does_not_relabel_more_than_the_unlabeled_relevant_documents_can_fill():
    """Nearly complete labels (SciFact): the judge knows the positives, but would relabel 1,080
    candidates where the estimate leaves room for about 260 relevant ones."""
    known = np.full(200, 0.9)
    crowded = relabel_advice(known, Relabelable(1080, 260.2, 809))
    assert crowded.spec is None and "at most 24%" in crowded.reason
    assert "1,080" in crowded.reason and "only filters" in crowded.reason
    assert crowded.evidence["precision_bound"] == pytest.approx(0.2409, abs=1e-4)
    edge = relabel_advice(known, Relabelable(100, 100 * MIN_PRECISION, 809))
    assert edge.spec == "relabel:0.9,0.5"  # exactly at the bar relabels
    nothing = relabel_advice(known, Relabelable(0, 12.0, 809))
    assert nothing.spec is None and "calls no candidate relevant" in nothing.reason
    few = relabel_advice(known, Relabelable(10, 50.0, MIN_QUERIES - 1))
    assert few.spec is None and f"rests on {MIN_QUERIES - 1} queries" in few.reason


def test_relabelable_counts_what_the_rule_relabels_and_sums_the_estimate_over_judged_ranks():
    # two queries: 3 and 2 candidates; the second query's positive was not judged (NaN)
    offsets = np.array([0, 3, 5])
    rank = np.array([1, 2, 3, 1, 2])
    judge = np.array([0.95, 0.6, np.nan, 0.55, 0.4])
    positive = np.array([0.9, np.nan])
    f = np.array([0.5, 0.2, 0.1])
    would = relabelable(Relabel(), judge, positive, offsets, rank, f, queries_ranked=2)
    # query 1's bar is max(0.9 - 0.09, 0.5) = 0.81: only 0.95; query 2's is the floor: 0.55
    assert would.relabeled == 2
    assert would.expected_relevant == pytest.approx(0.5 + 0.2 + 0.5 + 0.2)  # judged ranks only
    deep = relabelable(Relabel(), judge, positive, offsets, np.array([1, 9, 3, 1, 2]), f, 2)
    assert deep.expected_relevant == pytest.approx(0.5 + 0.1 + 0.5 + 0.2)  # past depth: last


def test_the_relabel_setting_reads_on_off_and_rules():
    from trueneg.settings.mine import check_relabel, relabel_value

    assert relabel_value("on") == "0.9,0.5"
    assert relabel_value("relabel:1.0,0.2") == relabel_value("1.0,0.2") == "1.0,0.2"
    for value in (None, "off", "on", "0.8,0.4"):
        check_relabel(value)
    with pytest.raises(ConfigError, match="0 < R <= 1"):
        check_relabel("1.2")
