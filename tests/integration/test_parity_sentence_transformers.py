"""Parity: naive top-k in trueneg equals ``sentence_transformers.util.mine_hard_negatives``.

Same model (the bundled MiniLM), same texts (queries as written, documents ``title + " " +
text``), ``filters=[]``, sampler ``top``, k=4, exact search. Semantics of the reference
(sentence-transformers 5.x/6.x ``util/hard_negatives.py``):

- queries are de-duplicated by text and every positive of a query is masked, whichever row
  it came from; the corpus is de-duplicated by text (first occurrence kept);
- ``range_max`` defaults to ``num_negatives + max_positives`` and the search keeps
  ``range_max + max_positives`` candidates, so k negatives always survive the masking;
- ``output_format="n-tuple"`` gives one row per (anchor, positive), grouped by anchor, every
  row of an anchor carrying the same k negatives (rows short of k negatives are dropped).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from integration.realdata import read_beir

pytestmark = pytest.mark.slow

K = 4
TIE = 1e-5  # cosine gap under which the order of two candidates may differ by rounding


@pytest.fixture(scope="module")
def st_model(minilm_path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(minilm_path, device="cpu")


def st_negatives(st_model, folder):
    """Per query id: the (doc ids, scores) ST mines, and the number of rows it gave."""
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    raw = read_beir(folder)
    doc_text = dict(zip((d for d, *_ in raw.corpus), raw.doc_texts(), strict=True))
    pairs = [(q, d) for q in sorted(raw.positives) for d in sorted(raw.positives[q])]
    dataset = Dataset.from_dict(
        {"anchor": [raw.queries[q] for q, _ in pairs], "positive": [doc_text[d] for _, d in pairs]}
    )
    mined = mine_hard_negatives(
        dataset,
        st_model,
        corpus=raw.doc_texts(),
        num_negatives=K,
        sampling_strategy="top",
        output_format="n-tuple",
        output_scores=True,
        batch_size=64,
        verbose=False,
    )
    query_by_text = {raw.queries[q]: q for q in raw.positives}
    id_by_text = raw.first_id_by_text()
    rows: dict[str, list[tuple[list[str], list[float]]]] = defaultdict(list)
    for row in mined:
        negatives = [id_by_text[row[f"negative_{i}"]] for i in range(1, K + 1)]
        rows[query_by_text[row["anchor"]]].append((negatives, row["scores"][1:]))
    return raw, rows


def trueneg_negatives(run) -> dict[str, tuple[list[str], list[float]]]:
    kept = run.negatives(kept_only=True).sort_by([("query_id", "ascending"), ("rank", "ascending")])
    out: dict[str, tuple[list[str], list[float]]] = defaultdict(lambda: ([], []))
    for row in kept.to_pylist():
        ids, scores = out[row["query_id"]]
        ids.append(row["doc_id"])
        scores.append(row["score"])
    return dict(out)


def assert_same_negatives(run, theirs) -> None:
    """Same negatives in the same order, except that two candidates whose scores differ by
    less than rounding (``TIE``) may swap places, also across the boundary with rank k+1."""
    ours = trueneg_negatives(run)
    assert sorted(ours) == sorted(theirs), "both must mine for the same queries"
    score = {(r["query_id"], r["doc_id"]): r["score"] for r in run.negatives().to_pylist()}
    for query_id, (ids, scores) in ours.items():
        st_ids, st_scores = theirs[query_id]
        np.testing.assert_allclose(scores, st_scores, atol=TIE, err_msg=query_id)
        for ours_id, st_id in zip(ids, st_ids, strict=True):
            if ours_id != st_id:
                assert (query_id, st_id) in score, (query_id, st_id, "not a trueneg candidate")
                gap = abs(score[(query_id, ours_id)] - score[(query_id, st_id)])
                assert gap < TIE, (query_id, ids, st_ids)


def test_scifact_naive_top_k_matches_sentence_transformers(st_model, scifact_subset, naive_scifact):
    raw, st_rows = st_negatives(st_model, scifact_subset)
    # one n-tuple per (anchor, positive) and all of an anchor's tuples agree
    assert sum(len(v) for v in st_rows.values()) == sum(len(p) for p in raw.positives.values())
    for query_id, rows in st_rows.items():
        assert len(rows) == len(raw.positives[query_id])
        assert all(r == rows[0] for r in rows), query_id
    theirs = {q: rows[0] for q, rows in st_rows.items()}
    ours = trueneg_negatives(naive_scifact)
    assert len(ours) == len(raw.positives) == 40
    assert all(len(ids) == K for ids, _ in ours.values())
    assert_same_negatives(naive_scifact, theirs)


def test_nfcorpus_several_positives_per_query_match(st_model, nfcorpus_subset, naive_nfcorpus):
    raw, st_rows = st_negatives(st_model, nfcorpus_subset)
    assert min(len(p) for p in raw.positives.values()) >= 2
    doc_text = dict(zip((d for d, *_ in raw.corpus), raw.doc_texts(), strict=True))
    for query_id, rows in st_rows.items():
        # ST repeats the anchor once per distinct positive text (two labeled positives that
        # are exact duplicates give one row); every positive of the query is masked for every
        # one of those rows, so they all carry the same negatives, none of them a positive.
        assert len(rows) == len({doc_text[d] for d in raw.positives[query_id]})
        assert all(r == rows[0] for r in rows), query_id
        ids, keys = raw.forbidden(query_id)
        assert not set(rows[0][0]) & ids
        assert not {raw.doc_key(d) for d in rows[0][0]} & keys
    theirs = {q: rows[0] for q, rows in st_rows.items()}
    ours = trueneg_negatives(naive_nfcorpus)
    assert len(ours) == len(raw.positives) == 12
    assert all(len(ids) == K for ids, _ in ours.values())
    assert_same_negatives(naive_nfcorpus, theirs)


def test_nfcorpus_subset_exercises_duplicates(nfcorpus_subset, naive_nfcorpus):
    """The parity above is only meaningful for aliases if the subset really has some."""
    aliases = naive_nfcorpus.dir.read_table("data/doc_aliases.parquet")
    assert aliases.num_rows >= 3
    candidates = set(naive_nfcorpus.negatives()["doc_id"].to_pylist())
    assert not candidates & set(aliases["doc_id"].to_pylist())
