"""Candidate generation: exact dense search, BM25 and their reciprocal-rank fusion.

Every retriever is registered in ``RETRIEVERS`` (``"exact"``, ``"bm25"``, ``"hybrid"``) and
never returns a query's labeled positives.
"""

from trueneg.retrieve.base import RETRIEVERS, Candidates, Retriever, SearchInput
from trueneg.retrieve.bm25 import BM25Retriever
from trueneg.retrieve.exact import ExactRetriever
from trueneg.retrieve.hybrid import HybridRetriever

__all__ = [
    "RETRIEVERS",
    "BM25Retriever",
    "Candidates",
    "ExactRetriever",
    "HybridRetriever",
    "Retriever",
    "SearchInput",
]
