"""A BEIR folder of N distinct real-text documents and M queries, built from NFCorpus and
SciFact on the machine that mines it (the packed texts are 5 MB; the folder is ~1 GB at 1M).

Copy ``v`` of every text is prefixed ``"vV: "``, so all documents differ and tokenize
differently; copy ``v`` of a query has copy ``v`` of its positives (train qrels of both
datasets; scores above 0 only; of a copy cut short, only the positives it holds).
Copies are taken in order until N documents and M labeled queries are reached:

    python -m benchmarks.gpu.big_corpus OUT --docs 1000000 --queries 100000
"""

from __future__ import annotations

import argparse
import csv
import json
from itertools import count
from pathlib import Path

from benchmarks.common import shared_data

DATASETS = ("nfcorpus", "scifact")


def read(name: str) -> tuple[list[dict], dict[str, str], dict[str, list[str]]]:
    folder = shared_data() / name
    with open(folder / "corpus.jsonl", encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle]
    with open(folder / "queries.jsonl", encoding="utf-8") as handle:
        queries = {q["_id"]: q["text"] for q in map(json.loads, handle)}
    qrels: dict[str, list[str]] = {}
    with open(folder / "qrels" / "train.tsv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if float(row["score"]) > 0:
                qrels.setdefault(row["query-id"], []).append(row["corpus-id"])
    return docs, queries, qrels


def build(out: Path, n_docs: int, n_queries: int) -> dict:
    sources = {name: read(name) for name in DATASETS}
    out.mkdir(parents=True, exist_ok=True)
    (out / "qrels").mkdir(exist_ok=True)
    written_docs = written_queries = 0
    with (
        open(out / "corpus.jsonl", "w", encoding="utf-8") as corpus,
        open(out / "queries.jsonl", "w", encoding="utf-8") as queries,
        open(out / "qrels" / "train.tsv", "w", encoding="utf-8") as qrels,
    ):
        qrels.write("query-id\tcorpus-id\tscore\n")
        for copy in count():
            for name, (docs, texts, labels) in sources.items():
                kept = docs[: n_docs - written_docs]
                written = {doc["_id"] for doc in kept}  # a cut copy: only its written docs
                for doc in kept:
                    row = {"_id": f"{name}-{copy}-{doc['_id']}", "title": doc.get("title", "")}
                    row["text"] = f"v{copy}: {doc['text']}"
                    corpus.write(json.dumps(row) + "\n")
                    written_docs += 1
                for qid, labeled in labels.items():
                    positives = [d for d in labeled if d in written]
                    if written_queries >= n_queries:
                        break
                    if qid not in texts or not positives:
                        continue
                    queries.write(
                        json.dumps(
                            {"_id": f"{name}-{copy}-{qid}", "text": f"v{copy}: {texts[qid]}"}
                        )
                        + "\n"
                    )
                    for doc_id in positives:
                        qrels.write(f"{name}-{copy}-{qid}\t{name}-{copy}-{doc_id}\t1\n")
                    written_queries += 1
            if written_docs >= n_docs:
                break
    return {"docs": written_docs, "queries": written_queries, "copies": copy + 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(build(args.out, args.docs, args.queries)))


if __name__ == "__main__":
    main()
