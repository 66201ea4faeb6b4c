"""Encoder throughput: ``SentenceTransformer.encode`` vs trueneg's fast and ONNX encoders.

Same bundled all-MiniLM-L6-v2, same real texts (the first N documents of a BEIR corpus, title
+ text, as trueneg encodes them), in one invocation. Every backend runs in its own subprocess,
so ``peak_rss_mb`` is its own; each first encodes 32 texts untimed (model load, ONNX export and
quantization, first-call warm-up). Then the texts go through in slices of 64, every slice
through every backend in turn, so load from other jobs on a shared machine falls on all
backends alike; ``speedup_vs_st`` is the median over slices. Cosine parity is measured
against the sentence-transformers vectors of the same run. Run:

    python -m benchmarks.speed.encode [--dataset nfcorpus] [--limit 512] [--device auto] \\
        [--slice 64]

On CUDA the backends are sentence-transformers in float32 (batch 64, the cosine reference),
sentence-transformers in float16 with batch 512 (the starting point the scale issue measured:
2,100 NFCorpus docs/s on an H100; ``speedup_vs_st_fp16``) and trueneg's fast encoder.

Writes ``benchmarks/results/encode_backends_<device>.json`` (``encode_cpu.json`` is the
cache-overhead curve of ``benchmarks/speed/scale_encode.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, shared_data, write_result

ST_BATCH_SIZE = 64
ST_FP16_BATCH_SIZE = 512  # SentenceTransformer.encode on a GPU as the scale issue measured it
WARMUP = 32


def read_texts(dataset: str, limit: int) -> list[str]:
    """The first ``limit`` documents of ``dataset``, ``title + " " + text``; past the end of
    the corpus it starts again, each repeat suffixed with its number so all texts differ."""
    corpus = []
    with open(shared_data() / dataset / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            title = doc.get("title") or ""
            corpus.append(f"{title} {doc['text']}" if title else doc["text"])
            if len(corpus) == limit:
                return corpus
    return [
        t if i < len(corpus) else f"{t} [{i // len(corpus)}]"
        for i, t in ((i, corpus[i % len(corpus)]) for i in range(limit))
    ]


def build(backend: str, device: str, cache: Path):
    """(encode function, settings) for one backend."""
    from trueneg.encode.models import default_model_path

    model = default_model_path()
    if backend == "sentence-transformers":
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(model, device=device)

        def encode(texts):
            return st.encode_document(texts, batch_size=ST_BATCH_SIZE, normalize_embeddings=True)

        return encode, {"batch_size": ST_BATCH_SIZE, "precision": "float32"}
    if backend == "sentence-transformers-fp16":  # the GPU starting point
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(model, device=device).half()

        def encode(texts):
            return st.encode_document(
                texts, batch_size=ST_FP16_BATCH_SIZE, normalize_embeddings=True
            )

        return encode, {"batch_size": ST_FP16_BATCH_SIZE, "precision": "float16"}
    from trueneg.encode import make_encoder

    encoder = make_encoder(backend, model=model, device=device, cache_dir=cache)
    settings = {
        k: getattr(encoder, k)
        for k in ("precision", "token_budget", "num_workers", "window_size", "threads")
        if hasattr(encoder, k)
    }
    return (lambda texts: encoder.encode(texts, "document")), settings


class Child:
    """One backend in its own process: loads and warms up once, then encodes slices on demand."""

    def __init__(self, backend: str, args: argparse.Namespace, vectors_out: Path) -> None:
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.speed.encode",
            "--child",
            backend,
            "--dataset",
            args.dataset,
            "--limit",
            str(args.limit),
            "--device",
            args.device,
            "--vectors-out",
            str(vectors_out),
        ]
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        self.backend, self.seconds = backend, 0.0
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        self.ready = json.loads(self._reply("READY"))

    def encode(self, lo: int, hi: int) -> float:
        self.proc.stdin.write(f"RUN {lo} {hi}\n")
        self.proc.stdin.flush()
        seconds = float(self._reply("TIME"))
        self.seconds += seconds
        return seconds

    def finish(self) -> dict:
        self.proc.stdin.write("DONE\n")
        self.proc.stdin.flush()
        result = json.loads(self._reply("RESULT"))
        self.proc.wait()
        return {**self.ready, **result}

    def _reply(self, tag: str) -> str:
        for line in self.proc.stdout:
            if line.startswith(tag + " "):
                return line[len(tag) + 1 :].strip()
        raise RuntimeError(f"{self.backend}: the child process ended before {tag}")


def child(backend: str, dataset: str, limit: int, device: str, vectors_out: str) -> None:
    """The child's loop: READY after warm-up, TIME per slice, RESULT (rss, gpu peak) at DONE."""
    import torch

    texts = read_texts(dataset, limit)
    encode, settings = build(backend, device, ROOT / "benchmarks" / ".cache" / "onnx")
    start = time.perf_counter()
    encode(texts[:WARMUP])
    ready = {
        "backend": backend,
        "device": device,
        "warmup_and_load_s": round(time.perf_counter() - start, 2),
        "torch_threads": torch.get_num_threads(),
        **settings,
    }
    print("READY " + json.dumps(ready), flush=True)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    vectors = np.zeros((len(texts), 0), dtype=np.float32)
    for line in sys.stdin:
        if line.startswith("DONE"):
            break
        lo, hi = map(int, line.split()[1:])
        start = time.perf_counter()
        part = np.asarray(encode(texts[lo:hi]), dtype=np.float32)
        seconds = time.perf_counter() - start
        if vectors.shape[1] == 0:
            vectors = np.zeros((len(texts), part.shape[1]), dtype=np.float32)
        vectors[lo:hi] = part
        print(f"TIME {seconds}", flush=True)
    np.save(vectors_out, vectors)
    result = {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if device == "cuda":
        result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        result["gpu"] = torch.cuda.get_device_name()
    print("RESULT " + json.dumps(result), flush=True)


def interleave(children: list[Child], n: int, slice_size: int) -> list[dict]:
    """Every slice goes through every backend in turn (the order rotating), so load from other
    processes falls on all backends alike; returns each slice's seconds per backend."""
    slices = []
    for k, lo in enumerate(range(0, n, slice_size)):
        hi = min(lo + slice_size, n)
        order = children[k % len(children) :] + children[: k % len(children)]
        slices.append({c.backend: c.encode(lo, hi) for c in order} | {"docs": hi - lo})
        print(json.dumps(slices[-1] | {"load_average": os.getloadavg()[0]}), flush=True)
    return slices


def summarize(
    children: list[Child], results: dict[str, dict], slices: list[dict], folder: Path
) -> list[dict]:
    """One row per backend: rate over all slices, median per-slice speedup, cosine vs ST."""
    reference = np.load(folder / "sentence-transformers.npy")
    rows = []
    for c in children:
        cosine = np.sum(np.load(folder / f"{c.backend}.npy") * reference, axis=1)
        n = sum(s["docs"] for s in slices)
        speedups = [s["sentence-transformers"] / s[c.backend] for s in slices]
        extra = {}
        if "sentence-transformers-fp16" in slices[0]:
            fp16 = [s["sentence-transformers-fp16"] / s[c.backend] for s in slices]
            extra["speedup_vs_st_fp16"] = round(statistics.median(fp16), 2)
        rows.append(
            {
                **results[c.backend],
                "n_docs": n,
                "seconds": round(c.seconds, 3),
                "docs_per_s": round(n / c.seconds, 2),
                "speedup_vs_st": round(statistics.median(speedups), 2),
                "speedup_vs_st_range": [round(min(speedups), 2), round(max(speedups), 2)],
                "cosine_vs_st_min": round(float(cosine.min()), 6),
                "cosine_vs_st_mean": round(float(cosine.mean()), 6),
                **extra,
            }
        )
    return rows


def run(args: argparse.Namespace) -> Path:
    import torch

    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    args.slice = args.slice or (64 if args.device == "cpu" else args.limit)
    backends = ["sentence-transformers", "fast"]
    backends += ["onnx", "onnx-int8"] if args.device == "cpu" else ["sentence-transformers-fp16"]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        children = [Child(b, args, Path(tmp) / f"{b}.npy") for b in backends]
        slices = interleave(children, args.limit, args.slice)
        results = {c.backend: c.finish() for c in children}
        rows = summarize(children, results, slices, Path(tmp))
    for row in rows:
        print(json.dumps(row), flush=True)
    return write_result(
        f"encode_backends_{args.device}.json",
        {
            "task": f"encode the first {args.limit} {args.dataset} documents (title + text)",
            "model": "all-MiniLM-L6-v2 (bundled)",
            "dataset": args.dataset,
            "n_docs": args.limit,
            "device": args.device,
            "slice_size": args.slice,
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "rows": rows,
            "slices": slices,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="nfcorpus")
    parser.add_argument("--limit", type=int, default=512)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument(
        "--slice", type=int, help="texts per turn (default: 64 on CPU, all on CUDA)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--vectors-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dataset, args.limit, args.device, args.vectors_out)
        return
    print(f"wrote {run(args)}")


if __name__ == "__main__":
    main()
