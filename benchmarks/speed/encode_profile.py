"""Where encoding time goes: each part of the fast encoder timed on its own.

On the first N documents of a BEIR corpus (title + text, as trueneg encodes them) with the
bundled all-MiniLM-L6-v2:

* ``tokenize``: the texts into length-bucketed padded batches, in this process (0 workers) and
  in a :class:`~trueneg.encode.token_pool.TokenizerPool` of 1, 2, … worker processes;
* per batch, each followed by a device sync: ``host_to_device`` (ids and lengths),
  ``forward`` (the transformer), ``pooling`` (mean pooling + L2 normalisation in float32),
  ``device_to_host`` (the vectors back as numpy);
* ``cache_write``: the vectors appended to an embedding-cache entry chunk by chunk (to disk);
* ``pipelined``: ``FastEncoder.encode`` end to end with the tokenizer pool working ahead.

Each part is reported as seconds and docs/s; ``serial_share`` is its share of the sum of the
serial parts (tokenize in-process + device parts + cache writes): what a single thread would
spend. With ``--attention`` the forward pass is timed again for each attention implementation
(those that fail to load are recorded with the error). Run:

    nice -n 10 python -m benchmarks.speed.encode_profile [--limit 2000] [--workers 1,2] \\
        [--device auto] [--attention sdpa,eager]

Writes ``benchmarks/results/encode_profile_<device>.json``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import write_result
from benchmarks.speed.encode import read_texts


def sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def tokenize_rates(encoder: Any, texts: list[str], settings: Any, workers: list[int]) -> list:
    """Seconds to turn every text into batches, in-process and with each pool size."""
    from trueneg.encode.token_pool import TokenizerPool
    from trueneg.encode.tokenize import iter_token_batches

    rows = []
    for n in [0, *workers]:
        pool = TokenizerPool(encoder.tokenizer, n) if n else None
        if pool is not None:
            list(pool.batches(texts[:64], settings, 32))  # start the processes, untimed
        start = time.perf_counter()
        batches = list(
            iter_token_batches(
                encoder.tokenizer, texts, settings, window_size=encoder.window_size, pool=pool
            )
        )
        seconds = time.perf_counter() - start
        if pool is not None:
            pool.close()
        rows.append({"workers": n, "seconds": seconds, "docs_per_s": len(texts) / seconds})
        print(rows[-1], flush=True)
    return rows, batches


def device_parts(encoder: Any, batches: list, device: str, model: Any = None) -> dict:
    """Per-part seconds over every batch, each part followed by a device sync."""
    import torch

    from trueneg.encode.fast import pool as pool_vectors

    model = model or encoder.model
    parts = dict.fromkeys(("host_to_device", "forward", "pooling", "device_to_host"), 0.0)
    vectors = []
    with torch.inference_mode():
        for batch in batches:
            t0 = time.perf_counter()
            ids = torch.as_tensor(batch.input_ids).to(device)
            lengths = torch.as_tensor(batch.lengths).to(device)
            sync(device)
            t1 = time.perf_counter()
            positions = torch.arange(ids.shape[1], device=device)
            mask = (positions[None, :] < lengths[:, None]).to(torch.long)
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            sync(device)
            t2 = time.perf_counter()
            pooled = pool_vectors(hidden.float(), mask, encoder.spec.pooling)
            out = torch.nn.functional.normalize(pooled, dim=-1)
            sync(device)
            t3 = time.perf_counter()
            vectors.append(out.cpu().numpy())
            t4 = time.perf_counter()
            for name, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                parts[name] += seconds
    return {"parts": parts, "vectors": np.concatenate(vectors)}


def cache_write_seconds(vectors: np.ndarray, chunk: int = 1024) -> float:
    from trueneg.encode.cache import EmbeddingCache

    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp))
        start = time.perf_counter()
        with cache.writer("profile", len(vectors), "float32", dim=vectors.shape[1]) as out:
            for lo in range(0, len(vectors), chunk):
                out.append(vectors[lo : lo + chunk])
            out.finish()
        return time.perf_counter() - start


def attention_rows(
    encoder: Any, batches: list, device: str, names: list[str], done: Any = None
) -> list[dict]:
    """The forward pass timed with each attention implementation; ``done(rows)`` after each."""
    from trueneg.encode.fast import load_model

    rows: list[dict] = []
    for name in names:
        try:
            model = load_model(encoder.spec, device, encoder.precision, name)
            device_parts(encoder, batches[:4], device, model)  # warm-up
            forward = device_parts(encoder, batches, device, model)["parts"]["forward"]
            rows.append({"attention": name, "forward_s": forward})
        except Exception as exc:  # a missing kernel is a result here
            rows.append({"attention": name, "error": f"{type(exc).__name__}: {exc}"[:300]})
        print(rows[-1], flush=True)
        if done is not None:
            done(rows)
    return rows


def padding(batches: list) -> dict:
    real = int(sum(int(np.asarray(b.lengths).sum()) for b in batches))
    padded = int(sum(np.asarray(b.input_ids).size for b in batches))
    return {"real_tokens": real, "padded_tokens": padded, "padding_share": 1 - real / padded}


def run(args: argparse.Namespace) -> Path:
    from trueneg.encode import FastEncoder
    from trueneg.encode.tokenize import BatchSettings

    texts = read_texts(args.dataset, args.limit)
    encoder = FastEncoder(device=args.device, num_workers=max(args.workers))
    device = encoder.device
    on_cuda = device == "cuda"
    settings = BatchSettings(
        encoder.token_budget, encoder.max_length, multiple_of=8 if on_cuda else 1
    )
    device_parts(encoder, list(_first_batches(encoder, texts, settings)), device)  # warm-up
    tokenize, batches = tokenize_rates(encoder, texts, settings, args.workers)
    measured = device_parts(encoder, batches, device)
    parts = {"tokenize": tokenize[0]["seconds"], **measured["parts"]}
    parts["cache_write"] = cache_write_seconds(measured["vectors"])
    start = time.perf_counter()
    encoder.encode(texts, "document")
    pipelined = time.perf_counter() - start
    encoder.close()
    total = sum(parts.values())
    rows = {
        name: {"seconds": s, "docs_per_s": len(texts) / s, "serial_share": s / total}
        for name, s in parts.items()
    }
    for name, row in rows.items():
        print(name, row, flush=True)
    payload = {
        "task": f"encode the first {args.limit} {args.dataset} documents, each part timed alone",
        "device": device,
        "precision": encoder.precision,
        "token_budget": encoder.token_budget,
        "cpu_count": os.cpu_count(),
        "torch_threads": _threads(),
        "n_docs": len(texts),
        "parts": rows,
        "tokenize_by_workers": tokenize,
        "padding": padding(batches),
        "pipelined": {
            "workers": max(args.workers),
            "seconds": pipelined,
            "docs_per_s": len(texts) / pipelined,
        },
        "attention": [],
        "slowest_part": max(parts, key=parts.get),
    }
    name = f"encode_profile_{device}.json"

    def save(attention: list[dict]) -> Path:
        # written before the attention rows and after each, so a step stopped by a time limit
        # (a slow kernel compile) keeps what it measured
        payload["attention"] = attention
        if on_cuda:
            import torch

            payload["gpu"] = torch.cuda.get_device_name()
            payload["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        return write_result(name, payload)

    path = save([])
    attention_rows(encoder, batches, device, args.attention, save)
    return path


def _first_batches(encoder: Any, texts: list[str], settings: Any) -> list:
    from trueneg.encode.tokenize import tokenize_window

    return tokenize_window(encoder.tokenizer, texts[:64], 0, settings)[:2]


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="nfcorpus")
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--workers", default="1,2", help="tokenizer pool sizes to time")
    parser.add_argument("--attention", default="", help="attn_implementation names to time")
    args = parser.parse_args()
    args.workers = [int(w) for w in args.workers.split(",") if w]
    args.attention = [a for a in args.attention.split(",") if a]
    print(f"wrote {run(args)}")


if __name__ == "__main__":
    main()
