"""Rerankers trained on trueneg's negatives against rerankers trained on naive negatives.

SciFact train is mined three times with the bundled all-MiniLM-L6-v2: naive top-4 (no
filter, the 4 highest-ranked non-positives), trueneg's default (``auto``) and ``auto``'s
filters with ``--sampler random`` (4 negatives drawn across its window). A cross-encoder is
trained from all-MiniLM-L6-v2 (a new 1-label head) on each run's labeled pairs (``bce``: positive 1,
each kept negative 0), then reranks the bi-encoder's top 100 on SciFact test; the first
stage's own scores are reported beside. Every step is kept in ``benchmarks/.cache/reranker-
scifact`` (a folder per training recipe) and skipped on the next call (an interrupted training
resumes from its checkpoint), so more seeds can be added later. The defaults fit 2 CPU cores:
2 epochs of batch 16 at 128 tokens and lr 5e-5, about 12 minutes of training and 10 of
reranking (30,000 pairs) per cell. Run:

    python -m benchmarks.quality.reranker [--seed 0 --seed 1 ...] [--epochs 2] [--lr 5e-5] \\
        [--batch-size 16] [--max-seq-length 128] [--max-steps N] [--loss bce] [--top 100]

Writes benchmarks/results/reranker_scifact.json (``_<loss>`` for another loss) and prints a
Markdown table. The corpus embeddings come from ``benchmarks/.cache/fn-scifact/embeddings``
when ``fn_protocol`` left them there (same corpus, same model), else they are encoded once.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import trueneg
from benchmarks.common import CACHE, shared_data, write_result
from trueneg.evaluate import EvalResult, compare, evaluate
from trueneg.train import train

# name → mine() settings; the first is the baseline of the paired tests
MINING: dict[str, dict[str, Any]] = {
    "naive top-4": {"filters": [], "sampler": "top", "num_negatives": 4},
    "trueneg auto (default)": {},
    # auto's filters with negatives drawn across its whole window (the ranks a reranker sees)
    "trueneg auto, --sampler random": {"sampler": "random"},
}
WORK = CACHE / "reranker-scifact"
METRICS = ["ndcg@10", "recall@100", "mrr@10"]


def embeddings() -> Path:
    mined = CACHE / "fn-scifact" / "embeddings"
    return mined if mined.is_dir() else WORK / "embeddings"


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-")


def mine(name: str, settings: dict[str, Any]) -> trueneg.Run:
    return trueneg.mine(
        shared_data() / "scifact",
        WORK / "runs" / slug(name),
        split="train",
        seed=0,
        device="cpu",
        cache_dir=str(embeddings()),
        show_progress=True,
        **settings,
    )


def cell(run: trueneg.Run, name: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Train (unless done) and evaluate (unless done) one reranker."""
    folder = WORK / recipe(args) / f"{slug(name)}-seed{seed}"
    model = folder / "model"
    if not (model / "README.md").is_file():
        result = train(
            run,
            model,
            model_type="cross-encoder",
            loss=args.loss,
            epochs=args.epochs,
            lr=args.lr,
            batch_size=args.batch_size,
            max_seq_length=args.max_seq_length,
            max_steps=args.max_steps,
            seed=seed,
            device="cpu",
            show_progress=True,
        )
        (folder / "train.json").write_text(_json(result.to_dict()), encoding="utf-8")
    saved = folder / "eval.json"
    if not saved.is_file():
        result = evaluate(
            model,
            shared_data() / "scifact",
            split="test",
            rerank=True,
            top=args.top,
            batch_size=args.batch_size,
            device="cpu",
            cache_dir=embeddings(),
            name=name,
            show_progress=True,
        )
        result.save(saved)
    return {"folder": str(folder.relative_to(CACHE.parent.parent)), "eval": EvalResult.load(saved)}


def recipe(args: argparse.Namespace) -> str:
    """The training settings in a folder name, so other settings never reuse a cell."""
    steps = f"-s{args.max_steps}" if args.max_steps > 0 else ""
    return (
        f"{args.loss}-lr{args.lr:g}-e{args.epochs:g}-b{args.batch_size}-L{args.max_seq_length}"
        + steps
    )


def summary(run: trueneg.Run) -> dict[str, Any]:
    manifest = run.manifest
    auto = manifest.get("auto") or {}
    kept = run.negatives(kept_only=True)
    return {
        "filters": auto.get("filters", manifest["config"]["filters"]),
        "sampler": auto.get("sampler", manifest["config"]["sampler"]),
        "kept": kept.num_rows,
        "queries": manifest["counts"]["queries"],
        "train_queries": auto.get("train_queries"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--loss", default="bce")
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--top", type=int, default=100)
    args = parser.parse_args()
    seeds = args.seed or [0]
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    first = evaluate(
        None, shared_data() / "scifact", split="test", cache_dir=embeddings(), device="cpu"
    )
    rows: dict[str, Any] = {}
    results: dict[str, list[EvalResult]] = {}
    for name, settings in MINING.items():
        run = mine(name, settings)
        cells = [cell(run, name, seed, args) for seed in seeds]
        results[name] = [c["eval"] for c in cells]
        rows[name] = {
            "mining": summary(run),
            "cells": [
                {"seed": s, "folder": c["folder"], **c["eval"].to_dict()}
                for s, c in zip(seeds, cells, strict=True)
            ],
        }
    table = compare(results, METRICS)
    payload = {
        "dataset": "scifact",
        "train_split": "train",
        "eval_split": "test",
        "first_stage": {"model": "all-MiniLM-L6-v2 (bundled)", **first.scores},
        "reranker": {
            "base_model": "all-MiniLM-L6-v2 (bundled), new 1-label head",
            "loss": args.loss,
            "epochs": args.epochs,
            "learning_rate": args.lr,
            "batch_size": args.batch_size,
            "max_seq_length": args.max_seq_length,
            "max_steps": args.max_steps,
            "top": args.top,
        },
        "seeds": seeds,
        "rows": rows,
        "comparison": table.to_dict(),
    }
    suffix = "" if args.loss == "bce" else f"_{args.loss}"
    path = write_result(f"reranker_scifact{suffix}.json", payload)
    print(f"wrote {path}\n")
    print(_markdown(first, results))


def _markdown(first: EvalResult, results: dict[str, list[EvalResult]]) -> str:
    lines = [
        "| system | seeds | " + " | ".join(METRICS) + " |",
        "|---" * (len(METRICS) + 2) + "|",
        "| first stage alone (all-MiniLM-L6-v2) | - | "
        + " | ".join(f"{first.scores[m]:.4f}" for m in METRICS)
        + " |",
    ]
    for name, evals in results.items():
        means = [sum(e.scores[m] for e in evals) / len(evals) for m in METRICS]
        lines.append(
            f"| reranker on {name} | {len(evals)} | " + " | ".join(f"{v:.4f}" for v in means) + " |"
        )
    return "\n".join(lines)


def _json(payload: dict[str, Any]) -> str:
    import json

    return json.dumps(payload, indent=2, default=str) + "\n"


if __name__ == "__main__":
    main()
