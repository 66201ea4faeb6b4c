"""One whole ``trueneg mine`` of a large BEIR folder, timed: wall, each stage, the encoder's
rate, peak GPU memory and peak host RSS (this process; tokenizer workers are counted apart).

    python -m benchmarks.gpu.big_corpus /tmp/big --docs 1000000 --queries 100000
    python -m benchmarks.speed.mine_big /tmp/big /tmp/big-run --cache /tmp/big-cache

Writes ``benchmarks/results/mine_big_<device>.json``. The cache starts empty: encoding is part
of the measured wall time.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from benchmarks.common import write_result


def _lines(path: Path) -> int:
    with open(path, encoding="utf-8") as handle:
        return sum(1 for _ in handle)


def main() -> None:
    import torch

    import trueneg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--encoder", default="fast")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    start = time.perf_counter()
    run = trueneg.mine(args.data, args.out, cache_dir=args.cache, encoder=args.encoder)
    wall = time.perf_counter() - start
    manifest = json.loads((run.path / "manifest.json").read_text())
    state = json.loads((run.path / "state.json").read_text())
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    payload = {
        "task": f"trueneg mine {args.data} (encoder {args.encoder}, default settings)",
        "device": device,
        "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
        "docs": _lines(args.data / "corpus.jsonl"),
        "queries": run.summary().queries,
        "kept": run.summary().kept,
        "wall_s": round(wall, 2),
        "timings": manifest.get("timings"),
        "encode_docs_per_s": state.get("encode", {}).get("docs_per_s"),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_child_rss_mb": round(children, 1),
        "peak_gpu_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)
        if device == "cuda"
        else None,
    }
    print(json.dumps(payload), flush=True)
    print(f"wrote {write_result(f'mine_big_{device}.json', payload)}")


if __name__ == "__main__":
    main()
