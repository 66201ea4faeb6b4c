"""Does an INT8 judge's score for a pair depend on the pairs batched beside it?

The bundled reranker is dynamically quantized: each ``DynamicQuantizeLinear`` node picks one
activation scale for its whole input tensor, so in a batch a pair's logit moves with its
neighbours and their padding. trueneg therefore scores such a graph one pair at a time. This
script scores the same real mining pairs (each query's top candidates of a mined run, as
``--judge-depth`` would send them to the judge) with the same judge:

- ``batched``: length-sorted batches of ``--batch-size`` (what ``mine`` did before);
- ``batched_bs16``: the same with batches of 16;
- ``batched_half``: a random half of the pairs only, as when a resumed run finds the other half
  in the judge cache, so each pair gets other neighbours;
- ``alone`` and ``alone_half``: one pair per run (what ``mine`` does now).

It reports pairs/s for each, how far the logits move between them, and how many pairs land on
the other side of 0.5 (the relabel floor) and of 0.1 (``judge-threshold:0.1``).

Run (after mining the run it reads, e.g. the SciFact CPU slice's naive-top4 cell)::

    python -m benchmarks.speed.judge_batching \\
        --run runs/compare/judge-verdict-scifact-cpu/scifact/naive-top4/seed-0/run \\
        --data ../shared/data/scifact --queries 100 --depth 10

Writes ``benchmarks/results/judge_batching_<dataset>.json``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.common import write_result
from trueneg.data.beir import load_beir
from trueneg.rescore.onnx_cross_encoder import OnnxCrossEncoder

THRESHOLDS = (0.5, 0.1)


def mining_pairs(run: Path, data: Path, split: str, queries: int, depth: int) -> tuple[list, list]:
    """Query and document texts of the first ``queries`` queries' top ``depth`` candidates."""
    table = pq.read_table(run / "candidates.parquet", columns=["query_id", "doc_id", "rank"])
    table = table.filter(pc.less_equal(table["rank"], depth))
    order = list(dict.fromkeys(table["query_id"].to_pylist()))[:queries]
    chosen = pa.array(order, type=table["query_id"].type)
    table = table.filter(pc.is_in(table["query_id"], value_set=chosen))
    beir = load_beir(data, split=split)
    qtext = dict(zip(beir.queries["query_id"].to_pylist(), beir.query_texts(), strict=True))
    dtext = dict(zip(beir.corpus["doc_id"].to_pylist(), beir.doc_texts(), strict=True))
    q_ids, d_ids = table["query_id"].to_pylist(), table["doc_id"].to_pylist()
    return [qtext[q] for q in q_ids], [dtext[d] for d in d_ids]


def timed_logits(
    judge: OnnxCrossEncoder, queries: list, docs: list, batch_size: int, alone: bool
) -> tuple[np.ndarray, float]:
    """Logits in input order, scored as ``mine`` scores pairs; and the seconds it took."""
    from trueneg.rescore.batching import score_in_batches

    judge.alone = alone
    start = time.perf_counter()
    logits = score_in_batches(lambda q, d: judge.logits(q, d)[:, 0], queries, docs, batch_size)
    return logits, time.perf_counter() - start


def compare(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """How far two scorings of the same pairs are apart, in logits and in decisions."""
    moved = np.abs(a - b)
    pa, pb = 1 / (1 + np.exp(-a)), 1 / (1 + np.exp(-b))
    return {
        "max_logit_change": round(float(moved.max()), 4),
        "p99_logit_change": round(float(np.quantile(moved, 0.99)), 4),
        "mean_logit_change": round(float(moved.mean()), 4),
        "identical": int((moved == 0).sum()),
        **{f"crossed_{t}": int(((pa >= t) != (pb >= t)).sum()) for t in THRESHOLDS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a mined run (candidates.parquet)")
    parser.add_argument("--data", type=Path, required=True, help="the run's BEIR folder")
    parser.add_argument("--split", default="train")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--judge", default=".models/ms-marco-MiniLM-L-12-v2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    queries, docs = mining_pairs(args.run, args.data, args.split, args.queries, args.depth)
    judge = OnnxCrossEncoder(args.judge, device="cpu")
    quantized = judge.alone
    n = len(queries)
    half = np.sort(np.random.default_rng(args.seed).permutation(n)[: n // 2])
    half_q, half_d = [queries[i] for i in half], [docs[i] for i in half]
    runs = {
        "batched": (queries, docs, args.batch_size, False),
        "batched_bs16": (queries, docs, 16, False),
        "batched_half": (half_q, half_d, args.batch_size, False),
        "alone": (queries, docs, args.batch_size, True),
        "alone_half": (half_q, half_d, args.batch_size, True),
    }
    logits, rate = {}, {}
    for name, (q, d, size, alone) in runs.items():
        logits[name], seconds = timed_logits(judge, q, d, size, alone)
        rate[name] = round(len(q) / seconds, 2)
    payload = {
        "judge": args.judge,
        "quantizes_per_batch": quantized,
        "run": str(args.run),
        "dataset": args.data.name,
        "queries": args.queries,
        "depth": args.depth,
        "pairs": n,
        "batch_size": args.batch_size,
        "pairs_per_s": rate,
        "batched_vs_batched_bs16": compare(logits["batched"], logits["batched_bs16"]),
        "batched_vs_batched_half": compare(logits["batched"][half], logits["batched_half"]),
        "batched_vs_alone": compare(logits["batched"], logits["alone"]),
        "alone_vs_alone_half": compare(logits["alone"][half], logits["alone_half"]),
    }
    path = write_result(f"judge_batching_{args.data.name}.json", payload)
    for key in ("pairs_per_s", *(k for k in payload if "_vs_" in k)):
        print(key, payload[key])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
