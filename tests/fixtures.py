"""Small data builders shared by integration tests."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

# A tiny hand-made BEIR set. q1's labeled positive is d1; d2 says the same thing in other
# words, so it is a FALSE NEGATIVE that naive top-k would mine; d7 is an exact duplicate of
# d1 (same title and text) and must never become a candidate.
TINY_CORPUS = [
    ("d1", "Vitamin D", "Vitamin D deficiency is linked to weaker bones and more fractures."),
    ("d2", "Bone health", "Low vitamin D levels are associated with fragile bones and fractures."),
    ("d3", "Coffee", "Coffee consumption and its effect on sleep quality in adults."),
    ("d4", "Green tea", "Green tea catechins and their antioxidant activity."),
    ("d5", "Exercise", "Regular exercise improves cardiovascular health in older adults."),
    ("d6", "Sugar", "High sugar intake raises the risk of type 2 diabetes."),
    ("d7", "Vitamin D", "Vitamin D deficiency is linked to weaker bones and more fractures."),
    ("d8", "Sleep", "Poor sleep is associated with obesity and metabolic disease."),
    ("d9", "Salt", "Reducing salt intake lowers blood pressure."),
    ("d10", "Fiber", "Dietary fiber supports gut health and regular digestion."),
]
TINY_QUERIES = [
    ("q1", "Does vitamin D deficiency cause fractures?"),
    ("q2", "Does coffee affect sleep?"),
    ("q3", "Is sugar bad for diabetes risk?"),
    ("q4", "How does exercise affect the heart?"),
]
TINY_QRELS = [("q1", "d1", 1), ("q2", "d3", 1), ("q3", "d6", 1), ("q4", "d5", 1), ("q4", "d9", 0)]


def write_beir(folder: Path, corpus, queries, qrels, split: str = "train") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as handle:
        for doc_id, title, text in corpus:
            handle.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as handle:
        for query_id, text in queries:
            handle.write(json.dumps({"_id": query_id, "text": text}) + "\n")
    (folder / "qrels").mkdir(exist_ok=True)
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{s}" for q, d, s in qrels]
    (folder / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def write_tiny_beir(folder: Path) -> Path:
    return write_beir(folder, TINY_CORPUS, TINY_QUERIES, TINY_QRELS)


def write_subset(
    source: Path,
    folder: Path,
    *,
    queries: int,
    extra_docs: int,
    seed: int = 0,
    split: str = "train",
) -> Path:
    """A real BEIR subset: ``queries`` random queries of ``split``, all their positives and
    ``extra_docs`` other random documents."""
    qrels = defaultdict(list)
    with open(source / "qrels" / f"{split}.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            q, d, s = line.rstrip("\n").split("\t")
            qrels[q].append((d, int(s)))
    rng = random.Random(seed)
    chosen = sorted(rng.sample(sorted(qrels), queries))
    needed = {d for q in chosen for d, _ in qrels[q]}
    with open(source / "corpus.jsonl", encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle]
    others = [d for d in docs if d["_id"] not in needed]
    keep_ids = needed | {d["_id"] for d in rng.sample(others, extra_docs)}
    corpus = [(d["_id"], d.get("title", ""), d["text"]) for d in docs if d["_id"] in keep_ids]
    with open(source / "queries.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    all_queries = {row["_id"]: row["text"] for row in rows}
    return write_beir(
        folder,
        corpus,
        [(q, all_queries[q]) for q in chosen],
        [(q, d, s) for q in chosen for d, s in qrels[q]],
        split=split,
    )
