"""Chunked loading: the same tables in chunks of 3 rows as in one, texts re-read by id."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from trueneg.data import load_beir, spool
from trueneg.data.digests import FENCE, KEY, DigestIndex, _insertion, digest, merged_blocks
from trueneg.data.spool import (
    CorpusSpool,
    TextsById,
    document_texts_at,
    iter_document_texts,
    map_table,
    positions_of,
    spool_batches,
    texts_for,
)
from trueneg.data.tables import DocumentIds, ids_at
from trueneg.errors import DataError
from trueneg.mapping import release_pages

# Ten rows: d4 repeats d1's title and text (an alias across a chunk border at 3 rows), d1
# comes again unchanged (collapses, no alias), d7 is empty (skipped), d9 repeats d5 with
# extra spaces (alias), d10 repeats d4's text, so it is an alias of d1 as well.
DOCS = [
    {"_id": "d1", "title": "T", "text": "one"},
    {"_id": "d2", "title": "", "text": "two"},
    {"_id": "d3", "title": "", "text": "three"},
    {"_id": "d4", "title": "T", "text": "one"},
    {"_id": "d1", "title": "T", "text": "one"},
    {"_id": "d5", "title": "", "text": "five"},
    {"_id": "d7", "title": " ", "text": ""},
    {"_id": "d8", "title": "Eight", "text": "eight"},
    {"_id": "d9", "title": "  ", "text": " five  "},
    {"_id": "d10", "title": "T", "text": "one"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td4\t1\nq1\td1\t2\nq2\td9\t1\nq2\td7\t1\n"


def write_beir(folder: Path, docs: list[dict], extra_lines: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(d) + "\n" for d in docs) + extra_lines
    (folder / "corpus.jsonl").write_text(lines, encoding="utf-8")
    queries = [{"_id": "q1", "text": "first"}, {"_id": "q2", "text": "second"}]
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (folder / "qrels").mkdir(exist_ok=True)
    (folder / "qrels" / "train.tsv").write_text(QRELS)
    return folder


def load_in_chunks(folder: Path, rows: int, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(spool, "CHUNK_ROWS", rows)
    return load_beir(folder)


def test_chunks_of_three_give_the_same_dataset(tmp_path, monkeypatch):
    folder = write_beir(tmp_path / "beir", DOCS)
    whole = load_in_chunks(folder, 1000, monkeypatch)
    chunked = load_in_chunks(folder, 3, monkeypatch)
    assert whole.corpus["doc_id"].to_pylist() == ["d1", "d2", "d3", "d5", "d8"]
    assert whole.doc_aliases == {"d4": "d1", "d9": "d5", "d10": "d1"}
    assert whole.report.duplicate_docs_collapsed == 4 and whole.report.docs_empty_skipped == 1
    assert chunked.corpus.to_pylist() == whole.corpus.to_pylist()
    assert chunked.doc_aliases == whole.doc_aliases
    assert chunked.qrels.to_pylist() == whole.qrels.to_pylist()
    assert chunked.report.to_dict() == whole.report.to_dict()
    assert chunked.corpus["text"].num_chunks == 2  # two batches of 3 kept rows: mapped from disk


def test_same_id_other_text_across_chunks_names_the_first_text(tmp_path, monkeypatch):
    docs = [*DOCS[:5], {"_id": "d2", "title": "", "text": "not two"}]
    folder = write_beir(tmp_path / "beir", docs)
    with pytest.raises(DataError, match=r"document id 'd2' appears twice.*'two' vs 'not two'"):
        load_in_chunks(folder, 3, monkeypatch)


def test_an_earlier_queued_conflict_is_reported_before_a_later_bad_line(tmp_path, monkeypatch):
    docs = [*DOCS[:3], {"_id": "d1", "title": "", "text": "changed"}]
    folder = write_beir(tmp_path / "beir", docs, extra_lines="{not json\n")
    with pytest.raises(DataError, match="document id 'd1' appears twice"):
        load_in_chunks(folder, 3, monkeypatch)


def test_texts_are_read_back_by_position_and_id(tmp_path, monkeypatch):
    dataset = load_in_chunks(write_beir(tmp_path / "beir", DOCS), 3, monkeypatch)
    corpus = dataset.corpus
    assert [t for batch in iter_document_texts(corpus, rows=2) for t in batch] == (
        dataset.doc_texts()
    )
    assert document_texts_at(corpus, [4, 0]) == ["Eight eight", "T one"]
    assert positions_of(corpus, ["d5", "nope", "d1"]).tolist() == [3, -1, 0]
    assert texts_for(corpus, ["d8", "d2", "nope", "d8"]) == {"d8": "Eight eight", "d2": "two"}


def test_ids_and_texts_are_read_by_position_and_id_from_the_table(tmp_path, monkeypatch):
    dataset = load_in_chunks(write_beir(tmp_path / "beir", DOCS), 3, monkeypatch)
    all_ids = dataset.corpus["doc_id"].to_pylist()
    ids = DocumentIds(dataset.corpus)
    assert len(ids) == len(all_ids) and list(ids) == all_ids and ids[-1] == all_ids[-1]
    assert ids[1:3] == all_ids[1:3] and ids.take(np.array([4, 0])).to_pylist() == ["d8", "d1"]
    assert ids_at(all_ids, np.array([4, 0])).equals(ids_at(ids, np.array([4, 0])))
    with pytest.raises(IndexError):
        ids[len(all_ids)]
    with pytest.raises(IndexError):
        ids.take([0, len(all_ids)])
    texts = TextsById(dataset.corpus).load(["d8", "nope"])
    assert texts["d8"] == "Eight eight" and texts.get("nope") is None and "d2" in texts
    assert dict(texts) == dict(zip(all_ids, dataset.doc_texts(), strict=True))


def test_release_pages_gives_a_scanned_mapping_back(tmp_path):
    if not Path("/proc/self/status").is_file():
        pytest.skip("needs /proc (Linux)")
    rows = 4096
    batch = pa.record_batch([pa.array(["x" * 8192] * rows)], names=["text"])
    path = tmp_path / "big.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)
    table = map_table(path)
    release_pages()
    before = file_rss_mb()
    assert sum(len(t) for t in table["text"].to_pylist()) == rows * 8192  # every page read
    touched = file_rss_mb()
    release_pages()
    assert touched - before > 24 and file_rss_mb() - before < 8


def file_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        line = next(line for line in handle if line.startswith("RssFile:"))
    return int(line.split()[1]) / 1024


def test_spool_keeps_one_chunk_in_memory_and_maps_the_rest(tmp_path):
    writer = CorpusSpool(chunk_rows=2, folder=tmp_path)
    for i in range(5):
        assert writer.append(f"d{i}", f"text {i}", "") == i
    assert writer.row(4) == ("d4", "text 4", "")
    table = writer.finish()
    assert table["doc_id"].to_pylist() == [f"d{i}" for i in range(5)]
    assert list(tmp_path.iterdir()) == []  # the file's name is gone; the mapping holds it
    small = CorpusSpool(chunk_rows=10, folder=tmp_path)
    small.append("a", "b", "")
    assert small.finish().to_pylist() == [{"doc_id": "a", "text": "b", "title": ""}]
    batches = table.to_batches(max_chunksize=2)
    assert spool_batches(batches, folder=str(tmp_path)).equals(table)


def test_digest_index_agrees_with_a_dict():
    rng = np.random.default_rng(0)
    expected: dict[bytes, int] = {}
    index = DigestIndex(np.int64)
    for chunk in range(9):
        keys = [digest(f"k{chunk}-{i}") for i in range(int(rng.integers(1, 20)))]
        index.add(np.array(keys, dtype=KEY), np.arange(len(keys)) + 100 * chunk)
        expected.update({k: i + 100 * chunk for i, k in enumerate(keys)})
    probes = [*expected, digest("absent"), b"\0" * 16]
    found, values = index.lookup(np.array(probes, dtype=KEY))
    assert found.tolist() == [p in expected for p in probes]
    assert values[found].tolist() == [expected[p] for p in probes if p in expected]
    assert len(index) == len(expected) and len(index._runs) <= 4
    assert digest("ab", "c") != digest("a", "bc")


def test_an_in_memory_corpus_is_read_the_same_way():
    corpus = pa.table({"doc_id": ["x", "y"], "text": ["a", "b"], "title": ["", "T"]})
    assert texts_for(corpus, ["y"]) == {"y": "T b"}


def test_digest_index_spills_large_runs_to_disk_and_still_agrees_with_a_dict(tmp_path):
    rng = np.random.default_rng(1)
    expected: dict[bytes, bytes] = {}
    index = DigestIndex(KEY, folder=tmp_path, memory_rows=40)
    for chunk in range(60):
        keys = [digest(f"s{chunk}-{i}") for i in range(int(rng.integers(1, 40 + 4 * chunk)))]
        values = [digest(f"v{chunk}-{i}") for i in range(len(keys))]
        index.add(np.array(keys, dtype=KEY), np.array(values, dtype=KEY))
        expected.update(zip(keys, values, strict=True))
    assert index._runs[0][0].size > FENCE  # a mapped run of several pages
    assert index.nbytes < index.disk_bytes / 4  # most of the index lives on disk
    assert list(tmp_path.iterdir()) == []  # the runs' names are gone; the mappings hold them
    probes = [*reversed(expected), digest("absent"), b"\0" * 16]
    found, values = index.lookup(np.array(probes, dtype=KEY))
    assert found.tolist() == [p in expected for p in probes]
    got = [bytes(v).ljust(16, b"\0") for v in values[found]]
    assert got == [expected[p] for p in probes if p in expected]
    assert len(index) == len(expected)


def test_merged_blocks_interleave_two_runs_in_key_order():
    a = np.array(sorted(digest(f"a{i}") for i in range(37)), dtype=KEY)
    b = np.array(sorted(digest(f"b{i}") for i in range(5)), dtype=KEY)
    blocks = list(merged_blocks((a, np.arange(37)), (b, np.arange(100, 105)), block=4))
    keys = np.concatenate([k for k, _ in blocks])
    values = np.concatenate([v for _, v in blocks])
    assert keys.tolist() == sorted([*a.tolist(), *b.tolist()])
    lookup = dict(zip([*a.tolist(), *b.tolist()], [*range(37), *range(100, 105)], strict=True))
    assert values.tolist() == [lookup[k] for k in keys.tolist()]
    assert max(k.size for k, _ in blocks) <= 8


def test_a_fenced_search_finds_what_searchsorted_finds():
    rng = np.random.default_rng(2)
    keys = np.sort(np.array([rng.bytes(16) for _ in range(3000)], dtype=KEY))
    absent = np.array([rng.bytes(16) for _ in range(500)], dtype=KEY)
    probes = np.sort(np.concatenate([keys[::7], absent, keys[:1], keys[-1:]]))
    probes = np.concatenate([probes, np.array([b"\0" * 16, b"\xff" * 16], dtype=KEY)])
    fence = keys[::FENCE].copy()
    got = _insertion(keys, fence, probes)
    np.testing.assert_array_equal(got, np.searchsorted(keys, probes))
    np.testing.assert_array_equal(_insertion(keys, None, probes), got)


def test_a_mapped_run_s_fence_is_every_fence_th_key(tmp_path):
    index = DigestIndex(np.int64, folder=tmp_path, memory_rows=100)
    for chunk in range(12):
        keys = [digest(f"f{chunk}-{i}") for i in range(97 * (chunk + 1))]
        index.add(np.array(keys, dtype=KEY), np.arange(len(keys)))
    mapped = [(keys, fence) for keys, _, fence in index._runs if fence is not None]
    assert mapped and max(keys.size for keys, _ in mapped) > 3 * FENCE
    for keys, fence in mapped:
        np.testing.assert_array_equal(fence, keys[::FENCE])
