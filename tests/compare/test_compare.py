"""`trueneg compare`: a real tiny end-to-end comparison (BM25 mining, 1 training step of
batch 4 per cell on CPU), its resumability, its dry run and its config errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from fixtures import TINY_CORPUS, TINY_QRELS, TINY_QUERIES, write_beir
from trueneg.cli.compare_cmd import compare_command
from trueneg.compare import load_config, plan, restrict, run_comparison
from trueneg.compare.config import parse_config
from trueneg.errors import ConfigError

pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
pytest.importorskip("datasets", reason="training needs `pip install datasets`")

runner = CliRunner()
app = typer.Typer()
app.command("compare")(compare_command)
app.command("noop")(lambda: None)  # two commands, so `compare` stays a subcommand

# q1 gets a second positive: d2 says what d1 says. With hide_extra_positives one of them is
# hidden, and naive top-k mining of q1 may keep it as a (known) false negative.
QRELS = [*TINY_QRELS, ("q1", "d2", 1)]

CONFIG = """
[experiment]
name = "tiny"
out = "out"
seeds = [0]
device = "cpu"

[[dataset]]
name = "tiny"
path = "beir"
train_split = "train"
test_split = "train"
hide_extra_positives = true

[train]
max_steps = 1
batch_size = 4
warmup_ratio = 0.0
batch_sampler = "random"
precision = "fp32"

[mine]
retriever = "bm25"

[[mining]]
name = "naive"
filters = "none"
sampler = "top"
num_negatives = 2

[[mining]]
name = "random"
filters = "none"
sampler = "random"
num_negatives = 2
all_queries = true

[[mining]]
name = "zero-shot"
sampler = "none"
"""


def _write(root: Path, text: str = CONFIG) -> Path:
    write_beir(root / "beir", TINY_CORPUS, TINY_QUERIES, QRELS)
    path = root / "compare.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory, minilm_path: str) -> Path:
    config = _write(tmp_path_factory.mktemp("compare"))
    result = run_comparison(config)
    assert result.counts == {"mined": 2, "trained": 2, "evaluated": 3}
    return config


def test_writes_layout_results_and_plot(finished: Path):
    out = finished.parent / "out"
    for mining in ("naive", "random"):
        cell = out / "tiny" / mining / "seed-0"
        for name in ("run/manifest.json", "model/config.json", "train.json", "eval.json"):
            assert (cell / name).is_file(), name
    assert (out / "tiny" / "zero-shot" / "eval.json").is_file()
    assert (out / "tiny" / "data" / "hidden.json").is_file()
    assert (out / "ndcg_vs_fn.png").stat().st_size > 1000
    results = json.loads((out / "results.json").read_text())
    rows = {row["mining"]: row for row in results["rows"]}
    assert list(rows) == ["naive", "random", "zero-shot"]
    assert rows["naive"]["p_value"] is None  # the first config is the baseline
    assert rows["zero-shot"]["fn_rate"] is None
    assert 0.0 <= rows["naive"]["fn_rate"] <= 1.0
    assert all(0.0 <= row["mean"] <= 1.0 for row in rows.values())
    markdown = (out / "results.md").read_text()
    assert "| naive |" in markdown and "ndcg@10" in markdown and "median rank" in markdown
    for mining in ("naive", "random"):  # each row's optimizer steps, from its cell
        train_json = json.loads((out / "tiny" / mining / "seed-0" / "train.json").read_text())
        assert rows[mining]["steps"] == train_json["steps"] > 0
        assert rows[mining]["training"] == {}  # trained as [train] says
    assert rows["zero-shot"]["steps"] is None
    assert "| steps |" in markdown and "Trained unlike [train]" not in markdown
    # epochs left to each cell's data (trueneg.train.checks.epochs_for)
    assert results["recipe"] == {"loss": "mnrl", "rows": None, "epochs": None}


def test_each_cell_records_its_negatives(finished: Path):
    """negatives.json per cell: the kept negatives' count (as fn.json counts them), queries,
    median rank and mean score, read from the run itself; the table carries them."""
    out = finished.parent / "out"
    rows = {r["mining"]: r for r in json.loads((out / "results.json").read_text())["rows"]}
    for mining in ("naive", "random"):
        cell = out / "tiny" / mining / "seed-0"
        stats = json.loads((cell / "negatives.json").read_text())
        kept = pq.read_table(cell / "run" / "negatives.parquet").to_pandas()
        kept = kept[kept["kept"]]
        assert stats["kept"] == len(kept) == json.loads((cell / "fn.json").read_text())["kept"]
        assert stats["queries"] == kept["query_id"].nunique()
        assert stats["median_rank"] == float(np.median(kept["rank"]))
        assert stats["mean_score"] == pytest.approx(kept["score"].mean(), abs=1e-4)
        assert rows[mining]["negatives"] == stats["kept"]
        assert rows[mining]["median_rank"] == stats["median_rank"]
        assert stats["median_rank"] >= 1  # ranks start at 1 (the mining model's top hit)
    assert rows["zero-shot"]["negatives"] is None and rows["zero-shot"]["median_rank"] is None


def test_cells_mined_before_negatives_json_get_it_on_the_next_call(finished: Path):
    out = finished.parent / "out"
    path = out / "tiny" / "naive" / "seed-0" / "negatives.json"
    before = path.read_text()
    path.unlink()
    result = run_comparison(finished)
    assert result.counts == {"reused": 3}  # nothing mined or trained again
    assert path.read_text() == before


def test_the_train_table_reaches_every_cell(finished: Path):
    """[train] warmup_ratio, batch_sampler and precision are what each cell's card records."""
    card = finished.parent / "out" / "tiny" / "naive" / "seed-0" / "model" / "README.md"
    text = card.read_text(encoding="utf-8")
    assert '"batch_sampler": "random"' in text and '"warmup_ratio": 0.0' in text
    assert '"precision": "fp32"' in text
    assert '"all_queries": false' in text  # the row key, default false …
    random = card.parents[3] / "random" / "seed-0" / "model" / "README.md"
    assert '"all_queries": true' in random.read_text(encoding="utf-8")  # … set on this row


def test_report_only_tables_the_finished_cells_and_runs_nothing(finished: Path, tmp_path: Path):
    copy = tmp_path / "copied"
    shutil.copytree(finished.parent / "out", copy)
    (copy / "tiny" / "random" / "seed-0" / "eval.json").unlink()  # a cell still running elsewhere
    before = (copy / "tiny" / "random" / "seed-0" / "train.json").read_text()

    result = run_comparison(restrict(load_config(finished), out=copy), report_only=True)

    assert result.counts == {"reused": 2, "missing": 1}
    rows = json.loads((copy / "results.json").read_text())["rows"]
    assert [row["mining"] for row in rows] == ["naive", "zero-shot"]
    assert not (copy / "tiny" / "random" / "seed-0" / "eval.json").exists()
    assert (copy / "tiny" / "random" / "seed-0" / "train.json").read_text() == before
    cli = runner.invoke(app, ["compare", str(finished), "--out", str(copy), "--report-only", "-q"])
    assert cli.exit_code == 0, cli.output
    assert "Left out 1 unfinished cell (--report-only)" in cli.output
    assert "median rank" in cli.output and "; 1 step" in cli.output  # max_steps = 1
    assert "Trained unlike [train]" not in cli.output


def test_report_only_without_finished_cells_is_an_error(finished: Path, tmp_path: Path):
    result = runner.invoke(
        app, ["compare", str(finished), "--out", str(tmp_path / "empty"), "--report-only"]
    )
    assert result.exit_code == 1
    assert "No finished cell to report" in result.output and "Traceback" not in result.output


def test_second_call_trains_nothing(finished: Path):
    out = finished.parent / "out"
    stamp = (out / "tiny" / "naive" / "seed-0" / "train.json").stat().st_mtime_ns
    result = run_comparison(finished)
    assert result.counts == {"reused": 3}
    assert (out / "tiny" / "naive" / "seed-0" / "train.json").stat().st_mtime_ns == stamp
    assert [s.status for s in plan(finished)] == ["done"] * 3


def test_a_killed_training_is_redone_and_evaluation_resumes(finished: Path):
    cell = finished.parent / "out" / "tiny" / "random" / "seed-0"
    (cell / "eval.json").unlink()
    assert plan(finished)[1].status == "trained"
    result = run_comparison(finished)
    assert result.counts == {"reused": 2, "evaluated": 1}


def test_cli_dry_run_prints_the_plan_and_runs_nothing(tmp_path: Path):
    config = _write(tmp_path)
    result = runner.invoke(app, ["compare", str(config), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "tiny/naive/seed-0" in result.output and "todo" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[train]", "[train]\nlearning_rate = 1e-5"), "Unknown key in [train]"),
        (("[mine]", "[mine]\nseed = 3"), "Unknown key in [mine]"),
        (
            ('name = "naive"', 'name = "naive"\nsamplr = "top"'),
            "expected: all_queries, epochs, false_negative_cost, filters, gradient_checkpointing, "
            "judge, judge_cascade, judge_depth, loss, name, negative_weights, num_negatives, "
            "relabel, relabel_query_limit, rows, sampler",
        ),
        (("num_negatives = 2", 'num_negatives = 2\nrelabel = "1.5"'), "0 < R <= 1"),
        (("num_negatives = 2", 'num_negatives = 2\nnegative_weights = "x"'), "relative"),
        (("num_negatives = 2", 'num_negatives = 2\nloss = "triplet"'), "Unknown loss 'triplet'"),
        (("num_negatives = 2", 'num_negatives = 2\nrows = "pairs"'), "sets rows = 'pairs'"),
        (("num_negatives = 2", "num_negatives = 2\nepochs = 0"), "epochs must be > 0"),
        (("num_negatives = 2", 'num_negatives = 2\nepochs = "4"'), "epochs"),
        (
            ("num_negatives = 2", 'num_negatives = 2\nloss = "mnrl+kl"\nrows = "triplet"'),
            "trains on score lists, not triplet rows",
        ),
        (("num_negatives = 2", "num_negatives = 2\nrelabel_query_limit = 0"), "positive"),
        (("num_negatives = 2", "num_negatives = 2\nauto_cost = 3"), "only applies when auto"),
        (
            ("num_negatives = 2", "num_negatives = 2\nfalse_negative_cost = 3"),
            "'naive': false_negative_cost only applies when auto",
        ),
        (
            ('name = "naive"', 'name = "naive"\nauto_cost = 3\nfalse_negative_cost = 2'),
            "false_negative_cost is given twice",
        ),
        (('name = "zero-shot"', 'name = "zero-shot"\nauto_cost = 3'), "Drop auto_cost"),
        (("[mine]", "[mine]\nauto_cost = 3"), "Unknown key in [mine]"),
        (("[mine]", "[mine]\nfalse_negative_cost = 3"), "Unknown key in [mine]"),
        (('name = "random"', 'name = "naive"'), "share a name"),
        (('sampler = "none"', 'sampler = "none"\nnum_negatives = 2'), "mines nothing"),
        (("seeds = [0]", "seeds = []"), "seeds must be"),
        (('batch_sampler = "random"', 'batch_sampler = "tas"'), "no-duplicates"),
        (('precision = "fp32"', 'precision = "fp16"'), "Unknown [train] precision"),
        (('sampler = "none"', 'sampler = "none"\njudge = "j"'), "Drop judge from it"),
        (("num_negatives = 2", "num_negatives = 2\njudge_depth = 0"), "judge_depth must be"),
        (
            ("num_negatives = 2", 'num_negatives = 2\njudge = "./no-such-judge"'),
            "judge of [[mining]] 'naive' is not there",
        ),
        (("num_negatives = 2", "num_negatives = 2\njudge = 3"), "model folder or name"),
        (("[mine]", '[mine]\njudge = "../nowhere"'), "judge of [mine] is not there"),
        (("num_negatives = 2", 'num_negatives = 2\nall_queries = "yes"'), "true or false"),
        (('sampler = "none"', 'sampler = "none"\nall_queries = true'), "Drop all_queries"),
    ],
)
def test_config_errors_name_what_is_valid(tmp_path: Path, edit, message):
    config = _write(tmp_path, CONFIG.replace(*edit, 1))
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(config)
    result = runner.invoke(app, ["compare", str(config)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_config_paths_resolve_against_the_file(tmp_path: Path):
    cfg = load_config(_write(tmp_path))
    assert cfg.out == tmp_path / "out"
    assert cfg.datasets[0].path == tmp_path / "beir"
    assert [m.zero_shot for m in cfg.mining] == [False, False, True]
    assert cfg.mine == {"retriever": "bm25"}


def test_judge_rows_resolve_against_the_file_and_override_the_mine_table(tmp_path: Path):
    (tmp_path / "models" / "reranker").mkdir(parents=True)
    text = CONFIG.replace("[mine]", '[mine]\njudge = "some/hub-name"\njudge_depth = 5')
    text = text.replace(
        'name = "random"', 'name = "random"\njudge = "./models/reranker"\njudge_depth = 7'
    )
    cfg = load_config(_write(tmp_path, text))
    assert cfg.mine["judge"] == "some/hub-name"  # a name, not a path: passed on as is
    naive, random, _ = cfg.mining
    assert naive.mine_overrides == {}
    assert random.judge == str(tmp_path / "models" / "reranker")
    assert random.mine_overrides == {"judge": random.judge, "judge_depth": 7}


def test_a_cascade_row_resolves_each_judge_and_keeps_remote_specs(tmp_path: Path):
    (tmp_path / "models" / "reranker").mkdir(parents=True)
    chat = "chat:http://127.0.0.1:8080/v1?model=m&key_env=KEY"
    text = CONFIG.replace(
        'name = "random"',
        f'name = "random"\njudge = "./models/reranker > {chat}"\njudge_cascade = "top:0.5"',
    )
    cfg = load_config(_write(tmp_path, text))
    random = cfg.mining[1]
    assert random.judge == f"{tmp_path / 'models' / 'reranker'} > {chat}"
    assert random.mine_overrides == {"judge": random.judge, "judge_cascade": "top:0.5"}


def test_the_same_mining_with_and_without_a_judge(
    tmp_path: Path, minilm_path: str, judge_model_dir: Path
):
    """One config, two rows that differ only by the judge: only the judged cell scores pairs,
    with the row's depth, and its filter drops what the reranker scores like the positive."""
    (tmp_path / "judge").symlink_to(judge_model_dir)
    judged = """
[[mining]]
name = "judged"
filters = ["percent:0.95@judge"]
sampler = "top"
num_negatives = 2
judge = "./judge"
judge_depth = 3
"""
    text = CONFIG.split("[[mining]]")[0] + "[[mining]]" + CONFIG.split("[[mining]]")[1] + judged
    result = run_comparison(_write(tmp_path, text))
    assert result.counts == {"mined": 2, "trained": 2, "evaluated": 2}
    cells = tmp_path / "out" / "tiny"
    plain = json.loads((cells / "naive" / "seed-0" / "run" / "manifest.json").read_text())
    judged_run = cells / "judged" / "seed-0" / "run"
    manifest = json.loads((judged_run / "manifest.json").read_text())
    assert plain["config"]["judge"] is None
    assert manifest["config"]["judge"] == str(Path(judge_model_dir).resolve())  # link followed
    assert manifest["config"]["judge_depth"] == 3
    scores = pq.read_table(judged_run / "judge_scores.parquet")["judge"].to_numpy()
    ranks = pq.read_table(judged_run / "candidates.parquet")["rank"].to_numpy()
    assert np.isfinite(scores[ranks <= 3]).all() and np.isnan(scores[ranks > 3]).all()
    assert not (cells / "naive" / "seed-0" / "run" / "judge_scores.parquet").exists()
    assert (cells / "judged" / "seed-0" / "eval.json").is_file()


def test_shipped_examples_parse():
    root = Path(__file__).resolve().parents[2]
    configs = root / "benchmarks" / "configs"
    table = load_config(configs / "reproduce_st_table.toml")
    assert [d.name for d in table.datasets] == ["nfcorpus", "scifact"]
    assert len(table.mining) == 5 and table.seeds == [0, 1, 2]
    auto = next(m for m in table.mining if m.name == "auto")
    assert auto.filters is None and auto.sampler == "auto"  # trueneg mine's default
    assert sum(not s.mining.zero_shot for s in plan(table)) == 24
    # fp32, as the reference trained (sentence-transformers' default)
    assert table.train.precision == "fp32"
    load_config(root / "examples" / "compare" / "tiny.toml")
    st_recipe = load_config(configs / "compare_st_recipe_gpu.toml")
    assert (st_recipe.train.warmup_ratio, st_recipe.train.batch_sampler) == (0.0, "random")
    assert load_config(configs / "compare_scifact_bf16_gpu.toml").train.precision == "auto"


def test_gpu_collect_unpacks_per_row_tables_into_one_compare_layout(finished: Path, tmp_path: Path):
    """gpu_run.sh's table step packs each row's own out folder (ROW/DATASET/ROW/seed-S/...);
    benchmarks.gpu.gpu_collect unpacks them into one layout that --report-only tables."""
    import tarfile

    from benchmarks.gpu.gpu_collect import unpack

    out = finished.parent / "out"
    archive = tmp_path / "table-tiny-compare.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for row in ("naive", "random", "zero-shot"):
            tar.add(out / "results.md", arcname=f"./{row}/results.md")
            for path in (out / "tiny" / row).rglob("*.json"):
                tar.add(path, arcname=f"./{row}/{path.relative_to(out)}")
    dest = tmp_path / "merged"

    assert unpack(tmp_path, "compare", dest) == ["tiny"]
    assert (dest / "tiny" / "naive" / "seed-0" / "eval.json").is_file()
    assert (dest / "tiny" / "zero-shot" / "eval.json").is_file()
    assert not list(dest.glob("*/results.md"))  # each process's own table stays out
    result = run_comparison(restrict(load_config(finished), out=dest), report_only=True)
    assert result.counts == {"reused": 3}


def test_the_shipped_judge_configs_name_the_installed_reranker():
    """The configs with a judge row parse once `make judges` has run, and say how to get the
    reranker when it has not."""
    root = Path(__file__).resolve().parents[2]
    configs = [
        root / "benchmarks" / "configs" / "reproduce_st_table_judge.toml",
        root / "benchmarks" / "configs" / "compare_scifact_auto_cpu.toml",
    ]
    reranker = root / ".models" / "ms-marco-MiniLM-L-12-v2"
    if not (reranker / "model.onnx").is_file():
        for config in configs:
            with pytest.raises(ConfigError, match="make judges"):
                load_config(config)
        return
    table = load_config(configs[0])
    assert [m.name for m in table.mining] == ["naive-top4", "auto", "auto-judge"]
    assert table.mining[2].mine_overrides == {"judge": str(reranker.resolve()), "judge_depth": 30}
    reference = root / "benchmarks" / "configs" / "reproduce_st_table.toml"
    assert table.out == load_config(reference).out
    cpu = load_config(configs[1])
    assert next(m for m in cpu.mining if m.name == "auto-judge").mine_overrides == {
        "judge": str(reranker.resolve()),
        "judge_depth": 10,
    }


def test_cli_part_runs_only_what_it_names_from_another_data_folder(tmp_path: Path):
    """--mining/--out/--data: the zero-shot row alone, read from a moved copy of the data."""
    import shutil

    config = _write(tmp_path)
    moved = tmp_path / "elsewhere" / "tiny-beir"
    shutil.move(tmp_path / "beir", moved)
    result = runner.invoke(
        app,
        [
            "compare",
            str(config),
            "--mining",
            "zero-shot",
            "--out",
            str(tmp_path / "part"),
            "--data",
            f"tiny={moved}",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "part" / "tiny" / "zero-shot" / "eval.json").is_file()
    assert not (tmp_path / "part" / "tiny" / "naive").exists()
    assert not (tmp_path / "out").exists()
    saved = json.loads((tmp_path / "part" / "results.json").read_text(encoding="utf-8"))
    assert "zero-shot" in json.dumps(saved) and "naive" not in json.dumps(saved)


def test_restrict_narrows_the_plan_and_rejects_unknown_names(tmp_path: Path):
    from trueneg.compare import restrict

    cfg = load_config(_write(tmp_path, CONFIG.replace("seeds = [0]", "seeds = [0, 1, 2]")))
    part = restrict(cfg, mining=["naive"], seeds=[1])
    assert [s.label for s in plan(part)] == ["tiny/naive/seed-1"]
    assert [s.label for s in plan(restrict(cfg))] == [s.label for s in plan(cfg)]
    for kwargs, message in [
        ({"datasets": ["nope"]}, "No dataset 'nope'"),
        ({"mining": ["nope"]}, "No mining 'nope'"),
        ({"seeds": [7]}, "No seed 7"),
        ({"data": {"nope": tmp_path}}, "No dataset 'nope'"),
    ]:
        with pytest.raises(ConfigError, match=message) as info:
            restrict(cfg, **kwargs)
        assert "expected" in str(info.value)
    for args in (["--seed", "7"], ["--data", "tiny"], ["--dataset", "nope"]):
        result = runner.invoke(app, ["compare", str(tmp_path / "compare.toml"), "--dry-run", *args])
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    result = runner.invoke(
        app,
        [
            "compare",
            str(tmp_path / "compare.toml"),
            "--dry-run",
            "--seed",
            "2",
            "--mining",
            "random",
        ],
    )
    assert result.exit_code == 0 and "tiny/random/seed-2" in result.output
    assert "seed-0" not in result.output and "naive" not in result.output


def test_a_row_sets_its_own_rows_and_epochs_over_the_train_table():
    """A distillation row's control: MNRL on one row a query (``rows = "n-tuple"``), and the
    same lists for k epochs (the steps of the table's triplets); other rows keep the table's."""
    raw = {
        "experiment": {"name": "x", "out": "runs/x"},
        "dataset": [{"name": "tiny", "path": "data/tiny"}],
        "mining": [
            {"name": "naive", "filters": "none", "sampler": "top"},
            {"name": "lists", "rows": "n-tuple"},
            {"name": "lists-4", "rows": "n-tuple", "epochs": 4},
            {"name": "distill-4", "loss": "mnrl+kl", "epochs": 4.5},
        ],
        "train": {"rows": "triplet", "epochs": 1},
    }
    config = parse_config(raw)
    naive, lists, lists_4, distill_4 = (
        (spec.loss, spec.rows, spec.epochs) for spec in map(config.train.for_row, config.mining)
    )
    assert naive == (None, "triplet", 1)
    assert lists == (None, "n-tuple", 1)
    assert lists_4 == (None, "n-tuple", 4)
    assert distill_4 == ("mnrl+kl", None, 4.5)


def test_a_distillation_row_trains_on_score_lists_under_a_triplet_train_table(
    tmp_path: Path, minilm_path: str, judge_model_dir: Path
):
    """``rows = "triplet"`` is set for the table's MNRL; a row with ``loss = "mnrl+kl"`` needs
    the judge's score lists, and trains on them instead of failing after its mining."""
    (tmp_path / "judge").symlink_to(judge_model_dir)
    table = CONFIG.split("[mine]")[0].replace(
        'precision = "fp32"', 'precision = "fp32"\nrows = "triplet"'
    )
    text = (
        table
        + """[mine]
retriever = "bm25"

[[mining]]
name = "naive"
filters = "none"
sampler = "top"
num_negatives = 2

[[mining]]
name = "distill"
filters = "none"
sampler = "top"
num_negatives = 2
judge = "./judge"
judge_depth = 3
loss = "mnrl+kl"

# the distillation row's control: the same negatives, MNRL alone, on one row a query
[[mining]]
name = "lists"
filters = "none"
sampler = "top"
num_negatives = 2
judge = "./judge"
judge_depth = 3
rows = "n-tuple"
"""
    )
    config = _write(tmp_path, text)
    cfg = load_config(config)
    assert cfg.train.rows == "triplet"
    assert cfg.train.for_loss(None) == cfg.train
    assert cfg.train.for_loss("mnrl+kl").rows is None  # the loss's own score lists
    assert cfg.train.for_loss("cached-mnrl").rows == "triplet"  # contrastive: triplets still
    assert cfg.train.for_row(cfg.mining[2]).rows == "n-tuple"
    result = run_comparison(config)
    assert result.counts == {"mined": 3, "trained": 3, "evaluated": 3}
    cells = tmp_path / "out" / "tiny"
    naive, distill, lists = (
        json.loads((cells / name / "seed-0" / "train.json").read_text())
        for name in ("naive", "distill", "lists")
    )
    assert naive["loss"] == "mnrl" and distill["loss"] == "mnrl+kl" and lists["loss"] == "mnrl"
    # one score list a query (its positive, its negatives, the judge's scores), not triplets
    assert distill["rows"] == distill["export_notes"]["queries_written"]
    assert "negatives_per_row" in distill["export_notes"]
    assert "negatives_per_row" not in naive["export_notes"]
    # the control trains on the same queries in the same steps, without the judge's scores
    assert lists["rows"] == distill["rows"] == lists["export_notes"]["queries_written"]
    assert lists["steps"] == distill["steps"]
    # [train] leaves the epochs to the data, the same for the distillation row and its control
    assert naive["epochs"] == 1 and lists["epochs"] == distill["epochs"]
    assert (
        lists["export_notes"]["negatives_per_row"] == distill["export_notes"]["negatives_per_row"]
    )
    # the table says which rows trained unlike [train], and each row's steps
    rows = {row["mining"]: row for row in result.rows()}
    assert rows["naive"]["training"] == {} and rows["naive"]["steps"] == naive["steps"]
    assert rows["distill"]["training"] == {"loss": "mnrl+kl", "rows": None}
    assert rows["lists"]["training"] == {"rows": "n-tuple"}
    assert rows["lists"]["steps"] == lists["steps"]
    markdown = (tmp_path / "out" / "results.md").read_text()
    assert (
        "Trained unlike [train] (loss mnrl, rows triplet, epochs from the data): distill "
        "(loss mnrl+kl, rows of the loss's own format); lists (rows n-tuple)."
    ) in markdown
    cli = runner.invoke(app, ["compare", str(config), "--report-only", "-q"])
    assert cli.exit_code == 0, cli.output
    assert "Trained unlike [train]" in cli.output and "(rows n-tuple)" in cli.output


def test_collected_cells_restore_into_a_layout_that_report_only_tables(
    finished: Path, tmp_path: Path
):
    """benchmarks.quality.collect_cells copies a row's cells into one results file; --restore
    writes them back (a fresh checkout with no run folders), and the table made from them has
    the same scores, so a new seed can join seeds whose folders are gone."""
    from benchmarks.quality.collect_cells import collect, restore

    out = finished.parent / "out"
    dest = tmp_path / "restored"
    for row in ("naive", "random"):
        source = tmp_path / f"{row}.json"
        source.write_text(json.dumps(collect(out, "tiny", row, [0])))
        assert restore(source, dest, "tiny", row) == [dest / "tiny" / row / "seed-0"]
        assert restore(source, dest, "tiny", row) == []  # a cell on disk is never overwritten
        manifest_path = dest / "tiny" / row / "seed-0" / "run" / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        assert manifest["restored_from"] == str(source)
    with pytest.raises(ValueError, match="row 'random', not 'naive'"):
        restore(tmp_path / "random.json", tmp_path / "other", "tiny", "naive")

    result = run_comparison(restrict(load_config(finished), out=dest), report_only=True)
    assert result.counts == {"reused": 2, "missing": 1}  # zero-shot was not collected

    def means(folder: Path) -> dict[str, float]:
        rows = json.loads((folder / "results.json").read_text())["rows"]
        return {row["mining"]: row["mean"] for row in rows}

    assert means(dest) == {row: means(out)[row] for row in ("naive", "random")}
