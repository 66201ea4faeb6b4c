"""The audit's math on hand-made numbers: estimator, CI, buckets, hiding, depth rule, health."""

from __future__ import annotations

import numpy as np
import pytest

from trueneg.audit.buckets import bucket_index, bucket_rates
from trueneg.audit.depth_rule import (
    best_window,
    expected_utility,
    fn_ceiling,
    percent_at_rank,
    rates_by_rank,
    softmax_weights,
)
from trueneg.audit.estimator import (
    bootstrap_rates,
    matched_indices,
    mixture_rate,
    percentile_ci,
    stratified_indices,
    stratified_share,
    threshold_for_recall,
)
from trueneg.audit.findings import BucketRate
from trueneg.audit.health import (
    near_duplicate_shares,
    other_query_positives,
    positive_rank_signals,
)
from trueneg.audit.hidden import Strategy, hidden_count, hide_positives, strategies_for
from trueneg.audit.judge_sample import query_halves
from trueneg.compare.hidden import hide_extra_positives
from trueneg.data.hidden import draw_hidden


# --- estimator -------------------------------------------------------------------------------
def test_mixture_rate_inverts_the_mixture():
    # 30% relevant, recall 0.6, false alarms 0.1: flagged = 0.3*0.6 + 0.7*0.1 = 0.25
    assert mixture_rate(0.25, 0.6, 0.1) == pytest.approx(0.3)


def test_mixture_rate_clips_and_refuses_a_judge_without_separation():
    assert mixture_rate(0.05, 0.6, 0.1) == 0.0  # fewer flags than false alarms
    assert mixture_rate(0.9, 0.6, 0.1) == 1.0
    assert np.isnan(mixture_rate(0.3, 0.1, 0.1))  # ρ == α: no information
    assert np.isnan(mixture_rate(0.3, 0.05, 0.1))


def test_threshold_for_recall_is_the_median_of_the_reference():
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    tau = threshold_for_recall(scores, 0.5)
    assert tau == pytest.approx(0.3)
    assert (scores >= tau).mean() == pytest.approx(0.6)  # ties at τ count as flagged


def test_stratified_share_weights_strata_by_population():
    flags = np.array([1, 1, 0, 0, 0, 1], dtype=bool)
    strata = np.array([0, 0, 1, 1, 1, 1])
    weights = np.array([0.2, 0.8, 0, 0, 0])  # stratum 0 is 20% of the population
    # 0.2 * 1.0 + 0.8 * 0.25
    assert stratified_share(flags, strata, weights) == pytest.approx(0.4)
    # a stratum with no sampled row is left out and the rest re-weighted
    weights = np.array([0.2, 0.6, 0.2, 0, 0])
    assert stratified_share(flags, strata, weights) == pytest.approx((0.2 + 0.6 * 0.25) / 0.8)


def test_stratified_indices_are_proportional_with_a_minimum_per_stratum():
    strata = np.array([0] * 90 + [1] * 8 + [3] * 2)
    rows = stratified_indices(strata, 20, np.random.default_rng(0))
    counts = np.bincount(strata[rows], minlength=5)
    assert counts[0] == 18 and counts[1] == 3 and counts[3] == 2  # min 3, capped at size
    assert len(set(rows.tolist())) == rows.size


def test_matched_indices_follow_the_population_mix_and_redistribute_shortfalls():
    strata = np.array([0] * 50 + [1] * 4 + [2] * 50)
    weights = np.array([0.5, 0.5, 0.0, 0, 0])  # the kept negatives sit in buckets 0 and 1
    rows = matched_indices(strata, weights, 20, np.random.default_rng(0))
    counts = np.bincount(strata[rows], minlength=3)
    assert counts.tolist() == [16, 4, 0]  # bucket 1 has only 4: the rest goes to bucket 0
    assert matched_indices(strata, np.zeros(5), 10, np.random.default_rng(0)).size == 0


def _simulated(f: float, n_kept: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    relevant = rng.random(n_kept) < f
    kept = np.where(relevant, rng.normal(2, 1, n_kept), rng.normal(0, 1, n_kept))
    return rng.normal(2, 1, 400), rng.normal(0, 1, 400), kept


def test_bootstrap_ci_covers_the_true_rate_when_the_model_holds():
    pos, rand, kept = _simulated(0.3, 2000, seed=1)
    strata = np.zeros(kept.size, dtype=np.int64)
    weights = np.array([1.0, 0, 0, 0, 0])
    tau = threshold_for_recall(pos)
    point = mixture_rate(
        stratified_share(kept >= tau, strata, weights), (pos >= tau).mean(), (rand >= tau).mean()
    )
    low, high = percentile_ci(bootstrap_rates(pos, rand, kept, strata, weights, seed=0))
    assert low <= 0.3 <= high
    assert low <= point <= high
    assert high - low < 0.2


def test_bootstrap_is_seeded():
    pos, rand, kept = _simulated(0.2, 200, seed=2)
    strata = np.zeros(kept.size, dtype=np.int64)
    weights = np.array([1.0, 0, 0, 0, 0])
    a = bootstrap_rates(pos, rand, kept, strata, weights, seed=5, n_boot=200)
    b = bootstrap_rates(pos, rand, kept, strata, weights, seed=5, n_boot=200)
    np.testing.assert_array_equal(a, b)


def test_percentile_ci_without_finite_values_is_uninformative():
    assert percentile_ci(np.array([np.nan, np.nan])) == (0.0, 1.0)


# --- buckets and hiding ----------------------------------------------------------------------
def test_rank_buckets():
    ranks = np.array([1, 5, 6, 10, 11, 30, 31, 100, 101, 500])
    np.testing.assert_array_equal(bucket_index(ranks), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])


def test_bucket_rates_count_rows_and_hits_per_bucket():
    rank = np.array([1, 2, 7, 40, 41, 42])
    hit = np.array([1, 0, 0, 1, 0, 0], dtype=bool)
    rates = bucket_rates(rank, hit)
    assert [(b.bucket, b.rows, b.false_negatives) for b in rates] == [
        ("1-5", 2, 1.0),
        ("6-10", 1, 0.0),
        ("31-100", 3, 1.0),
    ]
    assert rates[0].rate is None and "at least 9 needed" in rates[0].reason  # 2 rows: no rate
    masked = bucket_rates(rank, hit, rank > 5)
    assert [b.bucket for b in masked] == ["6-10", "31-100"]


def test_bucket_rates_give_a_rate_with_its_interval_when_the_evidence_suffices():
    rank = np.repeat([1, 40], 200)  # 200 rows at rank 1, 200 at rank 40, over 20 queries
    query = np.tile(np.arange(20), 20)
    hit = (rank == 1) & (np.arange(400) < 20)  # 10% of the rank-1 rows: one per query
    top, deep = bucket_rates(rank, hit, query=query)
    assert (top.rows, top.false_negatives, top.queries) == (200, 20.0, 20)
    assert top.rate == pytest.approx(0.1) and top.ci_low < 0.1 < top.ci_high
    assert deep.rate == 0.0 and deep.ci_low == 0.0 and 0 < deep.ci_high < 0.03


def test_hide_positives_counts_and_keeps_one_visible():
    doc_ids = [f"d{i}" for i in range(10)]
    positives = [np.array([0]), np.array([1, 2]), np.array([3, 4, 5]), np.array([6, 7, 8, 9])]
    visible, hidden = hide_positives(["q0", "q1", "q2", "q3"], positives, doc_ids, 0.5, seed=0)
    assert [h.size for h in hidden] == [0, 1, 2, 2]  # round half up: 1.5 -> 2; n=1 -> none
    assert all(v.size >= 1 for v in visible)
    for v, h, p in zip(visible, hidden, positives, strict=True):
        assert sorted([*v.tolist(), *h.tolist()]) == p.tolist()
    _, all_hidden = hide_positives(["q3"], [positives[3]], doc_ids, 1.0, seed=0)
    assert all_hidden[0].size == 3  # never the last one


def test_hide_positives_is_order_independent_and_seeded():
    doc_ids = [f"d{i}" for i in range(20)]
    pos = np.arange(20)
    _, a = hide_positives(["q"], [pos], doc_ids, 0.5, seed=0)
    _, b = hide_positives(["q"], [pos[::-1].copy()], doc_ids, 0.5, seed=0)
    _, c = hide_positives(["q"], [pos], doc_ids, 0.5, seed=1)
    assert a[0].tolist() == b[0].tolist()
    assert a[0].tolist() != c[0].tolist()


def test_hide_positives_is_the_shared_draw_over_sorted_doc_ids():
    doc_ids = [f"d{i:02d}" for i in range(30)]
    query_ids = ["q2", "q0", "q1"]
    positives = [np.array([29, 3, 17, 8]), np.array([5, 6]), np.array([11, 2, 25, 19, 0])]
    visible, hidden = hide_positives(query_ids, positives, doc_ids, 0.5, seed=7)
    sorted_ids = {
        q: sorted(doc_ids[p] for p in pos) for q, pos in zip(query_ids, positives, strict=True)
    }
    draw = draw_hidden(sorted_ids, 7, lambda n: n - hidden_count(n, 0.5))
    for q, v, h in zip(query_ids, visible, hidden, strict=True):
        assert [doc_ids[p] for p in h] == sorted(draw[q][1])
        assert [doc_ids[p] for p in v] == sorted(draw[q][0])


def test_hiding_all_but_one_is_the_benchmark_split(tmp_path):
    """At hide_fraction 1 the audit hides what ``hide_extra_positives`` (keep 1) hides with the
    same seed, given qrels that list each query's positives sorted: one protocol."""
    from fixtures import write_beir

    doc_ids = [f"d{i:02d}" for i in range(12)]
    positives = {"qa": [0, 4, 7], "qb": [1, 2], "qc": [3], "qd": [5, 6, 8, 9, 11]}
    qrels = [(q, doc_ids[p], 1) for q, pos in positives.items() for p in pos]
    beir = write_beir(tmp_path / "beir", [(d, "", d) for d in doc_ids], [], qrels)
    for seed in range(5):
        published = hide_extra_positives(beir, "train", tmp_path / f"s{seed}", seed=seed)
        _, hidden = hide_positives(
            list(positives), [np.array(p) for p in positives.values()], doc_ids, 1.0, seed
        )
        audit_hidden = {
            q: [doc_ids[p] for p in h] for q, h in zip(positives, hidden, strict=True) if h.size
        }
        assert audit_hidden == published


def test_query_halves_are_seeded_and_balanced():
    ids = [f"q{i}" for i in range(1000)]
    halves = query_halves(ids, 0)
    assert 400 < halves.sum() < 600
    np.testing.assert_array_equal(halves[::-1], query_halves(ids[::-1], 0))


def test_strategies_put_the_run_first_and_drop_duplicates():
    config = {"filters": ["percent:0.95", "near-duplicate:0.95"], "sampler": "top"}
    names = [s.name for s in strategies_for(config, None)]
    assert names == ["this run's strategy", "naive top-k", "percent 0.95", "rank-window 10-110"]
    custom = strategies_for(
        {"filters": [], "sampler": "top"}, [(("margin:0.1",), "top"), Strategy("x", (), "top")]
    )
    assert [(s.filters, s.sampler) for s in custom] == [((), "top"), (("margin:0.1",), "top")]


# --- depth rule ------------------------------------------------------------------------------
def test_softmax_weights_average_per_rank_over_queries():
    qidx = np.array([0, 0, 1, 1, 1])
    rank = np.array([1, 2, 1, 2, 3])
    score = np.array([0.5, 0.5, 0.3, 0.3, 0.3])
    b = softmax_weights(qidx, rank, score)
    np.testing.assert_allclose(b, [(1 / 2 + 1 / 3) / 2, (1 / 2 + 1 / 3) / 2, 1 / 3])
    b = softmax_weights(np.array([0, 0]), np.array([1, 2]), np.array([0.6, 0.55]), scale=20)
    np.testing.assert_allclose(b, [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))])


def test_expected_utility_and_admission_rule():
    f = np.array([0.5, 0.2, 0.05, 0.02])
    b = np.array([1.0, 0.5, 0.2, 0.001])
    eu = expected_utility(f, b, cost=9.0)
    # (1 - f) - 9 f > 0  <=>  f < 10%: ranks 3 and 4
    assert list(eu > 0) == [False, False, True, True]
    np.testing.assert_allclose(eu, b * ((1 - f) - 9 * f))
    np.testing.assert_allclose(
        expected_utility(f, b, 9.0, kappa=0.9, rho=0.5), b * (0.9 * (1 - f) - 0.5 * 9 * f)
    )


def test_best_window_starts_after_the_last_rejected_rank_and_ends_where_value_fades():
    assert best_window(np.array([-1.0, -0.5])) is None
    assert best_window(np.array([-1.0, 0.5, 0.4, 0.3])) == (2, 4)
    assert best_window(np.array([0.2, -0.05, 0.2, 0.1])) == (3, 4)  # a late rejection moves lo
    assert best_window(np.array([-0.2, np.nan, 0.3])) == (3, 3)
    value = np.array([1.0, 0.5, 0.1, 0.004, 0.001])
    assert best_window(np.array([-1.0, 0.2, 0.1, 0.01, 0.001]), value) == (2, 3)


def test_fn_ceiling_is_the_judges_precision_bound():
    assert fn_ceiling(0.5, 0.0, 1.0) == pytest.approx(0.5)  # no filter
    assert fn_ceiling(0.5, 0.5, 1.0) == pytest.approx(1 / 3)
    assert fn_ceiling(0.2, 0.9, 0.8) == pytest.approx(0.02 / (0.02 + 0.64))


def test_percent_at_rank_puts_the_cut_at_the_window_edge():
    qidx = np.array([0, 0, 0, 1, 1, 1])
    rank = np.array([1, 2, 3, 1, 2, 3])
    score = np.array([0.9, 0.72, 0.5, 0.8, 0.64, 0.6])
    # rank 2 scores are 0.9 and 0.8 of the positives' 0.8 and 0.8
    assert percent_at_rank(qidx, rank, score, np.array([0.8, 0.8]), 2) == pytest.approx(0.85)


def test_rates_by_rank_spreads_bucket_rates_over_ranks():
    buckets = [BucketRate("1-5", 10, 3.0, 0.3), BucketRate("11-30", 10, 1.0, 0.1)]
    f = rates_by_rank(buckets, 12)
    assert f[:5].tolist() == [0.3] * 5
    assert np.isnan(f[5:10]).all()
    assert f[10:].tolist() == [0.1, 0.1]


# --- health ----------------------------------------------------------------------------------
def test_positive_rank_signals_ignore_unknown_ranks():
    top, beyond, quantiles = positive_rank_signals(np.array([0, 1, 3, 12, 150]), 10, 100)
    assert top == pytest.approx(0.5) and beyond == pytest.approx(0.25)
    assert quantiles["q50"] == pytest.approx(7.5)


def test_other_query_positives_and_near_duplicates():
    mask = other_query_positives(np.array(["d1", "d2", "d3"], dtype=object), {"d2", "d9"})
    assert mask.tolist() == [False, True, False]
    shares = near_duplicate_shares(np.array([0.5, 0.91, 0.96, 0.99, np.nan]))
    assert shares == {"pos_cosine >= 0.9": 0.75, "pos_cosine >= 0.95": 0.5}
    assert near_duplicate_shares(None) == {}
