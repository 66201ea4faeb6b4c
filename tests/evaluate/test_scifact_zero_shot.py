"""The bundled all-MiniLM-L6-v2 on SciFact test gives the published nDCG@10 of 0.645.

Runs only when the SciFact document embeddings are already cached (in ``$TRUENEG_EVAL_CACHE``
or the benchmark caches): encoding the corpus takes minutes on CPU. Complete cache entries are
linked into a temporary folder, so the test never writes into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

SKIP_REASON = (
    "full SciFact encoding takes ~8 min on CPU; "
    "run `python -m benchmarks.quality.evaluate_zero_shot`"
)
CANDIDATES = [
    REPO_ROOT / "benchmarks" / ".cache" / name / "embeddings"
    for name in ("fn-scifact", "eval-scifact")
]


def find_doc_cache(encoder, doc_texts: list[str]) -> Path | None:
    from trueneg.encode import EmbeddingCache

    override = os.environ.get("TRUENEG_EVAL_CACHE")
    for folder in [Path(override)] if override else CANDIDATES:
        cache = EmbeddingCache(folder)
        if cache.is_complete(cache.key(encoder, doc_texts, "document", "float32")):
            return folder
    return None


def link_complete_entries(source: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for done in source.glob("*.done"):
        for suffix in (".npy", ".done"):
            target = source / (done.name.removesuffix(".done") + suffix)
            (dest / target.name).symlink_to(target.resolve())
    return dest


@pytest.mark.slow
def test_minilm_scifact_ndcg_at_10(shared_data, minilm_path, tmp_path):
    from trueneg.data import load_dataset
    from trueneg.encode import SentenceTransformerEncoder
    from trueneg.evaluate import evaluate

    data = shared_data / "scifact"
    dataset = load_dataset(data, split="test")
    encoder = SentenceTransformerEncoder(minilm_path, device="cpu")
    source = find_doc_cache(encoder, dataset.doc_texts())
    if source is None:
        pytest.skip(SKIP_REASON)
    cache = link_complete_entries(source, tmp_path / "cache")
    result = evaluate(encoder, dataset, split="test", cache_dir=cache)
    assert result.num_queries == 300 and result.num_docs == 5183
    assert result.scores["ndcg@10"] == pytest.approx(0.645, abs=0.0015)
    assert result.scores["recall@100"] > 0.9
