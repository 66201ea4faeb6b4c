"""Invariants of DatasetBuilder on random corpora with duplicates (hypothesis)."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from trueneg.data.normalize import DatasetBuilder, content_id
from trueneg.data.tables import LoadReport

texts = st.sampled_from(["alpha", "beta", " alpha ", "gamma", "", "beta"])
docs = st.lists(st.tuples(st.sampled_from(["", "T"]), texts), min_size=1, max_size=12)
qrels = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 14), st.integers(-1, 2)), max_size=20)


@settings(max_examples=60, deadline=None)
@given(docs=docs, qrels=qrels)
def test_builder_invariants(docs, qrels):
    builder = DatasetBuilder(LoadReport())
    for i, (title, text) in enumerate(docs):
        builder.add_doc(f"d{i}", text, title)
    for q in range(4):
        builder.add_query(f"q{q}", f"query {q}")
    for q, d, rel in qrels:
        builder.add_qrel(f"q{q}", f"d{d}", rel)
    ds = builder.build()
    ids = ds.corpus["doc_id"].to_pylist()
    keys = list(zip(ds.corpus["title"].to_pylist(), ds.corpus["text"].to_pylist(), strict=True))
    assert len(set(ids)) == len(ids)
    assert len({(t.strip(), x.strip()) for t, x in keys}) == len(keys)  # no exact duplicates
    assert all(kept in ids and alias not in ids for alias, kept in ds.doc_aliases.items())
    pairs = list(zip(ds.qrels["query_id"].to_pylist(), ds.qrels["doc_id"].to_pylist(), strict=True))
    assert len(set(pairs)) == len(pairs)
    assert set(ds.qrels["doc_id"].to_pylist()) <= set(ids)
    assert min(ds.qrels["relevance"].to_pylist(), default=0) >= 0
    assert set(ds.queries["query_id"].to_pylist()) == {q for q, _ in pairs}


def test_content_id_is_prefix_plus_16_hex_of_blake2b():
    expected = hashlib.blake2b(b"hello").hexdigest()[:16]
    assert content_id("q", "hello") == "q" + expected
