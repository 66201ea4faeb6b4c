"""The GPU path of exact search (``trueneg.retrieve.exact_torch``), run on the CPU: the same
candidates, scores and positive statistics as the numpy path, ties included."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trueneg.errors import ConfigError, DataError
from trueneg.retrieve import ExactRetriever, SearchInput
from trueneg.retrieve import exact as exact_module
from trueneg.retrieve.exact_torch import chunk_topk, device_memory_bytes, merge_sorted

torch = pytest.importorskip("torch")


def torch_search(retriever: ExactRetriever, inputs: SearchInput, depth: int):
    """What ``retriever.search`` runs on a GPU, on the CPU: the same query chunks and the
    torch chunk function."""
    q_chunk, d_chunk = retriever.chunk_sizes("cpu")
    queries = np.asarray(inputs.query_embeddings, dtype=np.float32)
    parts = []
    for lo in range(0, queries.shape[0], q_chunk):
        q = queries[lo : lo + q_chunk]
        positives = inputs.positives[lo : lo + q_chunk]
        parts.append(
            exact_module._torch_chunk(q, inputs.doc_embeddings, positives, depth, d_chunk, "cpu")
        )
    return exact_module.join_parts(parts, queries.shape[0])


def tied_inputs(seed: int, n_queries: int = 40, n_docs: int = 300, dim: int = 4) -> SearchInput:
    """Small-integer vectors: exact float32 products and many equal scores; a few duplicate
    documents and queries without positives."""
    rng = np.random.default_rng(seed)
    queries = rng.integers(-2, 3, (n_queries, dim)).astype(np.float32)
    docs = rng.integers(-2, 3, (n_docs, dim)).astype(np.float32)
    docs[5::37] = docs[4]  # duplicates: the same score at several positions
    positives = [
        rng.choice(n_docs, size=int(rng.integers(0, 3)), replace=False) for _ in range(n_queries)
    ]
    return SearchInput(["q"] * n_queries, ["d"] * n_docs, positives, queries, docs)


def assert_same(a, b):
    assert a.offsets.tolist() == b.offsets.tolist()
    assert a.doc_index.tolist() == b.doc_index.tolist()
    assert a.score.tolist() == b.score.tolist()
    np.testing.assert_array_equal(a.positive_min, b.positive_min)
    assert a.positive_rank.tolist() == b.positive_rank.tolist()


@pytest.mark.parametrize("chunks", [(1, 1), (7, 13), (16, 64), (1024, 50_000)])
@pytest.mark.parametrize("depth", [1, 5, 30, 400])
def test_torch_path_equals_numpy_path_with_ties(chunks, depth):
    inputs = tied_inputs(seed=depth)
    retriever = ExactRetriever(*chunks, device="cpu")
    assert_same(torch_search(retriever, inputs, depth), retriever.search(inputs, depth))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    depth=st.integers(1, 40),
    q_chunk=st.integers(1, 20),
    d_chunk=st.integers(1, 80),
)
def test_any_chunking_gives_the_same_candidates(seed, depth, q_chunk, d_chunk):
    inputs = tied_inputs(seed, n_queries=25, n_docs=120, dim=3)
    reference = ExactRetriever(device="cpu").search(inputs, depth)
    chunked = ExactRetriever(q_chunk, d_chunk, device="cpu")
    assert_same(torch_search(chunked, inputs, depth), reference)
    assert_same(chunked.search(inputs, depth), reference)


def test_ties_at_the_cut_keep_the_lowest_documents():
    scores = torch.tensor([[0.5, 0.9, 0.5, 0.5, 0.1], [0.2, 0.2, 0.2, 0.2, 0.2]])
    values, index = chunk_topk(scores, 3, offset=10)
    assert index.tolist() == [[11, 10, 12], [10, 11, 12]]
    np.testing.assert_allclose(values.numpy(), [[0.9, 0.5, 0.5], [0.2, 0.2, 0.2]])
    later = (torch.tensor([[0.9, 0.5]]), torch.tensor([[20, 21]]))
    merged = merge_sorted((values[:1], index[:1]), later, 4)
    assert merged[1].tolist() == [[11, 20, 10, 12]]  # equal 0.9: doc 11 before doc 20


def test_auto_is_the_default_and_resolves_here():
    retriever = ExactRetriever()
    assert retriever.device == "auto"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert retriever.resolved_device() == expected
    assert retriever.chunk_sizes("cpu") == (1024, 50_000)
    assert retriever.chunk_sizes("cuda") == (16_384, 65_536)
    assert ExactRetriever(8, 9).chunk_sizes("cuda") == (8, 9)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error():
    inputs = tied_inputs(0)
    with pytest.raises(ConfigError, match="no GPU") as info:
        ExactRetriever(device="cuda").search(inputs, 3)
    assert "exact:cpu" in str(info.value)


def test_non_finite_scores_are_refused_on_the_torch_path():
    inputs = tied_inputs(1)
    inputs.doc_embeddings[7, 0] = np.inf
    with pytest.raises(DataError, match="NaN or infinite"):
        torch_search(ExactRetriever(8, 16, device="cpu"), inputs, 3)


def test_memory_formula_grows_with_chunks_not_the_corpus():
    small = device_memory_bytes(16_384, 65_536, 384, 100)
    assert 6 * 2**30 < small < 7 * 2**30
    assert device_memory_bytes(1024, 65_536, 384, 100) < small / 8
