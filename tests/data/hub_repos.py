"""Local copies of Hub dataset repositories, laid out file for file as the Hub's are, with the
tiny hand-made set of ``tests/fixtures.py`` as their rows.

``datasets`` reads a local folder given where a repo id goes through the same README-config
and data-file resolution as a Hub repository, so these exercise the Hub code path offline.

- ``mteb/scifact``: README configs ``default`` (qrels/train.jsonl, qrels/test.jsonl),
  ``corpus`` (corpus.jsonl, split corpus) and ``queries`` (queries.jsonl, split queries);
- ``BeIR/scifact``: README configs ``corpus`` (corpus/corpus-*.parquet, split corpus) and
  ``queries`` (queries/queries-*.parquet, split queries), ``_id``/``title``/``text`` columns;
  ``BeIR/scifact-qrels`` beside it: README card without configs, ``train.tsv``, ``test.tsv``;
- ``sentence-transformers/natural-questions``: README config ``pair`` (pair/train-*.parquet)
  with columns ``query`` and ``answer``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fixtures import TINY_CORPUS, TINY_QRELS, TINY_QUERIES

SHARD = "-00000-of-00001.parquet"
# BeIR ids are numbers written as text ("4983"); the tiny set's d1..d10 and q1..q4 become that.
BEIR_DOC = {doc_id: str(4980 + int(doc_id[1:])) for doc_id, _, _ in TINY_CORPUS}
BEIR_QUERY = {query_id: query_id[1:] for query_id, _ in TINY_QUERIES}
TEST_QRELS = [("q2", "d3", 1), ("q3", "d6", 1)]  # the test split: two of the four queries


def _card(configs: str, extra: str = "") -> str:
    return f"---\nlanguage:\n- en\n{extra}{configs}---\n\n# Dataset card\n"


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def write_mteb_repo(root: Path) -> Path:
    """``root/mteb/scifact`` as mteb publishes it (qrels score as a float, as there)."""
    repo = root / "mteb" / "scifact"
    configs = (
        "configs:\n"
        "- config_name: default\n  data_files:\n"
        "  - split: train\n    path: qrels/train.jsonl\n"
        "  - split: test\n    path: qrels/test.jsonl\n"
        "- config_name: corpus\n  data_files:\n  - split: corpus\n    path: corpus.jsonl\n"
        "- config_name: queries\n  data_files:\n  - split: queries\n    path: queries.jsonl\n"
    )
    repo.mkdir(parents=True)
    (repo / "README.md").write_text(_card(configs, "tags:\n- mteb\n"), encoding="utf-8")
    _jsonl(repo / "corpus.jsonl", [{"_id": d, "title": t, "text": x} for d, t, x in TINY_CORPUS])
    _jsonl(repo / "queries.jsonl", [{"_id": q, "text": x} for q, x in TINY_QUERIES])
    for split, qrels in (("train", TINY_QRELS), ("test", TEST_QRELS)):
        rows = [{"query-id": q, "corpus-id": d, "score": float(s)} for q, d, s in qrels]
        _jsonl(repo / "qrels" / f"{split}.jsonl", rows)
    return repo


def write_beir_repos(root: Path) -> Path:
    """``root/BeIR/scifact`` and ``root/BeIR/scifact-qrels`` as BeIR publishes them."""
    repo, qrels = root / "BeIR" / "scifact", root / "BeIR" / "scifact-qrels"
    configs = (
        "configs:\n"
        "- config_name: corpus\n  data_files:\n  - split: corpus\n    path: corpus/corpus-*\n"
        "- config_name: queries\n  data_files:\n  - split: queries\n    path: queries/queries-*\n"
    )
    (repo / "corpus").mkdir(parents=True)
    (repo / "queries").mkdir()
    (repo / "README.md").write_text(_card(configs), encoding="utf-8")
    corpus = {
        "_id": [BEIR_DOC[d] for d, _, _ in TINY_CORPUS],
        "title": [t for _, t, _ in TINY_CORPUS],
        "text": [x for _, _, x in TINY_CORPUS],
    }
    pq.write_table(pa.table(corpus), repo / "corpus" / f"corpus{SHARD}")
    queries = {
        "_id": [BEIR_QUERY[q] for q, _ in TINY_QUERIES],
        "title": [""] * len(TINY_QUERIES),
        "text": [x for _, x in TINY_QUERIES],
    }
    pq.write_table(pa.table(queries), repo / "queries" / f"queries{SHARD}")
    qrels.mkdir()
    (qrels / "README.md").write_text(_card("", "license:\n- cc-by-sa-4.0\n"), encoding="utf-8")
    for split, rows in (("train", TINY_QRELS), ("test", TEST_QRELS)):
        lines = ["query-id\tcorpus-id\tscore"]
        lines += [f"{BEIR_QUERY[q]}\t{BEIR_DOC[d]}\t{s}" for q, d, s in rows]
        (qrels / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return repo


PAIRS = [
    ("Does vitamin D deficiency cause fractures?", TINY_CORPUS[0][2]),
    ("Does coffee affect sleep?", TINY_CORPUS[2][2]),
    ("Is sugar bad for diabetes risk?", TINY_CORPUS[5][2]),
    ("How does exercise affect the heart?", TINY_CORPUS[4][2]),
]


def write_pairs_repo(root: Path) -> Path:
    """``root/sentence-transformers/natural-questions``: config ``pair``, query/answer."""
    repo = root / "sentence-transformers" / "natural-questions"
    configs = (
        "configs:\n- config_name: pair\n  data_files:\n  - split: train\n    path: pair/train-*\n"
    )
    (repo / "pair").mkdir(parents=True)
    (repo / "README.md").write_text(_card(configs, "tags:\n- sentence-transformers\n"), "utf-8")
    table = pa.table({"query": [q for q, _ in PAIRS], "answer": [a for _, a in PAIRS]})
    pq.write_table(table, repo / "pair" / f"train{SHARD}")
    return repo
