"""A bm25s index built with numpy from the chunked token ids, one chunk at a time.

``bm25s.BM25.index`` loops over the documents in Python three times and holds three arrays of
every (document, token) pair (12 bytes each) and scipy's copy of them while it makes its sparse
matrix. Here each chunk's pairs are counted with numpy and written straight into the matrix
bm25s searches (``scores``: ``data``, ``indices``, ``indptr``, one column per token), so what
is held is the token ids (4 bytes a token) and the matrix (8 bytes a pair).

The formulas are bm25s's own (``bm25s.scoring``'s idf and term-frequency functions, called on
arrays with the same types), so every score equals the one ``index`` computes, bit for bit
(``tests/retrieve/test_bm25_tokens.py`` compares them for every method). A document's entries
in a column come in document order, as scipy's conversion leaves them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from trueneg.progress import progress_bar
from trueneg.retrieve.bm25_tokens import TokenIds

BLOCK_DOCS = 8_192  # documents whose pairs are counted and scored at a time


def index_token_ids(
    index: Any, ids: TokenIds, vocab: dict[str, int], show_progress: bool = False
) -> None:
    """Fill the ``bm25s.BM25`` ``index`` (its settings: method, k1, b, delta, dtypes) from the
    token ids of every document, as ``index.index(Tokenized(ids, vocab))`` would. The ids are
    used up (each chunk is let go once its scores are written) and ``vocab`` becomes the
    index's vocabulary, with the empty token bm25s adds."""
    n_docs, n_vocab = len(ids), len(vocab)
    lengths = ids.lengths()
    doc_freqs = np.zeros(n_vocab, dtype=np.int64)
    for _, _, tokens, _ in _pairs(ids, n_vocab):
        doc_freqs += np.bincount(tokens, minlength=n_vocab)
    scorer = _Scorer(index, doc_freqs, n_docs, lengths.mean() if n_docs else 0.0)
    indptr = np.concatenate(([0], np.cumsum(doc_freqs)))
    data = np.empty(int(indptr[-1]), dtype=index.dtype)
    indices = np.empty(int(indptr[-1]), dtype=index.int_dtype)
    cursor = indptr[:-1].copy()
    with progress_bar(show_progress, n_docs, "BM25: index documents") as advance:
        for count, docs, tokens, tf in _pairs(ids, n_vocab, drain=True):
            scores = scorer(tokens, tf, lengths[docs])
            _place(cursor, docs, tokens, scores, data, indices)
            advance(count)
    index.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n_docs}
    index.nonoccurrence_array = scorer.nonoccurrence
    vocab.setdefault("", n_vocab)
    index.vocab_dict = vocab
    # bm25s's ``retrieve`` asks ``id in unique_token_ids_set``; the ids are 0..len - 1
    index.unique_token_ids_set = range(len(vocab))


class _Scorer:
    """The BM25 weight of (document, term) pairs, with bm25s's functions for the index's
    method: idf from the document frequencies, term-frequency part from the counts and the
    document's length; BM25L and BM25+ take off the score of a term's absence, as bm25s does."""

    def __init__(self, index: Any, doc_freqs: np.ndarray, n_docs: int, avg_doc_len: Any) -> None:
        from bm25s import scoring

        frequencies = _Frequencies(doc_freqs)
        idf_fn = scoring._select_idf_scorer(index.idf_method)
        self.idf = scoring._build_idf_array(frequencies, n_docs, idf_fn, dtype=index.dtype)
        self.tfc = scoring._select_tfc_scorer(index.method)
        self.settings = {"l_avg": avg_doc_len, "k1": index.k1, "b": index.b, "delta": index.delta}
        self.nonoccurrence = None
        if index.method in index.methods_requiring_nonoccurrence:
            self.nonoccurrence = scoring._build_nonoccurrence_array(
                frequencies,
                n_docs,
                idf_fn,
                self.tfc,
                l_d=avg_doc_len,
                dtype=index.dtype,
                **self.settings,
            )

    def __call__(self, tokens: np.ndarray, tf: np.ndarray, doc_len: np.ndarray) -> np.ndarray:
        scores = self.idf[tokens] * self.tfc(tf_array=tf, l_d=doc_len, **self.settings)
        if self.nonoccurrence is not None:
            scores -= self.nonoccurrence[tokens]
        return scores


class _Frequencies:
    """The document frequency of every token as ``bm25s.scoring`` reads it (``len`` and
    ``items``: token id -> count, Python ints), without a dict of the whole vocabulary."""

    def __init__(self, counts: np.ndarray) -> None:
        self.counts = counts

    def __len__(self) -> int:
        return len(self.counts)

    def items(self) -> Iterator[tuple[int, int]]:
        for start in range(0, len(self.counts), 65_536):
            yield from enumerate(self.counts[start : start + 65_536].tolist(), start)


def _pairs(
    ids: TokenIds, n_vocab: int, drain: bool = False
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """The distinct (document, token) pairs of each block of ``BLOCK_DOCS`` documents, by
    document then token: the block's number of documents, the documents' positions and the
    tokens (int64), and how often each pair occurs (float32, as bm25s counts it)."""
    width = max(n_vocab, 1)
    for start, chunk_ids, offsets in ids.chunks(drain):
        for first in range(0, len(offsets) - 1, BLOCK_DOCS):
            bounds = offsets[first : first + BLOCK_DOCS + 1]
            docs = np.repeat(
                np.arange(start + first, start + first + len(bounds) - 1), np.diff(bounds)
            )
            keys, tf = np.unique(
                docs * width + chunk_ids[bounds[0] : bounds[-1]], return_counts=True
            )
            yield len(bounds) - 1, keys // width, keys % width, tf.astype(np.float32)


def _place(
    cursor: np.ndarray,
    docs: np.ndarray,
    tokens: np.ndarray,
    scores: np.ndarray,
    data: np.ndarray,
    indices: np.ndarray,
) -> None:
    """Append one chunk's pairs to their tokens' columns (documents stay in order)."""
    order = np.argsort(tokens, kind="stable")
    sorted_tokens = tokens[order]
    starts = np.flatnonzero(np.diff(sorted_tokens, prepend=-1))
    counts = np.diff(starts, append=sorted_tokens.size)
    where = np.repeat(cursor[sorted_tokens[starts]] - starts, counts) + np.arange(order.size)
    data[where] = scores[order]
    indices[where] = docs[order]
    cursor[sorted_tokens[starts]] += counts
