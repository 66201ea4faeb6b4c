"""Builders of tiny hand-made candidate frames for the selection tests, as fixtures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from trueneg.select.base import CandidateFrame
from trueneg.select.random import splitmix64


def build_frame(
    scores: Sequence[Sequence[float]],
    positive: Sequence[float] | None = None,
    *,
    keys: Sequence[Sequence[int]] | None = None,
    columns: dict[str, Sequence[Sequence[float]]] | None = None,
) -> CandidateFrame:
    """One list of scores per query, in rank order (rank 1 first).

    ``positive`` gives each query's ``s⁺`` (NaN = unknown); ``keys`` each row's identity
    (default: a hash of (query position, rank)); ``columns`` extra per-row values per query.
    """
    counts = [len(s) for s in scores]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    rank = np.concatenate([np.arange(1, n + 1) for n in counts] or [[]]).astype(np.int64)
    score = np.asarray([x for s in scores for x in s], dtype=np.float64)
    pos = positive if positive is not None else [np.nan] * len(scores)
    positive_min = np.repeat(np.asarray(pos, dtype=np.float64), counts)
    if keys is None:
        ids = [q * 1_000_003 + r for q, n in enumerate(counts) for r in range(n)]
        row_key = splitmix64(np.asarray(ids, dtype=np.uint64))
    else:
        row_key = np.asarray([k for ks in keys for k in ks], dtype=np.uint64)
    extra = {
        name: np.asarray([x for v in values for x in v], dtype=np.float64)
        for name, values in (columns or {}).items()
    }
    return CandidateFrame(offsets, rank, score, positive_min, row_key, extra)


def row_keys(frame: CandidateFrame, mask: np.ndarray) -> set[int]:
    """The row keys selected by ``mask`` (an order-free identity of the picks)."""
    return {int(k) for k in frame.row_key[mask]}


@pytest.fixture(scope="session")
def make_frame():
    """The :func:`build_frame` builder (session-scoped so hypothesis tests can use it)."""
    return build_frame


@pytest.fixture(scope="session")
def rows_of():
    """The :func:`row_keys` helper."""
    return row_keys
