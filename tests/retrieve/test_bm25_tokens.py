"""The corpus tokenized a chunk at a time gives bm25s's own index, score for score; the chunks
tokenized in worker processes give the ids and vocabulary of one process."""

import importlib.util
import multiprocessing
import os
import re
from collections.abc import Sequence

import bm25s
import numpy as np
import pytest

from trueneg.data import demo_data_path, load_dataset
from trueneg.errors import TruenegError
from trueneg.retrieve import BM25Retriever, SearchInput
from trueneg.retrieve.bm25 import METHODS, DocumentTokens, query_scores
from trueneg.retrieve.bm25_tokens import (
    MAX_WORKERS,
    PARALLEL_TEXTS,
    WORKER_BYTES,
    TokenIds,
    tokenize_corpus,
    tokenize_workers,
)

HAS_STEMMER = importlib.util.find_spec("Stemmer") is not None

DOCS = [
    "Apple banana, apple!",
    "",  # no token at all
    "the and of",  # stop words only
    "banana cherry date",
    "cherry cherry elderberry fig",
    "apple pie recipe",
    "zebra",
]


def tokenize(texts):
    return bm25s.tokenize(texts, stopwords="en", return_ids=True, show_progress=False)


def dying(texts):
    """Ends the worker process that runs it (as the system does to one out of memory)."""
    if "zebra" in texts:
        os._exit(3)
    return tokenize(texts)


def failing(texts):
    """Fails on the chunk with "zebra", saying in which process (module level: it pickles)."""
    if "zebra" in texts:
        raise RuntimeError(f"tokenizer failed in process {os.getpid()}")
    return tokenize(texts)


class CountingTexts(Sequence):
    """A corpus view that records how many texts each read asks for and refuses a full copy."""

    def __init__(self, texts):
        self.texts, self.reads = texts, []

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise AssertionError("read one text at a time")
        part = self.texts[index]
        self.reads.append(len(part))
        return part

    def __iter__(self):
        raise AssertionError("the whole corpus was iterated")


@pytest.mark.parametrize("rows", [1, 2, 3, len(DOCS), 100])
def test_chunked_ids_are_bm25s_ids_in_one_vocabulary(rows):
    reference = tokenize(DOCS)
    ids, vocab = tokenize_corpus(DOCS, tokenize, rows=rows)
    words = {i: t for t, i in vocab.items()}
    ref_words = {i: t for t, i in reference.vocab.items()}
    assert len(ids) == len(DOCS)
    assert [[words[i] for i in doc] for doc in ids] == [
        [ref_words[i] for i in doc] for doc in reference.ids
    ]
    assert sorted(vocab) == sorted(reference.vocab)
    assert sorted(vocab.values()) == list(range(len(vocab)))


def test_token_ids_index_like_a_list():
    ids, _ = tokenize_corpus(DOCS, tokenize, rows=3)
    listed = list(ids)
    assert [ids[i] for i in range(len(DOCS))] == listed
    assert ids[-1] == listed[-1] and ids[1] == [] and ids[2] == []
    assert ids[2:6] == listed[2:6] and ids[::3] == listed[::3]
    with pytest.raises(IndexError):
        ids[len(DOCS)]
    assert ids.nbytes == sum(len(d) for d in listed) * 4 + (len(DOCS) + 3) * 8
    assert len(TokenIds([])) == 0 and list(TokenIds([])) == []
    assert ids.lengths().tolist() == [len(d) for d in listed]
    starts = [start for start, _, _ in ids.chunks()]
    assert starts == [0, 3, 6] and len(ids) == len(DOCS)
    drained = np.concatenate([chunk for _, chunk, _ in ids.chunks(drain=True)]).tolist()
    assert drained == [t for doc in listed for t in doc] and len(ids) == 0 and list(ids) == []


def test_a_lazy_corpus_view_is_read_a_chunk_at_a_time():
    texts = CountingTexts(DOCS * 5)
    tokenize_corpus(texts, tokenize, rows=4)
    assert max(texts.reads) == 4 and sum(texts.reads) == len(DOCS) * 5


@pytest.fixture(scope="module")
def sample():
    dataset = load_dataset(demo_data_path())
    return dataset.doc_texts(), dataset.query_texts()


@pytest.mark.parametrize("method", METHODS)
def test_scores_equal_bm25s_on_the_whole_corpus(sample, method, monkeypatch):
    docs, queries = sample
    monkeypatch.setattr("trueneg.retrieve.bm25_tokens.TOKENIZE_ROWS", 97)
    reference = bm25s.BM25(method=method)
    reference.index(tokenize(docs), show_progress=False)
    retriever = BM25Retriever(method=method, stemmer=None)
    texts = CountingTexts(docs)
    chunked = retriever.build_index(texts, show_progress=False)
    assert max(texts.reads) == 97 and len(texts.reads) > 10
    for query in bm25s.tokenize(queries[:40], stopwords="en", return_ids=False):
        expected = reference.get_scores(query) if reference.get_tokens_ids(query) else None
        got = query_scores(chunked, chunked.get_tokens_ids(query))
        if expected is None:
            assert not got.any()
        else:
            np.testing.assert_array_equal(got, expected)


def test_search_is_the_same_for_any_chunk_size(sample, monkeypatch):
    docs, queries = sample
    inputs = SearchInput(queries[:30], docs, [np.array([i], dtype=np.int64) for i in range(30)])
    whole = BM25Retriever(stemmer=None).search(inputs, depth=20)
    monkeypatch.setattr("trueneg.retrieve.bm25_tokens.TOKENIZE_ROWS", 7)
    chunked = BM25Retriever(stemmer=None).search(inputs, depth=20)
    for name in ("offsets", "doc_index", "score", "rank", "positive_min", "positive_rank"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name))


def columns(index):
    """Per token string: the documents that contain it and their scores, in stored order."""
    data, indices, indptr = (index.scores[k] for k in ("data", "indices", "indptr"))
    found = {}
    for token, i in index.vocab_dict.items():
        if i < len(indptr) - 1:
            lo, hi = indptr[i], indptr[i + 1]
            found[token] = (indices[lo:hi].tolist(), data[lo:hi].tolist())
    return found


@pytest.mark.parametrize(("method", "rows", "block"), [("lucene", 50, 13), ("bm25+", 200, 64)])
def test_the_matrix_is_bm25s_matrix_column_for_column(sample, method, rows, block, monkeypatch):
    docs, _ = sample
    monkeypatch.setattr("trueneg.retrieve.bm25_tokens.TOKENIZE_ROWS", rows)
    monkeypatch.setattr("trueneg.retrieve.bm25_index.BLOCK_DOCS", block)
    reference = bm25s.BM25(method=method)
    reference.index(tokenize(docs), show_progress=False)
    chunked = BM25Retriever(method=method, stemmer=None).build_index(docs)
    assert chunked.scores["num_docs"] == reference.scores["num_docs"] == len(docs)
    assert columns(chunked) == columns(reference)
    assert set(chunked.vocab_dict) == set(reference.vocab_dict)
    assert chunked.vocab_dict[""] == len(chunked.vocab_dict) - 1
    if method == "bm25+":
        by_token = {t: chunked.nonoccurrence_array[i] for t, i in chunked.vocab_dict.items() if t}
        ref = {t: reference.nonoccurrence_array[i] for t, i in reference.vocab_dict.items() if t}
        assert by_token == ref


def test_documents_without_tokens_and_an_empty_vocabulary():
    index = BM25Retriever(stemmer=None).build_index(["", "the of", ""])
    assert index.scores["num_docs"] == 3 and index.vocab_dict == {"": 0}
    assert query_scores(index, index.get_tokens_ids(["apple"])).tolist() == [0.0, 0.0, 0.0]
    one = BM25Retriever(stemmer=None).build_index(["", "apple", "the"])
    assert query_scores(one, one.get_tokens_ids(["apple"])).nonzero()[0].tolist() == [1]


def test_the_ids_file_is_removed_at_once_and_on_an_error(tmp_path):
    ids, _ = tokenize_corpus(DOCS, tokenize, rows=2, folder=tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert list(ids) == list(tokenize_corpus(DOCS, tokenize, rows=100)[0])

    with pytest.raises(RuntimeError, match=f"tokenizer failed in process {os.getpid()}$"):
        tokenize_corpus(DOCS, failing, rows=2, folder=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_corpus_without_any_token_maps_nothing(tmp_path):
    ids, vocab = tokenize_corpus(["", "the of", "and"], tokenize, rows=2, folder=tmp_path)
    assert list(ids) == [[], [], []] and vocab == {} and ids.lengths().tolist() == [0, 0, 0]
    empty, _ = tokenize_corpus([], tokenize, folder=tmp_path)
    assert len(empty) == 0 and list(tmp_path.iterdir()) == []


def test_query_threads_do_not_change_the_result(sample, monkeypatch):
    docs, queries = sample
    inputs = SearchInput(queries, docs, [np.array([i % 50]) for i in range(len(queries))])
    results = []
    for threads in (1, 4):
        monkeypatch.setattr("trueneg.retrieve.bm25.query_threads", lambda n, t=threads: t)
        results.append(BM25Retriever(stemmer=None).search_with_positive_scores(inputs, 30))
    (one, one_pos), (four, four_pos) = results
    for name in ("offsets", "doc_index", "score", "rank", "positive_min", "positive_rank"):
        np.testing.assert_array_equal(getattr(one, name), getattr(four, name))
    assert all(np.array_equal(a, b) for a, b in zip(one_pos, four_pos, strict=True))


def test_query_threads_are_bounded_by_cores_and_memory(monkeypatch):
    from trueneg.retrieve.bm25 import QUERY_MEMORY, query_threads

    monkeypatch.setattr("trueneg.retrieve.bm25.usable_cores", lambda: 64)
    assert query_threads(1_000) == 16
    assert query_threads(10_000_000) == QUERY_MEMORY // (16 * 10_000_000) == 6
    assert query_threads(10**12) == 1
    monkeypatch.setattr("trueneg.retrieve.bm25.usable_cores", lambda: 2)
    assert query_threads(1_000) == 2


def test_workers_by_corpus_size_cores_and_memory(monkeypatch):
    monkeypatch.setattr("trueneg.retrieve.bm25_tokens.usable_cores", lambda: 64)
    plenty = 2**40
    assert tokenize_workers(PARALLEL_TEXTS - 1, plenty) == 1
    assert tokenize_workers(PARALLEL_TEXTS, plenty) == MAX_WORKERS == 16
    # at most half of the available memory, at WORKER_BYTES a worker, and never none
    assert tokenize_workers(PARALLEL_TEXTS, 6 * WORKER_BYTES) == 3
    assert tokenize_workers(PARALLEL_TEXTS, 0) == 1
    monkeypatch.setattr("trueneg.retrieve.bm25_tokens.usable_cores", lambda: 2)
    assert tokenize_workers(10_000_000, plenty) == 2
    assert 1 <= tokenize_workers(10_000_000) <= 2  # this system's memory


def test_a_worker_that_dies_is_named_with_the_fix(tmp_path):
    with pytest.raises(TruenegError, match=re.escape('if __name__ == "__main__":')) as raised:
        tokenize_corpus(DOCS, dying, rows=2, folder=tmp_path, workers=2)
    assert "2 worker processes" in str(raised.value)
    assert multiprocessing.active_children() == []
    assert list(tmp_path.iterdir()) == []


def test_one_chunk_is_tokenized_here_whatever_the_workers():
    unpicklable = lambda texts: tokenize(texts)  # noqa: E731 (a pool could not send it)
    ids, _ = tokenize_corpus(DOCS, unpicklable, rows=len(DOCS), workers=2)
    assert list(ids) == list(tokenize_corpus(DOCS, tokenize, rows=3)[0])
    with pytest.raises(RuntimeError, match=f"in process {os.getpid()}$"):
        tokenize_corpus(DOCS, failing, rows=len(DOCS), workers=2)


@pytest.mark.parametrize(
    "stemmer",
    ["auto", pytest.param("french", marks=pytest.mark.skipif(not HAS_STEMMER, reason="PyStemmer"))],
)
def test_workers_give_the_ids_and_vocabulary_of_one_process(sample, stemmer):
    docs, _ = sample
    tokens = DocumentTokens(BM25Retriever(stemmer=stemmer))  # its stemmer made in each worker
    one, one_vocab = tokenize_corpus(docs, tokens, rows=97, workers=1)
    two, two_vocab = tokenize_corpus(docs, tokens, rows=97, workers=2)
    assert list(two) == list(one) and list(two_vocab.items()) == list(one_vocab.items())
    _, unstemmed = tokenize_corpus(docs, DocumentTokens(BM25Retriever(stemmer=None)))
    assert (set(one_vocab) != set(unstemmed)) == HAS_STEMMER  # "auto" stems with PyStemmer


@pytest.mark.parametrize("method", ["lucene", "bm25+"])
def test_search_is_the_same_with_workers(sample, method, monkeypatch):
    """Every method scores the same ids (above); two of them searched end to end."""
    docs, queries = sample
    inputs = SearchInput(queries, docs, [np.array([i % 50]) for i in range(len(queries))])
    one, one_pos = BM25Retriever(method=method).search_with_positive_scores(inputs, 30)
    monkeypatch.setattr("trueneg.retrieve.bm25_tokens.TOKENIZE_ROWS", 97)
    monkeypatch.setattr("trueneg.retrieve.bm25_tokens.PARALLEL_TEXTS", 0)
    monkeypatch.setattr("trueneg.retrieve.bm25_tokens.usable_cores", lambda: 2)
    two, two_pos = BM25Retriever(method=method).search_with_positive_scores(inputs, 30)
    for name in ("offsets", "doc_index", "score", "rank", "positive_min", "positive_rank"):
        np.testing.assert_array_equal(getattr(two, name), getattr(one, name))
    assert all(np.array_equal(a, b) for a, b in zip(one_pos, two_pos, strict=True))


class InterruptedTexts(CountingTexts):
    """Ctrl-C in this process while the workers tokenize: the third read is interrupted."""

    def __getitem__(self, index):
        if len(self.reads) == 2:
            raise KeyboardInterrupt
        return super().__getitem__(index)


@pytest.mark.parametrize(
    ("texts", "error"),
    [(DOCS, RuntimeError), (InterruptedTexts(DOCS), KeyboardInterrupt)],
    ids=["worker-error", "interrupted"],
)
def test_an_error_shuts_the_workers_down_and_removes_the_ids_file(tmp_path, texts, error):
    with pytest.raises(error) as raised:
        tokenize_corpus(texts, failing, rows=2, folder=tmp_path, workers=2)
    if error is RuntimeError:  # raised in a worker, given back as the serial path raises it
        pid = int(str(raised.value).rpartition(" ")[2])
        assert pid != os.getpid()
    assert multiprocessing.active_children() == []
    assert list(tmp_path.iterdir()) == []
