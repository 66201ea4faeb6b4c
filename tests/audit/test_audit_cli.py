"""`trueneg audit` end to end on BM25 runs (no model weights): JSON contract, files written,
parts that cannot be computed, and run directories it must refuse."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

import trueneg
from fixtures import write_beir, write_tiny_beir
from trueneg.audit import audit
from trueneg.cli.audit import audit_command
from trueneg.run import RunDir

TOPICS = [
    "vitamin bone fracture",
    "coffee sleep caffeine",
    "sugar diabetes insulin",
    "exercise heart cardio",
    "salt blood pressure",
    "fiber gut digestion",
    "iron anemia blood",
    "omega fish oil",
    "soy estrogen breast",
    "milk calcium dairy",
]
FILLER = ["study", "trial", "patients", "results", "group", "effect", "levels", "data"]
CONTRACT = (
    "estimated_false_negative_rate",
    "ci_low",
    "ci_high",
    "hidden_qrels_false_negative_rate",
)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(audit_command)
    return app


def write_topic_beir(folder: Path, per_topic: int = 6, positives: int = 3) -> Path:
    """Ten topics of ``per_topic`` documents; each topic's query labels ``positives`` of them,
    so the other topic documents are unlabeled relevant ones (known false negatives)."""
    rng = random.Random(0)
    corpus, queries, qrels = [], [], []
    for t, topic in enumerate(TOPICS):
        words = topic.split()
        for i in range(per_topic):
            text = " ".join(rng.choices(words, k=4) + rng.choices(FILLER, k=8))
            corpus.append((f"t{t}d{i}", "", text))
            if i < positives:
                qrels.append((f"q{t}", f"t{t}d{i}", 1))
        queries.append((f"q{t}", f"what about {topic}"))
    return write_beir(folder, corpus, queries, qrels)


class WordJudge:
    """A judge that needs no weights: the share of query words found in the document."""

    kind = "word-overlap"
    fingerprint = "word-judge-v1"

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        out = []
        for q, d in zip(queries, docs, strict=True):
            words = set(q.split()[2:])
            out.append(len(words & set(d.split())) / max(len(words), 1))
        return np.asarray(out, dtype=np.float32)


@pytest.fixture(scope="module")
def topic_run(tmp_path_factory):
    """Naive top-8 over ten topics of 14 documents: 80 kept negatives over 10 queries, enough
    evidence for a hidden-qrels rate (the rules: trueneg.audit.evidence)."""
    data = write_topic_beir(tmp_path_factory.mktemp("topics") / "beir", per_topic=14)
    out = tmp_path_factory.mktemp("runs") / "bm25"
    return trueneg.mine(data, out, retriever="bm25", filters=[], sampler="top", num_negatives=8)


@pytest.fixture
def single_positive_run(tmp_path):
    data = write_tiny_beir(tmp_path / "tiny")
    return trueneg.mine(
        data, tmp_path / "run", retriever="bm25", filters=["percent:0.95"], num_negatives=2
    )


def test_json_output_has_the_contract_keys(topic_run):
    result = CliRunner().invoke(_cli(), [str(topic_run.path), "--json", "--no-report", "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(CONTRACT) <= set(data)
    assert 0 <= data["hidden_qrels_false_negative_rate"] <= 1
    assert (
        data["hidden_qrels_ci_low"]
        <= data["hidden_qrels_false_negative_rate"]
        <= data["hidden_qrels_ci_high"]
    )
    assert data["estimated_false_negative_rate"] is None  # no judge given
    assert "--judge" in data["unavailable"]["judge_estimate"]
    saved = json.loads((topic_run.path / "audit.json").read_text())
    assert saved["hidden_qrels_false_negative_rate"] == data["hidden_qrels_false_negative_rate"]
    assert not (topic_run.path / "report.html").exists()


def test_markdown_and_html_report_by_default(topic_run):
    pytest.importorskip("trueneg.audit.html")
    result = CliRunner().invoke(_cli(), [str(topic_run.path), "-q"])
    assert result.exit_code == 0, result.output
    assert "Hidden-qrels protocol" in result.stdout
    assert (topic_run.path / "report.html").is_file()


def test_naive_top_k_on_topics_keeps_known_false_negatives(topic_run):
    report = audit(topic_run)
    hidden = report.hidden_qrels
    assert hidden.queries_eligible == 10 and hidden.positives_hidden == 20  # round(1.5) = 2
    run = hidden.strategies[0]
    assert run.strategy == "this run's strategy" and run.kept == 80
    assert run.false_negatives > 0  # hidden positives share the topic words: BM25 ranks them up
    assert hidden.false_negative_rate == pytest.approx(run.false_negatives / run.kept)
    assert hidden.ci_low < hidden.false_negative_rate < hidden.ci_high
    assert "Wilson" in hidden.interval
    assert "lower bound" in hidden.notes[-1]
    assert report.depth is None and "cosine" in report.unavailable["depth"]
    assert report.health.queries == 10
    assert len(report.suspicious) == 25


def test_a_judge_without_weights_gives_an_estimate_with_its_calibration(topic_run):
    report = audit(topic_run, judge=WordJudge(), judge_sample=120)
    estimate = report.judge_estimate
    assert estimate is not None
    assert 0 <= estimate.ci_low <= estimate.estimated_false_negative_rate <= estimate.ci_high <= 1
    assert "hidden positives" in estimate.calibration
    validation = estimate.validation
    assert validation is not None  # 5 queries were not used to calibrate: too few to check
    assert validation["reason"] == "not computable: 5 queries: at least 9 needed"
    assert validation["hidden_qrels_count"]["queries"] == 5
    assert 0 < estimate.pairs <= 120 and set(estimate.pairs_for_width) == {
        "10 points (±5)",
        "20 points (±10)",
    }
    assert report.suspicious[0]["judge"] is not None
    cache = Path(topic_run.manifest["config"]["cache_dir"])  # the run's cache folder
    assert any((cache / "judge").glob("*/part-*.parquet"))  # the scores are cached there


def test_single_positive_queries_leave_hidden_qrels_out_with_a_reason(single_positive_run):
    report = audit(single_positive_run)
    assert report.hidden_qrels is None
    assert report.unavailable["hidden_qrels"].startswith(
        "0 eligible queries (a query is eligible with two or more labeled positives"
    )
    assert "--judge" in report.unavailable["judge_estimate"]
    assert "depth" in report.unavailable
    assert report.health is not None and report.health.queries == 4
    data = json.loads(report.to_json())
    assert data["hidden_qrels_false_negative_rate"] is None


def test_a_run_from_another_version_exits_1_with_one_clear_line(topic_run, tmp_path):
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(topic_run.path, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["trueneg_version"] = "0.0.1"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(_cli(), [str(copy), "--json"])
    assert result.exit_code == 1
    assert "written by another trueneg version" in result.output
    assert "Traceback" not in result.output
    assert result.stdout.strip() == "" or not result.stdout.lstrip().startswith("{")


def test_an_unfinished_run_exits_1(tmp_path):
    with RunDir(tmp_path / "half", create=True).writing():  # killed before its manifest
        pass
    result = CliRunner().invoke(_cli(), [str(tmp_path / "half")])
    assert result.exit_code == 1
    assert "has not finished" in result.output


def test_bad_options_are_refused(topic_run):
    result = CliRunner().invoke(_cli(), [str(topic_run.path), "--hide-fraction", "1.5"])
    assert result.exit_code == 1
    assert "hide_fraction" in result.output
