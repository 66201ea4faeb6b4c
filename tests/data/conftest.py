"""Tiny hand-made BEIR folders and pairs files, written into tmp_path."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from trueneg.data import spool

# A four-document corpus. d3 repeats d1 exactly (same title and text, extra spaces), so it
# collapses onto d1. q1's positive is d1; q2 is judged on d2 (positive) and d4 (relevance 0).
DOCS = [
    {"_id": "d1", "title": "Vitamin D", "text": "Vitamin D helps calcium absorption."},
    {"_id": "d2", "title": "Sleep", "text": "Adults need seven hours of sleep.", "metadata": {}},
    {"_id": "d3", "title": "Vitamin D ", "text": "  Vitamin D helps calcium absorption."},
    {"_id": 4, "text": "Coffee contains caffeine."},  # int id, no title
]
QUERIES = [
    {"_id": "q1", "text": "What does vitamin D do?"},
    {"_id": 2, "text": "How much sleep do adults need?"},
    {"_id": "q3", "text": "A query with no qrels in train."},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\n2\td2\t2\n2\t4\t0\n"


@pytest.fixture(autouse=True, params=["one-chunk", "chunks-of-2"])
def chunk_rows(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Every data test runs twice: corpus in one chunk (in memory, as small data always is),
    and in chunks of 2 rows (spooled to a memory-mapped file, duplicates across chunk
    borders): the tables, aliases, reports and errors must be the same."""
    if request.param == "chunks-of-2":
        monkeypatch.setattr(spool, "CHUNK_ROWS", 2)
    return spool.CHUNK_ROWS


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in rows)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def jsonl() -> Callable[[Path, list[dict]], Path]:
    """``jsonl(path, rows)`` writes rows as JSON Lines (gzipped if the name ends in .gz)."""
    return write_jsonl


@pytest.fixture
def make_beir(tmp_path: Path) -> Callable[..., Path]:
    """Write a BEIR folder; override any part with a list of records or raw text/bytes."""

    def make(
        docs: list[dict] | str | bytes = DOCS,
        queries: list[dict] | str | bytes = QUERIES,
        qrels: dict[str, str] | None = None,
        gz: bool = False,
        name: str = "beir",
    ) -> Path:
        folder = tmp_path / name
        (folder / "qrels").mkdir(parents=True)
        suffix = ".jsonl.gz" if gz else ".jsonl"
        for stem, content in (("corpus", docs), ("queries", queries)):
            target = folder / (stem + suffix)
            if isinstance(content, list):
                write_jsonl(target, content)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        for split, text in (qrels if qrels is not None else {"train": QRELS}).items():
            (folder / "qrels" / f"{split}.tsv").write_text(text, encoding="utf-8")
        return folder

    return make
