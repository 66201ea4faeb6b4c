"""Exact search over corpus shards on Ray returns exactly what ExactRetriever returns.

The vectors are small integers, so every score is exact and ties are everywhere: the merge
must break them like the single-process search (higher score, then lower doc position).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from trueneg.distributed import RayCluster, connect, search_on_ray, shard_bounds
from trueneg.distributed.search import GRANULE, merge_topk, search_shard
from trueneg.retrieve import ExactRetriever, SearchInput
from trueneg.retrieve.exact import flat_positives

FIELDS = ("offsets", "doc_index", "score", "rank", "positive_min", "positive_rank")


def tied_inputs(n_queries: int = 37, n_docs: int = 300, dim: int = 4, seed: int = 0):
    """Vectors in {-1, 0, 1}^dim: a few dozen distinct scores shared by hundreds of docs.
    Docs 5..9 repeat doc 0 exactly; some queries have no positive, some several."""
    rng = np.random.default_rng(seed)
    queries = rng.integers(-1, 2, (n_queries, dim)).astype(np.float32)
    docs = rng.integers(-1, 2, (n_docs, dim)).astype(np.float32)
    docs[5:10] = docs[0]
    positives = [np.unique(rng.integers(0, n_docs, rng.integers(0, 4))) for _ in range(n_queries)]
    positives[0] = np.array([0, n_docs - 1])  # tied with five negatives; one in the last shard
    return SearchInput([""] * n_queries, [""] * n_docs, positives, queries, docs)


def assert_same(expected, got) -> None:
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)


@pytest.mark.parametrize(
    ("depth", "retriever"),
    [
        (10, ExactRetriever()),
        (64, ExactRetriever()),  # the cut falls inside a run of tied scores
        (1000, ExactRetriever()),  # deeper than the corpus: every non-positive doc
        (7, ExactRetriever(query_chunk_size=8, doc_chunk_size=50)),  # chunks cross shards
    ],
)
def test_four_shards_equal_exact_retriever(ray_cluster, depth, retriever):
    inputs = tied_inputs()
    cluster = connect("auto", workers=4)
    assert len(shard_bounds(inputs.num_docs, cluster.workers)) == 4
    assert_same(retriever.search(inputs, depth), search_on_ray(retriever, inputs, depth, cluster))


def test_ties_at_the_cut_take_the_lowest_doc_positions(ray_cluster):
    inputs = SearchInput(
        ["q"],
        ["d"] * 256,
        [np.array([], dtype=np.int64)],
        np.ones((1, 2), dtype=np.float32),
        np.ones((256, 2), dtype=np.float32),
    )
    got = search_on_ray(ExactRetriever(), inputs, 5, connect("auto", workers=4))
    assert got.doc_index.tolist() == [0, 1, 2, 3, 4]  # all 256 tie; one per shard would differ


def test_real_valued_vectors_give_the_same_candidates(ray_cluster):
    """Same candidates and ranks; scores equal up to BLAS's last bits (OpenBLAS rounds some
    columns differently for another matrix width or thread count, CPU-dependent)."""
    rng = np.random.default_rng(1)
    queries = rng.standard_normal((120, 32)).astype(np.float32)
    docs = rng.standard_normal((2000, 32)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    positives = [rng.integers(0, 2000, 2) for _ in range(120)]
    inputs = SearchInput([""] * 120, [""] * 2000, positives, queries, docs)
    retriever = ExactRetriever()
    expected = retriever.search(inputs, 50)
    got = search_on_ray(retriever, inputs, 50, connect("auto", workers=3))
    for name in ("offsets", "doc_index", "rank", "positive_rank"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    for name in ("score", "positive_min"):
        got_values, expected_values = getattr(got, name), getattr(expected, name)
        np.testing.assert_allclose(got_values, expected_values, rtol=0, atol=1e-6, err_msg=name)


@pytest.mark.parametrize(("n_docs", "shards"), [(1, 4), (64, 4), (65, 4), (300, 4), (5183, 7)])
def test_shard_bounds_cover_the_corpus_on_granule_edges(n_docs, shards):
    bounds = shard_bounds(n_docs, shards)
    assert bounds[0][0] == 0 and bounds[-1][1] == n_docs
    assert all(hi == lo2 for (_, hi), (lo2, _) in pairwise(bounds))
    assert all(lo < hi for lo, hi in bounds)
    assert all(lo % GRANULE == 0 for lo, _ in bounds)
    assert len(bounds) == min(shards, -(-n_docs // GRANULE))


def test_shard_function_and_merge_without_ray():
    """The per-shard top-k merged by ``merge_topk`` is the global top-k."""
    inputs = tied_inputs(n_queries=5, n_docs=130)
    rows, pos_docs = flat_positives(inputs.positives)
    pos_max = np.full(5, np.nan, dtype=np.float32)
    best = (None, None)
    for lo, hi in shard_bounds(130, 3):
        scores, index, _ = search_shard(
            inputs.query_embeddings,
            inputs.doc_embeddings,
            rows,
            pos_docs,
            pos_max,
            lo,
            hi,
            9,
            1024,
            50_000,
            "cpu",
        )
        best = merge_topk(*best, scores, index, 9)
    expected = ExactRetriever().search(inputs, 9)
    assert best[1][best[0] > -np.inf].tolist() == expected.doc_index.tolist()


def test_cluster_state_is_recorded(ray_cluster):
    cluster = connect("auto", workers=2)
    assert cluster == RayCluster(address="auto", cpus=4, gpus=0, workers=2)
    assert connect("auto").workers == 4  # default: one per CPU when there is no GPU
