"""``--devices``: one worker process per device, without Ray. Two CPU workers stand in for
two GPUs: the vectors, the candidates and a whole mine equal the single-process ones."""

from __future__ import annotations

import json
from contextlib import contextmanager

import numpy as np
import pyarrow.parquet as pq
import pytest
from tests.distributed.test_mine_ray import TOPICS, positive, write_pairs

import trueneg
from trueneg.data.tables import DocumentTexts, make_corpus
from trueneg.distributed import (
    DeviceWorkers,
    encode_on_devices,
    parse_devices,
    search_on_devices,
    spec_kind,
)
from trueneg.distributed.local import portable
from trueneg.encode import EmbeddingCache, FastEncoder, encode_cached
from trueneg.errors import ConfigError
from trueneg.retrieve import ExactRetriever, SearchInput


@pytest.fixture(scope="module")
def two_cpus():
    workers = DeviceWorkers(("cpu", "cpu"))
    yield workers
    workers.close()


@contextmanager
def torch_threads(n: int):
    """This process's matrix products on ``n`` threads, as in one CPU worker: on some CPUs
    (seen with AVX-512/AMX) 1 and 2 threads sum in different orders and the last bits differ."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def encode_alone(encoder, texts, folder, workers) -> np.ndarray:
    """The single-process vectors, on the thread count of one of ``workers``."""
    with torch_threads(workers.cpu_threads):
        return np.asarray(encode_cached(encoder, texts, "document", folder, chunk_size=8))


def tied_inputs(n_queries=45, n_docs=260, dim=4, seed=0) -> SearchInput:
    rng = np.random.default_rng(seed)
    queries = rng.integers(-2, 3, (n_queries, dim)).astype(np.float32)
    docs = rng.integers(-2, 3, (n_docs, dim)).astype(np.float32)  # many exactly equal scores
    positives = [
        rng.choice(n_docs, size=int(rng.integers(0, 3)), replace=False) for _ in range(n_queries)
    ]
    return SearchInput(["q"] * n_queries, ["d"] * n_docs, positives, queries, docs)


def test_device_lists():
    assert parse_devices("cpu,cpu", gpu_count=0) == ("cpu", "cpu")
    assert parse_devices("all", gpu_count=2) == ("cuda:0", "cuda:1")
    assert parse_devices("cuda:1, cuda:0", gpu_count=2) == ("cuda:1", "cuda:0")
    assert spec_kind("all") == "cuda" and spec_kind("cpu,cpu") == "cpu"
    for bad, count in (("all", 0), ("cuda:2", 2), ("gpu0", 1), ("cuda:0,cuda:0", 1)):
        with pytest.raises(ConfigError):
            parse_devices(bad, gpu_count=count)
    with pytest.raises(ConfigError, match="mixes"):
        spec_kind("cpu,cuda:0")


def test_settings_refuse_devices_with_ray_or_other_retrievers(tmp_path):
    with pytest.raises(ConfigError, match="both set"):
        trueneg.mine("x", tmp_path / "r", devices="cpu,cpu", ray="auto")
    with pytest.raises(ConfigError, match="exact dense search only"):
        trueneg.mine("x", tmp_path / "r", devices="cpu,cpu", retriever="bm25")
    with pytest.raises(ConfigError, match="Not a --devices value"):
        trueneg.mine("x", tmp_path / "r", devices="tpu:0")


@pytest.mark.parametrize("chunks", [(4, 32), (1024, 50_000)])
def test_query_shards_give_the_single_process_candidates(two_cpus, chunks, tmp_path):
    inputs = tied_inputs()
    path = tmp_path / "docs.npy"
    np.save(path, inputs.doc_embeddings)
    inputs.doc_embeddings = np.load(path, mmap_mode="r")
    assert portable(inputs.doc_embeddings)[0] == "npy"  # travels as its file name
    assert not isinstance(portable(inputs.doc_embeddings[3:]), tuple)  # a slice travels as is
    retriever = ExactRetriever(*chunks, device="cpu")
    want = retriever.search(inputs, 20)
    got = search_on_devices(ExactRetriever(*chunks), inputs, 20, two_cpus)
    for name in ("offsets", "doc_index", "score", "positive_min", "positive_rank", "rank"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)


@pytest.mark.slow
def test_shards_of_texts_give_the_single_process_vectors(two_cpus, minilm_path, tmp_path):
    texts = [positive(t) for t in TOPICS] + [f"What does {t} do?" for t in TOPICS]
    encoder = FastEncoder(minilm_path, device="cpu")
    alone = encode_alone(encoder, texts, tmp_path / "a", two_cpus)
    spread = encode_on_devices(encoder, texts, "document", tmp_path / "b", two_cpus, chunk_size=8)
    np.testing.assert_array_equal(np.asarray(spread), alone)
    cache = EmbeddingCache(tmp_path / "b")  # the entry a single-device run looks up
    assert cache.is_complete(cache.key(encoder, texts, "document", "float32"))


class CountedTexts(DocumentTexts):
    """The lazy corpus view, remembering the most rows one read asked for."""

    largest = 0

    def __getitem__(self, index):
        got = super().__getitem__(index)
        self.largest = max(self.largest, len(got) if isinstance(index, slice) else 1)
        return got


@pytest.mark.slow
def test_a_lazy_corpus_view_is_read_one_shard_at_a_time(two_cpus, minilm_path, tmp_path):
    texts = [positive(t) for t in TOPICS] * 3
    view = CountedTexts(make_corpus([f"d{i}" for i in range(len(texts))], texts))
    encoder = FastEncoder(minilm_path, device="cpu")
    alone = encode_alone(encoder, list(view), tmp_path / "a", two_cpus)
    spread = encode_on_devices(encoder, view, "document", tmp_path / "b", two_cpus, chunk_size=8)
    np.testing.assert_array_equal(np.asarray(spread), alone)
    assert view.largest == 8 < len(texts)


@pytest.mark.slow
def test_a_mine_on_two_cpu_workers_equals_the_single_process_mine(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    options = {"encoder": "fast", "depth": 10}
    with torch_threads(DeviceWorkers(("cpu", "cpu")).cpu_threads):
        one = trueneg.mine(pairs, tmp_path / "one", cache_dir=tmp_path / "c1", **options)
    two = trueneg.mine(
        pairs, tmp_path / "two", cache_dir=tmp_path / "c2", devices="cpu,cpu", **options
    )
    for name in ("candidates.parquet", "negatives.parquet"):
        assert pq.read_table(two.path / name).equals(pq.read_table(one.path / name)), name
    state = json.loads((two.path / "state.json").read_text())
    assert state["encode"]["devices"]["devices"] == ["cpu", "cpu"]
    assert state["retrieve"]["devices"]["devices"] == ["cpu", "cpu"]
