"""The corpus's BM25 token ids, tokenized a chunk of documents at a time.

``bm25s.tokenize`` on the whole corpus needs every text at once and returns a Python list of
token ids per document. Here the texts are read ``TOKENIZE_ROWS`` at a time (a lazy corpus
view stays on disk), each chunk is tokenized by bm25s with its own vocabulary, and its ids are
mapped into one vocabulary for the corpus and written as int32 (4 bytes a token) to a
temporary file in ``TMPDIR``, memory-mapped back once all are written (its name removed at
once) and given back to the kernel a chunk at a time as they are read. Only the vocabulary
and each document's offsets stay in memory. The order of the vocabulary's ids can differ from
bm25s's (it is the order in which the tokens first appear in the corpus); no score depends
on it.

On a large corpus the chunks are tokenized in worker processes, one per usable core, a few
chunks ahead of this process, which reads each chunk's texts and maps the chunks' ids into
the vocabulary in chunk order: the vocabulary and the ids are those of a run in one process.
"""

from __future__ import annotations

import itertools
import multiprocessing
import operator
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from trueneg.devices import available_memory, in_order, usable_cores
from trueneg.errors import TruenegError
from trueneg.mapping import map_pages, release_pages, temp_path, unlink_mapped
from trueneg.progress import progress_bar

TOKENIZE_ROWS = 65_536  # texts read and tokenized at a time
PARALLEL_TEXTS = 2 * TOKENIZE_ROWS
"""Fewer texts are tokenized in this process by default: starting the workers (a second or
two) would cost about what they save."""
MAX_WORKERS = 16
WORKER_BYTES = 512 * 2**20
"""What one worker holds at most: bm25s and its imports (~150 MB) and one chunk's texts and
tokens (418-496 MB measured at 1M documents, ``benchmarks/results/bm25_rss_workers.json``)."""

Tokenize = Callable[[list[str]], Any]  # texts -> bm25s's Tokenized(ids, vocab); workers: pickles

_TOKENIZE: Any = None  # a worker's tokenize, set by _init


class Chunk(NamedTuple):
    """A chunk of documents tokenized, in the chunk's own vocabulary."""

    tokens: list[str]  # the chunk's tokens, in order of first appearance: token i has id i
    ids: np.ndarray  # every document's token ids, end to end
    offsets: np.ndarray  # where each document's ids start, and the end


class TokenIds(Sequence[list[int]]):
    """The token ids of every document, held as one int32 array and its offsets per chunk;
    a document's list is made when read."""

    def __init__(self, chunks: list[tuple[np.ndarray, np.ndarray]], pages: Any = None) -> None:
        self._chunks = chunks  # (ids of the chunk's documents end to end, their offsets)
        self._pages = pages  # the mapping the ids are read from, if any
        self._starts = np.cumsum([0] + [len(offsets) - 1 for _, offsets in chunks])

    def __len__(self) -> int:
        return int(self._starts[-1])

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = operator.index(index)
        i = i + len(self) if i < 0 else i
        if not 0 <= i < len(self):
            raise IndexError(f"document {index} of {len(self)}")
        chunk = int(np.searchsorted(self._starts, i, side="right")) - 1
        ids, offsets = self._chunks[chunk]
        row = i - int(self._starts[chunk])
        return ids[offsets[row] : offsets[row + 1]].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        for ids, offsets in self._chunks:
            for start, stop in itertools.pairwise(offsets.tolist()):
                yield ids[start:stop].tolist()
            self._release()

    def chunks(self, drain: bool = False) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Each chunk: the position of its first document, its ids and their offsets. With
        ``drain``, a chunk is let go once the next is asked for (the ids end up empty)."""
        starts, chunks = self._starts.tolist()[:-1], list(self._chunks)
        if drain:
            self._starts, self._chunks = np.zeros(1, dtype=np.int64), []
        chunks.reverse()
        for start in starts:
            ids, offsets = chunks.pop()
            yield start, ids, offsets
            del ids, offsets
            self._release()

    def _release(self) -> None:
        if self._pages is not None:
            release_pages(self._pages)

    def lengths(self) -> np.ndarray:
        """The number of tokens of every document (int64)."""
        parts = [np.diff(offsets) for _, offsets in self._chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    @property
    def nbytes(self) -> int:
        """Bytes of the ids (on disk, mapped) and their offsets (in memory)."""
        return sum(ids.nbytes + offsets.nbytes for ids, offsets in self._chunks)


def tokenize_corpus(
    texts: Sequence[str],
    tokenize: Tokenize,
    rows: int | None = None,
    show_progress: bool = False,
    folder: str | Path | None = None,
    workers: int | None = None,
) -> tuple[TokenIds, dict[str, int]]:
    """Token ids of every text and the vocabulary (token -> id), ``rows`` texts at a time
    (default :data:`TOKENIZE_ROWS`); the ids go to a temporary file in ``folder`` (default
    ``TMPDIR``). The chunks are tokenized by ``workers`` processes (default
    :func:`tokenize_workers`; ``tokenize`` must then pickle), at most one a chunk; with one
    they are tokenized here."""
    rows = rows or TOKENIZE_ROWS
    workers = tokenize_workers(len(texts)) if workers is None else workers
    workers = min(workers, -(-len(texts) // rows))
    vocab: dict[str, int] = {}
    sizes, offsets = [], []
    path = temp_path("trueneg-bm25-", ".ids", folder)
    try:
        bar = progress_bar(show_progress, len(texts), "BM25: tokenize documents")
        chunks = _tokenized_chunks(texts, tokenize, rows, workers)
        with open(path, "wb") as out, bar as advance, chunks as tokenized:
            for chunk in tokenized:
                ids = _corpus_ids(chunk, vocab)
                out.write(ids.tobytes())
                sizes.append(ids.size)
                offsets.append(chunk.offsets)
                advance(len(chunk.offsets) - 1)
        return _mapped(path, sizes, offsets), vocab
    finally:
        unlink_mapped(path)


def tokenize_workers(num_texts: int, memory: int | None = None) -> int:
    """Processes that tokenize a corpus of ``num_texts`` texts: every usable core, at most
    :data:`MAX_WORKERS`, and no more than fill half of the ``memory`` available (default: what
    the system says, :func:`~trueneg.devices.available_memory`) at :data:`WORKER_BYTES` each;
    below :data:`PARALLEL_TEXTS` texts, this process alone."""
    if num_texts < PARALLEL_TEXTS:
        return 1
    memory = available_memory() if memory is None else memory
    by_memory = MAX_WORKERS if memory is None else memory // (2 * WORKER_BYTES)
    return max(1, min(usable_cores(), MAX_WORKERS, by_memory))


@contextmanager
def _tokenized_chunks(
    texts: Sequence[str], tokenize: Tokenize, rows: int, workers: int
) -> Iterator[Iterator[Chunk]]:
    """Every chunk tokenized (:func:`_local_ids`), in chunk order: here, or by a pool of
    ``workers`` processes with ``workers + 1`` chunks in flight, shut down on leaving."""
    starts = range(0, len(texts), rows)
    if workers <= 1:
        yield (_local_ids(tokenize(texts[start : start + rows])) for start in starts)
        return
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, as for the devices
    pool = ProcessPoolExecutor(workers, context, initializer=_init, initargs=(tokenize,))
    try:
        yield in_order(
            lambda start: pool.submit(_tokenize_chunk, texts[start : start + rows]),
            starts,
            ahead=workers + 1,
        )
    except BrokenProcessPool as exc:
        raise _broken(workers) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _broken(workers: int) -> TruenegError:
    return TruenegError(
        "A BM25 tokenizer worker process stopped before it finished its chunk",
        received=f"{workers} worker processes (spawned: each starts a fresh interpreter)",
        expected="every worker to tokenize its chunks and return them",
        fix="In a Python script, put the code that runs BM25 under `if __name__ == "
        '"__main__":` (a spawned worker imports the script it was started from); if the system '
        "killed a worker for memory, run with fewer cores (e.g. `taskset -c 0-3 trueneg mine "
        "...`)",
    )


def _init(tokenize: Tokenize) -> None:
    """Runs first in every worker: Ctrl-C is left to the parent, which shuts the pool down."""
    global _TOKENIZE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _TOKENIZE = tokenize


def _tokenize_chunk(texts: list[str]) -> Chunk:
    return _local_ids(_TOKENIZE(texts))


def _mapped(path: Path, sizes: list[int], offsets: list[np.ndarray]) -> TokenIds:
    """The ids written to ``path`` (``sizes[i]`` of chunk ``i``), as views of its mapping."""
    if not sum(sizes):  # nothing to map (a mapping cannot be empty)
        return TokenIds([(np.zeros(0, dtype=np.int32), o) for o in offsets])
    pages = map_pages(path)
    starts = itertools.accumulate(sizes, initial=0)
    chunks = [
        (np.frombuffer(pages, dtype=np.int32, count=n, offset=4 * first), o)
        for first, n, o in zip(starts, sizes, offsets, strict=False)
    ]
    return TokenIds(chunks, pages)


def _local_ids(tokenized: Any) -> Chunk:
    """One chunk's tokens in order of first appearance (then any no document has) and the
    documents' ids renumbered in that order. bm25s numbers a stemmed vocabulary in the order
    of a set, which changes with the process's string hashes: the order of first appearance
    is the same in every process."""
    lengths = np.fromiter(map(len, tokenized.ids), dtype=np.int64, count=len(tokenized.ids))
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    flat = itertools.chain.from_iterable(tokenized.ids)
    ids = np.fromiter(flat, dtype=np.int32, count=int(offsets[-1]))
    first = np.full(len(tokenized.vocab), ids.size, dtype=np.int64)
    np.minimum.at(first, ids, np.arange(ids.size))
    order = np.argsort(first, kind="stable")  # bm25s's ids in order of first appearance
    renumber = np.empty(order.size, dtype=np.int32)
    renumber[order] = np.arange(order.size, dtype=np.int32)
    words = np.empty(len(tokenized.vocab), dtype=object)
    for token, local in tokenized.vocab.items():
        words[local] = token
    return Chunk(words[order].tolist(), renumber[ids], offsets)


def _corpus_ids(chunk: Chunk, vocab: dict[str, int]) -> np.ndarray:
    """One chunk's ids in the corpus vocabulary (which grows by the chunk's new tokens)."""
    new = (vocab.setdefault(token, len(vocab)) for token in chunk.tokens)
    remap = np.fromiter(new, dtype=np.int32, count=len(chunk.tokens))
    return remap[chunk.ids]
