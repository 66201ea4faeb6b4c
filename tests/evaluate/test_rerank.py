"""Reranker evaluation: ``evaluate(RERANKER, data, rerank=True)`` reorders the first stage's top
documents, reports both lists, and refuses settings that mean nothing without a reranker.

A fake reranker (word overlap) for the logic; the real bundled MiniLM built as a cross-encoder
for the CLI; a reranker trained on a real SciFact slice for the slow test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import trueneg
from fixtures import TINY_CORPUS, TINY_QRELS, TINY_QUERIES, write_beir, write_subset
from trueneg.cli.evaluate import evaluate_command
from trueneg.errors import ConfigError
from trueneg.evaluate import EvalResult, evaluate
from trueneg.evaluate.rerank import rerank_run


class OverlapReranker:
    """Scores a pair by the words query and document share; counts the pairs it scored."""

    def __init__(self) -> None:
        self.pairs = 0

    def predict(self, pairs, **kwargs):
        self.pairs += len(pairs)
        return [len(_words(q) & _words(d)) for q, d in pairs]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    return write_beir(tmp_path / "beir", TINY_CORPUS, TINY_QUERIES, TINY_QRELS, split="test")


def test_the_top_documents_are_reordered_and_the_rest_follow_in_first_stage_order():
    run = {"q": {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}}
    texts = {"a": "nothing", "b": "vitamin d bones", "c": "vitamin d", "d": "vitamin"}
    reranker = OverlapReranker()

    got = rerank_run(reranker, run, {"q": "vitamin d bones"}, texts, top=2)

    assert sorted(got["q"], key=got["q"].__getitem__, reverse=True) == ["b", "a", "c", "d"]
    assert reranker.pairs == 2  # only the top 2 are scored


def test_evaluate_reports_the_reranked_list_beside_the_first_stage(beir, fake_encoder, tmp_path):
    reranker = OverlapReranker()
    result = evaluate(
        reranker, beir, rerank=True, first_stage=fake_encoder, top=5, cache_dir=tmp_path / "c"
    )
    alone = evaluate(fake_encoder, beir, cache_dir=tmp_path / "c")

    assert result.first_stage_scores == alone.scores
    assert result.top == 5 and reranker.pairs == 4 * 5  # 4 queries x their top 5
    assert result.first_stage == "FakeEncoder" and result.model == "OverlapReranker"
    assert result.scores["recall@100"] == alone.scores["recall@100"]  # the same documents
    assert set(result.per_query["ndcg@10"]) == set(alone.per_query["ndcg@10"])


def test_a_saved_rerank_result_loads_back(beir, fake_encoder, tmp_path):
    result = evaluate(
        OverlapReranker(), beir, rerank=True, first_stage=fake_encoder, cache_dir=tmp_path / "c"
    )
    loaded = EvalResult.load(result.save(tmp_path / "r.json"))
    assert loaded.first_stage_scores == result.first_stage_scores and loaded.top == 100


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"model": None, "rerank": True}, "needs a reranker"),
        ({"first_stage": "some-model"}, "A first stage is for reranking"),
        ({"rerank": True, "top": 0}, "--top must be positive"),
    ],
)
def test_settings_without_meaning_are_refused(beir, tmp_path, kwargs, match):
    model = kwargs.pop("model", OverlapReranker())
    with pytest.raises(ConfigError, match=match):
        evaluate(model, beir, cache_dir=tmp_path / "c", **kwargs)


APP = typer.Typer(pretty_exceptions_enable=False)
APP.callback()(lambda: None)
APP.command("evaluate")(evaluate_command)


def test_cli_rerank_prints_both_lists_and_json_holds_the_first_stage(beir, minilm_path, tmp_path):
    # all-MiniLM-L6-v2 loads as a cross-encoder with a new (untrained) head: enough for shape
    args = ["evaluate", minilm_path, str(beir), "--rerank", "--top", "3"]
    args += ["--cache-dir", str(tmp_path / "c"), "--quiet"]
    shown = CliRunner().invoke(APP, args)
    assert shown.exit_code == 0, shown.output
    assert "first stage" in shown.stdout and "reranked (top 3)" in shown.stdout
    assert "first stage: all-MiniLM-L6-v2 (bundled)" in shown.stdout

    as_json = CliRunner().invoke(APP, [*args, "--json", "--first-stage", "default"])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.stdout)
    assert set(payload["first_stage_scores"]) == {"ndcg@10", "recall@100", "mrr@10"}
    assert payload["top"] == 3 and payload["model"] == minilm_path


def test_cli_first_stage_without_rerank_is_one_clean_error(beir, tmp_path):
    result = CliRunner().invoke(
        APP, ["evaluate", "default", str(beir), "--first-stage", "default", "-q"]
    )
    assert result.exit_code == 1
    assert "A first stage is for reranking" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_a_reranker_trained_on_a_scifact_slice_reranks_a_scifact_test_slice(
    shared_data, minilm_path, tmp_path
):
    """Mine a real slice with MiniLM, train a cross-encoder from MiniLM a few steps, rerank."""
    train_data = write_subset(
        shared_data / "scifact", tmp_path / "train", queries=24, extra_docs=150
    )
    test_data = write_subset(
        shared_data / "scifact", tmp_path / "test", queries=15, extra_docs=150, split="test"
    )
    cache = tmp_path / "cache"
    run = trueneg.mine(train_data, tmp_path / "run", device="cpu", cache_dir=str(cache))
    model = tmp_path / "reranker"
    trained = trueneg.train(
        run,
        model,
        model_type="cross-encoder",
        max_steps=3,
        batch_size=8,
        max_seq_length=128,
        device="cpu",
    )
    assert trained.steps == 3 and trained.model_type == "cross-encoder"

    result = evaluate(
        model, test_data, rerank=True, top=20, device="cpu", cache_dir=cache, batch_size=16
    )

    assert result.num_queries == 15 and result.first_stage == "all-MiniLM-L6-v2 (bundled)"
    first = result.first_stage_scores
    assert set(first) == set(result.scores) == {"ndcg@10", "recall@100", "mrr@10"}
    assert result.scores["recall@100"] == pytest.approx(first["recall@100"])  # same 100 docs
    assert 0.0 <= result.scores["ndcg@10"] <= 1.0
