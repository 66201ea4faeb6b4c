"""ranx metrics on hand-made runs: nDCG@10 computed by hand, graded relevance, MRR, recall."""

from __future__ import annotations

import math

import pytest

from trueneg.errors import ConfigError
from trueneg.evaluate.core import check_metrics, score_run

METRICS = ["ndcg@10", "recall@100", "mrr@10"]

# q1: graded; d1 highly relevant (2), d2 relevant (1), d3 not judged. Ranking d3, d1, d2.
# q2: binary; the only relevant doc d9 is at rank 3. d8 is judged 0 and does not count.
QRELS = {"q1": {"d1": 2, "d2": 1}, "q2": {"d9": 1}}
RUN = {
    "q1": {"d3": 0.9, "d1": 0.8, "d2": 0.7},
    "q2": {"d7": 0.9, "d8": 0.8, "d9": 0.7, "d1": 0.1},
}


def dcg(gains: list[int]) -> float:
    """trec_eval's linear gain: sum rel_i / log2(i + 1), ranks from 1."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))


def test_ndcg_at_10_matches_a_hand_computation():
    q1 = dcg([0, 2, 1]) / dcg([2, 1])  # = (2/log2 3 + 1/2) / (2 + 1/log2 3)
    q2 = dcg([0, 0, 1]) / dcg([1])  # = 1/2
    means, per_query = score_run(QRELS, RUN, METRICS)
    assert per_query["ndcg@10"]["q1"] == pytest.approx(q1)
    assert per_query["ndcg@10"]["q2"] == pytest.approx(0.5)
    assert means["ndcg@10"] == pytest.approx((q1 + q2) / 2)


def test_graded_relevance_changes_ndcg_but_not_recall_or_mrr():
    binary = {"q1": {"d1": 1, "d2": 1}}
    graded = {"q1": {"d1": 1, "d2": 3}}
    run = {"q1": {"d1": 0.9, "d2": 0.8}}
    _, flat = score_run(binary, run, METRICS)
    _, weighted = score_run(graded, run, METRICS)
    assert flat["ndcg@10"]["q1"] == pytest.approx(1.0)
    # d2 (gain 3) ranked below d1 (gain 1): DCG 1 + 3/log2 3, ideal 3 + 1/log2 3
    expected = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert weighted["ndcg@10"]["q1"] == pytest.approx(expected)
    assert weighted["recall@100"] == flat["recall@100"] == {"q1": 1.0}
    assert weighted["mrr@10"] == flat["mrr@10"] == {"q1": 1.0}


def test_mrr_and_recall_cutoffs():
    _, per_query = score_run(QRELS, RUN, ["mrr@10", "mrr@2", "recall@100", "recall@2"])
    assert per_query["mrr@10"] == {"q1": 0.5, "q2": pytest.approx(1 / 3)}
    assert per_query["mrr@2"] == {"q1": 0.5, "q2": 0.0}  # d9 is at rank 3
    assert per_query["recall@100"] == {"q1": 1.0, "q2": 1.0}
    assert per_query["recall@2"] == {"q1": 0.5, "q2": 0.0}


def test_query_missing_from_the_run_scores_zero_and_extra_run_queries_are_ignored():
    run = {"q1": RUN["q1"], "q99": {"d1": 1.0}}
    means, per_query = score_run(QRELS, run, ["recall@100"])
    assert per_query["recall@100"] == {"q1": 1.0, "q2": 0.0}
    assert means["recall@100"] == 0.5


@pytest.mark.parametrize(
    ("metrics", "depth", "message"),
    [
        (["ndcg@10", "nope@3"], 100, "Unknown metric"),
        (["ndcg@x"], 100, "Unknown metric"),
        (["recall@100"], 50, "recall@100 needs at least 100"),
        ([], 100, "No metric"),
        (["ndcg@10"], 0, "depth must be positive"),
    ],
)
def test_bad_metrics_are_config_errors(metrics, depth, message):
    with pytest.raises(ConfigError, match=message):
        check_metrics(metrics, depth)


def test_metric_names_pass_through():
    assert check_metrics("map", 10) == ["map"]
    assert check_metrics(("ndcg@10", "precision@5"), 10) == ["ndcg@10", "precision@5"]
