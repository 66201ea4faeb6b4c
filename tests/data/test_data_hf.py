"""load_hf on folders written by datasets' save_to_disk (Dataset and DatasetDict)."""

from __future__ import annotations

import sys

import pytest

from trueneg.data import load_dataset, load_hf
from trueneg.errors import DataError

datasets = pytest.importorskip("datasets")

ROWS = {
    "anchor": ["what is dna", "what is rna", "what is dna"],
    "positive": ["DNA is a molecule.", "RNA is a molecule.", "DNA is a molecule."],
    "negative": ["Cats purr.", "Dogs bark.", "Fish swim."],
}


def test_saved_dataset_loads_like_pairs(tmp_path):
    datasets.Dataset.from_dict(ROWS).save_to_disk(str(tmp_path / "ds"))
    ds = load_hf(tmp_path / "ds")
    assert ds.query_texts() == ["what is dna", "what is rna"]
    assert ds.num_docs == 2
    assert ds.report.kind == "hf"
    assert ds.report.qrels_duplicate == 1


def test_dataset_dict_picks_split_and_lists_splits(tmp_path):
    rows = {"question": ["q one", "q two"], "answer": [["a1", "a2"], ["a3"]]}
    dd = datasets.DatasetDict(
        {"train": datasets.Dataset.from_dict(rows), "dev": datasets.Dataset.from_dict(rows)}
    )
    dd.save_to_disk(str(tmp_path / "dd"))
    ds = load_dataset(tmp_path / "dd", split="dev")
    assert ds.qrels.num_rows == 3  # a list of positives gives several qrels
    with pytest.raises(DataError, match=r"no split 'test'.*splits train, dev"):
        load_hf(tmp_path / "dd", split="test")


def test_custom_columns_and_missing_column(tmp_path):
    datasets.Dataset.from_dict(ROWS).save_to_disk(str(tmp_path / "ds"))
    ds = load_hf(tmp_path / "ds", query_column="positive", positive_column="negative")
    assert ds.query_texts()[0] == "DNA is a molecule."
    with pytest.raises(DataError, match=r"Column 'query' is not in .*anchor, positive, negative"):
        load_hf(tmp_path / "ds", query_column="query")


def test_empty_dataset_and_bad_folder(tmp_path):
    datasets.Dataset.from_dict({"query": [], "positive": []}).save_to_disk(str(tmp_path / "e"))
    with pytest.raises(DataError, match=r"has no rows|Could not load"):  # datasets may refuse
        load_hf(tmp_path / "e")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "state.json").write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match=r"Could not load .*load_from_disk.*state\.json"):
        load_hf(tmp_path / "bad")


def test_missing_datasets_package_says_how_to_install(tmp_path, monkeypatch):
    datasets.Dataset.from_dict(ROWS).save_to_disk(str(tmp_path / "ds"))
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(DataError, match=r"pip install 'trueneg\[hf\]'"):
        load_hf(tmp_path / "ds")
