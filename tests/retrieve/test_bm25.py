import importlib.util

import bm25s
import numpy as np
import pytest

from trueneg.errors import ConfigError
from trueneg.retrieve import RETRIEVERS, BM25Retriever, SearchInput

DOCS = [
    "apple banana",  # d0: apple once, short
    "apple apple apple",  # d1: apple three times -> best for "apple"
    "banana cherry",  # d2: both words of q1
    "cherry date elderberry",  # d3: cherry only
    "apple pie recipe cinnamon sugar butter",  # d4: apple once in a long doc -> weakest
    "quantum chromodynamics",  # d5: shares nothing with any query
]
QUERIES = [
    "apple",  # q0, no positive: d1 > d0 > d4; nothing else matches
    "cherry banana",  # q1, positive d2 (best match): d0 and d3 follow
    "apple",  # q2, positive d0: d1 scores above it -> positive_rank 2
    "zebra",  # q3, no term in the corpus: no candidates
]
POSITIVES = [np.array([], dtype=np.int64), np.array([2]), np.array([0]), np.array([], np.int64)]


def rows(cands, q):
    lo, hi = cands.offsets[q], cands.offsets[q + 1]
    return cands.doc_index[lo:hi].tolist()


@pytest.fixture(scope="module")
def cands():
    return BM25Retriever(stemmer=None).search(SearchInput(QUERIES, DOCS, POSITIVES), depth=10)


def test_obvious_order_and_unmatched_docs_skipped(cands):
    assert rows(cands, 0) == [1, 0, 4]
    assert rows(cands, 1) == [0, 3]  # banana and cherry are equally rare; d0 is shorter
    assert rows(cands, 2) == [1, 4]
    assert rows(cands, 3) == []
    assert cands.rank.tolist() == [1, 2, 3, 1, 2, 1, 2]
    assert np.all(np.diff(cands.score[:3]) < 0)


def test_positive_stats_match_bm25s_scores(cands):
    index = bm25s.BM25()
    index.index(bm25s.tokenize(DOCS, stopwords="en", show_progress=False), show_progress=False)
    apple = index.get_scores(["apple"])
    cherry_banana = index.get_scores(["cherry", "banana"])
    assert cands.positive_min[1] == pytest.approx(cherry_banana[2])
    assert cands.positive_min[2] == pytest.approx(apple[0])
    assert np.isnan(cands.positive_min[0])
    assert cands.positive_rank.tolist() == [0, 1, 2, 0]
    assert cands.score[:3] == pytest.approx(apple[[1, 0, 4]])


def test_depth_cuts_and_is_deterministic():
    inputs = SearchInput(QUERIES, DOCS, POSITIVES)
    first = BM25Retriever(stemmer=None).search(inputs, depth=1)
    second = BM25Retriever(stemmer=None).search(inputs, depth=1)
    assert rows(first, 0) == [1]
    assert first.doc_index.tolist() == second.doc_index.tolist()
    assert np.array_equal(first.score, second.score)


def test_registry_and_options():
    assert isinstance(RETRIEVERS.resolve("bm25"), BM25Retriever)
    assert RETRIEVERS.resolve("bm25:robertson").method == "robertson"
    with pytest.raises(ConfigError, match="Unknown BM25 method"):
        RETRIEVERS.resolve("bm25:tfidf")


@pytest.mark.skipif(importlib.util.find_spec("Stemmer") is not None, reason="PyStemmer present")
def test_explicit_stemmer_without_pystemmer_is_an_error():
    with pytest.raises(ConfigError, match="PyStemmer"):
        BM25Retriever(stemmer="english").search(SearchInput(QUERIES, DOCS, POSITIVES), 1)
