import gzip
import json

import pyarrow.parquet as pq
import pytest

from trueneg.errors import ConfigError
from trueneg.export import build_export, to_hf_dataset, write_export


@pytest.mark.parametrize("fmt", ["triplet", "n-tuple", "labeled-list", "flagembedding", "tevatron"])
@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz", "out.parquet"])
def test_round_trip(negatives, dataset, tmp_path, fmt, name):
    table = build_export(negatives, dataset, fmt, include_scores=True)
    path = write_export(table, tmp_path / "new" / "dir" / name)
    assert path.exists()
    if name.endswith(".parquet"):
        back = pq.read_table(path).to_pylist()
    else:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            back = [json.loads(line) for line in handle]
    assert back == table.to_pylist()
    assert [p.name for p in path.parent.iterdir()] == [name]  # no temp file left


def test_flagembedding_jsonl_is_what_flagembedding_reads(negatives, dataset, tmp_path):
    path = write_export(build_export(negatives, dataset, "flagembedding"), tmp_path / "fe.jsonl")
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"query", "pos", "neg"}


def test_file_format_overrides_suffix(negatives, dataset, tmp_path):
    table = build_export(negatives, dataset, "triplet")
    path = write_export(table, tmp_path / "data.bin", file_format="parquet")
    assert pq.read_table(path).num_rows == table.num_rows


def test_unknown_suffix_is_a_config_error(negatives, dataset, tmp_path):
    table = build_export(negatives, dataset, "triplet")
    with pytest.raises(ConfigError, match=r"\.jsonl"):
        write_export(table, tmp_path / "data.csv")
    with pytest.raises(ConfigError, match="parquet"):
        write_export(table, tmp_path / "data.csv", file_format="csv")


def test_failed_write_leaves_no_file(negatives, dataset, tmp_path, monkeypatch):
    table = build_export(negatives, dataset, "triplet")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(OSError):
        write_export(table, tmp_path / "t.parquet")
    assert list(tmp_path.iterdir()) == []


def test_hf_dataset_keeps_columns_and_rows(negatives, dataset):
    table = build_export(negatives, dataset, "n-tuple", include_scores=True)
    ds = to_hf_dataset(table)
    assert ds.column_names == ["anchor", "positive", "negative_1", "negative_2", "scores"]
    assert ds[0] == table.to_pylist()[0]


def test_hf_dataset_without_datasets_is_a_clear_error(negatives, dataset, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_datasets(name, *args, **kwargs):
        if name == "datasets":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_datasets)
    with pytest.raises(ConfigError, match="datasets"):
        to_hf_dataset(build_export(negatives, dataset, "triplet"))
