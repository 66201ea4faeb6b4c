"""Real texts and reference vectors for the fast-encoder parity tests.

``real_texts``: 32 NFCorpus + 32 SciFact abstracts (title + text, as trueneg encodes
documents) from ``../shared/data``; without it, the first 64 abstracts of the bundled SciFact
sample, so the parity tests run everywhere. Many are longer than MiniLM's 256 tokens, so
truncation is exercised. ``reference_vectors``: ``SentenceTransformer.encode_document`` on
them (float32, CPU), computed once per session.
"""

from __future__ import annotations

import gzip
import json
import os
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _abstracts(path: Path, count: int) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        docs = [json.loads(line) for line in islice(handle, count)]
    return [f"{d['title']} {d['text']}" if d.get("title") else d["text"] for d in docs]


@pytest.fixture(scope="session")
def real_texts() -> list[str]:
    override = os.environ.get("TRUENEG_SHARED_DATA")
    shared = Path(override) if override else REPO_ROOT.parent / "shared" / "data"
    if (shared / "nfcorpus").is_dir() and (shared / "scifact").is_dir():
        return _abstracts(shared / "nfcorpus" / "corpus.jsonl", 32) + _abstracts(
            shared / "scifact" / "corpus.jsonl", 32
        )
    from trueneg.data import demo_data_path

    return _abstracts(demo_data_path() / "corpus.jsonl.gz", 64)


@pytest.fixture(scope="session")
def st_model(minilm_path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(minilm_path, device="cpu")


@pytest.fixture(scope="session")
def reference_vectors(st_model, real_texts) -> np.ndarray:
    return st_model.encode_document(real_texts, batch_size=64, normalize_embeddings=True)


@pytest.fixture(scope="session")
def fast_encoder(minilm_path):
    """One CPU float32 FastEncoder over MiniLM for the session (loads on first use)."""
    from trueneg.encode import FastEncoder

    return FastEncoder(minilm_path, device="cpu")
