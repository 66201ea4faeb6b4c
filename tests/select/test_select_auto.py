"""auto selection: positive ranks, the contamination estimate, and the choice it leads to."""

import numpy as np
import pytest

from trueneg.select.auto import (
    JUDGE_FILTER,
    NEAR_DUPLICATE,
    choose,
    contamination,
    estimate,
    judge_bound,
    positive_ranks,
    rank_profile,
    ratio_bound,
    training_queries,
    trains_on_training_queries,
    with_judge_bound,
)
from trueneg.summary import training_queries_line


def test_positive_rank_counts_candidates_strictly_above():
    offsets = np.array([0, 3, 5])
    scores = np.array([0.9, 0.5, 0.1, 0.8, 0.7], dtype=np.float32)
    ranks = positive_ranks(offsets, scores, np.array([0, 0, 1]), np.array([0.6, 0.95, 0.1]))
    assert ranks.tolist() == [2, 1, 3]  # the last one is below both of query 1's candidates


def test_rank_profile_weighs_each_query_once_and_ignores_deep_positives():
    # query 0: two positives at ranks 1 and 3; query 1: one at rank 2; query 2: one deeper
    g = rank_profile(np.array([0, 0, 1, 2]), np.array([1, 3, 2, 50]), num_queries=3, depth=4)
    assert g.tolist() == pytest.approx([0.5 / 3, 1 / 3, 0.5 / 3, 0.0])


def test_ratio_bound_is_the_tightest_top_n_bound():
    ratio, at = ratio_bound(np.array([0.5, 0.25, 0.05, 0.05]))
    assert ratio == pytest.approx(2.0) and at == 1
    assert ratio_bound(np.array([0.1, 0.4, 0.4]))[0] == pytest.approx(3 / 0.9)
    assert ratio_bound(np.zeros(3)) == (float("inf"), 0)


def test_clean_labels_give_no_contamination_and_naive_top_k():
    g = np.zeros(50)
    g[0] = 1.0  # every labeled positive is the top hit: at most one relevant doc per query
    ratio, _ = ratio_bound(g)
    f = contamination(g, ratio)
    assert ratio == 1.0 and not f.any()
    choice = choose(f, 4)
    assert choice.filters == [NEAR_DUPLICATE] and choice.sampler == "top"
    assert choice.window == (1, 50)


def test_contaminated_head_moves_the_window_and_spreads_the_draw():
    f = np.concatenate([np.full(13, 0.3), np.full(10, 0.08), np.full(277, 0.02)])
    choice = choose(f, 4, width=100)
    assert choice.window == (14, 113) and choice.sampler == "random"
    assert choice.filters == ["rank-window:14-114", NEAR_DUPLICATE]  # upper bound exclusive
    assert "ranks above 14" in choice.reason


def test_clean_ranks_after_the_head_use_top_within_the_window():
    f = np.concatenate([np.full(2, 0.4), np.full(98, 0.01)])
    choice = choose(f, 4, width=50)
    assert choice.filters == ["rank-window:3-53", NEAR_DUPLICATE] and choice.sampler == "top"


def test_cost_sets_the_admission_bound():
    f = np.concatenate([np.full(5, 0.07), np.full(95, 0.0)])
    assert choose(f, 4, cost=9).window[0] == 1  # 7% < 10%: admitted
    assert choose(f, 4, cost=19).window[0] == 6  # 7% ≥ 5%: refused


def test_the_reason_names_the_bound_the_cost_sets():
    head = np.full(5, 0.3)
    near = choose(np.concatenate([head, np.full(95, 0.2)]), 4, cost=3)
    assert near.sampler == "random" and "(f ≥ 25%)" in near.reason
    clean = np.concatenate([head, np.full(95, 0.002)])
    assert "≤ 12.5%" in choose(clean, 4, cost=3).reason  # top when the head is under half
    assert "≤ 0.5%" in choose(clean, 4, cost=99).reason  # not rounded to 0%


def test_everything_contaminated_samples_the_deepest_ranks_and_says_so():
    choice = choose(np.full(120, 0.5), 4, width=100)
    assert choice.window == (21, 120) and choice.sampler == "random"
    assert "search deeper" in choice.reason


def test_judge_adds_the_positive_aware_judge_filter():
    choice = choose(np.zeros(30), 4, judge=True)
    assert choice.filters == [NEAR_DUPLICATE, JUDGE_FILTER]


def test_estimate_recovers_a_simulated_false_negative_head():
    """Each query has 5 relevant docs at the top 5 ranks and one of them, at random, labeled:
    the unlabeled four fill candidate ranks 1-4, which ``auto`` must leave out."""
    rng = np.random.default_rng(0)
    queries, depth = 400, 60
    offsets = np.arange(0, (queries + 1) * depth, depth)
    cand_score = np.tile(np.linspace(0.9, 0.1, depth, dtype=np.float32), queries)
    labeled_rank = rng.integers(1, 6, size=queries)  # 1..5 among all docs
    pos_score = np.linspace(0.9, 0.1, depth, dtype=np.float32)[labeled_rank - 1] + 0.001
    f, evidence = estimate(offsets, cand_score, np.arange(queries), pos_score, labeled_rank, depth)
    assert evidence["relevant_per_labeled_bound"] == pytest.approx(5, rel=0.25)
    assert f[:4].mean() > 0.5 and f[12:].max() < 0.1
    choice = choose(f, 4, width=40)
    assert 5 <= choice.window[0] <= 10


def test_estimate_falls_back_to_the_best_positive_rank():
    offsets = np.array([0, 3, 6])
    scores = np.array([0.9, 0.5, 0.1, 0.8, 0.7, 0.2], dtype=np.float32)
    f, evidence = estimate(offsets, scores, np.array([0, 1]), None, np.array([1, 0]), 3)
    assert evidence["positives_ranked"] == 1 and evidence["notes"]
    assert evidence["relevant_per_labeled_bound"] == 1.0 and not f.any()


def _judged(relevant_share: float, informative: bool, queries: int = 400, depth: int = 10):
    """Candidates at ranks 1..depth of ``queries`` queries, a ``relevant_share`` of them
    relevant; an informative judge scores relevant documents (and the labeled positives) in
    0.7-1 and the rest in 0-0.4, an uninformative one scores everything in 0-1."""
    rng = np.random.default_rng(1)
    rank = np.tile(np.arange(1, depth + 1), queries)
    relevant = rng.random(rank.size) < relevant_share
    if informative:
        judge = np.where(relevant, rng.uniform(0.7, 1, rank.size), rng.uniform(0, 0.4, rank.size))
        positives = rng.uniform(0.7, 1, queries)
    else:
        judge, positives = rng.uniform(0, 1, rank.size), rng.uniform(0, 1, queries)
    return rank, judge, positives


def test_judge_bound_is_tight_when_the_judge_separates_relevant_documents():
    rank, judge, positives = _judged(0.04, informative=True)
    bound = judge_bound(rank, judge, positives, depth=10)
    assert 0.04 <= bound[0] <= 0.08  # 4% relevant: the bound sits just above
    assert (bound <= 0.09).all()


def test_judge_bound_stays_loose_when_the_judge_cannot_tell():
    rank, judge, positives = _judged(0.04, informative=False)
    assert (judge_bound(rank, judge, positives, depth=10) > 0.7).all()


def test_judge_bound_needs_judged_positives_and_candidates():
    rank, judge, positives = _judged(0.04, informative=True)
    assert (judge_bound(rank, judge, positives[:30], depth=10) == 1).all()  # < 50 positives
    judge[rank > 5] = np.nan  # the judge scored ranks 1-5 only
    bound = judge_bound(rank, judge, positives, depth=12)
    assert (bound[:5] < 0.1).all() and (bound[10:] == 1).all()


def test_a_judge_bound_opens_a_head_the_rank_bound_skips():
    """SciFact-like: the top hit is the labeled positive for half the queries, so the rank
    bound puts ~30% false negatives at ranks 1-2; a judge that separates says ~2%."""
    f = np.array([0.31, 0.22, 0.05, 0.04, *[0.01] * 26])
    assert choose(f, 4, judge=True).window[0] == 3
    rank, judge, positives = _judged(0.02, informative=True, depth=30)
    evidence = {"contamination_by_rank": "rank bound"}
    tightened = with_judge_bound(f, judge_bound(rank, judge, positives, 30), evidence, 400)
    choice = choose(tightened, 4, judge=True)
    assert choice.window[0] == 1 and choice.sampler == "top"
    assert choice.filters == [NEAR_DUPLICATE, JUDGE_FILTER]
    assert (tightened <= f).all()
    assert evidence["contamination_by_rank_rank_bound"] == "rank bound"
    assert evidence["judged_positives"] == 400 and evidence["judge_bound_by_rank"][0][0] == "1"


def test_training_queries_keep_positives_in_the_top_n_and_unranked_ones():
    # rank 0: the retriever could not rank the positive (FAISS); the query is kept
    advice = training_queries(np.array([1, 100, 101, 0, 5000]), max_rank=100)
    assert advice == {
        "max_positive_rank": 100,
        "queries": 5,
        "kept": 3,
        "left_out": 2,
        "deep": 2,
        "share_deep": 0.5,  # of the 4 ranked queries
        "min_share": 0.5,
        "applied": True,
    }
    assert training_queries(np.array([], dtype=np.int64))["left_out"] == 0


def test_a_few_deep_queries_are_kept_as_hard_examples():
    ranks = np.array([1, 2, 3, 101, 5000, 7])  # 2 deep of 6: a third, under half
    advice = training_queries(ranks, max_rank=100)
    assert (advice["deep"], advice["applied"], advice["kept"], advice["left_out"]) == (
        2,
        False,
        6,
        0,
    )
    assert training_queries(ranks, max_rank=100, min_share=0.3)["left_out"] == 2
    assert not training_queries(np.array([0, 0, 1]))["applied"]  # no deep query at all
    assert trains_on_training_queries({"left_out": 2, "max_positive_rank": 100})  # old manifests
    assert not trains_on_training_queries(advice) and not trains_on_training_queries(None)


def test_the_summary_line_says_why_queries_are_kept_or_left_out():
    kept = training_queries(np.array([1, 2, 3, 101, 5000, 7]))
    assert training_queries_line(kept) == (
        "training queries: all 6; 2 (33%) have their labeled positive below the mining "
        "model's top 100, under the 50% at which auto leaves them out: kept as hard examples"
    )
    left = training_queries_line(training_queries(np.array([1, 101, 5000])))
    assert left.startswith("training queries: 1 of 3; the 2 (67%) whose labeled positive")
    clean = training_queries_line(training_queries(np.array([1, 2])))
    assert clean == "training queries: all 2 (every labeled positive ranks in the top 100)"


def test_upper_bound_is_above_the_estimate_and_shrinks_towards_it_with_more_queries():
    from trueneg.select.auto import (
        contamination,
        few_queries,
        rank_profile,
        ratio_bound,
        upper_contamination,
    )

    rng = np.random.default_rng(0)
    depth = 100

    def profile(queries: int) -> tuple[np.ndarray, np.ndarray]:
        pos_query = np.arange(queries)
        # half the labeled positives rank first, the rest spread over ranks 2-60
        pos_rank = np.where(rng.random(queries) < 0.5, 1, rng.integers(2, 61, queries))
        g = rank_profile(pos_query, pos_rank, queries, depth)
        point = contamination(g, ratio_bound(g)[0])
        return point, upper_contamination(pos_query, pos_rank, queries, depth)

    few_point, few_upper = profile(20)
    many_point, many_upper = profile(5000)
    assert (few_upper >= few_point - 1e-12).all()
    gap_few = float(np.mean(few_upper - few_point))
    gap_many = float(np.mean(many_upper - many_point))
    assert gap_many < gap_few / 3  # the bound closes in on the estimate as evidence grows
    choice = few_queries(few_upper, 20, 4)
    assert choice.filters[0].startswith("rank-window:")
    assert "percent:0.95" not in choice.filters and "20 queries" in choice.reason


def test_upper_bound_without_ranked_positives_is_everywhere_contaminated():
    from trueneg.select.auto import few_queries, upper_contamination

    f = upper_contamination(np.array([], dtype=np.int64), np.array([], dtype=np.int64), 5, 50)
    assert (f == 1).all()
    choice = few_queries(f, 0, 4)
    assert choice.window == (1, 50) and choice.sampler == "random"  # the deepest ranks searched
