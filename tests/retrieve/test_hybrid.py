import numpy as np
import pytest

from trueneg.errors import ConfigError
from trueneg.retrieve import RETRIEVERS, BM25Retriever, HybridRetriever, SearchInput
from trueneg.retrieve.hybrid import rank_in_list, rrf

DOC_TEXTS = [
    "apple banana",  # d0
    "apple apple apple",  # d1
    "banana cherry",  # d2
    "cherry date elderberry",  # d3
    "apple pie recipe cinnamon sugar butter",  # d4
    "quantum chromodynamics",  # d5
]
DOC_VECTORS = np.array(
    [[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0.6, 0.8], [0, 0, 1], [0.6, 0, 0.8]],
    dtype=np.float32,
)
# q0 "apple" [1,0,0], positive d0:
#   dense list (depth 4): d1 .8, d5 .6, d2 0, d3 0     bm25 list: d1, d4
#   fused: d1 2/61; d4 1/62 and d5 1/62 (tie -> d4 first); d2 1/63; d3 1/64
#   positive d0: dense rank 1 (nothing above 1.0), bm25 rank 2 (below d1, above d4)
# q1 "zebra" [0,1,0], no positive: bm25 finds nothing; dense order d2, d1, d3, d0
QUERY_TEXTS = ["apple", "zebra"]
QUERY_VECTORS = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32)
POSITIVES = [np.array([0]), np.array([], dtype=np.int64)]


def toy_inputs() -> SearchInput:
    return SearchInput(QUERY_TEXTS, DOC_TEXTS, POSITIVES, QUERY_VECTORS, DOC_VECTORS)


@pytest.fixture(scope="module")
def cands():
    return HybridRetriever(sparse=BM25Retriever(stemmer=None)).search(toy_inputs(), depth=2)


def test_rrf_sums_reciprocal_ranks_over_lists():
    docs = np.array([1, 2, 3, 4])
    fused = rrf(docs, [np.array([3, 1, 2]), np.array([1, 4])], k=60)
    assert fused == pytest.approx([1 / 62 + 1 / 61, 1 / 63, 1 / 61, 1 / 62])


def test_rank_in_list_caps_below_a_full_list():
    listed = np.array([0.9, 0.5, 0.4])
    assert rank_in_list(np.array([1.0, 0.5, 0.45, 0.1]), listed, 3).tolist() == [1, 2, 3, 4]


def test_fused_order_and_scores(cands):
    assert cands.doc_index.tolist() == [1, 4, 2, 1]
    assert cands.offsets.tolist() == [0, 2, 4]
    assert cands.score[:2] == pytest.approx([2 / 61, 1 / 62])
    assert cands.score[2:] == pytest.approx([1 / 61, 1 / 62])


def test_extra_columns(cands):
    dense = cands.columns["score_dense"]
    expected = [
        DOC_VECTORS[d] @ QUERY_VECTORS[q]
        for q, d in zip(cands.query_index(), cands.doc_index, strict=True)
    ]
    assert dense == pytest.approx(expected)
    bm25 = cands.columns["score_bm25"]
    assert not np.isnan(bm25[:2]).any()  # d1 and d4 both in q0's bm25 list
    assert np.isnan(bm25[2:]).all()  # "zebra" matches nothing


def test_positive_stats(cands):
    assert cands.positive_min[0] == pytest.approx(1 / 61 + 1 / 62)
    assert np.isnan(cands.positive_min[1])
    assert cands.positive_rank.tolist() == [1, 0]
    assert 0 not in cands.doc_index[:2]


def test_registry_value_is_k():
    assert RETRIEVERS.resolve("hybrid:30").k == 30
    with pytest.raises(ConfigError, match="integer"):
        RETRIEVERS.resolve("hybrid:abc")


def test_registry_value_sets_the_bm25_language_too():
    hybrid = RETRIEVERS.resolve("hybrid:k=30,stemmer=none,stopwords=fr")
    assert hybrid.k == 30
    assert (hybrid.sparse.stemmer, hybrid.sparse.stopwords) == (None, "fr")
    only_bm25 = RETRIEVERS.resolve("hybrid:stopwords=none")
    assert only_bm25.k == 60 and only_bm25.sparse.stopwords is None
    with pytest.raises(ConfigError, match="BM25 setting"):
        RETRIEVERS.resolve("hybrid:k=30,colour=blue")
