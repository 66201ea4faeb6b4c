"""Recall of an approximate retriever against exact search, on a seeded sample of queries."""

from __future__ import annotations

from typing import cast

import numpy as np

from trueneg.retrieve.base import Candidates, SearchInput


def sample_queries(n: int, sample: int, seed: int) -> np.ndarray:
    """``min(sample, n)`` distinct positions in ``[0, n)``, seeded and sorted."""
    if sample >= n:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))


def subset_queries(inputs: SearchInput, rows: np.ndarray) -> SearchInput:
    """The same corpus with only the queries at ``rows``."""
    queries = cast(np.ndarray, inputs.query_embeddings)
    return SearchInput(
        query_texts=[inputs.query_texts[i] for i in rows],
        doc_texts=inputs.doc_texts,
        positives=[inputs.positives[i] for i in rows],
        query_embeddings=np.asarray(queries[rows]),
        doc_embeddings=inputs.doc_embeddings,
    )


def recall_at_depth(approx: Candidates, exact: Candidates, rows: np.ndarray) -> float:
    """Mean share of exact's candidates found by ``approx`` (exact query i = approx row i).

    Queries whose exact list is empty are skipped; NaN when none is left.
    """
    shares = []
    for i, row in enumerate(rows):
        truth = exact.doc_index[exact.offsets[i] : exact.offsets[i + 1]]
        if truth.size:
            found = approx.doc_index[approx.offsets[row] : approx.offsets[row + 1]]
            shares.append(np.isin(truth, found).mean())
    return float(np.mean(shares)) if shares else float("nan")
