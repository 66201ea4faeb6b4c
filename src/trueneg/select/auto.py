"""``auto``: choose the rank window and sampler from the contamination the data itself shows.

The labeled positives say where relevant documents sit in the miner's ranking. If the labeled
positives of a query are a random sample of its relevant documents (nobody labels "the third
most similar relevant document" on purpose), the unlabeled relevant ones — the false negatives
of mining — sit at the same ranks, only more of them. Per candidate rank ``r``:

* ``g(r)``: the share of labeled positives found at rank ``r`` among the candidates, each query
  weighing 1 (a positive at rank ``r`` means ``r − 1`` non-positive documents score above it);
* ``G(n) = Σ_{r ≤ n} g(r)``: the share of labeled positives in the top ``n``;
* ``λ = R / m``: relevant documents per labeled one. At most ``n`` documents fit in the top
  ``n``, so ``λ·G(n) ≤ n`` for every ``n`` and ``λ ≤ min_n n / G(n)`` — the classic upper bound
  of mixture-proportion estimation, tight when the top hit is nearly always relevant;
* ``f(r) = (λ − 1)·g(r)``: the expected share of unlabeled relevant documents at rank ``r``.

Because ``λ`` is an upper bound, ``f`` errs on the safe side where the miner's precision is
low (a clean dataset whose top hit is relevant half the time looks as if it might hold a
second relevant document per query). ``g`` is smoothed over ranks ``r/1.3 … 1.3r``.

The choice uses the depth-advice rule of the audit (``docs/algorithms.md`` §9.2): rank ``r`` is
admitted when ``f(r) < 1 / (1 + cost)`` (``cost`` = how many true negatives one false negative
undoes, 9 by default, so ``f < 10%``). The window starts after the last rank that fails,
spans ``width`` ranks, and

* ``top`` takes its hardest ``k`` when their mean ``f`` is within half the admission bound
  (data that looks clean: naive top-k when the window starts at rank 1);
* otherwise ``random`` spreads the ``k`` over the window, diluting the ranks near the bound.

With a judge, a second bound comes from its scores (mixture-proportion estimation, as the
audit's judge estimate): if unlabeled relevant documents score under the judge like the labeled
positives do, the share of relevant ones among the candidates near rank ``r`` is at most
``min_t P_cand(J ≥ t) / P_pos(J ≥ t)`` over thresholds ``t`` with at least
:data:`JUDGE_MIN_ABOVE` labeled positives at or above them; each candidate share is the upper
end of its one-sided 95% Wilson interval, so a thin or empty tail does not claim zero. ``f`` is
the smaller of the two bounds at each judged rank: a judge that tells relevant from not
(SciFact) lets ``auto`` trust top hits the rank bound has to skip; one that scores the labeled
positives like everything else (NFCorpus) changes nothing.

With fewer than :data:`MIN_QUERIES` queries whose positives could be ranked a point estimate of
the profile is noise, so ``auto`` uses each rank's upper 95% bound instead
(:func:`upper_contamination`): the same rule on the bound, which moves the window deeper the
thinner the evidence (with no ranked positive at all, the deepest ranks searched).
NV-Retriever's positive-aware ``percent:0.95``, the fallback before, is not used: on a query
whose labeled positive ranks low it drops nearly every candidate, leaving the query short.
``near-duplicate:0.95`` always runs; with a judge, ``percent:0.95@judge`` also drops candidates
the judge scores at or above 95% of the labeled positive (NV-Retriever's positive-aware rule with
the judge as teacher).

Which pairs to train on is a second, separate choice (:func:`training_queries`). Every query
gets its negatives, but ``auto`` recommends training only on the queries whose labeled positive
the mining model ranks in its top :data:`CONSISTENT_RANK` (round-trip consistency, as E5 and
Promptagator filter their pairs). A query whose positive ranks in the hundreds is either
mislabeled or so broad that its negatives' window is full of unlabeled relevant documents
(measured on NFCorpus's hidden-qrels split: ``docs/benchmarks/training.md``, NFCorpus section);
training on it pushes down everything the model ranks above the positive. That reading holds
when such queries are the rule, not the exception: ``auto`` leaves them out only when at least
half of the ranked queries are deep (:data:`DEEP_SHARE`; NFCorpus is such a dataset). When
they are few (SciFact) they are hard, correctly labeled examples and every query trains
(``docs/benchmarks/training.md`` measures both choices on both datasets).
``trueneg export`` and ``trueneg train`` apply the recommendation; ``--all-queries`` keeps every
query.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

DEFAULT_COST = 9.0
MIN_QUERIES = 50  # fewer ranked positives say too little: fall back to percent:0.95
JUDGE_MIN_ABOVE = 20  # labeled positives at or above a judge threshold for it to count
JUDGE_MIN_POSITIVES = 50  # fewer judged positives: no judge bound
JUDGE_MIN_CANDIDATES = 50  # judged candidates around a rank needed for its bound
DEFAULT_WIDTH = 100
SMOOTH = 1.3
CONSISTENT_RANK = 100  # train on a query only if the model ranks its labeled positive this high
DEEP_SHARE = 0.5  # ...and only when at least this share of the queries fail that test
NEAR_DUPLICATE = "near-duplicate:0.95"
JUDGE_FILTER = "percent:0.95@judge"
PROFILE_BUCKETS = (
    (1, 1),
    (2, 2),
    (3, 4),
    (5, 9),
    (10, 19),
    (20, 29),
    (30, 49),
    (50, 74),
    (75, 99),
    (100, 149),
    (150, 199),
    (200, 299),
)


@dataclass
class AutoChoice:
    """What ``auto`` chose and the evidence behind it (stored in the manifest and summary)."""

    filters: list[str]
    sampler: str
    window: tuple[int, int] | None
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    train_queries: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["window"] = list(self.window) if self.window else None
        return out


def positive_ranks(
    offsets: np.ndarray, cand_score: np.ndarray, pos_query: np.ndarray, pos_score: np.ndarray
) -> np.ndarray:
    """Rank of each labeled positive among its query's candidates: ``1 +`` the number of
    candidates scoring strictly above it. Candidates are sorted by descending score per query;
    a positive below every candidate gets ``len(candidates) + 1`` (deeper than the search)."""
    ranks = np.zeros(pos_query.shape[0], dtype=np.int64)
    for i, (q, s) in enumerate(zip(pos_query.tolist(), pos_score.tolist(), strict=True)):
        lo, hi = int(offsets[q]), int(offsets[q + 1])
        ranks[i] = 1 + int(np.count_nonzero(cand_score[lo:hi] > s))
    return ranks


def rank_profile(
    pos_query: np.ndarray, pos_rank: np.ndarray, num_queries: int, depth: int
) -> np.ndarray:
    """``g(r)`` for ``r = 1..depth``: each query with a ranked positive spreads weight 1 over
    its positives; positives deeper than ``depth`` (or of unknown rank, 0) keep their weight
    out of range."""
    counts = np.bincount(pos_query, minlength=num_queries).astype(np.float64)
    weight = 1.0 / counts[pos_query]
    inside = (pos_rank >= 1) & (pos_rank <= depth)
    g = np.bincount(pos_rank[inside] - 1, weights=weight[inside], minlength=depth)[:depth]
    return g / max(int((counts > 0).sum()), 1)


def ratio_bound(g: np.ndarray) -> tuple[float, int]:
    """``λ ≤ min_n n / G(n)`` and the ``n`` that attains it (``inf, 0`` when ``G`` is 0)."""
    cum = np.cumsum(g)
    n = np.arange(1, g.shape[0] + 1)
    ok = cum > 0
    if not ok.any():
        return float("inf"), 0
    ratios = n[ok] / cum[ok]
    best = int(np.argmin(ratios))
    return float(max(ratios[best], 1.0)), int(n[ok][best])


def smooth(g: np.ndarray, factor: float = SMOOTH) -> np.ndarray:
    """Mean of ``g`` over ranks ``r/factor … r·factor`` (clipped to the known ranks)."""
    cum = np.concatenate([[0.0], np.cumsum(g)])
    lo, hi = _spans(g.shape[0], factor)
    return (cum[hi] - cum[lo - 1]) / (hi - lo + 1)


def _spans(depth: int, factor: float = SMOOTH) -> tuple[np.ndarray, np.ndarray]:
    """For ranks ``r = 1..depth``, the first and last rank of ``r/factor … r·factor``, clipped
    to ``1..depth``."""
    r = np.arange(1, depth + 1)
    lo = np.maximum(1, np.floor(r / factor).astype(np.int64))
    hi = np.minimum(depth, np.ceil(r * factor).astype(np.int64))
    return lo, hi


def contamination(g: np.ndarray, ratio: float) -> np.ndarray:
    """``f(r) = min(1, (λ − 1)·g(r))`` from the smoothed profile."""
    if not np.isfinite(ratio):
        return np.ones_like(g)
    return np.minimum(1.0, (ratio - 1.0) * smooth(g))


def choose(
    f: np.ndarray,
    num_negatives: int,
    *,
    cost: float = DEFAULT_COST,
    width: int = DEFAULT_WIDTH,
    judge: bool = False,
) -> AutoChoice:
    """The window and sampler for a contamination profile ``f`` over ranks ``1..len(f)``."""
    depth = int(f.shape[0])
    bound = 1.0 / (1.0 + cost)
    bad = np.flatnonzero(f >= bound)
    start = int(bad[-1]) + 2 if bad.size else 1
    extra = [JUDGE_FILTER] if judge else []
    if start + num_negatives - 1 > depth:
        return AutoChoice(
            [_window(max(1, depth - width + 1), depth), NEAR_DUPLICATE, *extra],
            "random",
            (max(1, depth - width + 1), depth),
            f"every searched rank looks contaminated (f ≥ {_percent(bound)} down to rank {depth}): "
            "sampling from the deepest ranks; search deeper (--depth) or add a judge",
        )
    end = min(depth, start + width - 1)
    head = float(f[start - 1 : start - 1 + num_negatives].mean())
    window = [_window(start, end)] if start > 1 else []
    if head <= bound / 2:
        where = "the top" if start == 1 else f"rank {start}"
        return AutoChoice(
            [*window, NEAR_DUPLICATE, *extra],
            "top",
            (start, end),
            f"the hardest candidates from {where} look clean (estimated "
            f"{head:.1%} false negatives ≤ {_percent(bound / 2)}): top-{num_negatives}",
        )
    return AutoChoice(
        [_window(start, end), NEAR_DUPLICATE, *extra],
        "random",
        (start, end),
        f"ranks above {start} look contaminated (f ≥ {_percent(bound)}) and the next "
        f"{num_negatives} are near the bound ({head:.1%}): random over "
        f"ranks {start}-{end}",
    )


def few_queries(
    f_upper: np.ndarray,
    ranked: int,
    num_negatives: int,
    *,
    cost: float = DEFAULT_COST,
    judge: bool = False,
) -> AutoChoice:
    """The choice when too few queries have a ranked positive for a point estimate: the same
    rule on ``f_upper``, each rank's upper 95% bound (:func:`upper_contamination`), so thin
    evidence moves the window deeper instead of being ignored."""
    choice = choose(f_upper, num_negatives, cost=cost, judge=judge)
    choice.reason = (
        f"only {ranked} queries have a ranked positive (< {MIN_QUERIES}): each rank's "
        f"contamination is taken at the upper end of its 95% interval; {choice.reason}"
    )
    return choice


def upper_contamination(
    pos_query: np.ndarray, pos_rank: np.ndarray, num_queries: int, depth: int, z: float = 1.645
) -> np.ndarray:
    """``f(r)`` from bounds that hold with few queries: each smoothed rank band's share of
    labeled positives at the upper end of its one-sided 95% Wilson interval, and ``λ`` from
    the lower end of ``G(n)``'s (a query's share in a band or top ``n`` lies in [0, 1], so the
    binomial interval over the ``q`` queries is a conservative one). 1 everywhere when no
    positive is ranked."""
    g = rank_profile(pos_query, pos_rank, num_queries, depth)
    queries = int((np.bincount(pos_query, minlength=num_queries) > 0).sum())
    if queries == 0 or not g.any():
        return np.ones(depth, dtype=np.float64)
    lo, hi = _spans(depth)
    cum = np.concatenate([[0.0], np.cumsum(g)])
    band = np.clip(cum[hi] - cum[lo - 1], 0.0, 1.0)
    g_upper = wilson_upper(band * queries, queries, z) / (hi - lo + 1)
    top = np.clip(np.cumsum(g), 0.0, 1.0)
    top_lower = wilson_lower(top * queries, queries, z)
    n = np.arange(1, depth + 1)
    ok = top_lower > 0
    ratio = float(max(np.min(n[ok] / top_lower[ok]), 1.0)) if ok.any() else float("inf")
    if not np.isfinite(ratio):
        return np.ones(depth, dtype=np.float64)
    return np.minimum(1.0, (ratio - 1.0) * g_upper)


def training_queries(
    positive_rank: np.ndarray,
    max_rank: int = CONSISTENT_RANK,
    min_share: float = DEEP_SHARE,
) -> dict[str, Any]:
    """The recommendation of which queries to train on.

    A query is *deep* when the mining model ranks its best labeled positive below its top
    ``max_rank`` (``positive_rank``: per query, 0 where the retriever could not rank it; those
    count as neither). The deep queries are left out only when they are at least ``min_share``
    of the ranked ones (``applied``); ``kept`` and ``left_out`` count the queries trained on and
    left out, ``deep`` and ``share_deep`` describe the evidence either way.
    """
    rank = np.asarray(positive_rank, dtype=np.int64)
    deep = int(np.count_nonzero(rank > max_rank))
    ranked = int(np.count_nonzero(rank > 0))
    share = deep / ranked if ranked else 0.0
    applied = deep > 0 and share >= min_share
    left_out = deep if applied else 0
    return {
        "max_positive_rank": int(max_rank),
        "queries": int(rank.shape[0]),
        "kept": int(rank.shape[0]) - left_out,
        "left_out": left_out,
        "deep": deep,
        "share_deep": round(share, 4),
        "min_share": float(min_share),
        "applied": applied,
    }


def trains_on_training_queries(advice: dict[str, Any] | None) -> bool:
    """Whether a manifest's ``auto.train_queries`` leaves queries out (``left_out`` is 0 unless
    the cut applies, in manifests written before ``applied`` existed too)."""
    return bool(advice) and advice.get("left_out", 0) > 0


def _percent(share: float) -> str:
    """``10%``, ``25%``, ``0.5%``: a share as the admission bounds read (one decimal at most)."""
    return f"{share:.1%}".replace(".0%", "%")


def _window(first: int, last: int) -> str:
    """The ``rank-window`` filter keeping ranks ``first..last`` (its upper bound is exclusive)."""
    return f"rank-window:{first}-{last + 1}"


def estimate(
    offsets: np.ndarray,
    cand_score: np.ndarray,
    pos_query: np.ndarray,
    pos_score: np.ndarray | None,
    best_rank: np.ndarray,
    depth: int,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The contamination profile ``f`` over ranks ``1..depth`` and the evidence behind it.

    ``pos_score`` (every labeled positive's score on the candidates' scale) gives each
    positive's rank; without it only ``best_rank`` (the best positive's rank per query, 0 where
    unknown) is used, which places several positives too high (noted in the evidence).
    """
    num_queries = int(offsets.shape[0] - 1)
    notes: list[str] = []
    if pos_score is not None and np.isfinite(pos_score).all():
        ranks = positive_ranks(offsets, cand_score, pos_query, pos_score)
        source = "every labeled positive's rank among the candidates"
    else:
        known = best_rank > 0
        pos_query = np.flatnonzero(known)
        ranks = best_rank[known].astype(np.int64)
        source = "the best labeled positive's rank (positive scores not on the candidates' scale)"
        notes.append(
            "only the best positive per query is ranked: with several positives this "
            "underestimates contamination below the top ranks"
        )
    g = rank_profile(pos_query, ranks, num_queries, depth)
    ratio, at = ratio_bound(g)
    f = contamination(g, ratio)
    upper = np.maximum(f, upper_contamination(pos_query, ranks, num_queries, depth))
    per_query = np.bincount(pos_query, minlength=num_queries)
    evidence = {
        "queries_ranked": int((per_query > 0).sum()),
        "source": source,
        "queries": num_queries,
        "queries_with_several_positives": int((per_query >= 2).sum()),
        "positives_ranked": int(ranks.shape[0]),
        "share_positives_at_rank_1": round(float(g[0]) if g.size else 0.0, 4),
        "share_positives_in_top_10": round(float(g[:10].sum()), 4),
        "median_positive_rank": _median_rank(ranks, depth),
        "relevant_per_labeled_bound": round(ratio, 3) if np.isfinite(ratio) else None,
        "bound_attained_at_top": at,
        "contamination_by_rank": buckets(f),
        "notes": notes,
        "upper_contamination": upper,  # an array: auto_choice takes it out before saving
    }
    return f, evidence


def judge_bound(
    cand_rank: np.ndarray, cand_judge: np.ndarray, pos_judge: np.ndarray, depth: int
) -> np.ndarray:
    """Per rank ``r = 1..depth``: an upper bound on the share of relevant documents among the
    candidates ranked ``r/1.3 … 1.3r``, from their judge scores and the labeled positives'
    (1 where too few are judged)."""
    out = np.ones(depth, dtype=np.float64)
    labeled = np.sort(pos_judge[np.isfinite(pos_judge)])
    if labeled.size < max(JUDGE_MIN_POSITIVES, JUDGE_MIN_ABOVE):
        return out
    thresholds = labeled[: labeled.size - JUDGE_MIN_ABOVE + 1]
    share_labeled = (labeled.size - np.searchsorted(labeled, thresholds, "left")) / labeled.size
    judged = np.isfinite(cand_judge)
    rank, score = cand_rank[judged], cand_judge[judged]
    for i, (lo, hi) in enumerate(zip(*_spans(depth), strict=True)):
        near = np.sort(score[(rank >= lo) & (rank <= hi)])
        if near.size < JUDGE_MIN_CANDIDATES:
            continue
        above = near.size - np.searchsorted(near, thresholds, "left")
        share = wilson_upper(above, near.size)
        out[i] = min(1.0, float(np.min(share / share_labeled)))
    return out


def wilson_lower(hits: np.ndarray, n: int, z: float = 1.645) -> np.ndarray:
    """Lower end of the one-sided Wilson score interval of ``hits / n`` (95% for z 1.645)."""
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.maximum(0.0, (centre - spread) / (1 + z * z / n))


def wilson_upper(hits: np.ndarray, n: int, z: float = 1.645) -> np.ndarray:
    """Upper end of the one-sided Wilson score interval of ``hits / n`` (95% for z 1.645)."""
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre + spread) / (1 + z * z / n)


def with_judge_bound(
    f: np.ndarray, bound: np.ndarray, evidence: dict[str, Any], judged_positives: int
) -> np.ndarray:
    """``f`` tightened by the judge's bound where it is lower; the evidence records both."""
    tightened = np.minimum(f, bound)
    evidence["judge_bound_by_rank"] = buckets(bound)
    evidence["judged_positives"] = judged_positives
    evidence["contamination_by_rank_rank_bound"] = evidence["contamination_by_rank"]
    evidence["contamination_by_rank"] = buckets(tightened)
    return tightened


def _median_rank(ranks: np.ndarray, depth: int) -> str | int:
    if ranks.size == 0:
        return "unknown"
    median = int(np.median(ranks))
    return median if median <= depth else f">{depth}"


def buckets(f: np.ndarray) -> list[list[Any]]:
    """``[[ranks, mean f], …]`` over :data:`PROFILE_BUCKETS` (a list: JSON keeps its order)."""
    out = []
    for lo, hi in PROFILE_BUCKETS:
        if lo > f.shape[0]:
            break
        label = str(lo) if lo == hi else f"{lo}-{hi}"
        out.append([label, round(float(f[lo - 1 : min(hi, f.shape[0])].mean()), 4)])
    return out
