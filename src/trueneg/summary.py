"""The numbers a user checks after mining: what was kept, what was dropped and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
SCORE_GROUPS = ("positive (lowest per query)", "kept negatives", "dropped negatives")


@dataclass
class Summary:
    """Counts and score distributions of one run. ``to_dict`` is what the manifest stores."""

    queries: int
    queries_with_candidates: int
    candidates: int
    kept: int
    num_negatives: int
    dropped: dict[str, int]
    queries_short: int
    queries_dropped: int
    queries_full: int
    score_quantiles: dict[str, dict[str, float]]
    timings: dict[str, float] = field(default_factory=dict)
    load: dict[str, Any] = field(default_factory=dict)
    rescore: dict[str, Any] = field(default_factory=dict)
    retrieval: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    auto: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        return cls(**data)

    def to_markdown(self) -> str:
        lines = [
            f"queries: {self.queries} ({self.queries_full} with {self.num_negatives} negatives, "
            f"{self.queries_short} short, {self.queries_dropped} dropped)",
            f"candidates: {self.candidates}, kept: {self.kept}",
            "",
            "| dropped by | rows |",
            "|---|---|",
            *[
                f"| {reason} | {rows} |"
                for reason, rows in sorted(self.dropped.items(), key=lambda kv: -kv[1])
            ],
            "",
            "| scores | " + " | ".join(f"q{int(q * 100)}" for q in QUANTILES) + " |",
            "|---|" + "---|" * len(QUANTILES),
        ]
        for name in SCORE_GROUPS:
            quantiles = self.score_quantiles.get(name, {})
            cells = " | ".join(
                _fmt(quantiles.get(f"q{int(q * 100)}", float("nan"))) for q in QUANTILES
            )
            lines.append(f"| {name} | {cells} |")
        if self.auto:
            lines += [
                "",
                f"auto: {' '.join(self.auto.get('filters', []))}, sampler "
                f"{self.auto.get('sampler')} — {self.auto.get('reason', '')}",
            ]
            if self.auto.get("train_queries"):
                lines.append(training_queries_line(self.auto["train_queries"]))
        return "\n".join(lines)


def summarize(
    negatives: pa.Table,
    query_stats: pa.Table,
    *,
    num_negatives: int,
    timings: dict[str, float] | None = None,
    load: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    rescore: dict[str, Any] | None = None,
    retrieval: dict[str, Any] | None = None,
    auto: dict[str, Any] | None = None,
) -> Summary:
    """Build a :class:`Summary` from the negatives table and per-query stats."""
    kept_mask = negatives["kept"].to_numpy(zero_copy_only=False)
    reasons = np.asarray(negatives["reason"].to_pylist(), dtype=object)
    scores = negatives["score"].to_numpy(zero_copy_only=False).astype(np.float64)
    per_query = _kept_per_query(negatives, query_stats)
    dropped_queries = query_stats["dropped"].to_numpy(zero_copy_only=False)
    dropped = {
        str(r): int(n)
        for r, n in zip(*np.unique(reasons[~kept_mask], return_counts=True), strict=True)
    }
    positive = query_stats["positive_min"].to_numpy(zero_copy_only=False).astype(np.float64)
    return Summary(
        queries=query_stats.num_rows,
        queries_with_candidates=int((query_stats["candidates"].to_numpy() > 0).sum()),
        candidates=negatives.num_rows,
        kept=int(kept_mask.sum()),
        num_negatives=num_negatives,
        dropped=dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
        queries_short=int(((per_query < num_negatives) & ~dropped_queries).sum()),
        queries_dropped=int(dropped_queries.sum()),
        queries_full=int((per_query >= num_negatives).sum()),
        score_quantiles={
            "positive (lowest per query)": _quantiles(positive),
            "kept negatives": _quantiles(scores[kept_mask]),
            "dropped negatives": _quantiles(scores[~kept_mask]),
        },
        timings=dict(timings or {}),
        load=dict(load or {}),
        rescore=dict(rescore or {}),
        retrieval=dict(retrieval or {}),
        config=dict(config or {}),
        auto=dict(auto or {}),
    )


def training_queries_line(train: dict[str, Any]) -> str:
    """``auto``'s training-query recommendation in one sentence."""
    kept, total, left = train["kept"], train["queries"], train["left_out"]
    top, deep = train["max_positive_rank"], train.get("deep", left)
    if not deep:
        return f"training queries: all {total:,} (every labeled positive ranks in the top {top})"
    if not left:
        return (
            f"training queries: all {total:,}; {deep:,} ({train['share_deep']:.0%}) have their "
            f"labeled positive below the mining model's top {top}, under the "
            f"{train['min_share']:.0%} at which auto leaves them out: kept as hard examples"
        )
    them = "it" if left == 1 else "them"
    share = f" ({train['share_deep']:.0%})" if "share_deep" in train else ""
    return (
        f"training queries: {kept:,} of {total:,}; the {left:,}{share} whose labeled positive "
        f"the mining model ranks below its top {top} (mislabeled, or too broad for hard "
        f"negatives) are left out by export and train (--all-queries keeps {them})"
    )


def _kept_per_query(negatives: pa.Table, query_stats: pa.Table) -> np.ndarray:
    kept = negatives.filter(negatives["kept"])
    counts = pc.value_counts(kept["query_id"]) if kept.num_rows else None
    by_id = {}
    if counts is not None:
        by_id = dict(
            zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        )
    return np.array([by_id.get(q, 0) for q in query_stats["query_id"].to_pylist()], dtype=np.int64)


def _quantiles(values: np.ndarray) -> dict[str, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {f"q{int(q * 100)}": float("nan") for q in QUANTILES}
    return {
        f"q{int(q * 100)}": round(float(v), 4)
        for q, v in zip(QUANTILES, np.quantile(values, QUANTILES), strict=True)
    }


def _fmt(value: float) -> str:
    return "—" if value != value else f"{value:.3f}"
