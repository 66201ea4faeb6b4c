"""Real-data fixtures for the integration tests: small SciFact and NFCorpus subsets, one
session-wide embedding cache, and the naive top-k runs that several modules compare against.

Sizes are kept small because MiniLM encodes only ~10-20 abstracts/s on the CI machine:
SciFact 40 train queries + their positives + 80 other abstracts; NFCorpus 12 train queries
with 2-4 positives each (some with an exact duplicate of a positive in the corpus) + 50 others.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import trueneg
from fixtures import write_subset
from integration.realdata import NAIVE, write_nfcorpus_subset


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory) -> Path:
    """One embedding cache for every real-model run of the session."""
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="session")
def scifact_subset(shared_data, tmp_path_factory) -> Path:
    return write_subset(
        shared_data / "scifact",
        tmp_path_factory.mktemp("scifact") / "beir",
        queries=40,
        extra_docs=80,
        seed=7,
    )


@pytest.fixture(scope="session")
def nfcorpus_subset(shared_data, tmp_path_factory) -> Path:
    return write_nfcorpus_subset(
        shared_data / "nfcorpus",
        tmp_path_factory.mktemp("nfcorpus") / "beir",
        queries=12,
        with_duplicate=3,
        extra_docs=50,
        seed=3,
    )


@pytest.fixture(scope="session")
def mine_real(minilm_path, embedding_cache, tmp_path_factory):
    """``mine_real(data, **settings)``: mine with the real model into a fresh run directory,
    sharing the session's embedding cache."""

    def run(data: Path, **settings):
        out = tmp_path_factory.mktemp("run") / "run"
        extra = {"cache_dir": str(embedding_cache), **settings.pop("extra", {})}
        return trueneg.mine(data, out, model=minilm_path, extra=extra, **settings)

    return run


@pytest.fixture(scope="session")
def naive_scifact(scifact_subset, mine_real):
    return mine_real(scifact_subset, **NAIVE)


@pytest.fixture(scope="session")
def naive_nfcorpus(nfcorpus_subset, mine_real):
    return mine_real(nfcorpus_subset, **NAIVE)
