"""Does the judge estimate agree with the hidden-qrels count? NFCorpus train, full size.

Mines NFCorpus train with all its labeled positives (naive top-4, percent:0.95 +
near-duplicate:0.95, ranks 30-100 random), then runs ``trueneg audit`` with the ms-marco
judge: the audit hides half of each query's positives, re-mines, counts hidden positives
among the kept negatives, and estimates the same rate from the judge's scores. Run:

    python -m benchmarks.quality.audit_agreement --judge .models/ms-marco-MiniLM-L-12-v2

Writes benchmarks/results/audit_agreement.json.
"""

from __future__ import annotations

import argparse
import time

import trueneg
from benchmarks.common import CACHE, shared_data, write_result

CONFIGS = {
    "naive top-4": {"filters": [], "sampler": "top"},
    "percent 0.95 + near-duplicate 0.95, top": {
        "filters": ["percent:0.95", "near-duplicate:0.95"],
        "sampler": "top",
    },
    "ranks 30-100, random": {"filters": ["rank-window:30-100"], "sampler": "random"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", required=True)
    parser.add_argument("--dataset", default="nfcorpus")
    parser.add_argument("--judge-sample", type=int, default=300)
    args = parser.parse_args()
    work = CACHE / f"audit-{args.dataset}"
    rows = {}
    for label, config in CONFIGS.items():
        slug = "".join(c if c.isalnum() else "-" for c in label)[:40]
        run = trueneg.mine(
            shared_data() / args.dataset,
            work / slug,
            num_negatives=4,
            cache_dir=str(CACHE / f"fn-{args.dataset}" / "embeddings"),
            **config,
        )
        start = time.perf_counter()
        report = trueneg.audit(
            run, judge=args.judge, judge_sample=args.judge_sample, show_progress=True
        )
        report.save(run.path / "audit.json")
        data = report.to_dict()
        estimate = data["judge_estimate"] or {}
        rows[label] = {
            "hidden_qrels_false_negative_rate": data["hidden_qrels_false_negative_rate"],
            "estimated_false_negative_rate": data["estimated_false_negative_rate"],
            "ci_low": data["ci_low"],
            "ci_high": data["ci_high"],
            "agrees": (
                data["ci_low"] is not None
                and data["hidden_qrels_false_negative_rate"] is not None
                and data["ci_low"] <= data["hidden_qrels_false_negative_rate"] <= data["ci_high"]
            ),
            "calibration": estimate.get("calibration"),
            "validation": estimate.get("validation"),
            "depth": (data["depth"] or {}).get("rank_window_filter"),
            "audit_seconds": round(time.perf_counter() - start, 1),
            "kept": run.summary().kept,
            "queries_full": run.summary().queries_full,
        }
        print(
            label,
            {
                k: rows[label][k]
                for k in (
                    "hidden_qrels_false_negative_rate",
                    "estimated_false_negative_rate",
                    "ci_low",
                    "ci_high",
                    "agrees",
                    "depth",
                )
            },
            flush=True,
        )
    path = write_result(
        "audit_agreement.json",
        {
            "dataset": args.dataset,
            "split": "train",
            "judge": args.judge,
            "judge_sample": args.judge_sample,
            "hide_fraction": 0.5,
            "results": rows,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
