import numpy as np

from trueneg.retrieve.topk import chunk_topk, drop_masked, make_candidates, running_topk


def test_chunk_topk_breaks_ties_at_the_cut_by_lowest_doc():
    # docs 1, 2, 3 tie at 3.0; only two fit: the lowest positions (1, 2) win.
    scores = np.array([[1.0, 3.0, 3.0, 3.0, 0.0]], dtype=np.float32)
    top_scores, top_index = chunk_topk(scores, 2, offset=10)
    assert top_index.tolist() == [[11, 12]]
    assert top_scores.tolist() == [[3.0, 3.0]]


def test_chunk_topk_returns_everything_sorted_when_k_exceeds_row():
    scores = np.array([[0.5, 0.9, 0.5]], dtype=np.float32)
    top_scores, top_index = chunk_topk(scores, 5)
    assert top_index.tolist() == [[1, 0, 2]]
    assert top_scores.tolist() == [[np.float32(0.9), np.float32(0.5), np.float32(0.5)]]


def test_running_topk_merges_blocks_with_ties():
    # block 1 = docs 0, 1; block 2 = docs 2, 3. Doc 0 and doc 2 tie at 5: doc 0 first.
    best = running_topk(None, None, np.array([[5.0, 1.0]]), 2, offset=0)
    scores, index = running_topk(*best, np.array([[5.0, 2.0]]), 2, offset=2)
    assert index.tolist() == [[0, 2]]
    assert scores.tolist() == [[5.0, 5.0]]


def test_drop_masked_and_make_candidates_give_ranks_per_query():
    scores = np.array([[0.9, 0.1, -np.inf], [-np.inf, -np.inf, -np.inf], [0.3, 0.2, 0.1]])
    index = np.array([[4, 2, 0], [0, 1, 2], [7, 8, 9]])
    counts, flat_scores, flat_index = drop_masked(scores, index)
    cands = make_candidates(counts, flat_index, flat_scores, [0.5, 0.1, 0.2], [1, 0, 3])
    assert cands.offsets.tolist() == [0, 2, 2, 5]
    assert cands.doc_index.tolist() == [4, 2, 7, 8, 9]
    assert cands.rank.tolist() == [1, 2, 1, 2, 3]
    assert cands.query_index().tolist() == [0, 0, 2, 2, 2]
