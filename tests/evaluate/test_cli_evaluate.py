"""`trueneg evaluate` through the CLI: the --json contract, --save/--compare, clean errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from fixtures import write_tiny_beir
from trueneg.cli.evaluate import evaluate_command
from trueneg.evaluate import EvalResult

runner = CliRunner()


def make_app() -> typer.Typer:
    """The command in a group of its own, as `trueneg evaluate` (main.py registers it too)."""
    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    app.command("evaluate")(evaluate_command)
    return app


APP = make_app()


def invoke(*args: str):
    return runner.invoke(APP, ["evaluate", *args])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_beir(tmp_path_factory.mktemp("tiny") / "beir")


@pytest.fixture(scope="module")
def json_run(tiny, minilm_path, tmp_path_factory):
    """One real-model evaluation of the tiny set (14 short texts), shared by the tests."""
    root = tmp_path_factory.mktemp("cli")
    saved = root / "minilm.json"
    result = invoke(
        minilm_path,
        str(tiny),
        "--split",
        "train",
        "--json",
        "--quiet",
        "--device",
        "cpu",
        "--cache-dir",
        str(root / "cache"),
        "--save",
        str(saved),
    )
    assert result.exit_code == 0, result.output
    return result, saved, root


def test_json_contract(json_run):
    result, _, _ = json_run
    payload = json.loads(result.stdout)
    for key in ("ndcg@10", "recall@100", "mrr@10"):
        assert 0.0 <= payload[key] <= 1.0
    assert payload["split"] == "train" and payload["num_queries"] == 4
    assert payload["queries_without_relevant"] == 0 and "per_query" not in payload
    assert payload["recall@100"] == 1.0  # 9 documents, all retrieved


def test_save_writes_per_query_scores(json_run):
    _, saved, _ = json_run
    loaded = EvalResult.load(saved)
    assert set(loaded.per_query["ndcg@10"]) == {"q1", "q2", "q3", "q4"}


def test_table_output_reuses_the_cache(json_run, tiny, minilm_path):
    _, _, root = json_run
    result = invoke(
        minilm_path,
        str(tiny),
        "--split",
        "train",
        "--quiet",
        "--cache-dir",
        str(root / "cache"),
        "--metric",
        "ndcg@10",
        "--metric",
        "map",
    )
    assert result.exit_code == 0, result.output
    assert "ndcg@10" in result.stdout and "map" in result.stdout
    assert "4 queries; 9 documents" in result.stdout


def _saved(tmp_path, name: str, shift: float, seed: int) -> str:
    rng = np.random.default_rng(seed)
    scores = np.clip(np.linspace(0.1, 0.9, 30) + shift + rng.normal(0, 0.01, 30), 0, 1)
    per_query = {"ndcg@10": {f"q{i}": float(s) for i, s in enumerate(scores)}}
    result = EvalResult(scores={"ndcg@10": float(scores.mean())}, per_query=per_query, name=name)
    return str(result.save(tmp_path / f"{name}-{seed}.json"))


def test_compare_groups_seeds_by_saved_name(tmp_path):
    files = [
        _saved(tmp_path, "base", 0.0, 0),
        _saved(tmp_path, "tuned", 0.05, 1),
        _saved(tmp_path, "tuned", 0.05, 2),
    ]
    result = invoke("--compare", *files, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [s["name"] for s in payload["systems"]] == ["base", "tuned"]
    assert payload["systems"][1]["seeds"] == 2
    assert payload["systems"][1]["p_value"]["ndcg@10"] < 0.05
    table = invoke("--compare", f"mine={files[1]}", f"mine={files[2]}", f"ref={files[0]}")
    assert table.exit_code == 0, table.output
    assert "mine" in table.stdout and "ref" in table.stdout and "t-test" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "needs MODEL and DATA"),
        (["only-one-argument"], "needs MODEL and DATA"),
        (["--compare"], "--compare needs saved result files"),
        (["--compare", "missing.json"], "Cannot read the result file"),
    ],
)
def test_usage_errors(args, message):
    result = invoke(*args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_missing_split(tiny, tmp_path):
    result = invoke("default", str(tiny), "--split", "test", "--cache-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "no qrels for split 'test'" in result.output and "train" in result.output


def test_model_folder_that_does_not_exist(tiny, tmp_path):
    result = invoke(str(tmp_path / "no-model"), str(tiny), "--split", "train")
    assert result.exit_code == 1 and "Model folder not found" in result.output


def test_every_option_has_help():
    command = typer.main.get_command(APP).commands["evaluate"]
    assert command.help
    for param in command.params:
        assert param.help, param.name
