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
    return [
        BucketRate(label, rows=100, false_negatives=(rate or 0.0) * 100, rate=rate)
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
