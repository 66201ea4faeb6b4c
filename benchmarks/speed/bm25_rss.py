r"""BM25's memory on a large corpus: peak RSS of load, the BM25 index of every document and a
search of 1,000 queries at depth 100, in a subprocess, at each size; the older whole-corpus
tokenization (one query at a time) at the first size when ``--old-src`` is given.

The corpus is ``loader_rss``'s synthetic BEIR folder (SciFact/NFCorpus sentences recombined,
~350 characters a document), generated once under /tmp. Run:

    nice -n 10 python -m benchmarks.speed.bm25_rss --sizes 1000000 10000000 \
        --old-src /tmp/old-bm25/src

``--old-src`` is a checkout's ``src`` from before chunked tokenization
(``mkdir -p /tmp/old-bm25 && git archive 1a77d87 src | tar -x -C /tmp/old-bm25``).
Writes benchmarks/results/bm25_rss.json, or ``--out NAME`` there (the 1M runs with the
tokenizer workers: ``--sizes 1000000 --out bm25_rss_workers.json``). The peaks of the
tokenizer workers, children of the measured process, are recorded beside its own
(:mod:`benchmarks.speed.bm25_rss_child`).
"""

from __future__ import annotations

from benchmarks.speed.loader_rss import compare_sizes


def main() -> None:
    child, labels = "benchmarks.speed.bm25_rss_child", ("chunked", "whole corpus")
    old_help = "src/ from before chunked tokenization"
    compare_sizes("bm25_rss.json", child, "tokenization", labels, old_help)


if __name__ == "__main__":
    main()
