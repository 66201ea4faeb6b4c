"""Rich rendering of a Summary for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from trueneg.select.relabel import RELABEL
from trueneg.summary import QUANTILES, SCORE_GROUPS, Summary, training_queries_line


def print_summary(summary: Summary, console: Console, run_path: str | None = None) -> None:
    head = Table(title="trueneg summary", show_header=False, title_justify="left")
    head.add_column("what")
    head.add_column("value", justify="right")
    head.add_row("queries", f"{summary.queries:,}")
    k = summary.num_negatives
    head.add_row(f"  with {k} negative{'s' if k != 1 else ''}", f"{summary.queries_full:,}")
    head.add_row(f"  short of {k}", f"{summary.queries_short:,}")
    if summary.queries_dropped:
        head.add_row("  dropped for being short", f"{summary.queries_dropped:,}")
    head.add_row("candidates", f"{summary.candidates:,}")
    head.add_row("kept negatives", f"{summary.kept:,}")
    for reason, rows in sorted(summary.dropped.items(), key=lambda kv: -kv[1]):
        what = "relabeled as positives" if reason == RELABEL else f"dropped: {reason}"
        head.add_row(f"  {what}", f"{rows:,}")
    console.print(head)

    scores = Table(title="score quantiles", title_justify="left")
    scores.add_column("")
    names = [f"q{int(q * 100)}" for q in QUANTILES]
    for name in names:
        scores.add_column(name, justify="right")
    for label in SCORE_GROUPS:
        quantiles = summary.score_quantiles.get(label, {})
        scores.add_row(label, *(_fmt(quantiles.get(name, float("nan"))) for name in names))
    console.print(scores)

    if summary.auto:
        print_auto(summary.auto, console)
    if "recall_at_depth" in summary.retrieval:
        r = summary.retrieval
        console.print(
            f"{r['retriever']}: recall@{r['depth']} vs exact search "
            f"{r['recall_at_depth']:.3f} on {r['sample_queries']:,} sampled queries"
        )
    if summary.rescore:
        r = summary.rescore
        console.print(
            f"judge: {r.get('pairs', 0):,} pairs ({r.get('pairs_scored', 0):,} newly "
            f"scored, {r.get('pairs_per_s', 0):.1f} pairs/s) with {r.get('judge')}"
        )
        for line in judge_cost_lines(r):
            console.print(f"  {line}")
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in summary.timings.items())
    if timings:
        console.print(f"time: {timings}")
    if run_path:
        console.print(f"run directory: {run_path}")


def judge_cost_lines(rescore: dict) -> list[str]:
    """A remote judge's cost and a cascade's stages, one line each."""
    lines = []
    if rescore.get("cost"):
        lines.append(cost_line(rescore["cost"]))
    cascade = rescore.get("cascade") or {}
    for stage in cascade.get("stages", []):
        line = (
            f"{stage['judge']}: saw {stage['pairs_seen']:,} pairs, scored "
            f"{stage['pairs_scored']:,} new in {stage['seconds']:.1f}s"
        )
        if stage.get("cost"):
            line += f" ({cost_line(stage['cost'])})"
        lines.append(line)
    if "last_judge_alone_seconds" in cascade:
        lines.append(
            f"cascade {cascade['rule']}: the last judge saw {cascade['last_judge_share']:.0%} "
            f"of the pairs; {cascade['cascade_seconds']:.1f}s against about "
            f"{cascade['last_judge_alone_seconds']:.1f}s for the last judge on every pair"
        )
    return lines


def cost_line(cost: dict) -> str:
    """``12 requests, 3,456 tokens, 8.2s`` (tokens only when the server reported them)."""
    parts = [f"{cost.get('requests', 0):,} requests"]
    if cost.get("reported_tokens"):
        tokens = cost.get("prompt_tokens", 0) + cost.get("completion_tokens", 0)
        parts.append(f"{tokens:,} tokens")
    parts.append(f"{cost.get('seconds', 0):.1f}s waiting")
    if cost.get("unparseable"):
        parts.append(f"{cost['unparseable']:,} unparseable answers (scored as relevant)")
    return ", ".join(parts)


def print_auto(auto: dict, console: Console) -> None:
    """What ``auto`` chose, why, and the contamination profile it estimated."""
    ev = auto.get("evidence", {})
    console.print(
        f"auto: {' '.join(auto.get('filters', []))}, sampler {auto.get('sampler')} — "
        f"{auto.get('reason', '')}"
    )
    bound = ev.get("relevant_per_labeled_bound")
    console.print(
        f"  evidence: {ev.get('share_positives_at_rank_1', 0):.0%} of labeled "
        f"positives rank first, median rank {ev.get('median_positive_rank')}; "
        f"≤ {bound if bound is not None else '?'} relevant documents per labeled one"
    )
    profile = ev.get("contamination_by_rank", [])
    if profile:
        cells = ", ".join(f"{k}: {v:.0%}" for k, v in profile)
        console.print(f"  estimated false negatives by rank: {cells}")
    train = auto.get("train_queries")
    if train:
        console.print(f"  {training_queries_line(train)}")
    judged = [(k, v) for k, v in ev.get("judge_bound_by_rank", []) if v < 1]
    if judged:
        cells = ", ".join(f"{k}: {v:.0%}" for k, v in judged)
        console.print(
            f"  judge's bound by rank ({ev.get('judged_positives')} judged positives; the "
            f"estimate above is the lower of the two): {cells}"
        )


def _fmt(value: float) -> str:
    return "—" if value != value else f"{value:.3f}"
