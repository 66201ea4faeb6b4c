"""Never a number without its evidence: the audit on tiny pairs files, mined with the real
MiniLM model (exact search, so the depth advice has cosines to weigh ranks with).

Two cases reported from small data: a pairs file where 1 of 30 queries has two positives (the
audit printed "hidden-qrels false-negative rate 0.0%" and recommended a rank window from that
one query), and one where 13 queries have two (it printed a rate with no interval).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import trueneg
from trueneg.audit import audit
from trueneg.audit.evidence import MIN_QUERIES
from trueneg.audit.html import render_html

pytestmark = pytest.mark.slow

SUBJECTS = [
    "vitamin D", "green tea", "coffee", "red meat", "soy milk", "olive oil", "sugar drinks",
    "whole grains", "fish oil", "turmeric", "garlic", "blueberries", "dark chocolate", "eggs",
    "broccoli", "walnuts", "table salt", "alcohol", "probiotics", "flaxseed", "cinnamon",
    "beans", "oats", "spinach", "tomatoes", "apples", "yogurt", "almonds", "ginger", "kale",
]  # fmt: skip
OUTCOMES = [
    "bone fractures", "heart disease", "sleep quality", "colon cancer", "breast cancer",
    "blood pressure", "type 2 diabetes", "memory loss", "liver fat", "arthritis pain",
]  # fmt: skip


def write_pairs(folder: Path, queries_with_two: int) -> Path:
    """One query per subject; each positive is a study of the subject and the query's outcome.
    The first ``queries_with_two`` queries have a second positive, a study of the same
    question in other words. Other subjects' studies of the same outcome pad the corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, corpus = [], []
    for i, subject in enumerate(SUBJECTS):
        outcome = OUTCOMES[i % len(OUTCOMES)]
        positives = [f"A cohort study of {subject} intake and the risk of {outcome} in adults."]
        if i < queries_with_two:
            positives.append(f"Trial: people eating more {subject} had less {outcome} later on.")
        rows.append({"query": f"Does {subject} affect {outcome}?", "positive": positives})
        for j, other in enumerate(OUTCOMES):
            if other != outcome:
                corpus.append(
                    {"_id": f"x{i}_{j}", "text": f"Review: {subject} and {other}, {2000 + j}."}
                )
    (folder / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in corpus) + "\n")
    return folder


def _mine(folder: Path, minilm_path: str) -> trueneg.Run:
    return trueneg.mine(
        folder / "pairs.jsonl",
        folder / "run",
        corpus=str(folder / "corpus.jsonl"),
        model=minilm_path,
        device="cpu",
        num_negatives=4,
        cache_dir=str(folder / "cache"),
    )


@pytest.fixture(scope="module")
def one_eligible(minilm_path, tmp_path_factory):
    return _mine(write_pairs(tmp_path_factory.mktemp("one") / "data", 1), minilm_path)


@pytest.fixture(scope="module")
def thirteen_eligible(minilm_path, tmp_path_factory):
    return _mine(write_pairs(tmp_path_factory.mktemp("thirteen") / "data", 13), minilm_path)


def test_one_eligible_query_gives_no_rate_and_no_advice(one_eligible):
    report = audit(one_eligible)
    assert report.hidden_qrels is None
    reason = report.unavailable["hidden_qrels"]
    assert reason.startswith("1 eligible query (a query is eligible with two or more labeled")
    assert f"at least {MIN_QUERIES} needed" in reason
    assert report.depth is None  # no window from one query
    assert "hidden qrels not computed: 1 eligible query" in report.unavailable["depth"]
    text = report.to_markdown()
    assert "hidden qrels: not computed: 1 eligible query" in text
    assert "rank-window:" not in text.split("## Depth advice")[1].split("##")[0]
    assert "ranked queries)" in text and "shares are exact" in text  # health: counts, no CI
    data = json.loads(report.to_json())
    assert data["hidden_qrels_false_negative_rate"] is None
    assert data["hidden_qrels_ci_low"] is None and data["depth"] is None
    page = render_html(report, one_eligible, {})
    assert "not computed" in page and "1 eligible query" in page


def test_thirteen_eligible_queries_show_every_rate_with_its_interval_and_count(
    thirteen_eligible,
):
    report = audit(thirteen_eligible)
    hidden = report.hidden_qrels
    assert hidden is not None and hidden.queries_eligible == 13
    for strategy in hidden.strategies:  # every rate has its interval, or a reason instead
        if strategy.fn_rate is None:
            assert strategy.reason and strategy.ci_low is None
        else:
            assert strategy.ci_low <= strategy.fn_rate <= strategy.ci_high
        for bucket in strategy.by_rank:
            assert (bucket.rate is None) == (bucket.ci_low is None) == bool(bucket.reason)
    line = next(x for x in report.to_markdown().splitlines() if "hidden qrels:" in x)
    run = hidden.strategies[0]
    count = f"{run.false_negatives} of {run.kept} kept negatives in {run.queries} queries"
    assert count in line
    assert re.search(r"\d+\.\d% \(95% CI \d+\.\d%–\d+\.\d%;", line) or "not computable" in line
    data = json.loads(report.to_json())
    assert data["hidden_qrels_ci_low"] == hidden.ci_low
    assert "Wilson" in data["hidden_qrels"]["interval"]


def test_advice_from_thirteen_queries_says_what_it_rests_on(thirteen_eligible):
    report = audit(thirteen_eligible)
    depth = report.depth
    if depth is None:  # too little evidence in every bucket: the reason lists each bucket
        assert "too little evidence" in report.unavailable["depth"]
        return
    assert depth.evidence.startswith("Rests on ")
    assert "13 queries" in depth.evidence
    used = [row for row in depth.table if "too little evidence" not in row["admitted"]]
    assert all("95% CI" in row["f (95% CI; count)"] for row in used if row["EU / b(1)"])
    if depth.window is not None:
        assert depth.window[1] <= report.hidden_qrels.depth  # never past what was measured
