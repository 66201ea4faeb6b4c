"""The kept negatives most likely to be false negatives, with the texts to judge them by eye."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from trueneg.audit.findings import JudgeEstimate

if TYPE_CHECKING:
    from trueneg.audit.context import AuditContext

LIMIT = 25
TEXT_LIMIT = 1000


def most_suspicious(
    ctx: AuditContext,
    estimate: JudgeEstimate | None,
    judged: dict[tuple[str, str], float],
    limit: int = LIMIT,
) -> list[dict[str, Any]]:
    """Up to ``limit`` kept negatives, most suspicious first: by judge score when the judge
    scored some of them, else by how far their score sits above the query's lowest positive."""
    kept = ctx.negatives.filter(ctx.negatives["kept"]).to_pylist()
    for row in kept:
        row["judge"] = judged.get((row["query_id"], row["doc_id"]))
    scored = [r for r in kept if r["judge"] is not None]
    if scored:
        rows = _preload(ctx, sorted(scored, key=lambda r: -r["judge"])[:limit])
        return [_entry(ctx, r, _why_judge(r, estimate)) for r in rows]
    pmin = dict(
        zip(
            ctx.stats["query_id"].to_pylist(),
            ctx.stats["positive_min"].to_numpy(zero_copy_only=False).tolist(),
            strict=True,
        )
    )
    for row in kept:
        row["margin"] = row["score"] - pmin.get(row["query_id"], np.nan)
    rows = sorted((r for r in kept if np.isfinite(r["margin"])), key=lambda r: -r["margin"])
    return [_entry(ctx, r, _why_score(r)) for r in _preload(ctx, rows[:limit])]


def _preload(ctx: AuditContext, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Read the texts the entries show (negatives and first positives) in one scan."""
    ids = [r["doc_id"] for r in rows]
    ids += [p[0] for r in rows if (p := ctx.positives_by_query.get(r["query_id"]))]
    ctx.doc_text.load(ids)
    return rows


def _entry(ctx: AuditContext, row: dict[str, Any], why: str) -> dict[str, Any]:
    positives = ctx.positives_by_query.get(row["query_id"], [])
    positive = positives[0] if positives else None
    cosine = row.get("pos_cosine")
    return {
        "query_id": row["query_id"],
        "query": _clip(ctx.query_text.get(row["query_id"], "")),
        "positive_id": positive,
        "positive": _clip(ctx.doc_text.get(positive, "")),
        "doc_id": row["doc_id"],
        "negative": _clip(ctx.doc_text.get(row["doc_id"], "")),
        "rank": int(row["rank"]),
        "score": float(row["score"]),
        "judge": row["judge"],
        "pos_cosine": None if cosine is None or not np.isfinite(cosine) else float(cosine),
        "why": why,
    }


def _why_judge(row: dict[str, Any], estimate: JudgeEstimate | None) -> str:
    if estimate is None:
        return f"judge score {row['judge']:.3g}"
    if row["judge"] >= estimate.threshold:
        return (
            f"judge score {row['judge']:.3g} ≥ τ {estimate.threshold:.3g}, the median score "
            "of this dataset's reference positives"
        )
    return (
        f"judge score {row['judge']:.3g}, among the highest of the sampled kept negatives "
        f"(τ {estimate.threshold:.3g})"
    )


def _why_score(row: dict[str, Any]) -> str:
    text = f"retriever score {row['margin']:+.3f} relative to the query's lowest labeled positive"
    cosine = row.get("pos_cosine")
    if cosine is not None and np.isfinite(cosine) and cosine >= 0.9:
        text += f"; cosine {cosine:.2f} to a labeled positive"
    return text


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
