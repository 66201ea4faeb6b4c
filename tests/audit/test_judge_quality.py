"""Judge quality against hidden qrels: a judge that needs no weights on BM25 runs of topic
documents, and the operating-point math on hand-made scores."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import trueneg
from fixtures import write_beir
from trueneg.audit import audit
from trueneg.audit.judge_quality import judge_cost
from trueneg.audit.judge_threshold import operating_point, operating_thresholds
from trueneg.audit.report import HiddenQrels

FILLER = ["study", "trial", "patients", "results", "group", "effect", "levels", "data"]


def write_topics(folder: Path, topics: int = 24) -> Path:
    """``topics`` topics of three words; each query labels its topic's three documents, and
    each document also holds one word of the next topic, so a query's candidates beyond its
    own positives are the previous topic's documents: relevant to it only in part."""
    rng = random.Random(0)
    corpus, queries, qrels = [], [], []
    for t in range(topics):
        words = [f"t{t}w{w}" for w in range(3)]
        neighbour = f"t{(t + 1) % topics}w{t % 3}"
        for i in range(3):
            text = [*rng.choices(words, k=4), neighbour, *rng.choices(FILLER, k=6)]
            corpus.append((f"t{t}d{i}", "", " ".join(text)))
            qrels.append((f"q{t}", f"t{t}d{i}", 1))
        queries.append((f"q{t}", "what about " + " ".join(words)))
    return write_beir(folder, corpus, queries, qrels)


class CountingJudge:
    """The share of query words a document holds (a probability-like score), counting pairs."""

    kind = "word-overlap"
    fingerprint = "counting-word-judge-v1"

    def __init__(self) -> None:
        self.pairs = 0

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        self.pairs += len(queries)
        out = [
            len(set(q.split()[2:]) & set(d.split())) / max(len(q.split()[2:]), 1)
            for q, d in zip(queries, docs, strict=True)
        ]
        return np.asarray(out, dtype=np.float32)


class RemoteLikeJudge(CountingJudge):
    """A judge with a ``cost`` as remote judges expose it."""

    fingerprint = "remote-like-judge-v1"

    def __init__(self) -> None:
        super().__init__()
        self.cost = SimpleNamespace(as_dict=lambda: {"requests": 3, "prompt_tokens": 900})


@pytest.fixture(scope="module")
def topic_run(tmp_path_factory):
    data = write_topics(tmp_path_factory.mktemp("quality") / "beir")
    out = tmp_path_factory.mktemp("runs") / "bm25"
    return trueneg.mine(data, out, retriever="bm25", filters=[], sampler="top", num_negatives=4)


@pytest.fixture(scope="module")
def judged(topic_run):
    judge = CountingJudge()
    return audit(topic_run, judge=judge, judge_sample=200), judge


def test_judge_quality_is_measured_on_the_hidden_split(judged):
    report, _ = judged
    quality = report.judge_quality
    assert quality is not None, report.unavailable.get("judge_quality")
    assert quality.queries >= 9 and quality.pairs > 0
    assert quality.base_rate.hits > 0 and quality.base_rate.rows == quality.pairs
    assert 0.5 < quality.auc.value <= 1 and quality.auc.ci_low <= quality.auc.value
    assert quality.probabilities and quality.reliability and quality.brier is not None
    assert sum(b.observed.rows for b in quality.reliability) == quality.pairs
    names = [p.name for p in quality.operating_points]
    assert names[0].startswith("the judge estimate's τ")  # the threshold the audit used
    assert any("judge-threshold filter's default" in n for n in names)


def test_an_operating_point_counts_add_up(judged):
    report, _ = judged
    quality = report.judge_quality
    point = quality.operating_points[0]
    positives = quality.base_rate.hits
    assert point.recall.rows == positives  # recall: among hidden positives
    assert point.precision.rows == point.flagged  # precision: among the flagged
    assert point.precision.hits == point.recall.hits  # both count the flagged positives
    assert point.false_alarm_rate.rows == quality.pairs - positives
    missed = positives - point.recall.hits
    good_kept = quality.pairs - positives - point.false_alarm_rate.hits
    if point.residual.value is not None:
        assert point.residual.value == pytest.approx(missed / (missed + good_kept))
    hidden = report.hidden_qrels
    if point.run_ceiling and point.run_ceiling.value is not None:
        f, r, a = hidden.false_negative_rate, point.recall.rate, point.false_alarm_rate.rate
        expected = f * (1 - r) / (f * (1 - r) + (1 - f) * (1 - a))
        assert point.run_ceiling.value == pytest.approx(expected)


def test_the_estimates_scores_are_not_paid_for_twice(topic_run, judged):
    report, _ = judged
    quality = report.judge_quality
    assert quality.pairs_cached + quality.pairs_scored == quality.pairs  # distinct pairs
    assert quality.pairs_cached > 0  # the estimate's validation sample overlaps: from the cache
    again = CountingJudge()
    second = audit(topic_run, judge=again, judge_sample=200)
    assert again.pairs == 0  # everything came from the judge cache
    assert second.judge_quality.auc == quality.auc


def test_judge_quality_is_rendered_everywhere(judged, topic_run):
    from trueneg.audit.html import render_html

    report, _ = judged
    text = report.to_markdown()
    assert "## Judge quality against hidden qrels" in text
    assert "judge quality: ROC AUC" in text and "95% CI" in text
    assert "| threshold | τ | flagged | precision | recall |" in text
    assert "Reliability (the observed share is a lower bound)" in text
    data = json.loads(report.to_json())
    assert data["judge_quality"]["auc"]["value"] == report.judge_quality.auc.value
    page = render_html(report, topic_run, {})
    assert "Judge quality against hidden qrels" in page and "ROC AUC" in page


def test_a_remote_judges_cost_is_reported(topic_run):
    report = audit(topic_run, judge=RemoteLikeJudge(), judge_sample=60)
    assert report.judge_cost == {"requests": 3, "prompt_tokens": 900}
    assert "Remote judge cost: requests 3, prompt_tokens 900" in report.to_markdown()
    assert judge_cost(CountingJudge()) is None


def test_operating_point_on_hand_made_scores():
    # 30 queries of 10 rows: 3 hidden positives (2 flagged) and 7 others (1 flagged) each
    one = np.array([0.9, 0.9, 0.2, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    scores, labels = np.tile(one, 30), np.tile(np.arange(10) < 3, 30)
    queries = np.repeat(np.arange(30), 10)
    hidden = HiddenQrels(0.5, 0, 30, 60, [], [], "run", 0.1, ci_low=0.05, ci_high=0.18)
    point = operating_point("τ", 0.5, scores, labels, queries, hidden, seed=0)
    assert (point.flagged, point.precision.hits, point.precision.rows) == (90, 60, 90)
    assert (point.recall.hits, point.recall.rows) == (60, 90)
    assert (point.false_alarm_rate.hits, point.false_alarm_rate.rows) == (30, 210)
    assert point.residual.value == pytest.approx(30 / (30 + 180))  # (P − TP) / kept
    f, r, a = 0.1, 2 / 3, 1 / 7
    expected = f * (1 - r) / (f * (1 - r) + (1 - f) * (1 - a))
    assert point.run_ceiling.value == pytest.approx(expected)
    assert point.run_ceiling.ci_low < expected < point.run_ceiling.ci_high


def test_the_runs_own_judge_filter_is_the_operating_point():
    judge = SimpleNamespace(fingerprint="abc")
    ctx = SimpleNamespace(
        run=SimpleNamespace(dir=SimpleNamespace(stage_info=lambda _: {"judge_fingerprint": "abc"})),
        config={"filters": ["judge-threshold:0.3"]},
    )
    names = operating_thresholds(ctx, judge, None, probabilities=True)
    assert names == [
        ("this run's judge-threshold filter (τ = 0.3)", 0.3),
        ("the judge-threshold filter's default (τ = 0.1, RocketQA's)", 0.1),
    ]
    other = SimpleNamespace(fingerprint="xyz")  # another judge: the run's τ does not apply
    assert operating_thresholds(ctx, other, None, probabilities=False) == []
