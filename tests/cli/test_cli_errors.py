"""Every user error ends with exit code 1 and one clean message naming what was wrong: no
traceback unless `--debug` is given."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import trueneg
from fixtures import write_tiny_beir
from trueneg.cli.main import app

runner = CliRunner()
CLI = [sys.executable, "-c", "from trueneg.cli.main import main; main()"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("errors")
    bad_jsonl = root / "pairs.jsonl"
    bad_jsonl.write_text(
        '{"query": "a", "positive": "b"}\n{"query": "c", positive\n', encoding="utf-8"
    )
    csv = root / "pairs.csv"
    csv.write_text("question,answer\nwhat is a,b\nwhat is c,d\n", encoding="utf-8")
    toml = root / "bad.toml"
    toml.write_text("retriever = \n", encoding="utf-8")
    no_out_toml = root / "no-out.toml"
    no_out_toml.write_text('[experiment]\nname = "x"\n', encoding="utf-8")
    unknown_key = root / "unknown.toml"
    unknown_key.write_text('retreiver = "bm25"\n', encoding="utf-8")
    tiny = write_tiny_beir(root / "tiny")
    finished = trueneg.mine(tiny, root / "finished", retriever="bm25", filters=[]).path
    unfinished = trueneg.mine(tiny, root / "unfinished", retriever="bm25", filters=[]).path
    (unfinished / "manifest.json").unlink()  # as after a run killed before its end
    return {
        "root": root,
        "tiny": tiny,
        "bad_jsonl": bad_jsonl,
        "csv": csv,
        "toml": toml,
        "unknown_key": unknown_key,
        "no_out_toml": no_out_toml,
        "finished": finished,
        "unfinished": unfinished,
    }


def error_of(args: list[str]) -> tuple[str, str]:
    """Run the CLI expecting a clean failure; return (the error message unwrapped, raw output)."""
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.output.count("Error:") == 1, result.output
    message = result.output[result.output.index("Error:") :]
    assert "Error:" in result.stderr and "Error:" not in result.stdout
    return " ".join(message.split()), message


# (case id, args from the files fixture and a run folder, texts the message must contain)
CASES = [
    (
        "unknown-filter",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "--filter", "percentt:0.9"],
        [
            "'percentt'",
            "margin",
            "max-score",
            "min-score",
            "near-duplicate",
            "percent",
            "rank-window",
            "trueneg strategies",
        ],
    ),
    (
        "filter-value",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "--filter", "percent:abc"],
        ["percent:abc", "percent:NUMBER"],
    ),
    (
        "unknown-sampler",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "--sampler", "topp"],
        ["'topp'", "random", "simans", "softmax", "top"],
    ),
    (
        "unknown-retriever",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "--retriever", "bm26"],
        ["'bm26'", "exact", "bm25", "hybrid"],
    ),
    (
        "unknown-shortfall",
        lambda f, o: [
            "mine",
            str(f["tiny"]),
            "-o",
            str(o),
            "--shortfall",
            "pad",
            "--retriever",
            "bm25",
            "--filter",
            "none",
        ],
        ["pad", "keep-short", "drop", "backfill"],
    ),
    (
        "missing-data",
        lambda f, o: ["mine", str(f["root"] / "no-such-data"), "-o", str(o)],
        ["no-such-data", "does not exist"],
    ),
    (
        "missing-data-with-brackets",  # printed as given, not read as rich markup
        lambda f, o: ["mine", str(f["root"] / "runs [v2]" / "data"), "-o", str(o)],
        ["runs [v2]/data", "does not exist"],
    ),
    (
        "compare-config-without-out",
        lambda f, o: ["compare", str(f["no_out_toml"])],
        ["[experiment] needs 'out'"],
    ),
    (
        "auto-cost-with-filters",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "--filter", "none", "--auto-cost", "3"],
        ["only applies when auto chooses", "--false-negative-cost"],
    ),
    (
        "false-negative-cost-with-filters",
        lambda f, o: [
            *["mine", str(f["tiny"]), "-o", str(o)],
            *["--filter", "none", "--false-negative-cost", "3"],
        ],
        ["only applies when auto chooses the filters", "--false-negative-cost"],
    ),
    (
        "false-negative-cost-twice",
        lambda f, o: [
            *["mine", str(f["tiny"]), "-o", str(o)],
            *["--auto-cost", "3", "--false-negative-cost", "2"],
        ],
        ["is given twice", "its old name"],
    ),
    (
        "audit-cost-twice",
        lambda f, o: [
            *["audit", str(f["finished"])],
            *["--cost-ratio", "3", "--false-negative-cost", "2"],
        ],
        ["--false-negative-cost is given twice", "--cost-ratio, its old name"],
    ),
    (
        "audit-cost-ratio-still-read",
        lambda f, o: ["audit", str(f["finished"]), "--cost-ratio", "0"],
        ["must be positive"],  # the value reached audit()
    ),
    ("no-data", lambda f, o: ["mine", "-o", str(o)], ["No input data"]),
    ("no-out", lambda f, o: ["mine", str(f["tiny"])], ["--out"]),
    (
        "missing-model",
        lambda f, o: [
            "mine",
            str(f["tiny"]),
            "-o",
            str(o),
            "--model",
            str(f["root"] / "no-such-model"),
        ],
        ["no-such-model", "Model folder not found"],
    ),
    (
        "malformed-jsonl",
        lambda f, o: ["mine", str(f["bad_jsonl"]), "-o", str(o), "--retriever", "bm25"],
        ["pairs.jsonl", "line 2"],
    ),
    (
        "missing-column",
        lambda f, o: [
            "mine",
            str(f["csv"]),
            "-o",
            str(o),
            "--retriever",
            "bm25",
            "--positive-column",
            "passage",
        ],
        ["'passage'", "pairs.csv", "question", "answer"],
    ),
    (
        "k-zero",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "-k", "0"],
        ["num_negatives", "0", ">= 1"],
    ),
    (
        "depth-zero",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "--depth", "0"],
        ["depth", ">= 1"],
    ),
    (
        "unknown-device",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "--device", "tpu"],
        ["tpu", "cpu", "cuda"],
    ),
    (
        "config-not-found",
        lambda f, o: [
            "mine",
            str(f["tiny"]),
            "-o",
            str(o),
            "--config",
            str(f["root"] / "nope.toml"),
        ],
        ["nope.toml", "not found"],
    ),
    (
        "config-unparsable",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "--config", str(f["toml"])],
        ["bad.toml"],
    ),
    (
        "config-unknown-key",
        lambda f, o: ["mine", str(f["tiny"]), "-o", str(o), "--config", str(f["unknown_key"])],
        ["retreiver", "retriever"],
    ),
    (
        "export-missing-run",
        lambda f, o: [
            "export",
            str(f["root"] / "no-such-run"),
            "--format",
            "triplet",
            "--to",
            str(f["root"] / "t.jsonl"),
        ],
        ["no-such-run", "not found", "trueneg mine"],
    ),
    (
        "export-unfinished-run",
        lambda f, o: [
            "export",
            str(f["unfinished"]),
            "--format",
            "triplet",
            "--to",
            str(f["root"] / "t.jsonl"),
        ],
        ["unfinished", "not finished", "manifest.json"],
    ),
    (
        "export-unknown-format",
        lambda f, o: [
            "export",
            str(f["finished"]),
            "--format",
            "triplets",
            "--to",
            str(f["root"] / "t.jsonl"),
        ],
        [
            "'triplets'",
            "triplet",
            "n-tuple",
            "labeled-pair",
            "labeled-list",
            "flagembedding",
            "tevatron",
        ],
    ),
    (
        "export-unknown-suffix",
        lambda f, o: [
            "export",
            str(f["finished"]),
            "--format",
            "triplet",
            "--to",
            str(f["root"] / "t.csv"),
        ],
        ["t.csv", ".jsonl", ".jsonl.gz", ".parquet"],
    ),
]


ARGS = {name: args for name, args, _ in CASES}


@pytest.mark.parametrize(("args", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_is_clean_and_names_what_was_wrong(files, tmp_path, args, needles):
    message, _ = error_of(args(files, tmp_path / "run"))
    for needle in needles:
        assert needle in message, (needle, message)


@pytest.mark.parametrize(
    "case",
    [
        "unknown-filter",
        "filter-value",
        "unknown-sampler",
        "unknown-retriever",
        "missing-data",
        "k-zero",
        "depth-zero",
        "unknown-device",
        "config-not-found",
        "config-unparsable",
        "config-unknown-key",
    ],
)
def test_invalid_settings_leave_no_run_directory(files, tmp_path, case):
    error_of(ARGS[case](files, tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_unknown_shortfall_is_rejected_before_any_stage_runs(files, tmp_path):
    error_of(ARGS["unknown-shortfall"](files, tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_unfinished_export_writes_nothing(files, tmp_path):
    error_of(ARGS["export-unfinished-run"](files, tmp_path))
    assert not (files["root"] / "t.jsonl").exists()


def test_every_error_message_is_one_line(files, tmp_path):
    for name, args, _ in CASES:
        _, raw = error_of(args(files, tmp_path / name))
        assert raw.count("\n") == 1, (name, raw)


def test_missing_model_fails_before_loading_data(files, tmp_path):
    error_of(ARGS["missing-model"](files, tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_debug_shows_the_traceback(files, tmp_path):
    args = [
        "--debug",
        "mine",
        str(files["tiny"]),
        "-o",
        str(tmp_path / "run"),
        "--retriever",
        "bm25",
        "--filter",
        "percentt:0.9",
    ]
    result = subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "ConfigError" in result.stderr


def test_without_debug_the_same_error_has_no_traceback(files, tmp_path):
    args = [
        "mine",
        str(files["tiny"]),
        "-o",
        str(tmp_path / "run"),
        "--retriever",
        "bm25",
        "--filter",
        "percentt:0.9",
    ]
    result = subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: Unknown filter 'percentt'")
    assert result.stdout == ""
