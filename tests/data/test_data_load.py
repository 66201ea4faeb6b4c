"""load_dataset dispatch, the bundled demo sample, and the real BEIR data sets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trueneg.data import demo_data_path, load_dataset
from trueneg.errors import ConfigError, DataError


def shared_data_root() -> Path:
    env = os.environ.get("TRUENEG_SHARED_DATA")
    return Path(env) if env else Path(__file__).parents[2] / ".." / "shared" / "data"


def real_dataset(name: str) -> Path:
    folder = shared_data_root() / name
    if not (folder / "corpus.jsonl").is_file() and not (folder / "corpus.jsonl.gz").is_file():
        pytest.skip(
            f"real data not found at {folder} "
            f"(set TRUENEG_SHARED_DATA to the folder that holds {name}/)"
        )
    return folder


def test_dispatch_beir_folder_and_pairs_file(make_beir, tmp_path, jsonl):
    assert load_dataset(make_beir()).report.kind == "beir"
    path = jsonl(tmp_path / "p.jsonl.gz", [{"query": "q", "positive": "d"}])
    assert load_dataset(path).report.kind == "pairs"


def test_dispatch_errors(make_beir, tmp_path):
    with pytest.raises(ConfigError, match="BEIR folder"):
        load_dataset(make_beir(), query_column="query")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "notes.md").write_text("hi", encoding="utf-8")
    with pytest.raises(DataError, match=r"neither a BEIR folder.*notes\.md.*corpus\.jsonl"):
        load_dataset(tmp_path / "odd")
    (tmp_path / "corpus.txt").write_text("a doc\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"Cannot tell how to load corpus\.txt.*\.parquet"):
        load_dataset(tmp_path / "corpus.txt")
    with pytest.raises(DataError, match=r"does not exist.*holds: .*corpus\.txt") as info:
        load_dataset(tmp_path / "missing.jsonl")
    assert "a BEIR folder" in str(info.value)  # a missing path may be a folder or a file


def test_demo_sample_loads_with_license():
    folder = demo_data_path()
    assert (folder / "LICENSE.md").read_text(encoding="utf-8").count("CC BY-NC 2.0") >= 1
    ds = load_dataset(folder)
    assert ds.num_queries == 300
    assert ds.num_docs == 1200
    assert ds.positives().num_rows == ds.qrels.num_rows
    assert ds.report.warnings == []


def test_real_scifact_train_counts():
    ds = load_dataset(real_dataset("scifact"), split="train")
    assert ds.num_docs == 5183  # SciFact has no exact duplicate documents
    assert ds.report.duplicate_docs_collapsed == 0
    assert ds.num_queries == 809
    assert ds.qrels.num_rows == 919


def test_real_nfcorpus_train_counts():
    ds = load_dataset(real_dataset("nfcorpus"), split="train")
    assert ds.num_queries == 2590
    # 40 of the 3,633 abstracts exactly repeat another (e.g. MED-2651 = MED-118); the 110,575
    # train qrels lose 439 that judged both copies of such a pair for the same query.
    assert ds.report.duplicate_docs_collapsed == 40
    assert ds.num_docs == 3633 - 40
    assert len(ds.doc_aliases) == 40
    assert ds.qrels.num_rows + ds.report.qrels_duplicate == 110_575
