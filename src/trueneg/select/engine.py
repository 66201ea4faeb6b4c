"""Selection: run filters, then a sampler, then a shortfall policy; keep a reason per row.

Reasons, per row: ``""`` kept; ``"backfill"`` kept by the backfill policy; the registered name
of the first filter (in the user's order) that dropped it; ``"not-sampled"`` (passed every
filter, not picked); ``"query-dropped"`` (picked, then dropped with its short query, or with a
query whose candidates were mostly relabeled). A relabeling filter (``relabel``) runs before
the others, so every candidate it turns into a positive has its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from trueneg.errors import ConfigError
from trueneg.select.base import (
    FILTERS,
    SAMPLERS,
    SHORTFALL_POLICIES,
    CandidateFrame,
    Filter,
    Sampler,
)
from trueneg.select.filters import RankWindow
from trueneg.select.relabel import relabels
from trueneg.select.samplers import top_k_per_group

_LATE_REASONS = ("not-sampled", "backfill", "query-dropped")
FilterSpec = Filter | str | type
SamplerSpec = Sampler | str | type


@dataclass
class SelectionResult:
    """What :func:`select` kept, why every other candidate was dropped, and per-query tallies.

    ``counts`` maps each reason to its number of rows: sampled rows under ``"kept"``, rows
    added by backfill under ``"backfill"`` (both have ``kept`` True); zero counts are left out.
    ``unchecked`` maps a filter spec to the rows it let through unchecked because the query's
    positive score was unknown (NaN). Under ``drop``, ``short_queries`` equals
    ``dropped_queries`` (a dropped query keeps nothing).
    """

    kept: np.ndarray
    reason: np.ndarray
    per_query_kept: np.ndarray
    short_queries: np.ndarray
    dropped_queries: np.ndarray
    counts: dict[str, int]
    unchecked: dict[str, int] = field(default_factory=dict)


def resolve_filters(specs: Sequence[FilterSpec] | FilterSpec | None) -> list[Filter]:
    """Filters from names (``"percent:0.95"``), classes or instances, in the given order."""
    if specs is None:
        return []
    if isinstance(specs, str | type | Filter):
        specs = [specs]
    return [FILTERS.resolve(spec) for spec in specs]


def resolve_sampler(spec: SamplerSpec) -> Sampler:
    """A sampler from a name (``"simans:20,0"``), a class or an instance."""
    return SAMPLERS.resolve(spec)


def select(
    frame: CandidateFrame,
    filters: Sequence[FilterSpec] | FilterSpec | None,
    sampler: SamplerSpec,
    num_negatives: int,
    *,
    shortfall: str = "keep-short",
    seed: int = 0,
    relabel_query_limit: int | None = None,
) -> SelectionResult:
    """Keep up to ``num_negatives`` candidates per query that pass every filter.

    Filters compose (all must pass); the sampler picks among the survivors; ``shortfall``
    decides what happens to a query left with fewer than ``num_negatives``: ``keep-short``
    (keep what there is), ``drop`` (drop the whole query) or ``backfill`` (add the next
    candidates, in rank order, deeper than every ``rank-window`` upper bound that pass all
    the other filters). ``relabel_query_limit``: a query with at least this many relabeled
    candidates keeps no negatives (RLHN's query-level choice: its top is mostly relevant).
    """
    _check_options(num_negatives, shortfall)
    filter_list = sorted(resolve_filters(filters), key=lambda f: not relabels(f))
    masks = [_keep_mask(f, frame) for f in filter_list]
    labels = np.array(["", *(f.name for f in filter_list), *_LATE_REASONS], dtype=object)
    code = _first_failure(masks, frame.num_rows)
    survivors = code == 0
    kept = _sampler_mask(resolve_sampler(sampler), frame, survivors, num_negatives, seed)
    code[survivors & ~kept] = len(filter_list) + 1

    qidx = frame.query_index()
    per_query = np.bincount(qidx[kept], minlength=frame.num_queries)
    dropped = np.zeros(frame.num_queries, dtype=bool)
    if shortfall == "backfill":
        pool = _backfill_pool(filter_list, masks, survivors & ~kept, frame)
        need = np.maximum(num_negatives - per_query, 0)
        extra = top_k_per_group(qidx, -frame.rank.astype(np.float64), pool, need, frame.row_key)
        kept |= extra
        code[extra] = len(filter_list) + 2
    elif shortfall == "drop":
        dropped = per_query < num_negatives
        lost = kept & dropped[qidx]
        kept &= ~lost
        code[lost] = len(filter_list) + 3
    if relabel_query_limit is not None:
        crowded = _relabel_crowded(filter_list, code, qidx, frame.num_queries, relabel_query_limit)
        lost = kept & crowded[qidx]
        kept &= ~lost
        code[lost] = len(filter_list) + 3
        dropped |= crowded
    per_query = np.bincount(qidx[kept], minlength=frame.num_queries)
    return SelectionResult(
        kept=kept,
        reason=labels[code],
        per_query_kept=per_query,
        short_queries=per_query < num_negatives,
        dropped_queries=dropped,
        counts=_count_reasons(code, labels),
        unchecked=_count_unchecked(filter_list, frame),
    )


def _first_failure(masks: list[np.ndarray], num_rows: int) -> np.ndarray:
    """Per row, 0 if every mask passes, else 1 + the index of the first failing mask."""
    code = np.zeros(num_rows, dtype=np.int16)
    for i in reversed(range(len(masks))):
        code[~masks[i]] = i + 1
    return code


def _relabel_crowded(
    filters: list[Filter], code: np.ndarray, qidx: np.ndarray, num_queries: int, limit: int
) -> np.ndarray:
    """Per query: at least ``limit`` of its candidates were relabeled as positives."""
    if not filters or not relabels(filters[0]):
        return np.zeros(num_queries, dtype=bool)
    return np.bincount(qidx[code == 1], minlength=num_queries) >= limit


def _check_options(num_negatives: int, shortfall: str) -> None:
    if isinstance(num_negatives, bool) or not isinstance(num_negatives, int | np.integer):
        raise ConfigError(
            "num_negatives must be an integer",
            received=repr(num_negatives),
            expected="an integer >= 1",
        )
    if num_negatives < 1:
        raise ConfigError(
            "num_negatives must be at least 1", received=num_negatives, expected="an integer >= 1"
        )
    if shortfall not in SHORTFALL_POLICIES:
        raise ConfigError(
            "Unknown shortfall policy", received=shortfall, expected=SHORTFALL_POLICIES
        )


def _keep_mask(f: Filter, frame: CandidateFrame) -> np.ndarray:
    mask = np.asarray(f.keep(frame))
    if mask.dtype != np.bool_ or mask.shape != (frame.num_rows,):
        raise ConfigError(
            f"Filter {f.name!r} returned a mask of the wrong shape or type",
            received=f"{mask.dtype} {mask.shape}",
            expected=f"bool ({frame.num_rows},)",
        )
    return mask


def _sampler_mask(
    sampler: Sampler, frame: CandidateFrame, eligible: np.ndarray, k: int, seed: int
) -> np.ndarray:
    picked = np.asarray(sampler.sample(frame, eligible, k, seed))
    if picked.dtype != np.bool_ or picked.shape != (frame.num_rows,):
        raise ConfigError(
            f"Sampler {sampler.name!r} returned a mask of the wrong shape or type",
            received=f"{picked.dtype} {picked.shape}",
            expected=f"bool ({frame.num_rows},)",
        )
    return picked & eligible  # a sampler can never keep a row a filter dropped


def _backfill_pool(
    filters: list[Filter], masks: list[np.ndarray], leftovers: np.ndarray, frame: CandidateFrame
) -> np.ndarray:
    """Rows backfill may add: unpicked survivors, and rows past every rank window that pass
    every other filter."""
    windows = [f for f in filters if isinstance(f, RankWindow)]
    if not windows:
        return leftovers
    deeper = frame.rank >= max(w.max for w in windows)
    for f, mask in zip(filters, masks, strict=True):
        if not isinstance(f, RankWindow):
            deeper &= mask
    return leftovers | deeper


def _count_reasons(code: np.ndarray, labels: np.ndarray) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label, n in zip(labels, np.bincount(code, minlength=len(labels)), strict=True):
        if n:
            key = label or "kept"
            counts[key] = counts.get(key, 0) + int(n)
    return dict(sorted(counts.items()))


def _count_unchecked(filters: list[Filter], frame: CandidateFrame) -> dict[str, int]:
    out = {}
    for f in filters:
        unchecked = getattr(f, "unchecked", None)
        if unchecked is not None:
            out[f.spec()] = int(np.count_nonzero(unchecked(frame)))
    return out
