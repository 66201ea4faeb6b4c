"""Lexical search with bm25s: every query is scored against the whole corpus."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from trueneg.errors import ConfigError
from trueneg.retrieve.base import RETRIEVERS, Candidates, SearchInput
from trueneg.retrieve.topk import check_search_input, chunk_topk, drop_masked, join_parts

logger = logging.getLogger(__name__)

METHODS = ("lucene", "robertson", "atire", "bm25l", "bm25+")


@RETRIEVERS.register("bm25")
@dataclass(frozen=True)
class BM25Retriever:
    """BM25 over the document texts (bm25s); documents sharing no term with a query are skipped.

    ``stemmer="auto"`` stems English words when PyStemmer is installed and does not stem
    otherwise; a language name (``"english"``) requires PyStemmer; None never stems.
    ``bm25:robertson`` on the command line picks the scoring method.
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
            raise ConfigError("Unknown BM25 method", received=self.method, expected=METHODS)

    @classmethod
    def from_value(cls, value: str | None) -> BM25Retriever:
        return cls() if value is None else cls(method=value)

    def search(self, inputs: SearchInput, depth: int, show_progress: bool = False) -> Candidates:
        """Top-``depth`` non-positive docs per query by BM25 score."""
        return self.search_with_positive_scores(inputs, depth, show_progress)[0]

    def search_with_positive_scores(
        self, inputs: SearchInput, depth: int, show_progress: bool = False
    ) -> tuple[Candidates, list[np.ndarray]]:
        """Like ``search``, plus the BM25 score of every positive, in ``positives`` order."""
        check_search_input(inputs, depth, embeddings=False)
        stemmer = self._stemmer()
        index = self.build_index(inputs.doc_texts, stemmer, show_progress)
        queries = self._tokenize(inputs.query_texts, stemmer, ids=False, show=False)
        rows, positive_scores = [], []
        for tokens, positives in zip(queries, inputs.positives, strict=True):
            token_ids = index.get_tokens_ids(tokens)
            scores = query_scores(index, token_ids)
            pos = np.asarray(positives, dtype=np.int64).ravel()
            positive_scores.append(scores[pos].copy())
            rows.append(_query_row(scores, pos, _matched(index, token_ids), depth))
        return join_parts(rows, inputs.num_queries), positive_scores

    def build_index(
        self, doc_texts: list[str], stemmer: Any = None, show_progress: bool = False
    ) -> Any:
        """A ``bm25s.BM25`` index of the documents."""
        import bm25s

        index = bm25s.BM25(k1=self.k1, b=self.b, method=self.method)
        tokens = self._tokenize(doc_texts, stemmer, ids=True, show=show_progress)
        index.index(tokens, show_progress=show_progress)
        return index

    def _tokenize(self, texts: list[str], stemmer: Any, *, ids: bool, show: bool) -> Any:
        import bm25s

        return bm25s.tokenize(
            list(texts),
            stopwords=self.stopwords,
            stemmer=stemmer,
            return_ids=ids,
            show_progress=show,
        )

    def _stemmer(self) -> Any:
        if self.stemmer is None:
            return None
        try:
            import Stemmer
        except ImportError:
            if self.stemmer == "auto":
                logger.info("PyStemmer is not installed: BM25 runs without stemming")
                return None
            raise ConfigError(
                "BM25 stemming needs PyStemmer",
                received=self.stemmer,
                fix="pip install PyStemmer, or use stemmer=None",
            ) from None
        return Stemmer.Stemmer("english" if self.stemmer == "auto" else self.stemmer)


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
