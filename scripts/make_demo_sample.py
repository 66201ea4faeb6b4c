"""Build the bundled demo sample: a small, seeded subset of SciFact's BEIR release.

Usage: python scripts/make_demo_sample.py [--source ../shared/data/scifact] [--out ...]

Picks ``--queries`` train queries (seeded), all their positive documents, and seeded random
other SciFact documents as distractors until the corpus has ``--docs`` documents. Writes
``corpus.jsonl.gz`` (deterministic gzip), ``queries.jsonl``, ``qrels/train.tsv`` and
``LICENSE.md``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT / ".." / "shared" / "data" / "scifact"
DEFAULT_OUT = ROOT / "src" / "trueneg" / "demo_data" / "scifact-sample"

LICENSE = """# SciFact demo sample: license and citation

This folder is a small subset of **SciFact** in the BEIR format:
{queries} train queries (chosen at random with seed {seed} among the queries that have train
qrels), their {qrels} train qrels, and a corpus of {docs} abstracts: the {positives} positive
documents of those queries plus {distractors} other SciFact abstracts chosen at random (same
seed). It was made by `scripts/make_demo_sample.py` from the BEIR release of SciFact
(`corpus.jsonl`, `queries.jsonl`, `qrels/train.tsv`); texts and ids are unchanged, the
`metadata` fields are dropped.

- Source: SciFact, David Wadden, Shanchuan Lin, Kyle Lo, Lucy Lu Wang, Madeleine van Zuylen,
  Arman Cohan, Hannaneh Hajishirzi. "Fact or Fiction: Verifying Scientific Claims". EMNLP 2020.
  https://github.com/allenai/scifact
- Abstracts come from S2ORC (Lo et al., ACL 2020).
- BEIR: Thakur et al., "BEIR: A Heterogeneous Benchmark for Zero-shot Evaluation of
  Information Retrieval Models", NeurIPS 2021 Datasets and Benchmarks.
- License: **CC BY-NC 2.0** (Creative Commons Attribution-NonCommercial 2.0),
  https://creativecommons.org/licenses/by-nc/2.0/ . Non-commercial use only; this license
  covers the data in this folder, not trueneg's code (Apache-2.0).

```bibtex
@inproceedings{{Wadden2020FactOF,
  title     = {{Fact or Fiction: Verifying Scientific Claims}},
  author    = {{David Wadden and Shanchuan Lin and Kyle Lo and Lucy Lu Wang and
               Madeleine van Zuylen and Arman Cohan and Hannaneh Hajishirzi}},
  booktitle = {{EMNLP}},
  year      = {{2020}}
}}
```
"""


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_qrels(path: Path) -> list[tuple[str, str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split("\t")) for line in lines if line.strip()]


def sample(source: Path, n_queries: int, n_docs: int, seed: int) -> tuple[list, list, list]:
    """Return (docs, queries, qrels) of the subset, in the source files' order."""
    rng = random.Random(seed)
    qrels = read_qrels(source / "qrels" / "train.tsv")
    judged = sorted({q for q, _, _ in qrels}, key=_natural)
    chosen = set(rng.sample(judged, n_queries))
    kept_qrels = [row for row in qrels if row[0] in chosen]
    positives = {d for _, d, _ in kept_qrels}
    corpus = read_jsonl(source / "corpus.jsonl")
    others = sorted((r["_id"] for r in corpus if r["_id"] not in positives), key=_natural)
    distractors = set(rng.sample(others, max(0, n_docs - len(positives))))
    keep = positives | distractors
    docs = [r for r in corpus if r["_id"] in keep]
    queries = [r for r in read_jsonl(source / "queries.jsonl") if r["_id"] in chosen]
    return docs, queries, kept_qrels


def _natural(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


def write(out: Path, docs: list, queries: list, qrels: list) -> None:
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    corpus_lines = "".join(
        json.dumps({"_id": r["_id"], "title": r.get("title", ""), "text": r["text"]}) + "\n"
        for r in docs
    )
    gz_path = out / "corpus.jsonl.gz"
    with gz_path.open("wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as gz:
        gz.write(corpus_lines.encode("utf-8"))
    query_lines = "".join(json.dumps({"_id": r["_id"], "text": r["text"]}) + "\n" for r in queries)
    (out / "queries.jsonl").write_text(query_lines, encoding="utf-8")
    qrel_lines = "".join("\t".join(row) + "\n" for row in qrels)
    (out / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\n" + qrel_lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--docs", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    docs, queries, qrels = sample(args.source.resolve(), args.queries, args.docs, args.seed)
    write(args.out, docs, queries, qrels)
    positives = len({d for _, d, _ in qrels})
    text = LICENSE.format(
        queries=len(queries),
        seed=args.seed,
        qrels=len(qrels),
        docs=len(docs),
        positives=positives,
        distractors=len(docs) - positives,
    )
    (args.out / "LICENSE.md").write_text(text, encoding="utf-8")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(
        f"wrote {args.out}: {len(docs)} docs, {len(queries)} queries, {len(qrels)} qrels, "
        f"{size / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
