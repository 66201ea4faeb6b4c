"""``auto`` on small data: 10 random subsets of 30 training queries, NFCorpus and SciFact.

The hidden-qrels protocol of ``fn_protocol`` (one labeled positive kept per train query, seed 0)
on subsets of 30 random queries each (seeds 0-9; the whole corpus stays): ``auto`` mines each
subset, and the kept negatives that are hidden positives are counted. Beside them, full-data
``auto`` from ``benchmarks/results/fn_protocol.json``. Target: every subset keeps >= 99% of its
queries at 4 negatives, with a false-negative rate no more than 3 points above full data. Run:

    python -m benchmarks.quality.auto_small [--subsets 10] [--queries 30]

Writes benchmarks/results/auto_small.json.
"""

from __future__ import annotations

import argparse
import json

import trueneg
from benchmarks.common import CACHE, RESULTS, shared_data, write_result
from benchmarks.quality.fn_protocol import evaluate, subsample
from trueneg.compare.hidden import hide_extra_positives

K = 4


def full_data_auto() -> dict[str, float]:
    """Full-data ``auto``'s hidden-qrels rate per dataset, as fn_protocol measured it."""
    path = RESULTS / "fn_protocol.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    rows = data.get("results", data)
    return {
        name: rows[name]["auto (the default)"]["fn_rate"]
        for name in ("nfcorpus", "scifact")
        if name in rows and "auto (the default)" in rows[name]
    }


def run_subset(name: str, hidden: dict, index: int, queries: int) -> dict:
    work = CACHE / f"fn-{name}"
    data = subsample(work / "data", work / "small" / f"q{queries}-s{index}", queries, index)
    run = trueneg.mine(
        data,
        work / "small-runs" / f"q{queries}-s{index}",
        num_negatives=K,
        cache_dir=str(work / "embeddings"),
        show_progress=False,
    )
    row = evaluate(run, hidden, K)
    auto = run.manifest["auto"]
    row.update(filters=run.manifest["config"]["filters"], sampler=auto["sampler"])
    row["reason"] = auto["reason"]
    print(
        f"{name} subset {index}: FN {row['fn_rate']:.1%}, {row['share_with_k']:.0%} of queries "
        f"with {K}, {' '.join(row['filters'])} {row['sampler']}",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subsets", type=int, default=10)
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()
    full = full_data_auto()
    out: dict = {"queries_per_subset": args.queries, "full_data_auto": full, "datasets": {}}
    for name in ("nfcorpus", "scifact"):
        hidden = hide_extra_positives(
            shared_data() / name, "train", CACHE / f"fn-{name}" / "data", seed=0, overwrite=True
        )
        rows = [run_subset(name, hidden, i, args.queries) for i in range(args.subsets)]
        fn = [r["fn_rate"] for r in rows]
        full_share = [r["share_with_k"] for r in rows]
        out["datasets"][name] = {
            "subsets": rows,
            "mean_fn_rate": sum(fn) / len(fn),
            "worst_fn_rate": max(fn),
            "mean_share_with_k": sum(full_share) / len(full_share),
            "worst_share_with_k": min(full_share),
        }
        summary = out["datasets"][name]
        print(
            f"{name}: FN mean {summary['mean_fn_rate']:.1%}, worst {summary['worst_fn_rate']:.1%}"
            f" (full data {full.get(name, float('nan')):.1%}); queries with {K}: mean "
            f"{summary['mean_share_with_k']:.1%}, worst {summary['worst_share_with_k']:.1%}",
            flush=True,
        )
    print(f"wrote {write_result('auto_small.json', out)}")


if __name__ == "__main__":
    main()
