"""Hidden-qrels false-negative protocol on NFCorpus and SciFact train.

For every train query keep one random labeled positive (seed 0) and hide the others; mine
with trueneg; a kept negative that is a hidden positive is a *known* false negative. The rate
is a lower bound (qrels are incomplete). Run:

    python -m benchmarks.quality.fn_protocol [--datasets nfcorpus scifact] [--num-negatives 4] \\
        [--seed S]
    python -m benchmarks.quality.fn_protocol --judge .models/ms-marco-MiniLM-L-12-v2 \\
        [--judge-queries 300]

Writes benchmarks/results/fn_protocol.json (``_seedS`` for another hidden split,
fn_protocol_judge.json with --judge) and prints
a Markdown table. With --judge every strategy also runs with ``judge-threshold`` on a random
query subsample (the judge scores the top ``--judge-depth`` candidates of each query), and the
judge's own precision and recall at finding the hidden positives are reported.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np

import trueneg
from benchmarks.common import CACHE, shared_data, write_result
from trueneg.compare.hidden import false_negative_rate, hide_extra_positives
from trueneg.compare.negatives import negative_stats

# name → (filters, sampler); filters=None with sampler "auto" is trueneg's default, auto
STRATEGIES: dict[str, tuple[list[str] | None, str]] = {
    "auto (the default)": (None, "auto"),
    "naive top-k": ([], "top"),
    "percent 0.95, top": (["percent:0.95"], "top"),
    "margin 0.05, top": (["margin:0.05"], "top"),
    "max-score 0.7, top": (["max-score:0.7"], "top"),
    "ranks 10-110, random": (["rank-window:10-110"], "random"),
    "ranks 10-110, top": (["rank-window:10-110"], "top"),
    "ranks 10-40, random": (["rank-window:10-40"], "random"),
    "ranks 30-100, random": (["rank-window:30-100"], "random"),
    "percent 0.95, simans": (["percent:0.95"], "simans"),
    "softmax": ([], "softmax"),
    "percent 0.95 + near-duplicate 0.95, top": (["percent:0.95", "near-duplicate:0.95"], "top"),
    "auto, cost 3": (None, "auto"),
    "auto, cost 2": (None, "auto"),
}
# further mine() settings of a strategy: auto with a lower cost of a false negative
SETTINGS: dict[str, dict[str, object]] = {
    "auto, cost 3": {"auto_cost": 3},
    "auto, cost 2": {"auto_cost": 2},
}


def evaluate(run: trueneg.Run, hidden: dict[str, list[str]], k: int) -> dict[str, object]:
    kept = run.negatives(kept_only=True)
    counted = false_negative_rate(kept, hidden)
    per_query: dict[str, int] = {}
    for q in kept["query_id"].to_pylist():
        per_query[q] = per_query.get(q, 0) + 1
    summary = run.summary()
    hardness = negative_stats(kept)  # their rank and score under the mining model
    return {
        "kept": counted["kept"],
        "median_rank": hardness["median_rank"],
        "mean_score": hardness["mean_score"],
        "false_negatives": counted["false_negatives"],
        "fn_rate": counted["fn_rate"],
        "queries": summary.queries,
        "queries_with_k": sum(1 for n in per_query.values() if n >= k),
        "share_with_k": sum(1 for n in per_query.values() if n >= k) / summary.queries,
    }


def run_dataset(name: str, k: int, seed: int) -> dict[str, dict[str, object]]:
    work = CACHE / f"fn-{name}"
    hidden = hide_extra_positives(
        shared_data() / name, "train", work / "data", seed=seed, overwrite=True
    )
    rows = {}
    for label, (filters, sampler) in STRATEGIES.items():
        slug = "".join(c if c.isalnum() else "-" for c in label)[:40]
        start = time.perf_counter()
        run = trueneg.mine(
            work / "data",
            work / "runs" / slug,
            filters=filters,
            sampler=sampler,
            num_negatives=k,
            seed=seed,
            extra={"cache_dir": str(work / "embeddings")},
            show_progress=True,
            **SETTINGS.get(label, {}),
        )
        rows[label] = {
            **evaluate(run, hidden, k),
            "seconds": round(time.perf_counter() - start, 1),
            "filters": run.manifest["config"]["filters"],
            "sampler": run.manifest["config"]["sampler"],
        }
        if run.manifest.get("auto"):
            rows[label]["auto"] = run.manifest["auto"]
        print(
            f"{name:9s} {label:52s} FN {rows[label]['fn_rate']:.1%}  "
            f"kept {rows[label]['kept']}  full {rows[label]['share_with_k']:.1%}",
            flush=True,
        )
    return rows


def subsample(data: Path, dest: Path, queries: int, seed: int) -> Path:
    """A copy of the hidden split restricted to ``queries`` random queries (same corpus)."""
    lines = (data / "qrels" / "train.tsv").read_text(encoding="utf-8").splitlines()
    chosen = set(random.Random(seed).sample(sorted({x.split("\t")[0] for x in lines[1:]}), queries))
    (dest / "qrels").mkdir(parents=True, exist_ok=True)
    kept = [lines[0], *(x for x in lines[1:] if x.split("\t")[0] in chosen)]
    (dest / "qrels" / "train.tsv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (dest / name).exists():
            (dest / name).symlink_to((data / name).resolve())
    return dest


def judge_quality(run: trueneg.Run, hidden: dict[str, list[str]], tau: float) -> dict:
    """Precision/recall of ``judge ≥ tau`` at finding hidden positives among judged candidates,
    and the AUC of the judge score for that task."""
    rows = run.negatives().to_pylist()
    judged = [r for r in rows if r["judge"] == r["judge"]]
    truth = np.array([r["doc_id"] in hidden.get(r["query_id"], ()) for r in judged])
    score = np.array([r["judge"] for r in judged])
    flagged = score >= tau
    order = np.argsort(score, kind="stable")
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    pos, neg = truth.sum(), (~truth).sum()
    auc = (ranks[truth].sum() - pos * (pos + 1) / 2) / (pos * neg) if pos and neg else None
    return {
        "judged_candidates": len(judged),
        "hidden_among_judged": int(pos),
        "precision": float((flagged & truth).sum() / max(flagged.sum(), 1)),
        "recall": float((flagged & truth).sum() / max(pos, 1)),
        "flagged": int(flagged.sum()),
        "auc": auc,
        "threshold": tau,
    }


def run_judged(
    name: str, judge: str, k: int, seed: int, queries: int, depth: int, tau: float
) -> dict[str, object]:
    """Each strategy with and without ``judge-threshold`` on a query subsample."""
    work = CACHE / f"fn-{name}"
    hidden = hide_extra_positives(
        shared_data() / name, "train", work / "data", seed=seed, overwrite=True
    )
    data = subsample(work / "data", work / f"judge-{queries}", queries, seed)
    rows: dict[str, object] = {}
    for label, (filters, sampler) in STRATEGIES.items():
        for with_judge in (False, True):
            if filters is None:  # auto adds its own judge filter
                chain = None
            else:
                chain = [*filters, f"judge-threshold:{tau}"] if with_judge else list(filters)
            if filters is None:
                tag = f"{label} + judge (percent 0.95@judge)" if with_judge else label
            else:
                tag = f"{label} + judge-threshold {tau}" if with_judge else label
            slug = "".join(c if c.isalnum() else "-" for c in tag)[:60]
            use_judge = judge if with_judge or filters is not None else None
            run = trueneg.mine(
                data,
                work / "judge-runs" / slug,
                filters=chain,
                sampler=sampler,
                num_negatives=k,
                seed=seed,
                judge=use_judge,
                judge_depth=depth,
                extra={"cache_dir": str(work / "embeddings")},
                show_progress=True,
                **SETTINGS.get(label, {}),
            )
            rows[tag] = {
                **evaluate(run, hidden, k),
                "filters": run.manifest["config"]["filters"],
                "sampler": run.manifest["config"]["sampler"],
            }
            print(
                f"{name:9s} {tag:72s} FN {rows[tag]['fn_rate']:.1%}  "
                f"full {rows[tag]['share_with_k']:.1%}",
                flush=True,
            )
    rows["judge quality"] = judge_quality(run, hidden, tau)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["nfcorpus", "scifact"])
    parser.add_argument("--num-negatives", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--judge",
        help="cross-encoder folder: also run every strategy with "
        "judge-threshold, on a query subsample",
    )
    parser.add_argument("--judge-queries", type=int, default=300)
    parser.add_argument("--judge-depth", type=int, default=10)
    parser.add_argument("--judge-threshold", type=float, default=0.1)
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="STRATEGY",
        help="run only these strategies (labels as in the table)",
    )
    parser.add_argument(
        "--out",
        help="result file name (default: fn_protocol.json, "
        "fn_protocol_seedS.json or fn_protocol_judge.json)",
    )
    args = parser.parse_args()
    if args.only:
        unknown = sorted(set(args.only) - set(STRATEGIES))
        if unknown:
            parser.error(f"unknown strategies {unknown}; known: {sorted(STRATEGIES)}")
        for label in set(STRATEGIES) - set(args.only):
            del STRATEGIES[label]
    if args.judge:
        judged = {
            name: run_judged(
                name,
                args.judge,
                args.num_negatives,
                args.seed,
                args.judge_queries,
                args.judge_depth,
                args.judge_threshold,
            )
            for name in args.datasets
        }
        path = write_result(
            args.out or "fn_protocol_judge.json",
            {
                "protocol": "hidden qrels as in fn_protocol.json, on a random query subsample",
                "judge": args.judge,
                "judge_depth": args.judge_depth,
                "judge_queries": args.judge_queries,
                "num_negatives": args.num_negatives,
                "results": judged,
            },
        )
        print(f"wrote {path}")
        return
    results = {name: run_dataset(name, args.num_negatives, args.seed) for name in args.datasets}
    name = args.out or (
        "fn_protocol.json" if args.seed == 0 else f"fn_protocol_seed{args.seed}.json"
    )
    path = write_result(
        name,
        {
            "protocol": f"one random labeled positive kept per train query (seed {args.seed}), "
            "the rest hidden",
            "model": "all-MiniLM-L6-v2 (bundled)",
            "retriever": "exact",
            "depth": 100,
            "num_negatives": args.num_negatives,
            "results": results,
        },
    )
    print(f"\nwrote {path}\n")
    print("| dataset | strategy | FN rate | kept | queries with k | median rank |")
    print("|---|---|---|---|---|---|")
    for name, rows in results.items():
        for label, row in rows.items():
            rank = "—" if row["median_rank"] is None else f"{row['median_rank']:g}"
            print(
                f"| {name} | {label} | {row['fn_rate']:.1%} | {row['kept']:,} | "
                f"{row['share_with_k']:.1%} | {rank} |"
            )


if __name__ == "__main__":
    main()
