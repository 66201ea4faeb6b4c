"""Shared fixtures for tests/audit.

Report fixtures (report.html, plots, markdown) are prefixed ``report_``: a hand-built
``AuditReport`` with every part (``report_full``), one with parts missing (``report_partial``),
and real BM25 runs (``report_run``, ``report_tiny_run``).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fixtures import write_beir, write_tiny_beir
from trueneg.audit.findings import (
    JudgeQuality,
    OperatingPoint,
    Proportion,
    ReliabilityBin,
    Statistic,
)
from trueneg.audit.report import (
    AuditReport,
    BucketRate,
    DataHealth,
    DepthAdvice,
    HiddenQrels,
    JudgeEstimate,
    StrategyRate,
)

# --- report fixtures ------------------------------------------------------------------------

REPORT_BUCKETS = ("1-5", "6-10", "11-30", "31-100", "101+")
# Texts a report must escape, and one long enough to be truncated.
REPORT_NASTY = '<script>alert("x")</script> & <b>bold</b>'
REPORT_LONG = "Vitamin D and bone density in older adults. " * 20


def _buckets(rates: list[float | None]) -> list[BucketRate]:
    """100 rows per bucket over 40 queries; a bucket without a rate is not computable."""
    return [
        BucketRate(
            label,
            rows=100,
            false_negatives=(rate or 0.0) * 100,
            rate=rate,
            queries=40,
            ci_low=None if rate is None else max(0.0, rate - 0.05),
            ci_high=None if rate is None else rate + 0.05,
            reason="effective sample 20 rows (design effect 5.0): at least 30 needed"
            if rate is None
            else None,
        )
        for label, rate in zip(REPORT_BUCKETS, rates, strict=True)
    ]


def _strategy(name: str, rates: list[float | None], fn_rate: float) -> StrategyRate:
    return StrategyRate(
        name,
        filters=name.split("/")[0].split("+"),
        sampler="top",
        kept=400,
        false_negatives=int(400 * fn_rate),
        fn_rate=fn_rate,
        queries=100,
        queries_full=97,
        by_rank=_buckets(rates),
        ci_low=fn_rate - 0.02,
        ci_high=fn_rate + 0.03,
    )


def _proportion(hits: int, rows: int, queries: int, low: float, high: float) -> Proportion:
    return Proportion(hits, rows, queries, hits / rows, low, high)


def build_judge_quality() -> JudgeQuality:
    """A judge measured against hidden qrels: one operating point, two reliability bins."""
    point = OperatingPoint(
        name="the judge estimate's τ (median score of its reference positives)",
        threshold=0.5,
        flagged=40,
        precision=_proportion(30, 40, 25, 0.6, 0.86),
        recall=_proportion(30, 50, 30, 0.45, 0.73),
        false_alarm_rate=_proportion(10, 250, 60, 0.02, 0.07),
        residual=Statistic(0.075, 0.05, 0.1),
        run_ceiling=Statistic(0.025, 0.01, 0.05),
    )
    return JudgeQuality(
        judge="cross-encoder/ms-marco-MiniLM-L6-v2",
        population="candidates naive top-k keeps on the hidden-qrels split",
        queries=75,
        pairs=300,
        base_rate=_proportion(50, 300, 75, 0.12, 0.22),
        auc=Statistic(0.87, 0.81, 0.92),
        operating_points=[point],
        probabilities=True,
        reliability=[
            ReliabilityBin(0.0, 0.1, 0.03, _proportion(10, 200, 70, 0.03, 0.09)),
            ReliabilityBin(
                0.9,
                1.0,
                0.96,
                Proportion(8, 12, 5, None, None, None, reason="5 queries: at least 9 needed"),
            ),
        ],
        brier=Statistic(0.11, 0.09, 0.13),
        ece=Statistic(0.06, 0.04, 0.09),
        pairs_scored=120,
        pairs_cached=180,
        pairs_per_s=14.2,
        interval="proportions: Wilson; AUC: bootstrap over queries",
    )


@pytest.fixture
def report_full() -> AuditReport:
    """Every part filled; suspicious texts hold HTML to escape and a text to truncate."""
    return build_report_full()


@pytest.fixture
def report_partial() -> AuditReport:
    """Only data health; every other part says why it is missing."""
    return build_report_partial()


def build_report_full() -> AuditReport:
    hidden = HiddenQrels(
        hide_fraction=0.5,
        seed=0,
        queries_eligible=120,
        positives_hidden=150,
        candidate_rate_by_rank=_buckets([0.31, 0.18, 0.09, 0.04, 0.01]),
        strategies=[
            _strategy("naive/top", [0.30, 0.17, 0.08, 0.03, 0.01], 0.21),
            _strategy("percent:0.95/top", [0.12, 0.08, 0.05, 0.02, None], 0.06),
            _strategy("rank-window:10:100/random", [None, 0.05, 0.06, 0.03, 0.01], 0.04),
        ],
        run_strategy="percent:0.95/top",
        false_negative_rate=0.06,
        ci_low=0.04,
        ci_high=0.09,
        interval="95% Wilson score interval on the effective sample size",
    )
    judge = JudgeEstimate(
        judge="cross-encoder/ms-marco-MiniLM-L6-v2",
        threshold=0.5,
        calibration="labeled positives and random documents",
        recall_on_positives=0.82,
        false_alarm_rate=0.03,
        flagged_share=0.09,
        estimated_false_negative_rate=0.073,
        ci_low=0.041,
        ci_high=0.112,
        sample_size=300,
        by_rank=_buckets([0.2, 0.1, 0.05, 0.02, 0.0]),
        notes=["judge scores cached"],
        queries=80,
        flagged=27,
        pairs=600,
        interval="95% percentile bootstrap",
        recall=_proportion(82, 100, 90, 0.73, 0.88),
        false_alarms=_proportion(3, 100, 95, 0.01, 0.08),
        pairs_for_width={"10 points (±5)": 3037, "20 points (±10)": 760},
    )
    depth = DepthAdvice(
        basis="hidden-qrels",
        window=(10, 100),
        rank_window_filter="rank-window:10:100",
        percent_filter="percent:0.95",
        ceiling=0.95,
        false_negative_cost=3.0,
        table=[
            {"rank": "1-5", "fn_rate": 0.3, "value": 0.41},
            {"rank": "6-10", "fn_rate": 0.17, "value": 0.6},
        ],
        notes=["deeper ranks add little value"],
        evidence="Rests on 150 hidden positives of 120 queries",
        ceiling_ci=(0.9, 0.97),
    )
    health = DataHealth(
        queries=300,
        positive_not_in_top_k=0.04,
        top_k=100,
        kept_other_query_positive=3,
        kept_other_query_positive_share=0.0025,
        near_duplicate_share={"0.95": 0.01, "0.9": 0.02},
        positive_rank_quantiles={"q50": 1.0, "q90": 7.0, "q99": 140.0},
    )
    suspicious = [
        {
            "query_id": "q1",
            "query": "Does vitamin D deficiency cause fractures?",
            "positive": "Vitamin D deficiency is linked to weaker bones.",
            "doc_id": "d2",
            "negative": REPORT_NASTY,
            "rank": 1,
            "score": 0.91,
            "judge": 0.97,
            "pos_cosine": 0.93,
            "why": "judge 0.97 ≥ 0.5; cosine to positive 0.93",
        },
        {
            "query_id": "q2",
            "query": "Does coffee affect sleep?",
            "positive": REPORT_LONG,
            "doc_id": "d8",
            "negative": "Poor sleep is associated with obesity.",
            "rank": 3,
            "score": 0.8,
            "judge": None,
            "pos_cosine": None,
            "why": ["close to positive score"],
        },
    ]
    return AuditReport(
        run="runs/demo",
        strategy={"filters": ["percent:0.95"], "sampler": "top"},
        hidden_qrels=hidden,
        judge_estimate=judge,
        judge_quality=build_judge_quality(),
        judge_cost={"requests": 12, "prompt_tokens": 3400, "seconds": 8.1},
        depth=depth,
        health=health,
        suspicious=suspicious,
    )


def build_report_partial() -> AuditReport:
    health = DataHealth(
        queries=4,
        positive_not_in_top_k=0.0,
        top_k=100,
        kept_other_query_positive=0,
        kept_other_query_positive_share=0.0,
        near_duplicate_share={},
        positive_rank_quantiles={},
    )
    return AuditReport(
        run="runs/tiny",
        strategy={"filters": [], "sampler": "top"},
        health=health,
        unavailable={
            "hidden_qrels": "no query has a second labeled positive",
            "judge_estimate": "no judge given (use --judge)",
            "judge_quality": "no judge given (use --judge)",
            "depth": "needs a false-negative rate by rank",
            "suspicious": "no judge scores or cosines",
        },
    )


def _write_report_beir(folder: Path, queries: int = 40, docs: int = 400) -> Path:
    """Topic-word documents: BM25 finds many same-topic candidates for every query, and each
    query's positives share two or three of its words (so some rank below other documents)."""
    rng = random.Random(0)
    topics = [[f"t{t}w{w}" for w in range(10)] for t in range(8)]
    shared = [f"common{w}" for w in range(30)]

    def doc(words: list[str]) -> str:
        return " ".join(words + rng.sample(shared, rng.randint(4, 10)))

    corpus = [(f"d{d}", "", doc(rng.sample(topics[d % 8], 4))) for d in range(docs)]
    query_rows, qrels = [], []
    for q in range(queries):
        topic = topics[q % 8]
        words = rng.sample(topic, 3)
        query_rows.append((f"q{q}", " ".join(words)))
        for p in range(rng.randint(1, 2)):
            own = rng.sample(words, rng.choice((2, 3))) + rng.sample(topic, 2)
            corpus.append((f"p{q}_{p}", "", doc(own)))
            qrels.append((f"q{q}", f"p{q}_{p}", 1))
    return write_beir(folder, corpus, query_rows, qrels)


@pytest.fixture(scope="session")
def report_run(tmp_path_factory: pytest.TempPathFactory):
    """A real BM25 run with hundreds of candidates (no model needed, about a second)."""
    import trueneg

    root = tmp_path_factory.mktemp("report_run")
    data = _write_report_beir(root / "data")
    return trueneg.mine(
        data, root / "run", retriever="bm25", filters=["percent:0.95"], num_negatives=4, depth=10
    )


@pytest.fixture(scope="session")
def report_tiny_run(tmp_path_factory: pytest.TempPathFactory):
    """The hand-made tiny BEIR set mined with BM25: only two candidates in all."""
    import trueneg

    root = tmp_path_factory.mktemp("report_tiny_run")
    return trueneg.mine(
        write_tiny_beir(root / "data"), root / "run", retriever="bm25", filters=["percent:0.95"]
    )
