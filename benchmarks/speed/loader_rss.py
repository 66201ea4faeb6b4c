"""The loaders' memory on a large corpus: peak RSS of load (+ tables, prepare, encode) in a
subprocess, streaming loader at each size, the old in-memory loader at the first size.

A synthetic BEIR folder of N documents (MS MARCO-like passages of ~350 characters, three
sentences of SciFact/NFCorpus abstracts recombined and numbered so they are distinct; every
20th document repeats an earlier one's text under a new id, so dedup has work), 5,000 queries
and their qrels is generated once under /tmp (its size is printed). The child process runs:
``load`` (``load_dataset``), ``tables`` (the run's Parquet tables written as the load stage
writes them), ``prepare`` and ``encode`` (every document through the embedding cache with a
cheap hashing stand-in encoder: the point is reading the texts, not the model). After each
step it records the peak RSS so far (VmHWM), the peak anonymous RSS so far (sampled every
20 ms from /proc/self/status), the file-backed RSS, and seconds. Run:

    nice -n 10 python -m benchmarks.speed.loader_rss --sizes 1000000 10000000
    nice -n 10 python -m benchmarks.speed.loader_rss --sizes 1000000 --old-src /tmp/old/src

``--old-src`` is a checkout's ``src`` of the in-memory loader (``git archive 35557c4 src``).
Writes benchmarks/results/loader_rss.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT, shared_data, write_result

QUERIES = 5_000
DATA = Path(tempfile.gettempdir()) / "trueneg-loader-rss"


def sentences() -> list[str]:
    """Sentences of the SciFact and NFCorpus abstracts, JSON-escaped (without quotes)."""
    found: list[str] = []
    for name in ("scifact", "nfcorpus"):
        with open(shared_data() / name / "corpus.jsonl", encoding="utf-8") as handle:
            for line in handle:
                for part in json.loads(line)["text"].split(". "):
                    if 40 <= len(part) <= 200:
                        found.append(json.dumps(part)[1:-1])
    return found


def generate(n: int) -> Path:
    """The BEIR folder of ``n`` documents (made once)."""
    folder = DATA / f"beir-{n}"
    if (folder / "qrels" / "train.tsv").is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "qrels").mkdir(parents=True)
    parts, rng = sentences(), random.Random(0)
    pick = [rng.randrange(len(parts)) for _ in range(3 * 100_003)]
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as out:
        for i in range(n):
            j = (i if i % 20 else i // 2) * 3  # every 20th repeats document i // 2's text
            a, b, c = (parts[pick[(j + k) % len(pick)]] for k in range(3))
            out.write(f'{{"_id":"d{i}","title":"","text":"{a}. {b}. {c}. [{j // 3}]"}}\n')
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as out:
        for q in range(QUERIES):
            out.write(json.dumps({"_id": f"q{q}", "text": parts[pick[q]]}) + "\n")
    with open(folder / "qrels" / "train.tsv", "w", encoding="utf-8") as out:
        out.write("query-id\tcorpus-id\tscore\n")
        for q in range(QUERIES):
            out.write(f"q{q}\td{rng.randrange(n)}\t1\n")
    print(f"generated {folder}: {disk(folder) / 1e9:.2f} GB", flush=True)
    return folder


def disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(
    folder: Path, src: Path, label: str, child: str = "benchmarks.speed.loader_rss_child"
) -> dict:
    """Run the ``child`` module on ``folder`` with the package at ``src``; its JSON line."""
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}", "TMPDIR": str(DATA)}
    command = [sys.executable, "-m", child, str(folder), label]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare_sizes(
    result: str, child: str, column: str, labels: tuple[str, str], old_help: str
) -> None:
    """The command line of this benchmark and ``bm25_rss``: the ``child`` module at each size
    with this checkout (``labels[0]``) and, at the first size, ``--old-src`` (``labels[1]``);
    each row written to ``result`` (or ``--out``) in benchmarks/results as it comes."""
    parser = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--old-src", type=Path, help=old_help)
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    parser.add_argument("--out", default=result, help=f"results file name (default {result})")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, n in enumerate(args.sizes):
        folder = generate(n)
        input_bytes = disk(folder)
        runs = [(labels[0], ROOT / "src")]
        if i == 0 and args.old_src:
            runs.append((labels[1], args.old_src))
        for label, src in runs:
            row = {"documents": n, column: label, "input_bytes": input_bytes}
            row.update(measure(folder, src, label, child))
            print(json.dumps(row), flush=True)
            rows.append(row)
            write_result(args.out, {"rows": rows, "cores": os.cpu_count()})
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    child, labels = "benchmarks.speed.loader_rss_child", ("streaming", "in-memory")
    compare_sizes("loader_rss.json", child, "loader", labels, "src/ of the in-memory loader")


if __name__ == "__main__":
    main()
