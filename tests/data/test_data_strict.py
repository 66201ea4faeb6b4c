"""Loaders refuse values that are not what a field holds (a list as a text, a null id) and tell
a qrels header from data by its column names, so nothing is stored as a repr or silently lost."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trueneg.data import load_beir, load_pairs
from trueneg.data.beir import DOC_ID_NAMES, QUERY_ID_NAMES, SCORE_NAMES, iter_qrels
from trueneg.errors import DataError

SETTINGS = settings(max_examples=60, deadline=None)
DOCS = [{"_id": "d1", "text": "Vitamin D helps calcium absorption."}]
QUERIES = [{"_id": "q1", "text": "What does vitamin D do?"}]


def qrels_rows(dataset) -> list[tuple[str, str, int]]:
    columns = (dataset.qrels[c].to_pylist() for c in dataset.qrels.column_names)
    return list(zip(*columns, strict=True))


# qrels headers -----------------------------------------------------------------------------
def test_first_row_with_a_bad_score_is_an_error_not_a_header(make_beir):
    """It used to be taken as a header, and query q1 silently dropped."""
    qrels = "q1\td1\tyes\nq2\td2\t1\n"
    with pytest.raises(DataError, match=r"train\.tsv line 1 has a non-integer score 'yes'") as e:
        load_beir(make_beir(qrels={"train": qrels}))
    assert "if line 1 is a header, name its columns query-id, corpus-id, score" in str(e.value)


@pytest.mark.parametrize(
    "header",
    [
        "query-id\tcorpus-id\tscore",
        "query_id\tdoc_id\trelevance",
        "qid\tdocid\tlabel",
        "QID\tDOCNO\tREL",
        "qid Q0 docid rel",
        "query-id\tcorpus-id\trelevance-grade",  # two known names are enough
    ],
)
def test_headers_are_recognised_by_their_names(make_beir, header):
    ds = load_beir(make_beir(qrels={"train": f"{header}\nq1\td1\t1\n2\td2\t2\n"}))
    assert qrels_rows(ds) == [("q1", "d1", 1), ("2", "d2", 2)]


def test_an_unknown_header_is_an_error_naming_line_1(make_beir):
    with pytest.raises(DataError, match=r"line 1 has a non-integer score 'c'"):
        load_beir(make_beir(qrels={"train": "a\tb\tc\nq1\td1\t1\n"}))


def test_a_header_after_blank_lines_is_still_the_header(make_beir):
    ds = load_beir(make_beir(qrels={"train": "\n\nquery-id\tcorpus-id\tscore\nq1\td1\t1\n"}))
    assert qrels_rows(ds) == [("q1", "d1", 1)]


def test_a_score_outside_int32_is_a_data_error(make_beir):
    with pytest.raises(DataError, match=r"line 2 has a score out of range '99999999999'"):
        load_beir(make_beir(qrels={"train": "q1\td1\t1\nq1\td2\t99999999999\n"}))


# BEIR texts and ids -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("text", ["a", "b"], "a list"),
        ("text", {"en": "a"}, "an object"),
        ("text", 42, "a number"),
        ("text", True, "a boolean"),
        ("title", ["a"], "a list"),
        ("title", 0, "a number"),
    ],
)
def test_corpus_texts_that_are_not_strings_name_file_line_and_field(make_beir, field, value, kind):
    docs = [*DOCS, {"_id": "d2", "text": "ok", field: value}]
    with pytest.raises(DataError, match=f"corpus\\.jsonl line 2 has {kind} in '{field}'") as info:
        load_beir(make_beir(docs=docs))
    assert "not a text" in str(info.value) and "expected" in str(info.value)


def test_query_text_that_is_a_number_is_refused(make_beir):
    with pytest.raises(DataError, match=r"queries\.jsonl line 1 has a number in 'text'"):
        load_beir(make_beir(queries=[{"_id": "q1", "text": 1234}]))


@pytest.mark.parametrize("value", [None, ["d1"], {"id": 1}, True])
def test_ids_that_are_not_strings_or_numbers_are_refused(make_beir, value):
    docs = [{"_id": "d0", "text": "x"}, {"_id": value, "text": "y"}]
    with pytest.raises(DataError, match=r"corpus\.jsonl line 2 has .* in '_id', not an id"):
        load_beir(make_beir(docs=docs))


def test_null_texts_stay_empty_and_numeric_ids_stay_decimal(make_beir):
    docs = [{"_id": 7, "text": "seven", "title": None}, {"_id": "d9", "text": None}]
    ds = load_beir(make_beir(docs=docs, qrels={"train": "q1\t7\t1\n"}, queries=QUERIES))
    assert ds.corpus["doc_id"].to_pylist() == ["7"] and ds.corpus["title"].to_pylist() == [""]
    assert ds.report.docs_empty_skipped == 1


# pairs, tabular, corpus files and saved datasets -------------------------------------------
@pytest.mark.parametrize(
    ("row", "column", "kind"),
    [
        ({"query": 17, "positive": "p"}, "query", "a number"),
        ({"query": ["q"], "positive": "p"}, "query", "a list"),
        ({"query": "q", "positive": {"t": "p"}}, "positive", "an object"),
        ({"query": "q", "positive": [["p"]]}, "positive", "a list"),
        ({"query": "q", "positive": ["p", 3]}, "positive", "a number"),
        ({"query": "q", "positive": False}, "positive", "a boolean"),
    ],
)
def test_pairs_values_that_are_not_texts_name_line_and_column(tmp_path, jsonl, row, column, kind):
    path = jsonl(tmp_path / "p.jsonl", [{"query": "a", "positive": "b"}, row])
    with pytest.raises(DataError, match=f"p\\.jsonl line 2 has {kind} in '{column}', not a text"):
        load_pairs(path)


def test_parquet_int_column_is_not_a_text(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"query": [1, 2], "positive": ["a", "b"]}), path)
    with pytest.raises(DataError, match=r"p\.parquet row 1 has a number in 'query', not a text"):
        load_pairs(path)


def test_csv_numbers_are_texts(tmp_path):
    (tmp_path / "p.csv").write_text("query,positive\n1984,a novel by Orwell\n", encoding="utf-8")
    assert load_pairs(tmp_path / "p.csv").query_texts() == ["1984"]


def test_extra_corpus_text_must_be_a_string_but_ids_may_be_numbers(tmp_path, jsonl):
    pairs = jsonl(tmp_path / "p.jsonl", [{"query": "q", "positive": "p"}])
    good = jsonl(tmp_path / "c.jsonl", [{"_id": 5, "text": "five"}])
    assert "5" in load_pairs(pairs, corpus=good).corpus["doc_id"].to_pylist()
    bad = jsonl(tmp_path / "bad.jsonl", [{"_id": 5, "text": ["five"]}])
    with pytest.raises(DataError, match=r"bad\.jsonl line 1 has a list in 'text'"):
        load_pairs(pairs, corpus=bad)
    null_id = jsonl(tmp_path / "null.jsonl", [{"_id": None, "text": "x"}])
    with pytest.raises(DataError, match=r"null\.jsonl line 1 has null in '_id', not an id"):
        load_pairs(pairs, corpus=null_id)


def test_saved_dataset_int_column_is_not_a_text(tmp_path):
    datasets = pytest.importorskip("datasets")
    from trueneg.data import load_hf

    rows = {"query": [1, 2], "positive": ["a", "b"]}
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "ds"))
    with pytest.raises(DataError, match=r"ds row 1 has a number in 'query', not a text"):
        load_hf(tmp_path / "ds")


# properties --------------------------------------------------------------------------------
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
MISSING = object()
field_values = st.one_of(st.just(MISSING), json_values, st.text(min_size=1, max_size=8))


@st.composite
def records(draw, n: int, prefix: str):
    rows = []
    for i in range(n):
        row = {"_id": draw(st.one_of(st.just(f"{prefix}{i}"), field_values))}
        for field in ("text", "title"):
            row[field] = draw(st.one_of(st.text(min_size=1, max_size=8), field_values))
        rows.append({k: v for k, v in row.items() if v is not MISSING})
    return rows


def write_beir(folder: Path, docs: list[dict], queries: list[dict], qrels: str) -> Path:
    (folder / "qrels").mkdir(parents=True)
    for name, rows in (("corpus", docs), ("queries", queries)):
        lines = "".join(json.dumps(r) + "\n" for r in rows)
        (folder / f"{name}.jsonl").write_text(lines, encoding="utf-8")
    (folder / "qrels" / "train.tsv").write_text(qrels, encoding="utf-8")
    return folder


@SETTINGS
@given(records(3, "d"), records(2, "q"))
def test_arbitrary_json_fields_load_as_strings_or_fail_as_data_errors(docs, queries):
    qrels = "".join(f"q{i}\td{j}\t1\n" for i in range(2) for j in range(3))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            ds = load_beir(write_beir(Path(tmp), docs, queries, qrels))
        except DataError:
            return
    given = [r.get(f) for r in docs + queries for f in ("text", "title")]
    allowed = {t for t in given if isinstance(t, str)} | {""}
    loaded = [
        *ds.corpus["text"].to_pylist(),
        *ds.corpus["title"].to_pylist(),
        *ds.queries["text"].to_pylist(),
    ]
    assert all(isinstance(t, str) and t in allowed for t in loaded)  # never a repr
    assert all(isinstance(i, str) for i in ds.corpus["doc_id"].to_pylist())


header_words = st.sampled_from(
    ["query-id", "corpus-id", "score", "qid", "docid", "rel", "label", "Q0", "0", "1", "2.0"]
)
KNOWN = QUERY_ID_NAMES | DOC_ID_NAMES | SCORE_NAMES
words = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=6
).filter(lambda w: w.lstrip("#").strip().lower() not in KNOWN)


@SETTINGS
@given(st.booleans(), st.data())
def test_any_first_qrels_line_loads_or_is_a_data_error(header_like, data):
    """A first line of header names may be skipped; any other first line is data: it loads as
    a row or fails with its line number, never vanishes."""
    fields = header_words | st.integers().map(str) if header_like else words
    first = data.draw(st.lists(fields, min_size=1, max_size=5))
    qrels = "\t".join(first) + "\nq1\td1\t1\n"
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_beir(Path(tmp), DOCS, QUERIES, qrels)
        try:
            rows = list(iter_qrels(folder / "qrels" / "train.tsv"))
            load_beir(folder)
        except DataError:
            return
    assert rows[-1] == ("q1", "d1", 1)
    if not header_like:
        assert len(rows) == 2  # the first line was data
