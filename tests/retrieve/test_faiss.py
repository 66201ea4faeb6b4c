import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trueneg.errors import ConfigError, DataError
from trueneg.retrieve import RETRIEVERS, ExactRetriever, SearchInput

pytest.importorskip("faiss")

from trueneg.retrieve.faiss import (
    FaissFlatRetriever,
    FaissHNSWRetriever,
    FaissIVFRetriever,
    default_nlist,
)

# Six unit vectors in 3-d and three queries (the exact retriever's toy): scores read off.
DOCS = np.array(
    [
        [1.0, 0.0, 0.0],  # d0
        [0.8, 0.6, 0.0],  # d1
        [0.0, 1.0, 0.0],  # d2
        [0.0, 0.6, 0.8],  # d3
        [0.0, 0.0, 1.0],  # d4
        [0.6, 0.0, 0.8],  # d5
    ],
    dtype=np.float32,
)
QUERIES = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
# q0: d0 1.0 (positive), d1 .8, d5 .6, then zeros d2, d3, d4
# q1: d2 1.0 beats its positive d3 (.6) -> a likely false negative; d1 .6, then zeros
# q2: positives d4 1.0 and d5 .8; d3 .8, then zeros d0, d1, d2
POSITIVES = [np.array([0]), np.array([3]), np.array([4, 5])]
ALL = [FaissFlatRetriever(), FaissIVFRetriever(), FaissHNSWRetriever()]


def rows(cands, q):
    lo, hi = cands.offsets[q], cands.offsets[q + 1]
    return cands.doc_index[lo:hi].tolist()


def clustered(n_docs, n_queries, dim=32, clusters=20, seed=0):
    """Unit vectors around random centres: the structure IVF and HNSW rely on."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))

    def draw(n):
        x = centres[rng.integers(0, clusters, n)] + 0.3 * rng.standard_normal((n, dim))
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    docs, queries = draw(n_docs), draw(n_queries)
    positives = [rng.choice(n_docs, rng.integers(0, 3), replace=False) for _ in range(n_queries)]
    return SearchInput([""] * n_queries, [""] * n_docs, positives, queries, docs)


@pytest.mark.parametrize("retriever", ALL, ids=lambda r: r.name)
def test_toy_answers(retriever):
    inputs = SearchInput(["q"] * 3, ["d"] * 6, POSITIVES, QUERIES, DOCS)
    cands = retriever.search(inputs, depth=3)
    assert rows(cands, 0) == [1, 5, 2]
    assert rows(cands, 1) == [2, 1, 0]
    assert rows(cands, 2) == [3, 0, 1]
    assert cands.rank.tolist() == [1, 2, 3] * 3
    assert cands.positive_min == pytest.approx([1.0, 0.6, 0.8])
    assert cands.positive_rank.tolist() == [0, 0, 0]  # unknown for FAISS


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    n_queries=st.integers(1, 8),
    n_docs=st.integers(1, 60),
    dim=st.integers(2, 8),
    depth=st.integers(1, 70),
    seed=st.integers(0, 2**32 - 1),
)
def test_flat_equals_exact_on_distinct_scores(n_queries, n_docs, dim, depth, seed):
    rng = np.random.default_rng(seed)
    queries = rng.standard_normal((n_queries, dim)).astype(np.float32)
    docs = rng.standard_normal((n_docs, dim)).astype(np.float32)
    scores = np.sort(queries @ docs.T, axis=1)
    assume(n_docs == 1 or np.diff(scores, axis=1).min() > 1e-4)  # no near-ties to reorder
    positives = [
        rng.choice(n_docs, rng.integers(0, min(3, n_docs) + 1), replace=False)
        for _ in range(n_queries)
    ]
    inputs = SearchInput([""] * n_queries, [""] * n_docs, positives, queries, docs)
    flat = FaissFlatRetriever(query_chunk_size=3, add_chunk_size=7).search(inputs, depth)
    exact = ExactRetriever().search(inputs, depth)
    assert flat.offsets.tolist() == exact.offsets.tolist()
    assert flat.doc_index.tolist() == exact.doc_index.tolist()
    np.testing.assert_allclose(flat.score, exact.score, atol=1e-5)
    np.testing.assert_allclose(flat.positive_min, exact.positive_min, atol=1e-6)


@pytest.mark.parametrize("retriever", ALL[1:], ids=lambda r: r.name)
def test_approximate_recall_on_clustered_data(retriever):
    inputs = clustered(3000, 200)
    result = retriever.estimate_recall(inputs, depth=20, sample=100, seed=1)
    assert result["sample_queries"] == 100
    assert result["recall_at_depth"] >= 0.9


@pytest.mark.parametrize("retriever", ALL, ids=lambda r: r.name)
def test_positives_never_returned(retriever):
    inputs = clustered(500, 60, seed=3)
    cands = retriever.search(inputs, depth=30)
    for q, positives in enumerate(inputs.positives):
        assert not set(rows(cands, q)) & set(positives.tolist())
        assert len(rows(cands, q)) == 30


@pytest.mark.parametrize("retriever", ALL, ids=lambda r: r.name)
def test_float16_memory_map(tmp_path, retriever):
    inputs = clustered(400, 30, seed=4)
    np.save(tmp_path / "d.npy", inputs.doc_embeddings.astype(np.float16))
    inputs.doc_embeddings = np.load(tmp_path / "d.npy", mmap_mode="r")
    cands = retriever.search(inputs, depth=10)
    exact = ExactRetriever().search(inputs, depth=10)
    np.testing.assert_allclose(cands.positive_min, exact.positive_min, atol=1e-6)
    assert retriever.estimate_recall(inputs, 10, candidates=cands)["recall_at_depth"] > 0.9


def test_estimate_recall_reuses_candidates_and_is_seeded():
    inputs = clustered(800, 100, seed=5)
    flat = FaissFlatRetriever()
    cands = flat.search(inputs, 15)
    assert flat.estimate_recall(inputs, 15, sample=40, candidates=cands) == {
        "recall_at_depth": 1.0,
        "sample_queries": 40,
    }
    ivf = FaissIVFRetriever(nlist=16, nprobe=1)
    first = ivf.estimate_recall(inputs, 15, sample=40, seed=7)
    assert first == ivf.estimate_recall(inputs, 15, sample=40, seed=7)


def test_ivf_is_deterministic():
    inputs = clustered(1000, 50, seed=6)
    a = FaissIVFRetriever(nlist=20, nprobe=2).search(inputs, 10)
    b = FaissIVFRetriever(nlist=20, nprobe=2).search(inputs, 10)
    assert a.doc_index.tolist() == b.doc_index.tolist()


def test_registry_values():
    assert RETRIEVERS.resolve("faiss-ivf:64").nlist == 64
    ivf = RETRIEVERS.resolve("faiss-ivf:64,8")
    assert (ivf.nlist, ivf.nprobe) == (64, 8)
    assert RETRIEVERS.resolve("faiss-hnsw:16").m == 16
    assert RETRIEVERS.resolve("faiss-flat:cpu").device == "cpu"
    for bad in ("faiss-ivf:x", "faiss-ivf:1,2,3", "faiss-hnsw:0", "faiss-flat:tpu"):
        with pytest.raises(ConfigError):
            RETRIEVERS.resolve(bad)


def test_default_nlist():
    assert default_nlist(1_000_000) == 4000
    assert default_nlist(1000) == 25  # 4·sqrt(1000) = 126, but at least 39 docs per cell
    assert default_nlist(10) == 1


def test_errors():
    inputs = clustered(50, 5)
    with pytest.raises(ConfigError, match="needs query and document embeddings"):
        FaissFlatRetriever().search(SearchInput(["q"], ["d"], [np.array([0])]), 3)
    with pytest.raises(ConfigError, match="cannot run on a GPU"):
        FaissHNSWRetriever(device="cuda").search(inputs, 3)
    with pytest.raises(ConfigError, match="NLIST"):
        FaissIVFRetriever(nlist=100).search(inputs, 3)
    inputs.doc_embeddings[3, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        FaissFlatRetriever().search(inputs, 3)


def test_missing_faiss_is_a_config_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(ConfigError, match=r"pip install 'trueneg\[faiss\]'"):
        FaissFlatRetriever().search(clustered(20, 2), 3)
