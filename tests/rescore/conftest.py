"""Fixtures for the rescore tests: a fake judge that needs no weights, and the real judges.

Real models are found through ``TRUENEG_JUDGE_MODEL`` / ``TRUENEG_BGE_MODEL`` or the repo's
``.models/`` folder (a Makefile target fetches them); tests that need them skip when absent.
``minilm_path`` and the offline environment come from ``tests/conftest.py``.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def fake_score(query: str, doc: str) -> float:
    """A deterministic score in [0, 1) that depends on both texts."""
    return zlib.crc32(f"{query}\x1f{doc}".encode()) / 2**32


class FakeJudge:
    """Scores pairs with :func:`fake_score`, records what it scored, can fail on purpose."""

    kind = "fake"

    def __init__(self, fingerprint: str = "fake-judge-v1", fail_after_calls: int | None = None):
        self.fingerprint = fingerprint
        self.fail_after_calls = fail_after_calls
        self.calls = 0
        self.scored: list[tuple[str, str]] = []

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        if self.fail_after_calls is not None and self.calls >= self.fail_after_calls:
            raise KeyboardInterrupt("simulated kill")
        self.calls += 1
        self.scored.extend(zip(queries, docs, strict=True))
        return np.array([fake_score(q, d) for q, d in zip(queries, docs, strict=True)], "f4")


@pytest.fixture(scope="session")
def reranker(judge_model_dir: Path):
    from trueneg.rescore import load_judge

    return load_judge(str(judge_model_dir), device="cpu")


@pytest.fixture(scope="session")
def fake_judge_cls() -> type[FakeJudge]:
    return FakeJudge


@pytest.fixture(scope="session")
def fake_scorer():
    return fake_score
