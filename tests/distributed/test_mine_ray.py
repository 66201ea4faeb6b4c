"""`mine(..., ray="auto")` on a real local Ray instance gives the single-process negatives.

The demo-sample runs share one embedding cache filled by a weightless bag-of-words encoder
(stored under the real model's fingerprint, in tmp only): Ray's search and the selection after
it are what is compared, on vectors with many exactly tied scores. One test really encodes
through Ray actors with the bundled model, on a 40-text pairs file.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import trueneg
from trueneg.data import demo_data_path
from trueneg.data.tables import document_texts
from trueneg.encode import EmbeddingCache, SentenceTransformerEncoder

COLUMNS = ["query_id", "doc_id", "rank", "kept", "reason"]
MINILM_DIM = 384


def bag_of_words(texts: list[str], kind: str, dim: int = 8) -> np.ndarray:
    """Deterministic vectors that need no weights; 8 dims, so many scores tie exactly."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[row, zlib.crc32(word.encode()) % dim] += 1.0
        out[row, zlib.crc32(kind.encode()) % dim] += 0.1
    return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory) -> Path:
    """A single-process run of the demo sample; its cache is shared with the Ray runs."""
    root = tmp_path_factory.mktemp("ray-demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            SentenceTransformerEncoder,
            "encode",
            lambda self, texts, kind, show_progress=False: bag_of_words(texts, kind),
        )
        trueneg.mine(demo_data_path(), root / "local", cache_dir=root / "cache")
    return root


def state(run: Path) -> dict:
    return json.loads((run / "state.json").read_text())


def table(run: Path, name: str, columns=None):
    return pq.read_table(run / name, columns=columns)


def assert_same_rows(got, expected) -> None:
    """Equal tables; float columns to 1e-6, since BLAS may round a score's last bit differently
    in a Ray shard (another matrix width or thread count, CPU-dependent)."""
    import pyarrow as pa

    assert got.schema == expected.schema
    for name in expected.column_names:  # a failure shows the first differing row
        if pa.types.is_floating(expected.schema.field(name).type):
            values, wanted = got[name].to_numpy(), expected[name].to_numpy()
            np.testing.assert_allclose(values, wanted, rtol=0, atol=1e-6, err_msg=name)
        else:
            assert got[name].to_pylist() == expected[name].to_pylist(), name


@pytest.mark.slow
def test_ray_run_gives_the_same_negatives_as_the_local_run(ray_cluster, demo_runs):
    local, ray_run = demo_runs / "local", demo_runs / "ray"
    trueneg.mine(
        demo_data_path(), ray_run, cache_dir=demo_runs / "cache", ray="auto", ray_workers=4
    )
    assert_same_rows(
        table(ray_run, "negatives.parquet", COLUMNS), table(local, "negatives.parquet", COLUMNS)
    )
    for name in ("candidates.parquet", "query_stats.parquet", "positives.parquet"):
        assert_same_rows(table(ray_run, name), table(local, name))
    assert state(ray_run)["retrieve"]["ray"] == {
        "address": "auto",
        "workers": 4,
        "cpus": 4,
        "gpus": 0,
        "shards": 4,
    }
    assert "ray" not in state(ray_run)["encode"]  # every vector came from the shared cache
    assert state(ray_run)["retrieve"]["fingerprint"] == state(local)["retrieve"]["fingerprint"]


@pytest.mark.slow
def test_a_local_rerun_reuses_what_ray_retrieved(ray_cluster, demo_runs):
    run = demo_runs / "switch"
    trueneg.mine(demo_data_path(), run, cache_dir=demo_runs / "cache", ray="auto", ray_workers=2)
    before = state(run)["retrieve"]
    trueneg.mine(demo_data_path(), run, cache_dir=demo_runs / "cache")
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["timings"]["retrieve"] == 0.0
    assert state(run)["retrieve"] == before  # reused; it still says it ran on Ray


TOPICS = [
    "vitamin D",
    "green tea",
    "sleep",
    "salt",
    "exercise",
    "coffee",
    "sugar",
    "fiber",
    "smoking",
    "alcohol",
    "stress",
    "iron",
    "zinc",
    "obesity",
    "asthma",
    "insulin",
    "statins",
    "aspirin",
    "malaria",
    "measles",
]


def positive(topic: str) -> str:
    return f"Studies link {topic} to changes in long-term health outcomes."


def write_pairs(path: Path) -> Path:
    """20 (query, positive) pairs: 40 texts."""
    rows = [{"query": f"What does {t} do to health?", "positive": positive(t)} for t in TOPICS]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


class HalfDoneEncoder:
    """The bundled model's fingerprint, constant vectors, and a crash after the first chunk:
    leaves a cache entry with its first rows done, as an interrupted run would."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint, self.dim, self.calls = fingerprint, MINILM_DIM, 0

    def encode(self, texts: list[str], kind: str, *, show_progress: bool = False) -> np.ndarray:
        self.calls += 1
        if self.calls > 1:
            raise KeyboardInterrupt("simulated crash")
        return np.full((len(texts), MINILM_DIM), 0.05, dtype=np.float32)


def cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.slow
def test_encoding_through_ray_actors_matches_local_and_resumes(
    ray_cluster, minilm_encoder, tmp_path
):
    pairs, cache_dir = write_pairs(tmp_path / "pairs.jsonl"), tmp_path / "cache"
    texts = [positive(t) for t in TOPICS]
    cache = EmbeddingCache(cache_dir)
    with pytest.raises(KeyboardInterrupt):  # rows 0..7 of the documents are done
        cache.encode(HalfDoneEncoder(minilm_encoder.fingerprint), texts, "document", chunk_size=8)

    run = trueneg.mine(pairs, tmp_path / "run", cache_dir=cache_dir, ray="auto", ray_workers=2)
    docs = document_texts(table(run.path, "data/corpus.parquet"))
    queries = table(run.path, "data/queries.parquet")["text"].to_pylist()
    assert docs == texts and len(docs) + len(queries) == 40
    assert state(run.path)["encode"]["ray"]["workers"] == 2
    for kind, kind_texts in (("document", docs), ("query", queries)):
        key = cache.key(minilm_encoder, kind_texts, kind, "float32")
        assert cache.is_complete(key)  # the entry a local run looks up: it is reused
        on_ray = np.asarray(cache.load(key))
        start = 8 if kind == "document" else 0
        assert np.all(on_ray[:start] == np.float32(0.05))  # finished rows were kept
        local = minilm_encoder.encode(kind_texts[start:], kind)
        assert cos(on_ray[start:], local).min() >= 0.9999
