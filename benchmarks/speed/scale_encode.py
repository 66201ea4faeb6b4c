"""Encoding throughput: trueneg's ``encode_cached`` vs ``SentenceTransformer.encode``.

Same bundled all-MiniLM-L6-v2, same real texts (SciFact then NFCorpus abstracts, title + text,
each suffixed with a counter so no two are equal), batch size 64, CPU. Each run is its own
subprocess (model load excluded from the timing, included in the peak RSS). Run:

    nice -n 10 python -m benchmarks.speed.scale_encode [--quick]

Writes benchmarks/results/encode_cpu.json (encode_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, shared_data, write_result

SIZES, QUICK_SIZES = [100, 250, 500], [20, 50]


def distinct_texts(n: int) -> list[str]:
    """``n`` real abstracts, made distinct with a counter suffix."""
    texts: list[str] = []
    for name in ("scifact", "nfcorpus"):
        with open(shared_data() / name / "corpus.jsonl", encoding="utf-8") as handle:
            for line in handle:
                doc = json.loads(line)
                texts.append(f"{doc.get('title', '')} {doc['text']} [{len(texts)}]".strip())
                if len(texts) == n:
                    return texts
    return texts


def _trueneg(texts: list[str]) -> float:
    from trueneg.encode import SentenceTransformerEncoder, encode_cached

    encoder = SentenceTransformerEncoder(device="cpu", batch_size=64)
    encoder.model  # noqa: B018 - load outside the timing
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        encode_cached(encoder, texts, "document", Path(cache), dtype="float16")
        return time.perf_counter() - start


def _sentence_transformers(texts: list[str]) -> float:
    from sentence_transformers import SentenceTransformer

    from trueneg.encode.models import default_model_path

    model = SentenceTransformer(default_model_path(), device="cpu")
    start = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    return time.perf_counter() - start


TOOLS = {"trueneg encode_cached": _trueneg, "SentenceTransformer.encode": _sentence_transformers}


def measure(tool: str, n: int) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.speed.scale_encode", "--child", tool, str(n)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not lines:
        return {"tool": tool, "n_docs": n, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(lines[-1][len("RESULT ") :])


def child(tool: str, n: int) -> dict:
    import torch

    seconds = TOOLS[tool](distinct_texts(n))
    return {
        "tool": tool,
        "n_docs": n,
        "seconds": seconds,
        "docs_per_s": n / seconds,
        "device": "cpu",
        "torch_threads": torch.get_num_threads(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(quick: bool = False) -> Path:
    rows = []
    for n in QUICK_SIZES if quick else SIZES:
        for tool in TOOLS:
            rows.append(measure(tool, n))
            print(json.dumps(rows[-1]), flush=True)
    return write_result(
        "encode_quick.json" if quick else "encode_cpu.json",
        {
            "task": "encode distinct real abstracts (SciFact, NFCorpus), batch 64, float16 cache",
            "model": "all-MiniLM-L6-v2 (bundled)",
            "rows": rows,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("TOOL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.child[0], int(args.child[1]))), flush=True)
        return
    print(f"wrote {run(args.quick)}")


if __name__ == "__main__":
    main()
