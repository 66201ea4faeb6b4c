"""Hidden-qrels false-negative protocol on NFCorpus and SciFact train.

For every train query keep one random labeled positive (seed 0) and hide the others; mine
with trueneg; a kept negative that is a hidden positive is a *known* false negative. The rate
is a lower bound (qrels are incomplete). Run:

    python -m benchmarks.fn_protocol [--datasets nfcorpus scifact] [--num-negatives 4]

Writes benchmarks/results/fn_protocol.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import trueneg
from benchmarks.common import CACHE, hidden_qrels_split, shared_data, write_result

# name → (filters, sampler); filters=None is trueneg's default chain
STRATEGIES: dict[str, tuple[list[str] | None, str]] = {
    "naive top-k": ([], "top"),
    "percent 0.95, top": (["percent:0.95"], "top"),
    "margin 0.05, top": (["margin:0.05"], "top"),
    "max-score 0.7, top": (["max-score:0.7"], "top"),
    "ranks 10-110, random": (["rank-window:10-110"], "random"),
    "ranks 30-100, random": (["rank-window:30-100"], "random"),
    "percent 0.95, simans": (["percent:0.95"], "simans"),
    "softmax": ([], "softmax"),
    "default (percent 0.95 + near-duplicate 0.95, top)": (None, "top"),
}


def evaluate(run: trueneg.Run, hidden: dict[str, set[str]], k: int) -> dict[str, object]:
    kept = run.negatives(kept_only=True)
    queries = kept["query_id"].to_pylist()
    docs = kept["doc_id"].to_pylist()
    hits = np.array([d in hidden.get(q, ()) for q, d in zip(queries, docs, strict=True)])
    per_query: dict[str, int] = {}
    for q in queries:
        per_query[q] = per_query.get(q, 0) + 1
    summary = run.summary()
    return {
        "kept": len(docs),
        "false_negatives": int(hits.sum()),
        "fn_rate": float(hits.mean()) if len(docs) else 0.0,
        "queries": summary.queries,
        "queries_with_k": sum(1 for n in per_query.values() if n >= k),
        "share_with_k": sum(1 for n in per_query.values() if n >= k) / summary.queries,
    }


def run_dataset(name: str, k: int, seed: int) -> dict[str, dict[str, object]]:
    work = CACHE / f"fn-{name}"
    hidden = hidden_qrels_split(shared_data() / name, "train", work / "data", seed=seed)
    rows = {}
    for label, (filters, sampler) in STRATEGIES.items():
        slug = "".join(c if c.isalnum() else "-" for c in label)[:40]
        start = time.perf_counter()
        run = trueneg.mine(work / "data", work / "runs" / slug, filters=filters,
                           sampler=sampler, num_negatives=k, seed=seed,
                           extra={"cache_dir": str(work / "embeddings")}, show_progress=True)
        rows[label] = {**evaluate(run, hidden, k), "seconds": round(time.perf_counter() - start, 1),
                       "filters": run.manifest["config"]["filters"], "sampler": sampler}
        print(f"{name:9s} {label:52s} FN {rows[label]['fn_rate']:.1%}  "
              f"kept {rows[label]['kept']}  full {rows[label]['share_with_k']:.1%}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["nfcorpus", "scifact"])
    parser.add_argument("--num-negatives", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results = {name: run_dataset(name, args.num_negatives, args.seed) for name in args.datasets}
    path = write_result("fn_protocol.json", {
        "protocol": "one random labeled positive kept per train query (seed 0), the rest hidden",
        "model": "all-MiniLM-L6-v2 (bundled)", "retriever": "exact", "depth": 100,
        "num_negatives": args.num_negatives, "results": results})
    print(f"\nwrote {path}\n")
    print("| dataset | strategy | FN rate | kept | queries with k |")
    print("|---|---|---|---|---|")
    for name, rows in results.items():
        for label, row in rows.items():
            print(f"| {name} | {label} | {row['fn_rate']:.1%} | {row['kept']:,} | "
                  f"{row['share_with_k']:.1%} |")


if __name__ == "__main__":
    main()
