"""What each use of the judge's verdict does to the negatives, under the hidden-qrels protocol.

On a random subsample of NFCorpus and SciFact train queries (one labeled positive kept per
query, the others hidden; ``fn_protocol``'s split), the bundled judge scores each query's top
``--judge-depth`` candidates, shared by every row through one cache. For each row:

* the known false-negative rate of the kept negatives (hidden positives among them);
* relabels: how many candidates became positives, how many of them are hidden positives (a
  lower bound on the relabels' precision: a relabeled document nobody labeled may be relevant
  too) and which share of the judged hidden positives were relabeled (their recall);
* down-weighting: the mean weight of kept hidden positives against the other kept negatives,
  and the weighted false-negative rate ``Σ w·[hidden] / Σ w`` that the loss sees;
* ``auto``'s relabel decision and its evidence.

No training: what the negatives are, not what a model learns from them (that is
``benchmarks/configs/compare_judge_verdict.toml``). Run:

    python -m benchmarks.quality.verdict_fn --judge .models/ms-marco-MiniLM-L-12-v2 \\
        [--queries 200] [--judge-depth 10]

Writes benchmarks/results/verdict_fn.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import trueneg
from benchmarks.common import CACHE, shared_data, write_result
from benchmarks.quality.fn_protocol import evaluate, subsample
from trueneg.compare.hidden import hide_extra_positives, relabel_precision

# name → mine() settings besides the judge
ROWS: dict[str, dict[str, object]] = {
    "auto + judge, filter only": {"relabel": "off"},
    "auto + judge (auto decides relabeling)": {},
    "auto + judge, relabel on": {"relabel": "on"},
    "naive top-4 + relabel on": {"filters": [], "sampler": "top", "relabel": "on"},
    "naive top-4, relative weights": {
        "filters": [],
        "sampler": "top",
        "negative_weights": "relative",
    },
    "naive top-4, judge weights": {"filters": [], "sampler": "top", "negative_weights": "judge"},
    "percent 0.95, mix 0.5": {"filters": ["percent:0.95"], "sampler": "mix:0.5"},
}


def weighted(run: trueneg.Run, hidden: dict[str, list[str]]) -> dict[str, float]:
    """Mean weight of kept hidden positives and of the other kept negatives, and the weighted
    false-negative rate (empty when the run has no weights)."""
    kept = run.negatives(kept_only=True)
    if "weight" not in kept.column_names or not kept.num_rows:
        return {}
    lookup = {q: set(d) for q, d in hidden.items()}
    pairs = zip(kept["query_id"].to_pylist(), kept["doc_id"].to_pylist(), strict=True)
    is_fn = np.array([d in lookup.get(q, ()) for q, d in pairs])
    w = kept["weight"].to_numpy(zero_copy_only=False).astype(np.float64)
    return {
        "mean_weight_false_negatives": float(w[is_fn].mean()) if is_fn.any() else float("nan"),
        "mean_weight_others": float(w[~is_fn].mean()) if (~is_fn).any() else float("nan"),
        "weighted_fn_rate": float((w * is_fn).sum() / w.sum()) if w.sum() else 0.0,
    }


def relabel_recall(run: trueneg.Run, hidden: dict[str, list[str]]) -> dict[str, float]:
    """Share of the judged candidates that are hidden positives which were relabeled."""
    table = run.negatives()
    if "judge" not in table.column_names:
        return {}
    lookup = {q: set(d) for q, d in hidden.items()}
    judged = np.isfinite(table["judge"].to_numpy(zero_copy_only=False).astype(np.float64))
    pairs = zip(table["query_id"].to_pylist(), table["doc_id"].to_pylist(), strict=True)
    is_hidden = np.array([d in lookup.get(q, ()) for q, d in pairs]) & judged
    relabeled = np.array([r == "relabel" for r in table["reason"].to_pylist()])
    found = int((is_hidden & relabeled).sum())
    total = int(is_hidden.sum())
    return {"judged_hidden_positives": total, "relabeled_hidden_positives": found}


def run_dataset(name: str, judge: str, queries: int, depth: int, seed: int, k: int) -> dict:
    work = CACHE / f"fn-{name}"
    hidden = hide_extra_positives(
        shared_data() / name, "train", work / "data", seed=seed, overwrite=True
    )
    data = subsample(work / "data", work / f"judge-{queries}", queries, seed)
    rows: dict[str, object] = {}
    for label, settings in ROWS.items():
        slug = "".join(c if c.isalnum() else "-" for c in label)[:60]
        start = time.perf_counter()
        run = trueneg.mine(
            data,
            work / "verdict-runs" / slug,
            num_negatives=k,
            seed=seed,
            judge=judge,
            judge_depth=depth,
            cache_dir=str(work / "embeddings"),
            show_progress=True,
            **settings,
        )
        row = {
            **evaluate(run, hidden, k),
            **relabel_precision(run.negatives(), hidden),
            **relabel_recall(run, hidden),
            **weighted(run, hidden),
            "seconds": round(time.perf_counter() - start, 1),
            "filters": run.manifest["config"]["filters"],
            "sampler": run.manifest["config"]["sampler"],
        }
        auto = run.manifest.get("auto") or {}
        if auto.get("evidence", {}).get("relabel"):
            row["auto_relabel"] = auto["evidence"]["relabel"]
        rows[label] = row
        print(f"{name:9s} {label:42s} " + _line(row), flush=True)
    return rows


def _line(row: dict) -> str:
    parts = [f"FN {row['fn_rate']:.1%}", f"full {row['share_with_k']:.0%}"]
    if "relabeled" in row:
        parts.append(f"relabeled {row['relabeled']} ({row['hidden_positives']} hidden)")
    if "weighted_fn_rate" in row:
        parts.append(f"weighted FN {row['weighted_fn_rate']:.1%}")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", required=True)
    parser.add_argument("--datasets", nargs="+", default=["scifact", "nfcorpus"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--judge-depth", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-negatives", type=int, default=4)
    parser.add_argument("--out", default="verdict_fn.json")
    args = parser.parse_args()
    results = {
        name: run_dataset(
            name, args.judge, args.queries, args.judge_depth, args.seed, args.num_negatives
        )
        for name in args.datasets
    }
    write_result(
        args.out,
        {
            "judge": args.judge,
            "queries": args.queries,
            "judge_depth": args.judge_depth,
            "seed": args.seed,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
