"""A judge's agreement with known labels in plain numpy: ROC AUC, the share a filter leaves,
reliability bins, Brier score and expected calibration error.

``labels`` are booleans (True = a hidden positive), ``scores`` the judge's, ``flagged`` the
scores at or above a threshold (what a ``judge-threshold`` filter drops).
"""

from __future__ import annotations

import numpy as np

BINS = 10


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The probability that a random positive outscores a random negative (ties count half:
    Mann–Whitney U over the average ranks); NaN when a class is absent."""
    labels = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(np.asarray(scores, dtype=np.float64))
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], ordered.size]
    mean_rank = (starts + ends + 1) / 2.0  # 1-based ranks start+1 .. end, averaged
    ranks = np.empty(values.size)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def residual_share(labels: np.ndarray, flagged: np.ndarray) -> float:
    """False-negative share of what a filter keeps: ``(P − TP) / ((P − TP) + (N − FP))``, i.e.
    ``f(1 − r) / (f(1 − r) + (1 − f)(1 − a))`` with base rate ``f``, recall ``r`` and false-alarm
    rate ``a``; NaN when the filter keeps nothing."""
    labels, flagged = np.asarray(labels, dtype=bool), np.asarray(flagged, dtype=bool)
    kept = ~flagged
    return float(labels[kept].mean()) if kept.any() else float("nan")


def bin_index(scores: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Equal-width probability bin of each score (``[0, 1/bins)``, …, ``[1 − 1/bins, 1]``)."""
    return np.clip((np.asarray(scores, dtype=np.float64) * bins).astype(np.int64), 0, bins - 1)


def brier_score(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean squared gap between the probability and the label; NaN without rows."""
    scores = np.asarray(scores, dtype=np.float64)
    return float(np.mean((scores - labels) ** 2)) if scores.size else float("nan")


def expected_calibration_error(scores: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """``Σ_b (n_b / n)·|mean score_b − positive share_b|`` over equal-width bins."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return float("nan")
    index = bin_index(scores, bins)
    rows = np.bincount(index, minlength=bins)
    gap = np.abs(
        np.bincount(index, weights=scores, minlength=bins)
        - np.bincount(index, weights=np.asarray(labels, np.float64), minlength=bins)
    )
    return float(gap.sum() / rows.sum())
