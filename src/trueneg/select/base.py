"""The shared interface of selection strategies: filters and samplers.

A :class:`CandidateFrame` is a flat, query-grouped, read-only view of all candidates. Filters
return a boolean keep-mask over its rows; samplers pick ``k`` rows per query among the rows
still eligible. Both are small frozen dataclasses registered by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from trueneg.errors import ConfigError
from trueneg.registry import Registry


@dataclass(frozen=True)
class CandidateFrame:
    """Candidates of all queries, one row each, grouped by query and sorted by rank.

    Attributes:
        offsets: ``int64`` of length ``n_queries + 1``; query ``q`` owns rows
            ``offsets[q]:offsets[q + 1]``.
        rank: 1-based rank of the row among its query's non-positive candidates.
        score: the retriever's score (higher = more similar).
        positive_min: per row, the lowest score among the query's labeled positives on the
            same scale as ``score`` (NaN if unknown).
        row_key: ``uint64`` per row, a stable hash of (query id, doc id); samplers derive
            their random draws from it so results do not depend on row order or sharding.
        columns: optional extra per-row arrays, e.g. ``pos_cosine`` (max cosine between the
            candidate and the query's positives), ``judge`` (a judge's probability) or
            ``positive_rank`` (the query's best positive's rank, 0 where unknown).
    """

    offsets: np.ndarray
    rank: np.ndarray
    score: np.ndarray
    positive_min: np.ndarray
    row_key: np.ndarray
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def num_rows(self) -> int:
        return int(self.rank.shape[0])

    @property
    def num_queries(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def query_index(self) -> np.ndarray:
        counts = np.diff(self.offsets)
        return np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)

    def column(self, name: str, needed_by: str) -> np.ndarray:
        """A named extra column, or a clear error naming the strategy that needs it."""
        if name == "score":
            return self.score
        try:
            return self.columns[name]
        except KeyError:
            raise ConfigError(
                f"{needed_by!r} needs the per-candidate column {name!r}, which this run has not "
                "computed",
                received=sorted(self.columns) or "no extra columns",
                expected=name,
                fix=_column_fix(name),
            ) from None


def _column_fix(name: str) -> str:
    if name == "pos_cosine":
        return "Use a dense or hybrid retriever, or pass --model so trueneg can embed documents"
    if name == "positive_rank":
        return "Build the frame from a run's query_stats (positive_rank), or add the column"
    if name == "judge":
        return "Pass --judge FOLDER_OR_NAME so candidates are rescored"
    return "Check the strategy's options"


class Strategy:
    """What filters and samplers share: they say which per-candidate columns they read, so the
    pipeline asks a strategy what it needs instead of recognising it by name."""

    name: ClassVar[str]

    def columns(self) -> frozenset[str]:
        """The per-candidate columns this strategy reads: ``score`` by default, or the column
        named by its ``on`` setting (``judge``, ``pos_cosine``, ``positive_rank``, ...)."""
        return frozenset({getattr(self, "on", "score")})

    @property
    def needs_judge(self) -> bool:
        """Whether it reads a judge's scores (``mine --judge`` must be given)."""
        return JUDGE_COLUMN in self.columns()

    @property
    def needs_vectors(self) -> bool:
        """Whether it reads cosines to the positives (the documents must be embedded)."""
        return VECTOR_COLUMN in self.columns()


JUDGE_COLUMN = "judge"
VECTOR_COLUMN = "pos_cosine"


class Filter(Strategy):
    """Keeps a candidate only if a rule holds. Subclasses implement :meth:`keep`."""

    def deepest_rank(self) -> int | None:
        """The deepest candidate rank this filter can keep (None: no limit), so the search
        goes at least that deep."""
        return None

    def keep(self, frame: CandidateFrame) -> np.ndarray:
        """Boolean mask over ``frame`` rows: True = the candidate passes this filter."""
        raise NotImplementedError

    def spec(self) -> str:
        """The ``NAME[:VALUE]`` string that rebuilds this filter."""
        raise NotImplementedError


class Sampler(Strategy):
    """Picks up to ``k`` negatives per query among eligible rows."""

    def sample(self, frame: CandidateFrame, eligible: np.ndarray, k: int, seed: int) -> np.ndarray:
        """Boolean mask over ``frame`` rows: True = picked. Only eligible rows may be picked,
        at most ``k`` per query, and exactly ``min(k, eligible in query)`` of them."""
        raise NotImplementedError

    def spec(self) -> str:
        raise NotImplementedError


FILTERS: Registry[Filter] = Registry("filter")
SAMPLERS: Registry[Sampler] = Registry("sampler")

SHORTFALL_POLICIES = ("keep-short", "drop", "backfill")
