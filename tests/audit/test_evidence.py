"""The audit's rules of evidence and the judge's metrics, on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pytest

from trueneg.audit.depth_rule import ceiling_bounds, fn_ceiling
from trueneg.audit.evidence import (
    MAX_WIDTH,
    MIN_EFFECTIVE_ROWS,
    MIN_QUERIES,
    advice_width,
    counted,
    design_effect,
    pairs_for_width,
    per_query,
    query_bootstrap,
    t_quantile,
    too_few_queries,
    wilson,
)
from trueneg.audit.findings import Proportion
from trueneg.audit.judge_metrics import (
    brier_score,
    expected_calibration_error,
    residual_share,
    roc_auc,
)


# --- intervals -------------------------------------------------------------------------------
def test_wilson_matches_the_textbook_values():
    # Newcombe (1998), Table I: 81 of 263 -> 0.2553 to 0.3662 (95%, no continuity correction)
    low, high = wilson(81, 263)
    assert low == pytest.approx(0.2553, abs=5e-4) and high == pytest.approx(0.3662, abs=5e-4)
    low, high = wilson(0, 10)  # nothing counted: still an upper bound, unlike a bootstrap
    assert low == 0.0 and high == pytest.approx(3.8415 / 13.8415, abs=1e-3)


def test_t_quantile_is_close_to_the_exact_one():
    exact = {8: 2.3060, 9: 2.2622, 20: 2.0860, 100: 1.9840}  # from 8 df: MIN_QUERIES - 1
    for df, t in exact.items():
        assert t_quantile(0.975, df) == pytest.approx(t, abs=1e-4)
    assert t_quantile(0.975, 3) == pytest.approx(3.1824, abs=5e-3)


def test_design_effect_grows_when_hits_cluster_in_few_queries():
    spread = design_effect(np.ones(10), np.full(10, 10))  # one hit in every query
    clustered = design_effect(np.r_[10, np.zeros(9)], np.full(10, 10))  # all in one
    assert spread == 1.0
    assert clustered > 5
    assert design_effect(np.zeros(10), np.full(10, 10)) == 1.0  # nothing counted: no deff


def test_counted_gives_rate_interval_and_count():
    rate = counted(np.full(20, 2), np.full(20, 10))  # 40 of 200 over 20 queries, even
    assert (rate.hits, rate.rows, rate.queries) == (40, 200, 20)
    assert rate.rate == pytest.approx(0.2)
    assert rate.ci_low < 0.2 < rate.ci_high and rate.reason is None
    # Korn-Graubard: 20 queries (19 df) give a wider interval than Wilson on 200 rows
    low, high = wilson(40, 200)
    assert rate.ci_high - rate.ci_low > high - low


@pytest.mark.parametrize(
    ("hits", "rows", "why"),
    [
        ([1], [4], f"1 query: at least {MIN_QUERIES} needed"),
        ([0] * 8, [4] * 8, f"8 queries: at least {MIN_QUERIES} needed"),
        ([0] * 10, [2] * 10, f"at least {MIN_EFFECTIVE_ROWS} needed"),
        ([20] + [0] * 9, [20] * 10, "design effect"),  # 200 rows, but one query holds every hit
        ([2] * 10, [4] * 10, "points wide"),  # 20 of 40 at 50%: too wide to act on
    ],
)
def test_too_little_evidence_is_not_computable(hits, rows, why):
    rate = counted(np.array(hits), np.array(rows))
    assert rate.rate is None and rate.ci_low is None
    assert why in rate.reason
    assert rate.rows == sum(rows)  # the count stays: evidence, not a rate


def test_the_rules_hold_for_tiny_and_huge_collections_alike():
    tiny = counted(np.zeros(9), np.full(9, 3))  # 9 queries, 27 rows, nothing counted
    assert tiny.rate is None and "effective sample 27 rows" in tiny.reason
    enough = counted(np.zeros(9), np.full(9, 4))  # 36 rows: an upper bound, 8 df wide
    assert enough.rate == 0.0 and 0.1 < enough.ci_high < MAX_WIDTH
    huge = counted(np.r_[np.ones(500), np.zeros(99_500)], np.full(100_000, 4))
    assert huge.rate == pytest.approx(500 / 400_000) and huge.ci_high - huge.ci_low < 0.001


def test_per_query_groups_rows_by_their_query():
    query = np.array(["a", "a", "b", "b", "c"], dtype=object)
    hit = np.array([1, 0, 1, 1, 0], dtype=bool)
    rate = per_query(query, hit, np.array([1, 1, 1, 0, 1], dtype=bool))
    assert (rate.hits, rate.rows, rate.queries) == (2, 4, 3)


def test_query_bootstrap_draws_whole_queries():
    query = np.repeat([0, 1, 2], [1, 2, 3])
    sizes = query_bootstrap(query, lambda rows: rows.size, seed=0, n_boot=200)
    assert set(np.unique(sizes)) <= {3, 4, 5, 6, 7, 8, 9}  # sums of three query sizes
    same = query_bootstrap(query, lambda rows: rows.size, seed=0, n_boot=200)
    np.testing.assert_array_equal(sizes, same)


def test_too_few_queries_says_how_many_and_why():
    reason = too_few_queries(1, "eligible", "a query needs two or more labeled positives")
    assert reason == (
        f"1 eligible query (a query needs two or more labeled positives); at least "
        f"{MIN_QUERIES} needed for any rate"
    )
    assert too_few_queries(MIN_QUERIES, "eligible") is None


def test_advice_width_is_the_admission_threshold():
    assert advice_width(9) == pytest.approx(0.1)
    assert advice_width(3) == pytest.approx(0.25)
    assert MAX_WIDTH == 0.30


def test_pairs_for_width_scales_as_one_over_root_n():
    assert pairs_for_width(300, 0.4, 0.1) == 4800  # 300 * (0.4/0.1)^2
    assert pairs_for_width(300, 0.05, 0.1) == 75  # already narrower: fewer would do
    assert pairs_for_width(300, 0.0, 0.1) is None


# --- the judge's metrics ---------------------------------------------------------------------
def test_roc_auc_counts_pairs_and_ties_half():
    assert roc_auc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([1, 1, 0, 0], bool)) == 1.0
    assert roc_auc(np.array([0.5, 0.5]), np.array([1, 0], bool)) == 0.5
    # positives 0.8 and 0.3 against negatives 0.5 and 0.1: 3 of 4 pairs ordered right
    assert roc_auc(np.array([0.8, 0.3, 0.5, 0.1]), np.array([1, 1, 0, 0], bool)) == 0.75
    assert np.isnan(roc_auc(np.array([0.1, 0.2]), np.array([0, 0], bool)))


def test_residual_share_is_the_flaws_formula():
    labels = np.array([1] * 10 + [0] * 90, dtype=bool)
    flagged = np.array([1] * 6 + [0] * 4 + [1] * 9 + [0] * 81, dtype=bool)
    f, r, a = 0.1, 0.6, 0.1  # base rate, recall, false-alarm rate
    assert residual_share(labels, flagged) == pytest.approx(4 / 85)
    assert residual_share(labels, flagged) == pytest.approx(fn_ceiling(f, r, 1 - a))


def test_ceiling_bounds_come_from_the_ends_of_the_intervals():
    rho = Proportion(50, 100, 40, 0.5, 0.4, 0.6)
    alarms = Proportion(5, 100, 40, 0.05, 0.02, 0.1)
    low, high = ceiling_bounds((0.1, 0.2), rho, alarms)
    assert low == pytest.approx(fn_ceiling(0.1, 0.6, 0.98))
    assert high == pytest.approx(fn_ceiling(0.2, 0.4, 0.9))
    assert low < fn_ceiling(0.15, 0.5, 0.95) < high
    assert ceiling_bounds((0.1, 0.2), None, alarms) is None


def test_brier_and_expected_calibration_error():
    scores = np.array([0.05, 0.05, 0.95, 0.95])
    labels = np.array([0, 0, 1, 0], dtype=bool)
    assert brier_score(scores, labels) == pytest.approx((0.05**2 * 2 + 0.05**2 + 0.95**2) / 4)
    # bin [0, 0.1): mean 0.05 vs 0 positives; bin [0.9, 1]: mean 0.95 vs 0.5 observed
    assert expected_calibration_error(scores, labels) == pytest.approx(0.5 * 0.05 + 0.5 * 0.45)
