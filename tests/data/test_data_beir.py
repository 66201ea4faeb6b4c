"""load_beir on tiny hand-made folders: happy path, fixes it counts, and every error."""

from __future__ import annotations

import gzip
import json

import pytest

from trueneg.data import load_beir
from trueneg.errors import DataError


def qrels_rows(dataset) -> list[tuple[str, str, int]]:
    columns = (dataset.qrels[c].to_pylist() for c in dataset.qrels.column_names)
    return list(zip(*columns, strict=True))


def test_loads_tables_with_string_ids_and_collapses_duplicate(make_beir):
    ds = load_beir(make_beir())
    assert ds.corpus["doc_id"].to_pylist() == ["d1", "d2", "4"]  # d3 repeats d1
    assert ds.corpus["title"].to_pylist() == ["Vitamin D", "Sleep", ""]
    assert ds.queries["query_id"].to_pylist() == ["q1", "2"]  # q3 has no train qrels
    assert qrels_rows(ds) == [("q1", "d1", 1), ("2", "d2", 2), ("2", "4", 0)]
    assert ds.doc_aliases == {"d3": "d1"}
    assert ds.report.kind == "beir"
    assert ds.report.duplicate_docs_collapsed == 1
    assert ds.report.qrels_non_positive == 1
    assert ds.report.queries_without_positive == 0
    assert any("doc_aliases" in w for w in ds.report.warnings)


def test_gzipped_files_load_the_same(make_beir):
    plain = load_beir(make_beir(name="plain"))
    zipped = load_beir(make_beir(gz=True, name="zipped"))
    assert zipped.corpus.equals(plain.corpus)
    assert zipped.qrels.equals(plain.qrels)


def test_qrels_on_alias_are_rewritten_and_merged_keeping_max(make_beir):
    qrels = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td3\t2\nq1\td1\t1\n"
    ds = load_beir(make_beir(qrels={"train": qrels}))
    assert qrels_rows(ds) == [("q1", "d1", 2)]
    assert ds.report.qrels_duplicate == 2  # one repeated line, one repeat via the alias


def test_unknown_ids_are_dropped_and_counted(make_beir):
    qrels = "query-id\tcorpus-id\tscore\nq1\td1\t1\nnope\td1\t1\nq1\tmissing\t1\n"
    ds = load_beir(make_beir(qrels={"train": qrels}))
    assert ds.qrels.num_rows == 1
    assert ds.report.qrels_unknown_query == 1
    assert ds.report.qrels_unknown_doc == 1
    assert any("not in the corpus" in w for w in ds.report.warnings)


def test_non_positive_qrels_kept_as_zero_and_query_counted(make_beir):
    qrels = "q1\td1\t1\n2\td2\t0\n2\t4\t-1\n"  # no header; a negative score becomes 0
    ds = load_beir(make_beir(qrels={"train": qrels}))
    assert qrels_rows(ds) == [("q1", "d1", 1), ("2", "d2", 0), ("2", "4", 0)]
    assert ds.report.qrels_non_positive == 2
    assert ds.report.queries_without_positive == 1
    assert ds.num_queries == 2


def test_trec_four_columns_and_integral_float_scores(make_beir):
    ds = load_beir(make_beir(qrels={"dev": "q1 0 d1 2.0\n"}), split="dev")
    assert qrels_rows(ds) == [("q1", "d1", 2)]


def test_missing_split_lists_splits_found(make_beir):
    folder = make_beir(qrels={"train": "q1\td1\t1\n", "test": "q1\td1\t1\n"})
    with pytest.raises(DataError, match=r"split 'dev'.*splits test, train"):
        load_beir(folder, split="dev")


def test_non_integer_score_names_file_and_line(make_beir):
    qrels = "query-id\tcorpus-id\tscore\nq1\td1\t1\n2\td2\t0.5\n"
    with pytest.raises(DataError, match=r"train\.tsv line 3 has a non-integer score '0\.5'"):
        load_beir(make_beir(qrels={"train": qrels}))


def test_wrong_field_count_names_line(make_beir):
    with pytest.raises(DataError, match=r"train\.tsv line 2 has 2 fields"):
        load_beir(make_beir(qrels={"train": "q1\td1\t1\nq1\td2\n"}))


def test_empty_qrels_file(make_beir):
    with pytest.raises(DataError, match=r"train\.tsv has no rows"):
        load_beir(make_beir(qrels={"train": "query-id\tcorpus-id\tscore\n"}))


def test_missing_folder_and_members(make_beir, tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_beir(tmp_path / "nowhere")
    folder = make_beir()
    (folder / "queries.jsonl").unlink()
    with pytest.raises(DataError, match=r"no queries\.jsonl.*corpus\.jsonl, qrels/"):
        load_beir(folder)
    (folder / "corpus.jsonl").unlink()
    with pytest.raises(DataError, match=r"no corpus\.jsonl"):
        load_beir(folder)


def test_missing_qrels_folder_lists_files(make_beir):
    folder = make_beir(qrels={})
    (folder / "qrels").rmdir()
    with pytest.raises(DataError, match=r"no qrels/ folder.*corpus\.jsonl, queries\.jsonl"):
        load_beir(folder)


def test_malformed_json_line_names_line(make_beir):
    text = json.dumps({"_id": "d1", "text": "ok"}) + "\n\n" + '{"_id": "d2", "text": "broken\n'
    with pytest.raises(DataError, match=r"corpus\.jsonl line 3 is not valid JSON"):
        load_beir(make_beir(docs=text))


def test_line_that_is_not_an_object(make_beir):
    with pytest.raises(DataError, match=r"queries\.jsonl line 1 is a JSON list"):
        load_beir(make_beir(queries='["q1", "text"]\n'))


def test_non_utf8_names_line_offset_and_iconv(make_beir):
    good = json.dumps({"_id": "d1", "text": "fine"}).encode() + b"\n"
    bad = b'{"_id": "d2", "text": "caf\xe9"}\n'
    with pytest.raises(DataError) as info:
        load_beir(make_beir(docs=good + bad))
    message = str(info.value)
    assert "line 2" in message
    assert f"byte offset {len(good) + 26}" in message
    assert "iconv" in message


def test_missing_required_fields_name_line(make_beir):
    docs = [{"_id": "d1", "text": "ok"}, {"title": "no id", "text": "x"}]
    with pytest.raises(DataError, match=r"corpus\.jsonl line 2 has no '_id' field"):
        load_beir(make_beir(docs=docs))
    with pytest.raises(DataError, match=r"queries\.jsonl line 1 has no 'text' field"):
        load_beir(make_beir(queries=[{"_id": "q1"}], name="other"))


def test_empty_texts_are_skipped_with_warning(make_beir):
    docs = [{"_id": "d1", "text": "a"}, {"_id": "d9", "text": "  "}]
    queries = [{"_id": "q1", "text": "question"}, {"_id": "q2", "text": ""}]
    qrels = "q1\td1\t1\nq2\td1\t1\nq1\td9\t1\n"
    ds = load_beir(make_beir(docs=docs, queries=queries, qrels={"train": qrels}))
    assert ds.corpus["doc_id"].to_pylist() == ["d1"]
    assert ds.queries["query_id"].to_pylist() == ["q1"]
    assert ds.report.qrels_unknown_query == 1 and ds.report.qrels_unknown_doc == 1
    assert "Skipped 1 corpus rows with empty text." in ds.report.warnings
    assert "Skipped 1 queries with empty text." in ds.report.warnings


def test_title_only_document_is_kept(make_beir):
    docs = [{"_id": "d1", "title": "Only a title", "text": ""}]
    ds = load_beir(make_beir(docs=docs, qrels={"train": "q1\td1\t1\n"}))
    assert ds.num_docs == 1


def test_duplicate_query_ids(make_beir):
    same = [*QUERIES_SMALL, {"_id": "q1", "text": "What does vitamin D do? "}]
    ds = load_beir(make_beir(queries=same))
    assert ds.report.duplicate_queries_collapsed == 1
    different = [*QUERIES_SMALL, {"_id": "q1", "text": "Something else entirely"}]
    with pytest.raises(DataError, match=r"query id 'q1' appears twice.*Something else"):
        load_beir(make_beir(queries=different, name="other"))


def test_duplicate_doc_id_with_different_text(make_beir):
    docs = [{"_id": "d1", "text": "first"}, {"_id": "d1", "text": "second"}]
    with pytest.raises(DataError, match=r"document id 'd1'.*'first' vs 'second'"):
        load_beir(make_beir(docs=docs))


def test_empty_and_corrupt_files(make_beir, tmp_path):
    with pytest.raises(DataError, match=r"corpus\.jsonl is empty"):
        load_beir(make_beir(docs="\n\n"))
    folder = make_beir(name="gz", gz=True)
    data = (folder / "corpus.jsonl.gz").read_bytes()
    (folder / "corpus.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"Could not read .*corpus\.jsonl\.gz"):
        load_beir(folder)
    (folder / "corpus.jsonl.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(DataError, match="is empty"):
        load_beir(folder)


QUERIES_SMALL = [{"_id": "q1", "text": "What does vitamin D do?"}, {"_id": 2, "text": "Sleep?"}]


def test_non_utf8_in_gzip_suggests_zcat_pipeline(make_beir):
    bad = gzip.compress(b'{"_id": "d1", "text": "caf\xe9"}\n')
    folder = make_beir(gz=True)
    (folder / "corpus.jsonl.gz").write_bytes(bad)
    with pytest.raises(DataError, match=r"line 1, byte offset 26.*zcat corpus\.jsonl\.gz \| iconv"):
        load_beir(folder)
