"""Lexical search with bm25s: every query is scored against the whole corpus."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from trueneg.devices import usable_cores
from trueneg.errors import ConfigError
from trueneg.progress import progress_bar
from trueneg.retrieve.base import RETRIEVERS, Candidates, SearchInput
from trueneg.retrieve.bm25_index import index_token_ids
from trueneg.retrieve.bm25_tokens import tokenize_corpus
from trueneg.retrieve.topk import check_search_input, chunk_topk, drop_masked, join_parts

logger = logging.getLogger(__name__)

METHODS = ("lucene", "robertson", "atire", "bm25l", "bm25+")
QUERY_MEMORY = 1 << 30  # bytes of per-query arrays the query threads may hold together
# ``bm25:KEY=VALUE,...``: what each key sets. ``language`` sets the stemmer and the stop words.
SPEC_KEYS = ("method", "language", "stemmer", "stopwords")
SPEC_SYNTAX = (
    "bm25:METHOD, or comma-separated KEY=VALUE with KEY one of method, language, stemmer, "
    "stopwords (e.g. bm25:language=french, bm25:robertson,stemmer=german,stopwords=de; "
    "none turns stemming or stop words off)"
)


@RETRIEVERS.register("bm25")
@dataclass(frozen=True)
class BM25Retriever:
    """BM25 over the document texts (bm25s); documents sharing no term with a query are skipped.

    ``stemmer="auto"`` stems English words when PyStemmer is installed and does not stem
    otherwise; a language name (``"english"``, ``"french"``: PyStemmer's algorithms)
    requires PyStemmer; None never stems. ``stopwords`` is a language bm25s has a list for
    (``"en"``, ``"fr"``, ``"german"``...) or None. On the command line ``bm25:robertson``
    picks the scoring method and ``bm25:language=french`` (or ``stemmer=...``,
    ``stopwords=...``, comma-separated) the language: see :data:`SPEC_SYNTAX`.
    """

    name: ClassVar[str]
    needs_embeddings: ClassVar[bool] = False
    cosine_scores: ClassVar[bool] = False
    k1: float = 1.5
    b: float = 0.75
    method: str = "lucene"
    stopwords: str | None = "en"
    stemmer: str | None = "auto"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(
                "Unknown BM25 method",
                received=self.method,
                expected=METHODS,
                fix=f"Pass a method, or settings: {SPEC_SYNTAX}",
            )
        check_stopwords(self.stopwords)
        if self.stemmer not in (None, "auto"):
            check_stemmer(self.stemmer)

    @classmethod
    def from_value(cls, value: str | None) -> BM25Retriever:
        """``bm25:VALUE``: a method name, or ``KEY=VALUE`` pairs (:data:`SPEC_SYNTAX`)."""
        return cls() if value is None else cls(**parse_spec(value))

    def search(self, inputs: SearchInput, depth: int, show_progress: bool = False) -> Candidates:
        """Top-``depth`` non-positive docs per query by BM25 score."""
        return self.search_with_positive_scores(inputs, depth, show_progress)[0]

    def search_with_positive_scores(
        self, inputs: SearchInput, depth: int, show_progress: bool = False
    ) -> tuple[Candidates, list[np.ndarray]]:
        """Like ``search``, plus the BM25 score of every positive, in ``positives`` order."""
        check_search_input(inputs, depth, embeddings=False)
        index = self.build_index(inputs.doc_texts, show_progress)
        return self._search(index, inputs, depth, show_progress)

    def search_index(
        self, index: Any, inputs: SearchInput, depth: int, show_progress: bool = False
    ) -> tuple[Candidates, list[np.ndarray]]:
        """:meth:`search_with_positive_scores` with an index :meth:`build_index` made of
        ``inputs.doc_texts`` (built once, searched by several sets of queries).

        Queries are scored on :func:`query_threads` threads (numpy lets go of the GIL), each
        query on its own, so the result does not depend on the number of threads."""
        check_search_input(inputs, depth, embeddings=False)
        return self._search(index, inputs, depth, show_progress)

    def _search(
        self, index: Any, inputs: SearchInput, depth: int, show_progress: bool
    ) -> tuple[Candidates, list[np.ndarray]]:
        queries = self._tokenize(inputs.query_texts, self._stemmer(), ids=False)

        def one(tokens: list[str], positives: Any) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
            token_ids = index.get_tokens_ids(tokens)
            scores = query_scores(index, token_ids)
            pos = np.asarray(positives, dtype=np.int64).ravel()
            return scores[pos].copy(), _query_row(scores, pos, _matched(index, token_ids), depth)

        threads = query_threads(len(inputs.doc_texts))
        rows, positive_scores = [], []
        bar = progress_bar(show_progress, len(queries), "BM25: search queries")
        with ThreadPoolExecutor(threads) as pool, bar as advance:
            for found, row in pool.map(one, queries, inputs.positives):
                positive_scores.append(found)
                rows.append(row)
                advance(1)
        return join_parts(rows, inputs.num_queries), positive_scores

    def build_index(self, doc_texts: Sequence[str], show_progress: bool = False) -> Any:
        """A ``bm25s.BM25`` index of the documents (tokenized with this retriever's stop words
        and stemmer, like the queries), read, tokenized and indexed a chunk at a time
        (:mod:`trueneg.retrieve.bm25_tokens`, on every usable core on a large corpus;
        :mod:`trueneg.retrieve.bm25_index`)."""
        import bm25s

        index = bm25s.BM25(k1=self.k1, b=self.b, method=self.method)
        tokenize = DocumentTokens(self)
        ids, vocab = tokenize_corpus(doc_texts, tokenize, show_progress=show_progress)
        index_token_ids(index, ids, vocab, show_progress=show_progress)
        return index

    def _tokenize(self, texts: Sequence[str], stemmer: Any, *, ids: bool) -> Any:
        import bm25s

        return bm25s.tokenize(
            list(texts),
            stopwords=self.stopwords,
            stemmer=stemmer,
            return_ids=ids,
            show_progress=False,
        )

    def _stemmer(self) -> Any:
        if self.stemmer is None:
            return None
        try:
            import Stemmer
        except ImportError:
            if self.stemmer == "auto":
                _note_no_stemming()
                return None
            raise _needs_pystemmer(self.stemmer) from None
        return Stemmer.Stemmer("english" if self.stemmer == "auto" else self.stemmer)


class DocumentTokens:
    """``texts -> bm25s's Tokenized(ids, vocab)`` with a retriever's stop words and stemmer.
    It pickles as the retriever's settings (a PyStemmer stemmer does not pickle): a worker
    process that unpickles it makes its own stemmer, once."""

    def __init__(self, retriever: BM25Retriever) -> None:
        self.retriever, self.stemmer = retriever, retriever._stemmer()

    def __call__(self, texts: list[str]) -> Any:
        return self.retriever._tokenize(texts, self.stemmer, ids=True)

    def __reduce__(self) -> tuple[type[DocumentTokens], tuple[BM25Retriever]]:
        return type(self), (self.retriever,)


@functools.cache
def _note_no_stemming() -> None:
    """Said once a process (an index and its queries each ask for the stemmer)."""
    logger.info("PyStemmer is not installed: BM25 runs without stemming")


def parse_spec(value: str) -> dict[str, str | None]:
    """The settings of ``bm25:VALUE``: ``robertson`` → method; ``language=french`` → stemmer
    and stop words; ``stemmer=`` / ``stopwords=`` each (``none``: off); comma-separated."""
    settings: dict[str, str | None] = {}
    for item in (part.strip() for part in value.split(",")):
        key, sep, text = item.partition("=")
        key, text = (key.strip().lower(), text.strip()) if sep else ("method", item)
        if key not in SPEC_KEYS or not text:
            raise ConfigError(
                "Cannot read the BM25 setting", received=f"bm25:{value}", expected=SPEC_SYNTAX
            )
        word: str | None = None if text.lower() == "none" else text.lower()
        if key == "language":
            settings.update(stemmer=word, stopwords=word)
        else:
            settings[key] = word
    return settings


def check_stopwords(stopwords: str | None) -> None:
    """Refuse a stop-word language bm25s has no list for (bm25s's own message lists them)."""
    if stopwords is None:
        return
    import bm25s

    try:
        bm25s.tokenize(["probe"], stopwords=stopwords, show_progress=False)
    except ValueError as exc:
        raise ConfigError(
            f"bm25s has no stop words for this language: {exc}",
            received=stopwords,
            fix="Use a language bm25s lists (e.g. stopwords=fr), or stopwords=none",
        ) from None


def check_stemmer(language: str) -> None:
    """Refuse a stemmer language PyStemmer does not have, or any when it is not installed."""
    try:
        import Stemmer
    except ImportError:
        raise _needs_pystemmer(language) from None
    if language not in Stemmer.algorithms():
        raise ConfigError(
            "PyStemmer has no stemmer for this language",
            received=language,
            expected=", ".join(sorted(Stemmer.algorithms())),
            fix="Use one of those (e.g. stemmer=french), or stemmer=none",
        )


def _needs_pystemmer(language: str) -> ConfigError:
    return ConfigError(
        "BM25 stemming needs PyStemmer",
        received=language,
        fix="pip install PyStemmer, or turn stemming off (stemmer=None; bm25:stemmer=none)",
    )


def query_threads(num_docs: int) -> int:
    """Threads that score queries at once: every usable core, at most 16, and no more than
    keep :data:`QUERY_MEMORY` bytes of per-query arrays (about 16 bytes a document) alive."""
    return max(1, min(usable_cores(), 16, QUERY_MEMORY // max(16 * num_docs, 1)))


def query_scores(index: Any, token_ids: list[int]) -> np.ndarray:
    """BM25 score of every document for one query (token ids of the index's vocabulary)."""
    if not token_ids:
        return np.zeros(index.scores["num_docs"], dtype=np.float32)
    return np.asarray(index.get_scores_from_ids(token_ids), dtype=np.float32)


def _matched(index: Any, token_ids: list[int]) -> np.ndarray:
    """Which documents contain at least one of the query's terms."""
    indptr, indices = index.scores["indptr"], index.scores["indices"]
    matched = np.zeros(index.scores["num_docs"], dtype=bool)
    for token in token_ids:
        matched[indices[indptr[token] : indptr[token + 1]]] = True
    return matched


def _query_row(
    scores: np.ndarray, positives: np.ndarray, matched: np.ndarray, depth: int
) -> tuple[np.ndarray, ...]:
    if positives.size:
        best = scores[positives].max()
        pos_min = np.array([scores[positives].min()], dtype=np.float32)
        pos_rank = np.array([1 + int((scores > best).sum())])
    else:
        pos_min, pos_rank = np.array([np.nan], dtype=np.float32), np.array([0])
    masked = np.where(matched, scores, -np.inf)
    masked[positives] = -np.inf
    top_scores, top_index = chunk_topk(masked[None, :], depth)
    return (*drop_masked(top_scores, top_index), pos_min, pos_rank)
