"""load_pairs: every file format, column choice, hashed ids, extra corpora and errors."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trueneg.data import load_pairs
from trueneg.errors import ConfigError, DataError

PAIRS = [
    {"query": "capital of France", "positive": "Paris is the capital of France."},
    {"query": "capital of France", "positive": "Paris is the capital of France."},  # repeat
    {"query": "largest planet", "positive": ["Jupiter is the largest.", "Jupiter is big."]},
    {"query": "tallest mountain", "positive": "Everest is the tallest mountain."},
]


def hid(prefix: str, text: str) -> str:
    return prefix + hashlib.blake2b(text.encode()).hexdigest()[:16]


def test_jsonl_pairs_hash_ids_and_several_positives(tmp_path, jsonl):
    ds = load_pairs(jsonl(tmp_path / "pairs.jsonl", PAIRS))
    assert ds.queries["query_id"].to_pylist() == [
        hid("q", "capital of France"),
        hid("q", "largest planet"),
        hid("q", "tallest mountain"),
    ]
    assert ds.num_docs == 4
    assert hid("d", "Jupiter is big.") in ds.corpus["doc_id"].to_pylist()
    assert ds.qrels.num_rows == 4  # two positives for "largest planet"
    assert set(ds.qrels["relevance"].to_pylist()) == {1}
    assert ds.report.qrels_duplicate == 1
    assert ds.report.duplicate_queries_collapsed == 0  # a repeated query row is normal here
    assert ds.report.kind == "pairs"


def test_jsonl_gz_and_json_list_and_json_lines(tmp_path, jsonl):
    base = load_pairs(jsonl(tmp_path / "a.jsonl", PAIRS))
    for name in ("b.jsonl.gz", "c.json"):
        assert load_pairs(jsonl(tmp_path / name, PAIRS)).qrels.equals(base.qrels)
    (tmp_path / "d.json").write_text(json.dumps(PAIRS), encoding="utf-8")
    assert load_pairs(tmp_path / "d.json").qrels.equals(base.qrels)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".csv.gz", ".parquet"])
def test_tabular_formats_with_custom_columns(tmp_path, suffix):
    rows = [("1", "how do magnets work", "Magnets attract iron.", "x")]
    rows.append(("2", "why is the sky blue", 'Rayleigh "scattering", mostly.', "y"))
    path = tmp_path / f"pairs{suffix}"
    columns = ["id", "ask", "doc", "note"]
    if suffix == ".parquet":
        pq.write_table(pa.table(dict(zip(columns, zip(*rows, strict=True), strict=True))), path)
    else:
        sep = "\t" if suffix == ".tsv" else ","
        quote = (lambda v: v) if sep == "\t" else (lambda v: '"' + v.replace('"', '""') + '"')
        text = "\n".join(sep.join(quote(v) for v in row) for row in [columns, *rows]) + "\n"
        data = text.encode()
        path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    ds = load_pairs(path, query_column="ask", positive_column="doc")
    assert ds.query_texts() == ["how do magnets work", "why is the sky blue"]
    assert ds.corpus["text"].to_pylist()[1] == 'Rayleigh "scattering", mostly.'


def test_default_columns_known_names_then_position(tmp_path, jsonl):
    anchor = [{"id": 1, "Anchor": "a question", "positive": "an answer", "negative": "no"}]
    ds = load_pairs(jsonl(tmp_path / "a.jsonl", anchor))
    assert ds.query_texts() == ["a question"]
    assert ds.corpus["text"].to_pylist() == ["an answer"]
    unnamed = [{"left": "the query", "right": "the doc"}]
    ds = load_pairs(jsonl(tmp_path / "b.jsonl", unnamed))
    assert ds.query_texts() == ["the query"]


def test_missing_column_lists_columns_found(tmp_path, jsonl):
    path = jsonl(tmp_path / "p.jsonl", PAIRS)
    with pytest.raises(DataError, match=r"Column 'anchor' is not in .*columns query, positive"):
        load_pairs(path, query_column="anchor")
    with pytest.raises(ConfigError, match="same"):
        load_pairs(path, query_column="query", positive_column="query")
    single = jsonl(tmp_path / "one.jsonl", [{"query": "only"}])
    with pytest.raises(DataError, match=r"needs a query column and a positive column.*query"):
        load_pairs(single)


def test_row_missing_field_names_line(tmp_path, jsonl):
    rows = [*PAIRS[:1], {"query": "no positive here"}]
    with pytest.raises(DataError, match=r"p\.jsonl line 2 has no 'positive' field"):
        load_pairs(jsonl(tmp_path / "p.jsonl", rows))


def test_csv_field_count_mismatch_names_line(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("query,positive\nq,d\nq2,d2,extra\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"p\.csv line 3 has 3 fields but the header has 2"):
        load_pairs(path)


def test_empty_rows_skipped_and_all_empty_is_an_error(tmp_path, jsonl):
    rows = [*PAIRS, {"query": "", "positive": "x"}, {"query": "q", "positive": [" ", None]}]
    ds = load_pairs(jsonl(tmp_path / "p.jsonl", rows))
    assert ds.num_queries == 3
    assert ds.report.warnings[0].startswith("Skipped 2 pair rows")
    empty = jsonl(tmp_path / "e.jsonl", [{"query": " ", "positive": "x"}])
    with pytest.raises(DataError, match="no usable"):
        load_pairs(empty)


def test_empty_file_header_only_and_unknown_extension(tmp_path):
    (tmp_path / "e.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="is empty"):
        load_pairs(tmp_path / "e.jsonl")
    (tmp_path / "h.csv").write_text("query,positive\n", encoding="utf-8")
    with pytest.raises(DataError, match="header row but no data rows"):
        load_pairs(tmp_path / "h.csv")
    (tmp_path / "p.xlsx").write_bytes(b"PK")
    with pytest.raises(DataError, match=r"unknown file type.*\.jsonl"):
        load_pairs(tmp_path / "p.xlsx")
    with pytest.raises(DataError, match="does not exist"):
        load_pairs(tmp_path / "missing.jsonl")


def test_non_utf8_csv_names_line(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"query,positive\nq,d\nq2,caf\xe9\n")
    with pytest.raises(DataError, match=r"line 3, byte offset 25.*iconv"):
        load_pairs(path)


def test_extra_corpus_txt_adds_hashed_docs(tmp_path, jsonl):
    (tmp_path / "extra.txt").write_text("Saturn has rings.\n\nMars is red.\n", encoding="utf-8")
    ds = load_pairs(jsonl(tmp_path / "p.jsonl", PAIRS), corpus=tmp_path / "extra.txt")
    assert ds.num_docs == 6
    assert hid("d", "Mars is red.") in ds.corpus["doc_id"].to_pylist()
    assert ds.qrels.num_rows == 4


def test_extra_corpus_with_ids_collapses_onto_positive(tmp_path, jsonl):
    extra = [
        {"_id": "e1", "title": "", "text": "Paris is the capital of France."},  # = a positive
        {"_id": "e2", "title": "Mars", "text": "Mars is red."},
    ]
    ds = load_pairs(jsonl(tmp_path / "p.jsonl", PAIRS), corpus=jsonl(tmp_path / "c.jsonl", extra))
    assert ds.doc_aliases == {"e1": hid("d", "Paris is the capital of France.")}
    assert "e2" in ds.corpus["doc_id"].to_pylist()
    assert ds.report.duplicate_docs_collapsed == 1


def test_extra_corpus_csv_with_title_and_bad_corpus(tmp_path, jsonl):
    (tmp_path / "c.csv").write_text("title,text\nMars,Mars is red.\nVenus,\n", encoding="utf-8")
    ds = load_pairs(jsonl(tmp_path / "p.jsonl", PAIRS), corpus=tmp_path / "c.csv")
    assert ds.corpus["title"].to_pylist()[-2:] == ["Mars", "Venus"]  # a title-only doc stays
    assert hid("d", "Mars\nMars is red.") in ds.corpus["doc_id"].to_pylist()
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"no 'text' column.*columns a, b"):
        load_pairs(tmp_path / "p.jsonl", corpus=tmp_path / "bad.csv")
    with pytest.raises(DataError, match=r"corpus file .* does not exist"):
        load_pairs(tmp_path / "p.jsonl", corpus=Path(tmp_path / "nope.jsonl"))
