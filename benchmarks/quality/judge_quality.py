"""How good is each judge at finding the false negatives the hidden qrels know? NFCorpus train.

Mines NFCorpus train (every labeled positive) with naive top-4 of all-MiniLM-L6-v2, then runs
``trueneg audit`` with each judge at ``hide_fraction=1``: every query with two or more
positives keeps one and hides the rest (the benchmarks' hidden-qrels protocol), naive top-4 is
replayed, and the audit's judge-quality part (:mod:`trueneg.audit.judge_quality`) measures the
judge on the candidates it keeps: ROC AUC, precision and recall at the operating thresholds,
calibration, the fLaws ceiling; beside it, the audit's judge estimate and its 95% interval
width. Pairs/s is timed apart, on 64 kept pairs, after a warm-up. Run:

    python -m benchmarks.quality.judge_quality [--judges FOLDER ...] [--queries N]

The cross-encoder scores a few pairs/s on a 2-core CPU: ``--queries N`` audits N random
eligible queries (the whole corpus stays). Writes benchmarks/results/judge_quality_nfcorpus.json
(``_qN`` for a subset), or ``--out NAME`` there.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
from pathlib import Path
from typing import Any

import trueneg
from benchmarks.common import CACHE, ROOT, shared_data, write_result
from trueneg.rescore import load_judge

JUDGES = (ROOT / ".models" / "ms-marco-MiniLM-L-12-v2", ROOT / ".models" / "bge-small-en")
K = 4


def eligible_subset(source: Path, dest: Path, queries: int | None, seed: int) -> Path:
    """``source``'s train split with only ``queries`` random queries that have two or more
    positives (all of them when None); corpus and query texts are linked, not copied."""
    lines = (source / "qrels" / "train.tsv").read_text(encoding="utf-8").splitlines()
    positives: dict[str, int] = {}
    for line in lines[1:]:
        q, _, score = line.split("\t")
        positives[q] = positives.get(q, 0) + (int(score) > 0)
    eligible = sorted(q for q, n in positives.items() if n >= 2)
    chosen = set(eligible if queries is None else random.Random(seed).sample(eligible, queries))
    (dest / "qrels").mkdir(parents=True, exist_ok=True)
    kept = [lines[0], *(x for x in lines[1:] if x.split("\t")[0] in chosen)]
    (dest / "qrels" / "train.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    for name in ("corpus.jsonl", "queries.jsonl"):
        link = dest / name
        if not link.exists():
            link.symlink_to((source / name).resolve())
    return dest


def pairs_per_second(judge: Any, run: trueneg.Run, n: int = 64) -> float:
    """Throughput of ``judge.score`` on ``n`` kept (query, negative) pairs of ``run``."""
    dataset = run.dataset()
    queries = dict(zip(dataset.queries["query_id"].to_pylist(), dataset.query_texts(), strict=True))
    docs = dict(zip(dataset.corpus["doc_id"].to_pylist(), dataset.doc_texts(), strict=True))
    kept = run.negatives(kept_only=True).slice(0, n)
    q = [queries[x] for x in kept["query_id"].to_pylist()]
    d = [docs[x] for x in kept["doc_id"].to_pylist()]
    judge.score(q[:8], d[:8])  # warm-up: session, tokenizer
    start = time.perf_counter()
    for i in range(0, len(q), 32):
        judge.score(q[i : i + 32], d[i : i + 32])
    return len(q) / (time.perf_counter() - start)


def judge_row(judge_path: Path, run: trueneg.Run, budget: int, seed: int) -> dict[str, Any]:
    judge = load_judge(str(judge_path))
    start = time.perf_counter()
    report = trueneg.audit(
        run, judge=judge, hide_fraction=1.0, judge_sample=budget, seed=seed, show_progress=True
    )
    seconds = time.perf_counter() - start
    quality, estimate = report.judge_quality, report.judge_estimate
    row: dict[str, Any] = {
        "judge": judge_path.name,
        "kind": judge.kind,
        "pairs_per_s": round(pairs_per_second(judge, run), 2),
        "audit_seconds": round(seconds, 1),
        "hidden_qrels_false_negative_rate": report.hidden_qrels_false_negative_rate,
        "judge_quality": dataclasses.asdict(quality) if quality else None,
        "not_computed": {k: v for k, v in report.unavailable.items() if k.startswith("judge")},
    }
    if estimate is not None:
        row["judge_estimate"] = {
            "estimated_false_negative_rate": estimate.estimated_false_negative_rate,
            "ci_low": estimate.ci_low,
            "ci_high": estimate.ci_high,
            "ci_width": estimate.ci_high - estimate.ci_low,
            "pairs": estimate.pairs,
            "pairs_for_width": estimate.pairs_for_width,
            "threshold": estimate.threshold,
        }
    return row


def headline(row: dict[str, Any]) -> str:
    """One line per judge: AUC, precision and recall at each operating point, speed, width."""
    quality = row["judge_quality"] or {}
    auc = (quality.get("auc") or {}).get("value")
    points = "; ".join(
        f"{p['name']}: P {_rate(p['precision'])} R {_rate(p['recall'])}"
        for p in quality.get("operating_points") or []
    )
    width = (row.get("judge_estimate") or {}).get("ci_width")
    return (
        f"{row['judge']}: AUC {_rate(auc)}  {points}  {row['pairs_per_s']} pairs/s  "
        f"estimate CI width {_rate(width)}"
    )


def _rate(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("rate")
    return "n/a" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judges", nargs="+", type=Path, default=list(JUDGES))
    parser.add_argument("--queries", type=int, default=None, help="random eligible queries")
    parser.add_argument(
        "--judge-sample",
        type=int,
        default=None,
        help="pairs for the estimate and again for judge quality (default: 8 per query)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", help="results file name (default judge_quality_nfcorpus[_qN].json)"
    )
    args = parser.parse_args()
    suffix = f"_q{args.queries}" if args.queries else ""
    work = CACHE / f"judge-quality-nfcorpus{suffix}"
    data = eligible_subset(shared_data() / "nfcorpus", work / "data", args.queries, args.seed)
    run = trueneg.mine(
        data,
        work / "naive-top4",
        filters=[],
        sampler="top",
        num_negatives=K,
        cache_dir=str(CACHE / "fn-nfcorpus" / "embeddings"),
        show_progress=True,
    )
    queries = run.summary().queries
    budget = args.judge_sample or max(300, 2 * K * queries)
    rows = [judge_row(path, run, budget, args.seed) for path in args.judges]
    for row in rows:
        print(headline(row), flush=True)
    path = write_result(
        args.out or f"judge_quality_nfcorpus{suffix}.json",
        {
            "dataset": "nfcorpus",
            "split": "train",
            "protocol": "hidden qrels, one positive kept per query (hide_fraction=1), naive top-4 "
            "of all-MiniLM-L6-v2",
            "queries": queries,
            "judge_sample": budget,
            "seed": args.seed,
            "results": rows,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
