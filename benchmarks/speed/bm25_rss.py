r"""BM25's memory on a large corpus: peak RSS of load, the BM25 index of every document and a
search of 1,000 queries at depth 100, in a subprocess, at each size; the older whole-corpus
tokenization (one query at a time) at the first size when ``--old-src`` is given.

The corpus is ``loader_rss``'s synthetic BEIR folder (SciFact/NFCorpus sentences recombined,
~350 characters a document), generated once under /tmp. Run:

    nice -n 10 python -m benchmarks.speed.bm25_rss --sizes 1000000 10000000 \
        --old-src /tmp/old-bm25/src

``--old-src`` is a checkout's ``src`` from before chunked tokenization
(``mkdir -p /tmp/old-bm25 && git archive 1a77d87 src | tar -x -C /tmp/old-bm25``).
Writes benchmarks/results/bm25_rss.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from benchmarks.common import ROOT, write_result
from benchmarks.speed.loader_rss import DATA, disk, generate, measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--old-src", type=Path, help="src/ from before chunked tokenization")
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, n in enumerate(args.sizes):
        folder = generate(n)
        runs = [("chunked", ROOT / "src")]
        if i == 0 and args.old_src:
            runs.append(("whole corpus", args.old_src))
        for label, src in runs:
            row = {"documents": n, "tokenization": label, "input_bytes": disk(folder)}
            row.update(measure(folder, src, label, "benchmarks.speed.bm25_rss_child"))
            print(json.dumps(row), flush=True)
            rows.append(row)
            write_result("bm25_rss.json", {"rows": rows, "cores": os.cpu_count()})
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
