"""Retrievers on real SciFact data: BM25 on the full corpus, dense/hybrid on a small subset."""

import csv
import json

import numpy as np
import pytest

from trueneg.encode import encode_cached
from trueneg.retrieve import BM25Retriever, ExactRetriever, HybridRetriever, SearchInput

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scifact(shared_data):
    folder = shared_data / "scifact"
    with (folder / "corpus.jsonl").open() as f:
        docs = [json.loads(line) for line in f]
    with (folder / "queries.jsonl").open() as f:
        queries = {q["_id"]: q["text"] for q in map(json.loads, f)}
    qrels: dict[str, list[str]] = {}
    with (folder / "qrels" / "test.tsv").open() as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels.setdefault(row["query-id"], []).append(row["corpus-id"])
    return docs, queries, qrels


def inputs_for(docs, queries, qrels, query_ids):
    position = {d["_id"]: i for i, d in enumerate(docs)}
    positives = [np.array([position[d] for d in qrels[q]]) for q in query_ids]
    doc_texts = [f"{d['title']} {d['text']}" for d in docs]
    return SearchInput([queries[q] for q in query_ids], doc_texts, positives)


def assert_no_positive_returned(cands, inputs):
    for q, positives in enumerate(inputs.positives):
        rows = cands.doc_index[cands.offsets[q] : cands.offsets[q + 1]]
        assert not set(rows.tolist()) & set(positives.tolist())


def test_bm25_full_corpus(scifact):
    docs, queries, qrels = scifact
    inputs = inputs_for(docs, queries, qrels, sorted(qrels))
    cands = BM25Retriever().search(inputs, depth=100)
    assert np.diff(cands.offsets).min() > 0
    assert_no_positive_returned(cands, inputs)
    # BM25 is strong on SciFact (nDCG@10 ~0.67): most positives rank in the top 10.
    assert np.mean((cands.positive_rank >= 1) & (cands.positive_rank <= 10)) > 0.6


def test_dense_and_hybrid_on_a_subset(scifact, minilm_encoder, tmp_path):
    docs, queries, qrels = scifact
    query_ids = sorted(qrels)[:20]
    wanted = {d for q in query_ids for d in qrels[q]}
    subset = [d for d in docs if d["_id"] in wanted] + [
        d for d in docs[:40] if d["_id"] not in wanted
    ]
    subset = [{**d, "text": d["text"][:400]} for d in subset]
    inputs = inputs_for(subset, queries, qrels, query_ids)
    inputs.doc_embeddings = encode_cached(minilm_encoder, inputs.doc_texts, "document", tmp_path)
    inputs.query_embeddings = encode_cached(minilm_encoder, inputs.query_texts, "query", tmp_path)

    dense = ExactRetriever(query_chunk_size=7, doc_chunk_size=13).search(inputs, depth=10)
    assert_no_positive_returned(dense, inputs)
    assert np.mean(dense.positive_rank == 1) > 0.6  # MiniLM ranks most positives first
    assert np.all(np.diff(dense.score)[np.diff(dense.query_index()) == 0] <= 0)

    hybrid = HybridRetriever().search(inputs, depth=10)
    assert_no_positive_returned(hybrid, inputs)
    assert np.array_equal(hybrid.positive_rank, dense.positive_rank)
    assert not np.isnan(hybrid.columns["score_dense"]).any()
    assert np.all(hybrid.positive_min > 0)
