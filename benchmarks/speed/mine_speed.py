"""trueneg vs sentence-transformers ``mine_hard_negatives``: wall time and peak memory.

Same model (bundled all-MiniLM-L6-v2), same data (a BEIR dataset's train pairs, the full
corpus as candidates, documents as ``title + " " + text``), naive top-4 on both sides. Each
variant runs in its own process so peak RSS is its own; "warm" re-runs with the embedding
cache of the cold run. Run:

    python -m benchmarks.speed.mine_speed [--dataset scifact]

Writes benchmarks/results/mine_speed.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import CACHE, ROOT, shared_data, st_mine_top, write_result

K = 4


def _trueneg(data: Path, work: Path, tag: str) -> dict:
    import trueneg

    start = time.perf_counter()
    run = trueneg.mine(
        data,
        work / f"run-{tag}",
        filters=[],
        sampler="top",
        num_negatives=K,
        extra={"cache_dir": str(work / "trueneg-embeddings")},
    )
    return {"seconds": time.perf_counter() - start, "kept": run.summary().kept}


def _sentence_transformers(data: Path, work: Path, tag: str) -> dict:
    from sentence_transformers import SentenceTransformer

    from trueneg.encode.models import default_model_path

    start = time.perf_counter()
    model = SentenceTransformer(default_model_path(), device="cpu")
    mined, _ = st_mine_top(
        data, model, K, work / "st-embeddings", output_format="n-tuple", verbose=False
    )
    return {"seconds": time.perf_counter() - start, "kept": mined.num_rows * K}


VARIANTS = {"trueneg": _trueneg, "sentence-transformers": _sentence_transformers}


def child(variant: str, data: str, work: str, tag: str) -> None:
    result = VARIANTS[variant](Path(data), Path(work), tag)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def measure(variant: str, data: Path, work: Path, tag: str) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.speed.mine_speed",
        "--child",
        variant,
        str(data),
        str(work),
        tag,
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"{variant} {tag} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="scifact")
    parser.add_argument("--child", nargs=4, metavar=("VARIANT", "DATA", "WORK", "TAG"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    data = shared_data() / args.dataset
    work = CACHE / f"speed-{args.dataset}"
    shutil.rmtree(work, ignore_errors=True)
    rows = []
    for variant in VARIANTS:
        for tag in ("cold", "warm"):
            row = {"tool": variant, "cache": tag, **measure(variant, data, work, tag)}
            rows.append(row)
            print(
                f"{variant:22s} {tag:5s} {row['seconds']:7.1f} s  {row['peak_rss_mb']:7.0f} MB",
                flush=True,
            )
    path = write_result(
        "mine_speed.json",
        {
            "dataset": args.dataset,
            "task": f"naive top-{K}, exact search, full corpus",
            "model": "all-MiniLM-L6-v2 (bundled)",
            "rows": rows,
        },
    )
    print(f"\nwrote {path}\n")
    print("| tool | embeddings | wall time (s) | peak RSS (MB) |\n|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['tool']} | {row['cache']} | {row['seconds']:.1f} | {row['peak_rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
