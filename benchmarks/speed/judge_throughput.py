"""Judged pairs per second for each judge, and what a cascade costs against its last judge alone.

Scores the same real (query, document) pairs of NFCorpus test — each query with its first
labeled positive and the next documents of the corpus, so about one pair in eight is relevant —
with every judge given, through ``trueneg.rescore.rescore`` (the path ``mine`` uses: length-sorted
batches, a remote judge's concurrent requests, a fresh cache so nothing is read back). A cascade
``A > B`` also reports what each judge saw and the cascade's seconds against ``B`` on every pair.
Remote judges need their server running; the ones the tests use start with::

    .servers/infinity/bin/infinity_emb v2 --host 127.0.0.1 --port 7997 --engine torch \\
        --device cpu --model-id .models/ms-marco-MiniLM-L-12-v2-torch \\
        --served-model-name ms-marco --no-model-warmup
    .servers/chat/bin/llama-server --host 127.0.0.1 --port 8080 --alias smollm2 \\
        --model .models/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf \\
        --ctx-size 8192 --parallel 4

Run:

    python -m benchmarks.speed.judge_throughput --pairs 64 \\
        --judges .models/ms-marco-MiniLM-L-12-v2 \\
        'rerank-api:http://127.0.0.1:7997?model=ms-marco' \\
        'chat:http://127.0.0.1:8080/v1?model=smollm2' \\
        '.models/ms-marco-MiniLM-L-12-v2 > chat:http://127.0.0.1:8080/v1?model=smollm2'

Writes ``benchmarks/results/judge_throughput_<device>.json``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import shared_data, write_result
from trueneg.data.beir import load_beir
from trueneg.rescore import load_judge, rescore


def nfcorpus_pairs(n: int) -> tuple[list[str], list[str], dict[str, str], dict[str, str]]:
    """``n`` (query id, doc id) pairs: per test query its first positive and 7 later documents."""
    data = load_beir(shared_data() / "nfcorpus", split="test")
    queries = dict(zip(data.queries["query_id"].to_pylist(), data.query_texts(), strict=True))
    doc_ids = data.corpus["doc_id"].to_pylist()
    docs = dict(zip(doc_ids, data.doc_texts(), strict=True))
    position = {d: i for i, d in enumerate(doc_ids)}
    q_ids, d_ids = [], []
    for q, d in zip(
        data.qrels["query_id"].to_pylist(), data.qrels["doc_id"].to_pylist(), strict=True
    ):
        if q in q_ids or d not in position:
            continue
        start = position[d]
        for offset in range(8):
            q_ids.append(q)
            d_ids.append(doc_ids[(start + offset * 97) % len(doc_ids)])
        if len(q_ids) >= n:
            break
    return q_ids[:n], d_ids[:n], queries, docs


def measure(spec: str, pairs: tuple, cascade: str) -> dict[str, Any]:
    q_ids, d_ids, queries, docs = pairs
    judge = load_judge(spec, cascade=cascade)
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        result = rescore(judge, q_ids, d_ids, queries, docs, Path(cache))
        seconds = time.perf_counter() - start
    row: dict[str, Any] = {
        "judge": spec,
        "kind": judge.kind,
        "pairs": len(q_ids),
        "seconds": round(seconds, 2),
        "pairs_per_s": round(len(q_ids) / seconds, 2),
        "mean_score": round(float(result.scores.mean()), 4),
    }
    if getattr(judge, "cost", None) is not None:
        row["cost"] = judge.cost.as_dict()
    if hasattr(judge, "report"):
        row["cascade"] = judge.report()
    print(f"{spec}: {row['pairs_per_s']} pairs/s ({row['seconds']} s)", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judges", nargs="+", required=True)
    parser.add_argument("--pairs", type=int, default=64)
    parser.add_argument("--cascade", default="top:0.25")
    parser.add_argument("--device", default="cpu", help="names the result file")
    args = parser.parse_args()
    pairs = nfcorpus_pairs(args.pairs)
    rows = [measure(spec, pairs, args.cascade) for spec in args.judges]
    path = write_result(
        f"judge_throughput_{args.device}.json",
        {
            "dataset": "nfcorpus test",
            "pairs": len(pairs[0]),
            "cascade_rule": args.cascade,
            "cores": len(os.sched_getaffinity(0)),
            "results": rows,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
