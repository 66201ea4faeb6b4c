"""The judge estimator in plain numpy: the mixture inversion, stratified shares, the bootstrap.

With ``ρ`` the judge's recall at ``τ`` on relevant documents and ``α`` its false-alarm rate on
non-relevant ones, a sample of which a share ``π`` scores ``≥ τ`` holds a share
``f = (π − α) / (ρ − α)`` of relevant documents.
"""

from __future__ import annotations

import numpy as np

from trueneg.audit.buckets import RANK_BUCKETS

RECALL_TARGET = 0.5
N_BOOT = 2000
MIN_PER_STRATUM = 3


def mixture_rate(
    pi: np.ndarray | float, rho: np.ndarray | float, alpha: np.ndarray | float
) -> np.ndarray:
    """``(π − α) / (ρ − α)`` clipped to [0, 1]; NaN where the judge does not separate (ρ ≤ α)."""
    pi, rho, alpha = (np.asarray(x, dtype=np.float64) for x in (pi, rho, alpha))
    gap = rho - alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(gap > 0, (pi - alpha) / gap, np.nan)
    return np.clip(out, 0.0, 1.0)


def threshold_for_recall(positive_scores: np.ndarray, recall: float = RECALL_TARGET) -> float:
    """The score ``τ`` that a share ``recall`` of the positive reference reaches."""
    return float(np.quantile(np.asarray(positive_scores, dtype=np.float64), 1.0 - recall))


def stratified_share(flags: np.ndarray, strata: np.ndarray, weights: np.ndarray) -> float:
    """Population share of ``flags`` from a stratified sample (``weights`` = stratum shares);
    strata without a sampled row are left out and the rest re-weighted."""
    present = [s for s in np.flatnonzero(weights > 0) if (strata == s).any()]
    if not present:
        return float("nan")
    total = sum(weights[s] * float(flags[strata == s].mean()) for s in present)
    return float(total / weights[present].sum())


def bootstrap_rates(
    pos: np.ndarray,
    rand: np.ndarray,
    kept: np.ndarray,
    strata: np.ndarray,
    weights: np.ndarray,
    *,
    seed: int,
    n_boot: int = N_BOOT,
    recall: float = RECALL_TARGET,
) -> np.ndarray:
    """``f`` on ``n_boot`` resamples of the three samples (τ re-chosen in each); NaN = no gap."""
    rng = np.random.default_rng(seed)
    pos_b = pos[rng.integers(0, pos.size, (n_boot, pos.size))]
    tau = np.quantile(pos_b, 1.0 - recall, axis=1)[:, None]
    rho = (pos_b >= tau).mean(axis=1)
    alpha = (rand[rng.integers(0, rand.size, (n_boot, rand.size))] >= tau).mean(axis=1)
    pi = np.zeros(n_boot)
    present = [s for s in np.flatnonzero(weights > 0) if (strata == s).any()]
    for s in present:
        scores = kept[strata == s]
        draw = scores[rng.integers(0, scores.size, (n_boot, scores.size))]
        pi += weights[s] * (draw >= tau).mean(axis=1)
    pi /= float(weights[present].sum() or 1.0)
    return mixture_rate(pi, rho, alpha)


def percentile_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the finite bootstrap values ((0, 1) when none is finite)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    tail = 100 * (1 - level) / 2
    return float(np.percentile(finite, tail)), float(np.percentile(finite, 100 - tail))


def stratified_indices(strata: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """About ``n`` rows, proportional to stratum size, at least a few from every stratum."""
    chosen = []
    sizes = np.bincount(strata, minlength=len(RANK_BUCKETS))
    for s in np.flatnonzero(sizes):
        take = min(int(sizes[s]), max(MIN_PER_STRATUM, round(n * sizes[s] / strata.size)))
        chosen.append(rng.choice(np.flatnonzero(strata == s), take, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)


def matched_indices(
    strata: np.ndarray, weights: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """About ``n`` rows whose stratum mix follows ``weights`` (the population to estimate on);
    what a stratum lacks goes to the others in proportion to their weight."""
    available = np.bincount(strata, minlength=weights.size)[: weights.size]
    want = np.zeros(weights.size, dtype=np.int64)
    remaining, open_ = min(n, int(available[weights > 0].sum())), weights > 0
    while remaining > 0 and open_.any():
        share = weights * open_ / (weights * open_).sum()
        step = np.minimum(np.maximum(np.round(share * remaining), open_), available - want)
        step = np.minimum(step, remaining).astype(np.int64)
        if step.sum() == 0:
            break
        want += step
        remaining -= int(step.sum())
        open_ &= want < available
    chosen = [
        rng.choice(np.flatnonzero(strata == s), int(want[s]), replace=False)
        for s in np.flatnonzero(want)
    ]
    return np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)
