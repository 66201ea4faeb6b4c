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
    assert re.fullmatch(rf"wrote {re.escape(str(to))} \([\d,]+ rows?\)", result.stdout.strip())
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
    assert re.fullmatch(rf"wrote {re.escape(str(to))} \(\d+ rows\)\n", result.stdout)


def test_help_names_every_registered_format():
    result = runner.invoke(app, ["export", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name in EXPORT_FORMATS.names():
        assert name in text, name
