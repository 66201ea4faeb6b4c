"""``auto``'s training queries: every query is mined, but when most labeled positives rank
below the mining model's top 100, export and train leave those queries out.

The fixture: the tiny BEIR set plus 110 abstracts about honeybees and four queries about
honeybees whose "positives" are the coffee, sleep, salt and fiber abstracts (mislabeled
pairs): the real bundled model ranks each below every honeybee abstract, past rank 110. Four
deep queries of eight are half of them, so auto leaves them out; with one of five it keeps it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import trueneg
from fixtures import TINY_CORPUS, TINY_QRELS, TINY_QUERIES, write_beir
from trueneg.cli.export import export_command
from trueneg.export import export_notes

pytestmark = pytest.mark.slow

BEES = [
    (
        f"b{i}",
        "Honeybees",
        f"Honeybee foragers in colony {i} share where flowers are through the waggle dance, "
        f"study {i}.",
    )
    for i in range(110)
]
MISLABELED = ("q5", "How do honeybees tell each other where the flowers are?")
MORE_MISLABELED = [
    ("q6", "What does the waggle dance of honeybee foragers communicate?"),
    ("q7", "How do honeybee colonies share the location of flowers?"),
    ("q8", "Why do honeybee foragers dance in the colony?"),
]
WRONG_POSITIVES = [("q5", "d3", 1), ("q6", "d8", 1), ("q7", "d9", 1), ("q8", "d10", 1)]

runner = CliRunner()
app = typer.Typer()
app.command("export")(export_command)
app.command("noop")(lambda: None)  # two commands, so `export` stays a subcommand


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, minilm_path: str) -> trueneg.Run:
    root = tmp_path_factory.mktemp("training-queries")
    data = write_beir(
        root / "beir",
        [*TINY_CORPUS, *BEES],
        [*TINY_QUERIES, MISLABELED, *MORE_MISLABELED],
        [*TINY_QRELS, *WRONG_POSITIVES],
    )
    return trueneg.mine(data, root / "run", num_negatives=2, device="cpu")


def test_every_query_is_mined_and_auto_records_which_to_train_on(run: trueneg.Run):
    ranks = {r["query_id"]: r for r in run.query_stats().to_pylist()}
    for query_id in ("q5", "q6", "q7", "q8"):
        assert ranks[query_id]["positive_rank"] > 100, f"{query_id}'s wrong positive must rank deep"
        assert ranks[query_id]["kept"] == 2  # mining still gives it its negatives
    assert run.summary().queries_full == 8
    advice = run.manifest["auto"]["train_queries"]
    assert advice == {
        "max_positive_rank": 100,
        "queries": 8,
        "kept": 4,
        "left_out": 4,
        "deep": 4,
        "share_deep": 0.5,
        "min_share": 0.5,
        "applied": True,
    }
    assert sorted(run.training_queries().to_pylist()) == ["q1", "q2", "q3", "q4"]
    assert run.training_queries(all_queries=True) is None
    assert "the 4 (50%) whose labeled positive" in run.summary().to_markdown()


def test_one_deep_query_among_five_is_a_hard_example_and_trains(tmp_path: Path, minilm_path: str):
    data = write_beir(
        tmp_path / "beir",
        [*TINY_CORPUS, *BEES],
        [*TINY_QUERIES, MISLABELED],
        [*TINY_QRELS, ("q5", "d3", 1)],
    )
    run = trueneg.mine(data, tmp_path / "run", num_negatives=2, device="cpu")
    advice = run.manifest["auto"]["train_queries"]
    assert (advice["deep"], advice["share_deep"], advice["applied"]) == (1, 0.2, False)
    assert (advice["kept"], advice["left_out"]) == (5, 0)
    assert run.training_queries() is None
    table = run.export("triplet")
    assert MISLABELED[1] in table.column("anchor").to_pylist()
    assert "queries_not_for_training" not in export_notes(table)
    assert "1 (20%) have their labeled positive below" in run.summary().to_markdown()


def test_export_leaves_out_the_mislabeled_query_unless_all_queries(run: trueneg.Run):
    table = run.export("triplet")
    assert MISLABELED[1] not in table.column("anchor").to_pylist()
    assert export_notes(table)["queries_not_for_training"] == 4
    every = run.export("triplet", all_queries=True)
    assert every.num_rows == table.num_rows + 8  # q5-q8's two kept negatives each
    assert "queries_not_for_training" not in export_notes(every)
    assert run.training_negatives().num_rows == run.training_negatives(True).num_rows - 8


def test_cli_export_says_what_it_left_out(run: trueneg.Run, tmp_path: Path):
    result = runner.invoke(
        app, ["export", str(run.path), "--format", "triplet", "--to", str(tmp_path / "t.jsonl")]
    )
    assert result.exit_code == 0, result.output
    assert "left out 4 of 8 queries: 4 whose" in result.output and "--all-queries" in result.output
    rows = (tmp_path / "t.jsonl").read_text().splitlines()
    assert len(rows) == 8 and not any("honeybees tell" in r for r in rows)
    every = tmp_path / "a.jsonl"
    args = ["export", str(run.path), "-f", "triplet", "--to", str(every), "--all-queries"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "left out" not in result.output
    anchors = [json.loads(r)["anchor"] for r in every.read_text().splitlines()]
    assert anchors.count(MISLABELED[1]) == 2 and len(anchors) == 16


def test_training_uses_the_training_queries(run: trueneg.Run, tmp_path: Path):
    pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
    pytest.importorskip("datasets", reason="training needs `pip install datasets`")
    from trueneg.train import train

    kwargs = {"max_steps": 1, "batch_size": 4, "device": "cpu", "rows": "triplet"}
    result = train(run, tmp_path / "m", **kwargs)
    assert result.rows == 8 and result.queries_not_for_training == 4
    every = train(run, tmp_path / "all", all_queries=True, **kwargs)
    assert every.rows == 16 and every.queries_not_for_training == 0


def test_explicit_filters_keep_every_query(run: trueneg.Run, tmp_path: Path):
    data = Path(run.manifest["inputs"]["data"])
    plain = trueneg.mine(data, tmp_path / "plain", filters=[], num_negatives=2, device="cpu")
    assert plain.manifest["auto"] is None and plain.training_queries() is None
    assert MISLABELED[1] in plain.export("triplet").column("anchor").to_pylist()


def test_cli_train_says_what_it_left_out(run: trueneg.Run, tmp_path: Path):
    pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
    pytest.importorskip("datasets", reason="training needs `pip install datasets`")
    from trueneg.cli.train import train_command

    cli = typer.Typer()
    cli.command("train")(train_command)
    cli.command("noop")(lambda: None)
    args = ["train", str(run.path), "--out", str(tmp_path / "m"), "--max-steps", "1"]
    result = runner.invoke(cli, [*args, "--batch-size", "4", "--device", "cpu", "-q"])
    assert result.exit_code == 0, result.output
    assert "left out 4 queries whose positive ranks below" in " ".join(result.output.split())
