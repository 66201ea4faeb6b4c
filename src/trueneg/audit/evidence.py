"""The audit's rules of evidence: every rate with its count and 95% interval, and the least
evidence below which a rate is *not computable* (no number, the reason instead) and no advice is
given. This module is the one home of those rules.

**Intervals.** A counted proportion (hidden positives among kept negatives, a judge's precision
or recall on the hidden split, a reliability bin) gets a Wilson score interval on its
*effective* sample size. Rows of one query are correlated — a query with many unlabeled relevant
documents gives many false negatives at once — so the query is the unit of evidence: the design
effect ``deff = Var_between-queries(ratio) / Var_binomial`` (at least 1; taken as 1 when no row
or every row is a hit, where the between-query variance is 0) turns ``n`` rows into ``n / deff``
effective rows, and the Korn–Graubard correction multiplies that by ``(z / t_{q−1})²`` for ``q``
queries, so few queries widen the interval. Wilson rather than a percentile bootstrap because a
bootstrap collapses to [0, 0] when nothing was counted, the case a reader most needs a bound
for. Statistics that are not a count ratio (ROC AUC, Brier score, the residual after a judge
filter) get a percentile bootstrap that resamples whole queries (:func:`query_bootstrap`).

**Minimum evidence.** After the NCHS Data Presentation Standards for Proportions (Parker et al.
2017, the rules a federal statistics agency uses to decide whether a survey proportion may be
published), with the query as the cluster:

- :data:`MIN_QUERIES` = 9: at least 8 degrees of freedom between queries; with fewer, the
  between-query variance, and so any interval, is itself too uncertain.
- :data:`MIN_EFFECTIVE_ROWS` = 30: an effective sample of at least 30 rows.
- :data:`MAX_WIDTH` = 0.30: an interval 30 points wide or more says nothing a reader can act on.

(The standard's relative-width criterion is left out: a good strategy's false-negative rate is
near 0, where a relative width is always large, and every decision downstream compares a rate
with an absolute threshold.) The rules are absolute counts, not shares of the collection, so
they mean the same for ten queries and for a million.

**Advice needs more.** A rate informs the depth advice only when its interval is no wider than
the admission threshold ``1 / (1 + cost)`` it is compared with (:func:`advice_width`): a rank
counted clean is then shown to lie under the threshold, and one query's count cannot flip it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

import numpy as np

from trueneg.audit.findings import Proportion, Statistic

LEVEL = 0.95
Z = NormalDist().inv_cdf(0.5 + LEVEL / 2)
MIN_QUERIES = 9
MIN_EFFECTIVE_ROWS = 30
MAX_WIDTH = 0.30
N_BOOT = 1000

CLUSTERED_WILSON = (
    "95% Wilson score interval on the effective sample size (rows ÷ design effect, queries as "
    "clusters, Korn–Graubard degrees-of-freedom correction)"
)
QUERY_BOOTSTRAP = f"95% percentile bootstrap over queries ({N_BOOT} resamples of whole queries)"
RULES = (
    f"a rate is computed from at least {MIN_QUERIES} queries and {MIN_EFFECTIVE_ROWS} "
    f"effective rows, with a 95% interval under {MAX_WIDTH:.0%} wide (after the NCHS standards "
    "for publishing proportions; the query is the cluster)"
)


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile by the Cornish–Fisher expansion (Abramowitz & Stegun 26.7.5):
    within 0.005 of the exact value at 3 degrees of freedom, 1e-4 from 8 up."""
    z = NormalDist().inv_cdf(p)
    g = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    return z + sum(gi / df ** (i + 1) for i, gi in enumerate(g))


def wilson(hits: float, n: float, z: float = Z) -> tuple[float, float]:
    """Wilson score interval of ``hits`` of ``n`` (``n`` may be an effective, fractional size)."""
    if n <= 0:
        return 0.0, 1.0
    p = min(max(hits / n, 0.0), 1.0)
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if p == 0 else max(0.0, centre - half)
    return low, 1.0 if p == 1 else min(1.0, centre + half)


def design_effect(hits: np.ndarray, rows: np.ndarray) -> float:
    """Between-query variance of the ratio ``Σ hits / Σ rows`` over its binomial variance
    (linearisation of the ratio estimator), at least 1; 1 when the ratio is 0 or 1."""
    hits, rows = np.asarray(hits, np.float64), np.asarray(rows, np.float64)
    n, q = rows.sum(), rows.size
    ratio = hits.sum() / n if n else 0.0
    if q < 2 or not 0 < ratio < 1:
        return 1.0
    clustered = q / (q - 1) * float(((hits - ratio * rows) ** 2).sum()) / n**2
    return max(1.0, clustered / (ratio * (1 - ratio) / n))


def counted(hits: np.ndarray, rows: np.ndarray) -> Proportion:
    """A proportion counted per query (``hits[i]`` of ``rows[i]`` in query ``i``) with its
    interval, or not computable with the reason. Queries without rows are left out."""
    hits, rows = np.asarray(hits, np.float64), np.asarray(rows, np.float64)
    hits, rows = hits[rows > 0], rows[rows > 0]
    k, n, q = float(hits.sum()), int(rows.sum()), int(rows.size)
    if n == 0:
        return Proportion(k, n, q, None, None, None, reason="nothing to count")
    deff = design_effect(hits, rows)
    effective = n / deff
    df_factor = (Z / t_quantile(0.5 + LEVEL / 2, q - 1)) ** 2 if q > 1 else 0.0
    low, high = (
        wilson(k / n * effective * df_factor, effective * df_factor) if q > 1 else (0.0, 1.0)
    )
    reason = _shortfall(q, effective, deff, low, high)
    rate = k / n if reason is None else None
    return Proportion(
        k, n, q, rate, *((low, high) if reason is None else (None, None)), deff, reason
    )


def _shortfall(q: int, effective: float, deff: float, low: float, high: float) -> str | None:
    if q < MIN_QUERIES:
        return f"{q} {plural(q, 'query', 'queries')}: at least {MIN_QUERIES} needed"
    if effective < MIN_EFFECTIVE_ROWS:
        return (
            f"effective sample {effective:.0f} rows (design effect {deff:.1f}): at least "
            f"{MIN_EFFECTIVE_ROWS} needed"
        )
    if high - low >= MAX_WIDTH:
        return (
            f"95% interval {100 * low:.1f}%–{100 * high:.1f}% is {100 * (high - low):.0f} "
            f"points wide: under {100 * MAX_WIDTH:.0f} needed"
        )
    return None


def per_query(query: np.ndarray, hit: np.ndarray, mask: np.ndarray | None = None) -> Proportion:
    """:func:`counted` over rows: ``query`` gives each row's query (any hashable labels),
    ``hit`` whether it counts, ``mask`` which rows take part (all when None)."""
    keep = np.ones(len(query), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    labels = np.unique(np.asarray(query)[keep], return_inverse=True)[1]
    hits = np.bincount(labels, weights=np.asarray(hit, np.float64)[keep])
    return counted(hits, np.bincount(labels))


def query_bootstrap(
    query: np.ndarray,
    statistic: Callable[[np.ndarray], float],
    *,
    seed: int,
    n_boot: int = N_BOOT,
) -> np.ndarray:
    """``statistic(rows)`` on ``n_boot`` resamples that draw whole queries with replacement
    (``rows`` = the row indices of the drawn queries, repeated as drawn); NaN where undefined."""
    labels = np.unique(np.asarray(query), return_inverse=True)[1]
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(labels.max() + 1 if labels.size else 0))
    groups = np.split(order, starts[1:]) if labels.size else []
    rng = np.random.default_rng(seed)
    out = np.full(n_boot, np.nan)
    for b in range(n_boot):
        drawn = rng.integers(0, len(groups), len(groups)) if groups else []
        rows = np.concatenate([groups[g] for g in drawn]) if len(drawn) else np.empty(0, int)
        out[b] = statistic(rows)
    return out


def bootstrapped(
    queries: np.ndarray, statistic: Callable[[np.ndarray], float], seed: int
) -> Statistic:
    """``statistic`` on all rows with its :func:`query_bootstrap` interval, or not computable
    (undefined, too few queries, too wide: :func:`bootstrap_shortfall`)."""
    value = statistic(np.arange(queries.size))
    draws = query_bootstrap(queries, statistic, seed=seed)
    finite = draws[np.isfinite(draws)]
    if not np.isfinite(value) or finite.size == 0:
        return Statistic(None, reason="undefined on these candidates (a class is absent)")
    low, high = (float(x) for x in np.percentile(finite, [2.5, 97.5]))
    reason = bootstrap_shortfall(len(set(queries.tolist())), low, high)
    return Statistic(
        None if reason else float(value), *((None, None) if reason else (low, high)), reason
    )


def bootstrap_shortfall(queries: int, low: float, high: float) -> str | None:
    """Why a bootstrapped statistic is not computable (too few queries, too wide), or None."""
    if queries < MIN_QUERIES:
        return f"{queries} {plural(queries, 'query', 'queries')}: at least {MIN_QUERIES} needed"
    if not (math.isfinite(low) and math.isfinite(high)) or high - low >= MAX_WIDTH:
        return (
            f"95% interval {low:.2f}–{high:.2f} is {high - low:.2f} wide: under {MAX_WIDTH} needed"
        )
    return None


def too_few_queries(queries: int, what: str, why: str = "") -> str | None:
    """``"1 eligible query (WHY); at least 9 needed"``, or None when there are enough."""
    if queries >= MIN_QUERIES:
        return None
    because = f" ({why})" if why else ""
    return (
        f"{queries} {what} {plural(queries, 'query', 'queries')}{because}; at least "
        f"{MIN_QUERIES} needed for any rate"
    )


def advice_width(cost: float) -> float:
    """The widest 95% interval a rate may have to inform the depth advice: the admission
    threshold ``1 / (1 + cost)`` it is compared with."""
    return 1.0 / (1.0 + cost)


def pairs_for_width(pairs: int, width: float, target: float) -> int | None:
    """Judged pairs for an interval ``target`` wide, from one ``width`` wide on ``pairs``: the
    width of an estimate from ``n`` samples scales as ``1/√n``, so ``n' = n · (width/target)²``
    (None when the current width is 0 or unknown)."""
    if not width > 0 or not math.isfinite(width):
        return None
    return math.ceil(pairs * (width / target) ** 2)


def plural(n: float, one: str, many: str) -> str:
    return one if n == 1 else many
