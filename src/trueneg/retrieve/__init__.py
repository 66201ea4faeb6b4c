"""Candidate generation: exact dense search, FAISS indexes, BM25 and reciprocal-rank fusion.

Every retriever is registered in ``RETRIEVERS`` (``"exact"``, ``"bm25"``, ``"hybrid"``,
``"faiss-flat"``, ``"faiss-ivf"``, ``"faiss-hnsw"``) and never returns a query's labeled
positives.
"""

from trueneg.retrieve.base import RETRIEVERS, Candidates, Retriever, SearchInput
from trueneg.retrieve.bm25 import BM25Retriever
from trueneg.retrieve.exact import ExactRetriever
from trueneg.retrieve.faiss import (
    FaissFlatRetriever,
    FaissHNSWRetriever,
    FaissIVFRetriever,
)
from trueneg.retrieve.hybrid import HybridRetriever

__all__ = [
    "RETRIEVERS",
    "BM25Retriever",
    "Candidates",
    "ExactRetriever",
    "FaissFlatRetriever",
    "FaissHNSWRetriever",
    "FaissIVFRetriever",
    "HybridRetriever",
    "Retriever",
    "SearchInput",
]
