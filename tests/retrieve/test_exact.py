import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trueneg.errors import ConfigError, DataError
from trueneg.retrieve import RETRIEVERS, ExactRetriever, SearchInput

# Six unit vectors in 3-d and three queries; scores are easy to read off.
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
QUERIES = np.array(
    [
        [1.0, 0.0, 0.0],  # q0: d0 1.0 (positive), d1 .8, d5 .6, rest 0
        [0.0, 1.0, 0.0],  # q1: d2 1.0, d1 .6, d3 .6 (positive) -> d2 is a likely false negative
        [0.0, 0.0, 1.0],  # q2: d4 1.0 and d5 .8 (both positive), d3 .8, rest 0
    ],
    dtype=np.float32,
)
POSITIVES = [np.array([0]), np.array([3]), np.array([4, 5])]


def toy_inputs(positives=POSITIVES) -> SearchInput:
    return SearchInput(["q"] * 3, ["d"] * 6, positives, QUERIES, DOCS)


def rows(cands, q):
    lo, hi = cands.offsets[q], cands.offsets[q + 1]
    return cands.doc_index[lo:hi].tolist(), cands.score[lo:hi].tolist()


@pytest.mark.parametrize("chunks", [(1, 1), (2, 4), (1024, 50_000)])
def test_toy_answers(chunks):
    cands = ExactRetriever(*chunks).search(toy_inputs(), depth=3)
    # q0: d1 .8, d5 .6, then the zero-score docs by position (d2 before d3, d4)
    assert rows(cands, 0)[0] == [1, 5, 2]
    # q1: d2 1.0 beats the positive; d1 ties the positive at .6 (not "above" it)
    assert rows(cands, 1)[0] == [2, 1, 0]
    # q2: d3 .8, then zeros d0, d1
    assert rows(cands, 2)[0] == [3, 0, 1]
    assert rows(cands, 1)[1] == pytest.approx([1.0, 0.6, 0.0])
    assert cands.rank.tolist() == [1, 2, 3] * 3
    assert cands.positive_min == pytest.approx([1.0, 0.6, 0.8])
    assert cands.positive_rank.tolist() == [1, 2, 1]


def test_depth_beyond_corpus_returns_what_exists():
    cands = ExactRetriever(doc_chunk_size=4).search(toy_inputs(), depth=100)
    assert np.diff(cands.offsets).tolist() == [5, 5, 4]  # 6 docs minus 1, 1, 2 positives


def test_query_without_positives_has_unknown_positive_stats():
    cands = ExactRetriever().search(toy_inputs([np.array([]), POSITIVES[1], POSITIVES[2]]), 2)
    assert np.isnan(cands.positive_min[0])
    assert cands.positive_rank[0] == 0
    assert rows(cands, 0)[0] == [0, 1]


def test_memory_mapped_embeddings(tmp_path):
    np.save(tmp_path / "q.npy", QUERIES)
    np.save(tmp_path / "d.npy", DOCS)
    inputs = toy_inputs()
    inputs.query_embeddings = np.load(tmp_path / "q.npy", mmap_mode="r")
    inputs.doc_embeddings = np.load(tmp_path / "d.npy", mmap_mode="r")
    mapped = ExactRetriever(2, 2).search(inputs, 3)
    plain = ExactRetriever().search(toy_inputs(), 3)
    assert mapped.doc_index.tolist() == plain.doc_index.tolist()


def brute_force(queries, docs, positives, depth):
    """Full score matrix, positives dropped, sorted by (-score, doc)."""
    scores = queries @ docs.T
    expected = []
    for q, pos in enumerate(positives):
        keep = np.setdiff1d(np.arange(docs.shape[0]), pos)
        order = np.lexsort((keep, -scores[q, keep]))[:depth]
        pos_stats = (np.nan, 0)
        if len(pos):
            above = int((scores[q, keep] > scores[q, pos].max()).sum())
            pos_stats = (scores[q, pos].min(), 1 + above)
        expected.append((keep[order].tolist(), pos_stats))
    return expected


@settings(max_examples=60, deadline=None)
@given(
    n_queries=st.integers(1, 9),
    n_docs=st.integers(1, 40),
    dim=st.integers(1, 5),
    depth=st.integers(1, 45),
    q_chunk=st.integers(1, 10),
    d_chunk=st.integers(1, 45),
    seed=st.integers(0, 2**32 - 1),
)
def test_chunked_search_equals_brute_force(n_queries, n_docs, dim, depth, q_chunk, d_chunk, seed):
    # Small integer vectors: float32 products are exact, and ties are frequent.
    rng = np.random.default_rng(seed)
    queries = rng.integers(-3, 4, (n_queries, dim)).astype(np.float32)
    docs = rng.integers(-3, 4, (n_docs, dim)).astype(np.float32)
    positives = [
        rng.choice(n_docs, size=rng.integers(0, min(3, n_docs) + 1), replace=False)
        for _ in range(n_queries)
    ]
    inputs = SearchInput(["q"] * n_queries, ["d"] * n_docs, positives, queries, docs)
    cands = ExactRetriever(q_chunk, d_chunk).search(inputs, depth)
    for q, (docs_expected, (pos_min, pos_rank)) in enumerate(
        brute_force(queries, docs, positives, depth)
    ):
        got, _ = rows(cands, q)
        assert got == docs_expected
        assert not set(got) & set(positives[q].tolist())
        np.testing.assert_equal(cands.positive_min[q], np.float32(pos_min))
        assert cands.positive_rank[q] == pos_rank


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d_chunk=st.integers(1, 70))
def test_random_float_vectors_match_brute_force(seed, d_chunk):
    rng = np.random.default_rng(seed)
    queries = rng.normal(size=(5, 8)).astype(np.float32)
    docs = rng.normal(size=(60, 8)).astype(np.float32)
    positives = [rng.choice(60, size=2, replace=False) for _ in range(5)]
    inputs = SearchInput(["q"] * 5, ["d"] * 60, positives, queries, docs)
    cands = ExactRetriever(2, d_chunk).search(inputs, 10)
    for q, (docs_expected, (pos_min, pos_rank)) in enumerate(
        brute_force(queries, docs, positives, 10)
    ):
        assert rows(cands, q)[0] == docs_expected
        assert cands.positive_min[q] == pytest.approx(pos_min, abs=1e-5)
        assert cands.positive_rank[q] == pos_rank


def test_registry_names_and_values():
    assert isinstance(RETRIEVERS.resolve("exact"), ExactRetriever)
    assert RETRIEVERS.resolve("exact:cpu").device == "cpu"
    with pytest.raises(ConfigError, match="Unknown device"):
        RETRIEVERS.resolve("exact:tpu")


def test_bad_inputs_are_refused():
    with pytest.raises(ConfigError, match="at least 1"):
        ExactRetriever().search(toy_inputs(), depth=0)
    with pytest.raises(ConfigError, match="needs query and document embeddings"):
        ExactRetriever().search(SearchInput(["q"], ["d"], [np.array([0])]), depth=1)
    with pytest.raises(DataError, match="outside the corpus"):
        ExactRetriever().search(toy_inputs([np.array([6]), np.array([]), np.array([])]), 1)
    bad = toy_inputs()
    bad.doc_embeddings = DOCS.copy()
    bad.doc_embeddings[2, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        ExactRetriever().search(bad, 1)


def test_cuda_matches_cpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no GPU")
    rng = np.random.default_rng(0)
    queries = rng.integers(-3, 4, (50, 8)).astype(np.float32)
    docs = rng.integers(-3, 4, (500, 8)).astype(np.float32)
    positives = [rng.choice(500, size=2, replace=False) for _ in range(50)]
    inputs = SearchInput(["q"] * 50, ["d"] * 500, positives, queries, docs)
    cpu = ExactRetriever(16, 64).search(inputs, 20)
    gpu = ExactRetriever(16, 64, device="cuda").search(inputs, 20)
    assert gpu.doc_index.tolist() == cpu.doc_index.tolist()
    assert gpu.positive_rank.tolist() == cpu.positive_rank.tolist()


def test_silent_unless_asked(capsys):
    ExactRetriever(1, 2).search(toy_inputs(), 2)
    assert capsys.readouterr() == ("", "")
    shown = ExactRetriever(1, 2).search(toy_inputs(), 2, show_progress=True)
    assert shown.num_rows == 6
