"""Reading BEIR folders independently of trueneg (the tests' ground truth) and building a
small NFCorpus subset with several positives per query and exact duplicates."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from fixtures import write_beir

NAIVE = {"filters": [], "sampler": "top", "num_negatives": 4, "retriever": "exact"}


@dataclass(frozen=True)
class RawBeir:
    """A BEIR folder read back independently of trueneg's loaders (the test's ground truth)."""

    path: Path
    corpus: list[tuple[str, str, str]]  # (doc_id, title, text) in file order
    queries: dict[str, str]
    positives: dict[str, set[str]]  # query id -> doc ids with qrels score > 0

    def doc_key(self, doc_id: str) -> tuple[str, str]:
        """What makes two corpus rows exact duplicates: stripped title and text."""
        return self._keys[doc_id]

    @property
    def _keys(self) -> dict[str, tuple[str, str]]:
        return {d: (title.strip(), text.strip()) for d, title, text in self.corpus}

    def doc_texts(self) -> list[str]:
        """``title + " " + text`` as trueneg encodes documents (text alone without a title)."""
        return [f"{title} {text}" if title else text for _, title, text in self.corpus]

    def first_id_by_text(self) -> dict[str, str]:
        """Document text -> the first id carrying it (trueneg keeps the earlier duplicate)."""
        out: dict[str, str] = {}
        for (doc_id, *_), text in zip(self.corpus, self.doc_texts(), strict=True):
            out.setdefault(text, doc_id)
        return out

    def forbidden(self, query_id: str) -> tuple[set[str], set[tuple[str, str]]]:
        """Ids and duplicate keys a kept negative of ``query_id`` must never have."""
        keys = self._keys
        ids = self.positives.get(query_id, set())
        return ids, {keys[d] for d in ids if d in keys}


def read_beir(folder: Path, split: str = "train") -> RawBeir:
    corpus = []
    with open(folder / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            corpus.append((str(doc["_id"]), doc.get("title", ""), doc["text"]))
    with open(folder / "queries.jsonl", encoding="utf-8") as handle:
        queries = {str(q["_id"]): q["text"] for q in map(json.loads, handle)}
    positives: dict[str, set[str]] = defaultdict(set)
    with open(folder / "qrels" / f"{split}.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            q, d, score = line.rstrip("\n").split("\t")
            if int(score) > 0:
                positives[q].add(d)
    return RawBeir(folder, corpus, queries, dict(positives))


def write_nfcorpus_subset(
    source: Path, folder: Path, *, queries: int, with_duplicate: int, extra_docs: int, seed: int = 0
) -> Path:
    """NFCorpus train queries with 2-4 positives and unique texts; ``with_duplicate`` of them
    have a positive whose exact duplicate (another id, same title and text) is also put in the
    corpus, so alias handling is exercised."""
    raw = read_beir(source)
    by_key = defaultdict(list)
    for doc_id, title, text in raw.corpus:
        by_key[(title.strip(), text.strip())].append(doc_id)
    partners = {
        d: [o for o in ids if o != d] for ids in by_key.values() if len(ids) > 1 for d in ids
    }
    text_count = defaultdict(int)
    for text in raw.queries.values():
        text_count[text] += 1
    small = sorted(
        q
        for q, pos in raw.positives.items()
        if 2 <= len(pos) <= 4 and q in raw.queries and text_count[raw.queries[q]] == 1
    )
    dup = [q for q in small if any(d in partners for d in raw.positives[q])]
    rng = random.Random(seed)
    chosen = rng.sample(dup, with_duplicate)
    chosen += rng.sample([q for q in small if q not in chosen], queries - with_duplicate)
    needed = {d for q in chosen for d in raw.positives[q]}
    needed |= {o for d in list(needed) for o in partners.get(d, [])}
    others = [d for d, *_ in raw.corpus if d not in needed]
    keep = needed | set(rng.sample(others, extra_docs))
    qrels = [(q, d, 1) for q in sorted(chosen) for d in sorted(raw.positives[q])]
    return write_beir(
        folder,
        [row for row in raw.corpus if row[0] in keep],
        [(q, raw.queries[q]) for q in sorted(chosen)],
        qrels,
    )
