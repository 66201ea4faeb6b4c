"""Does an INT8 ONNX vector depend on the texts encoded beside it, and what does one at a time cost?

``--encoder onnx-int8`` runs a dynamically quantized graph: one activation scale per input
tensor, so in a token-budget batch a text's vector moves with its neighbours and their padding.
trueneg encodes such a graph one text at a time. This script encodes the same texts (the first
``--limit`` documents of a BEIR corpus, title + text) with the INT8 encoder four ways, in one
process, alternating slices so that load from other jobs falls on both alike:

- ``batched``: token-budget batches (16,384 padded tokens, what ``onnx-int8`` did before);
- ``batched_half``: every other text of each slice only, so the batches hold other neighbours
  (as when the embedding cache already holds the rest);
- ``alone`` and ``alone_half``: one text per run (what ``onnx-int8`` does now).

It reports texts/s and the cosine between the ways (1.0 everywhere would mean no dependence).

    python -m benchmarks.speed.encode_batching --dataset nfcorpus --limit 512

Writes ``benchmarks/results/encode_batching_<dataset>.json``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from benchmarks.common import shared_data, write_result
from trueneg.data.beir import load_beir
from trueneg.encode.onnx import OnnxEncoder


def encode(encoder: OnnxEncoder, texts: list[str], alone: bool, half: bool) -> np.ndarray:
    encoder.alone = alone
    return encoder.encode(texts[::2] if half else texts, "document")


def cosines(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    cos = np.sum(a * b, axis=1)
    return {
        "min": round(float(cos.min()), 6),
        "mean": round(float(cos.mean()), 6),
        "identical": int(np.all(a == b, axis=1).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="nfcorpus")
    parser.add_argument("--limit", type=int, default=512)
    parser.add_argument("--slice", type=int, default=64)
    args = parser.parse_args()

    data = load_beir(shared_data() / args.dataset)
    texts = data.doc_texts()[: args.limit]
    encoder = OnnxEncoder(None)
    encoder.encode(texts[:32], "document")  # export, quantization and warm-up, untimed
    ways = {
        "batched": (False, False),
        "batched_half": (False, True),
        "alone": (True, False),
        "alone_half": (True, True),
    }
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in ways}
    seconds = dict.fromkeys(ways, 0.0)
    for start in range(0, len(texts), args.slice):
        part = texts[start : start + args.slice]
        for name, (alone, reverse) in ways.items():
            begin = time.perf_counter()
            vectors[name].append(encode(encoder, part, alone, reverse))
            seconds[name] += time.perf_counter() - begin
    full = {name: np.concatenate(parts) for name, parts in vectors.items()}
    halves = np.concatenate(
        [
            np.arange(start, min(start + args.slice, len(texts)))[::2]
            for start in range(0, len(texts), args.slice)
        ]
    )
    payload = {
        "dataset": args.dataset,
        "texts": len(texts),
        "slice": args.slice,
        "texts_per_s": {name: round(len(full[name]) / s, 2) for name, s in seconds.items()},
        "batched_vs_batched_half": cosines(full["batched"][halves], full["batched_half"]),
        "batched_vs_alone": cosines(full["batched"], full["alone"]),
        "alone_vs_alone_half": cosines(full["alone"][halves], full["alone_half"]),
    }
    path = write_result(f"encode_batching_{args.dataset}.json", payload)
    for key in ("texts_per_s", *(k for k in payload if "_vs_" in k)):
        print(key, payload[key])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
