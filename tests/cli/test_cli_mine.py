"""`trueneg mine` through the CLI on the tiny hand-made BEIR set (BM25: no model needed)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fixtures import write_tiny_beir
from trueneg.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_beir(tmp_path_factory.mktemp("tiny") / "beir")


def mine(*args: str):
    result = runner.invoke(app, ["mine", *args])
    assert result.exit_code == 0, result.output
    return result


def manifest_config(run_dir) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())["config"]


def test_mine_prints_the_summary_and_writes_the_run_directory(tiny, tmp_path):
    out = tmp_path / "run"
    result = mine(str(tiny), "--out", str(out), "--retriever", "bm25")
    for text in (
        "trueneg summary",
        "queries",
        "kept negatives",
        "score quantiles",
        f"run directory: {out}",
    ):
        assert text in result.stdout
    for name in (
        "manifest.json",
        "state.json",
        "negatives.parquet",
        "candidates.parquet",
        "data/queries.parquet",
        "data/corpus.parquet",
        "data/qrels.parquet",
    ):
        assert (out / name).is_file(), name
    config = manifest_config(out)
    assert config["retriever"] == "bm25"
    assert config["filters"] == ["percent:0.95", "near-duplicate:0.95"]  # the default chain
    assert config["num_negatives"] == 4


def test_log_lines_go_to_stderr_and_quiet_silences_them(tiny, tmp_path):
    loud = mine(str(tiny), "--out", str(tmp_path / "a"), "--retriever", "bm25", "--filter", "none")
    assert "retrieve: bm25" in loud.stderr
    assert "retrieve: bm25" not in loud.stdout
    quiet = mine(
        str(tiny),
        "--out",
        str(tmp_path / "b"),
        "--retriever",
        "bm25",
        "--filter",
        "none",
        "--quiet",
    )
    assert "retrieve:" not in quiet.stderr
    assert "trueneg summary" in quiet.stdout


def test_filter_none_means_no_filter(tiny, tmp_path):
    from trueneg.api import Run

    out = tmp_path / "run"
    mine(str(tiny), "--out", str(out), "--retriever", "bm25", "--filter", "none")
    assert manifest_config(out)["filters"] == []
    assert set(Run(out).negatives()["reason"].to_pylist()) <= {"", "not-sampled"}


def test_repeated_filters_keep_their_order(tiny, tmp_path):
    out = tmp_path / "run"
    mine(
        str(tiny),
        "--out",
        str(out),
        "--retriever",
        "bm25",
        "--filter",
        "max-score:5",
        "--filter",
        "rank-window:1-3",
    )
    assert manifest_config(out)["filters"] == ["max-score:5", "rank-window:1-3"]


@pytest.mark.parametrize("flag", ["-k", "--num-negatives"])
def test_k_sets_negatives_per_query(tiny, tmp_path, flag):
    from trueneg.api import Run

    out = tmp_path / "run"
    result = mine(
        str(tiny), "--out", str(out), "--retriever", "bm25", "--filter", "none", flag, "1"
    )
    assert "with 1 negative " in result.stdout
    assert manifest_config(out)["num_negatives"] == 1
    kept = Run(out).negatives(kept_only=True)["query_id"].to_pylist()
    assert len(kept) == len(set(kept)) >= 1


def test_config_file_gives_settings_and_flags_override_it(tiny, tmp_path):
    out = tmp_path / "from-toml"
    config = tmp_path / "run.toml"
    config.write_text(
        f'data = "{tiny}"\nout = "{out}"\nretriever = "bm25"\nnum_negatives = 3\n'
        'filters = ["rank-window:1-3"]\nsampler = "random"\nseed = 5\n',
        encoding="utf-8",
    )
    mine("--config", str(config), "-k", "1", "--seed", "0")
    settings = manifest_config(out)
    assert settings["retriever"] == "bm25"  # from the file
    assert settings["filters"] == ["rank-window:1-3"]
    assert settings["sampler"] == "random"
    assert settings["num_negatives"] == 1  # the flags win, even when set to 0
    assert settings["seed"] == 0


def test_config_file_filters_are_replaced_by_filter_none(tiny, tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('retriever = "bm25"\nfilter = "max-score:5"\n', encoding="utf-8")
    mine(str(tiny), "--out", str(tmp_path / "a"), "--config", str(config))
    assert manifest_config(tmp_path / "a")["filters"] == ["max-score:5"]
    mine(str(tiny), "--out", str(tmp_path / "b"), "--config", str(config), "--filter", "none")
    assert manifest_config(tmp_path / "b")["filters"] == []


def test_rerun_in_the_same_directory_reuses_stages(tiny, tmp_path):
    out = tmp_path / "run"
    args = (str(tiny), "--out", str(out), "--retriever", "bm25", "--filter", "none")
    mine(*args)
    state = (out / "state.json").read_text()
    again = mine(*args)
    assert (out / "state.json").read_text() == state
    assert "reusing" in again.stderr


def test_help_names_every_registered_retriever_and_sampler():
    """The help strings are written by hand: they must not drift from the registries."""
    from trueneg.retrieve import RETRIEVERS
    from trueneg.select import SAMPLERS, SHORTFALL_POLICIES

    result = runner.invoke(app, ["mine", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name in [*RETRIEVERS.names(), *SAMPLERS.names(), *SHORTFALL_POLICIES]:
        assert name in text, name
