"""`trueneg mine` through the CLI on the tiny hand-made BEIR set (BM25: no model needed)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fixtures import write_tiny_beir
from trueneg.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def user_cache(tmp_path, monkeypatch):
    """The per-user cache folder of these runs: a temporary one, never the real one."""
    monkeypatch.setenv("TRUENEG_CACHE", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache"


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
    # auto on 4 queries: a window from each rank's upper bound, then near-duplicate
    assert config["filters"][0].startswith("rank-window:")
    assert config["filters"][1:] == ["near-duplicate:0.95"]
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


# the shared embedding cache ------------------------------------------------------------------
def stage(run_dir, name: str) -> dict:
    return json.loads((run_dir / "state.json").read_text())[name]


def test_a_new_out_reuses_the_shared_cache(tiny, tmp_path, user_cache):
    args = ("--retriever", "exact", "--filter", "none", "--device", "cpu", "-q")
    mine(str(tiny), "--out", str(tmp_path / "a"), *args)
    assert manifest_config(tmp_path / "a")["cache_dir"] == str(user_cache)
    assert stage(tmp_path / "a", "encode")["cache"] == str(user_cache)
    assert stage(tmp_path / "a", "encode")["docs_per_s"] is not None  # encoded
    assert list(user_cache.glob("*.npy")) and not (tmp_path / "a" / "embeddings").exists()
    mine(str(tiny), "--out", str(tmp_path / "b"), *args)
    assert stage(tmp_path / "b", "encode")["docs_per_s"] is None  # every vector was cached


def test_cache_dir_run_keeps_the_vectors_in_the_run(tiny, tmp_path, user_cache):
    out = tmp_path / "run"
    mine(str(tiny), "--out", str(out), "--device", "cpu", "--cache-dir", "run", "-q")
    assert manifest_config(out)["cache_dir"] == "run"
    assert list((out / "embeddings").glob("*.npy"))
    assert not user_cache.exists()


def test_model_options_are_recorded(tiny, tmp_path):
    out = tmp_path / "run"
    options = ("--max-seq-length", "64", "--trust-remote-code", "--device", "cpu", "-q")
    mine(str(tiny), "--out", str(out), "--filter", "none", *options)
    config = manifest_config(out)
    assert (config["max_seq_length"], config["trust_remote_code"]) == (64, True)
    assert config["prompt_name"] is None


def test_an_unknown_prompt_name_is_a_clean_error(tiny, tmp_path):
    result = runner.invoke(
        app, ["mine", str(tiny), "--out", str(tmp_path / "r"), "--prompt-name", "web_query"]
    )
    assert result.exit_code == 1
    assert "no prompt named 'web_query'" in result.output and "none saved" in result.output


def test_bm25_language_is_recorded_in_the_retriever(tiny, tmp_path):
    out = tmp_path / "run"
    mine(str(tiny), "--out", str(out), "--retriever", "bm25:stemmer=none,stopwords=fr", "-q")
    assert manifest_config(out)["retriever"] == "bm25:stemmer=none,stopwords=fr"


# Hub datasets (local copies laid out as the Hub's) ---------------------------------------------
@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))


def test_mine_a_beir_style_hub_dataset_and_reuse_its_load(tmp_path, hub_cache):
    from data.hub_repos import write_mteb_repo

    repo = write_mteb_repo(tmp_path / "hub")
    out = tmp_path / "run"
    args = (f"hub:{repo}", "--out", str(out), "--split", "test", "--retriever", "bm25")
    first = mine(*args, "--filter", "none", "-k", "1")
    assert "BEIR-style" in first.stderr and "split test" in first.stderr
    assert stage(out, "load")["report"]["kind"] == "hub-beir"
    again = mine(*args, "--filter", "none", "-k", "1")
    assert "load: reusing 2 queries" in again.stderr


def test_mine_a_pairs_hub_dataset_with_its_config(tmp_path, hub_cache):
    from data.hub_repos import write_pairs_repo

    repo = write_pairs_repo(tmp_path / "hub")
    out = tmp_path / "run"
    mine(f"hub:{repo}", "--out", str(out), "--hub-config", "pair", "--retriever", "bm25", "-q")
    assert manifest_config(out)["hub_config"] == "pair"
    assert stage(out, "load")["report"]["kind"] == "hub-pairs"


def test_an_unreachable_hub_name_says_what_to_do(tmp_path, hub_cache, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    result = runner.invoke(app, ["mine", "nobody-here/no-dataset", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "Cannot load the Hub dataset 'nobody-here/no-dataset': offline mode is on" in text
    assert "holds no copy of it" in text and "HF_DATASETS_CACHE" in text


def test_hub_options_with_a_local_folder_are_refused(tiny, tmp_path):
    result = runner.invoke(
        app, ["mine", str(tiny), "--out", str(tmp_path / "r"), "--hub-config", "corpus"]
    )
    assert result.exit_code == 1
    assert "Hub options apply to Hub datasets only" in " ".join(result.output.split())
