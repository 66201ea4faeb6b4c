"""`trueneg export` in every format and file type, on one BM25 run (no model needed)."""

from __future__ import annotations

import gzip
import json
import re

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import trueneg
from fixtures import write_beir
from trueneg.cli.main import app
from trueneg.export.base import EXPORT_FORMATS

runner = CliRunner()
WROTE = r"wrote %s \([\d,]+ rows?, [\d,]+ quer(?:y|ies)\)"
K = 3
# every document mentions "health", so BM25 returns all of them for every query
TOPICS = ["vitamin bone", "coffee sleep", "sugar diabetes", "salt pressure"]
CORPUS = [(f"d{i}", f"Study {i}", f"health {TOPICS[i % 4]} cohort {i}") for i in range(12)]
QUERIES = [(f"q{i}", f"health of {topic}") for i, topic in enumerate(TOPICS)]
QRELS = [("q0", "d0", 1), ("q0", "d4", 1), ("q1", "d1", 1), ("q2", "d2", 1), ("q3", "d3", 1)]
SCORE_COLUMNS = {
    "triplet": {"scores"},
    "n-tuple": {"scores"},
    "labeled-pair": {"score"},
    "labeled-list": {"scores"},
    "flagembedding": {"pos_scores", "neg_scores"},
    "tevatron": set(),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    data = write_beir(root / "beir", CORPUS, QUERIES, QRELS)
    return trueneg.mine(data, root / "run", retriever="bm25", filters=[], num_negatives=K)


def read_rows(path) -> list[dict]:
    if path.name.endswith(".parquet"):
        return pq.read_table(path).to_pylist()
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def export(run, fmt: str, to, *extra: str):
    result = runner.invoke(app, ["export", str(run.path), "--format", fmt, "--to", str(to), *extra])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(WROTE % re.escape(str(to)), result.stdout.strip())
    return read_rows(to)


def test_every_format_has_expected_score_columns():
    assert set(SCORE_COLUMNS) == set(EXPORT_FORMATS.names())


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".parquet"])
@pytest.mark.parametrize("fmt", sorted(SCORE_COLUMNS))
def test_every_format_and_file_type(run, tmp_path, fmt, suffix):
    rows = export(run, fmt, tmp_path / f"out{suffix}")
    assert rows == run.export(fmt).to_pylist()  # the CLI writes what the library builds
    assert rows
    if fmt in ("triplet", "n-tuple", "labeled-pair", "labeled-list"):
        assert {"anchor", "positive"} <= set(rows[0])
    assert not SCORE_COLUMNS[fmt] & set(rows[0])


def test_triplets_hold_the_run_texts(run, tmp_path):
    rows = export(run, "triplet", tmp_path / "t.jsonl")
    kept = run.negatives(kept_only=True)
    assert len(rows) == sum(1 + (q == "q0") for q in kept["query_id"].to_pylist())  # q0: 2 pos
    texts = {f"{title} {text}" for _, title, text in CORPUS}
    assert all(r["positive"] in texts and r["negative"] in texts for r in rows)
    assert all(r["positive"] != r["negative"] for r in rows)


@pytest.mark.parametrize("fmt", sorted(SCORE_COLUMNS))
def test_scores_flag_adds_scores(run, tmp_path, fmt):
    rows = export(run, fmt, tmp_path / "s.jsonl", "--scores")
    assert rows == run.export(fmt, include_scores=True).to_pylist()
    assert SCORE_COLUMNS[fmt] <= set(rows[0])
    if fmt == "tevatron":
        assert all("score" in p for r in rows for p in r["negative_passages"])


def test_n_tuple_has_k_negatives(run, tmp_path):
    rows = export(run, "n-tuple", tmp_path / "n.parquet")
    assert [c for c in rows[0] if c.startswith("negative_")] == [
        f"negative_{i}" for i in range(1, K + 1)
    ]


def test_wrote_line_is_one_line_for_scripts(run, tmp_path):
    to = tmp_path / ("a-long-folder-name-" * 4) / "triplets.jsonl"
    result = runner.invoke(app, ["export", str(run.path), "--format", "triplet", "--to", str(to)])
    assert result.exit_code == 0
    assert re.fullmatch(WROTE % re.escape(str(to)) + "\n", result.stdout)


def test_help_names_every_registered_format():
    result = runner.invoke(app, ["export", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name in EXPORT_FORMATS.names():
        assert name in text, name


@pytest.fixture(scope="module")
def uneven_run(tmp_path_factory):
    """q4 matches no document (no candidate, so no kept negative); q0 has two positives, so
    one candidate fewer than the others: short of k=11 in an n-tuple."""
    root = tmp_path_factory.mktemp("uneven")
    queries = [*QUERIES, ("q4", "zebra quantum")]
    data = write_beir(root / "beir", CORPUS, queries, [*QRELS, ("q4", "d5", 1)])
    return trueneg.mine(data, root / "run", retriever="bm25", filters=[], num_negatives=11)


def test_queries_left_out_are_counted_per_reason(uneven_run, tmp_path):
    to = tmp_path / "n.jsonl"
    args = ["export", str(uneven_run.path), "--format", "n-tuple", "--to", str(to)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {to} (3 rows, 3 queries)"
    note = " ".join(result.stderr.split())
    assert note.startswith("left out 2 of 5 queries: 1 with no kept negative")
    assert "1 with fewer than the 11 kept negatives each n-tuple row needs" in note


def test_a_format_that_needs_no_k_leaves_out_only_queries_without_negatives(uneven_run, tmp_path):
    to = tmp_path / "f.jsonl"
    args = ["export", str(uneven_run.path), "--format", "flagembedding", "--to", str(to)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {to} (4 rows, 4 queries)"
    assert " ".join(result.stderr.split()).startswith(
        "left out 1 of 5 queries: 1 with no kept negative"
    )


def test_every_query_written_leaves_no_note(run, tmp_path):
    result = runner.invoke(
        app, ["export", str(run.path), "--format", "triplet", "--to", str(tmp_path / "t.jsonl")]
    )
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "Nothing to write"),
        (["--to", "x.jsonl", "--private"], "--private: only with --push-to-hub"),
        (["--to", "x.jsonl", "--push-to-hub", "me/x"], "--to and --push-to-hub"),
    ],
)
def test_destination_options_are_checked(run, extra, message):
    result = runner.invoke(app, ["export", str(run.path), "--format", "triplet", *extra])
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output


def test_dry_run_writes_the_card_and_data_offline(run, tmp_path):
    folder = tmp_path / "stage"
    args = ["export", str(run.path), "-f", "triplet", "--push-to-hub", "me/x", "--dry-run"]
    result = runner.invoke(app, [*args, "--hub-folder", str(folder), "--license", "mit"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {folder / 'README.md'} and ")
    assert "nothing uploaded" in result.stdout
    assert 'license: "mit"' in (folder / "README.md").read_text()
    assert (
        pq.read_table(folder / "data" / "train.parquet").num_rows == run.export("triplet").num_rows
    )
