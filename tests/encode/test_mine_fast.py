"""``mine(encoder="fast")`` gives the negatives ``encoder="sentence-transformers"`` gives.

Data: 20 queries of the bundled SciFact sample with their positives and 60 other abstracts,
each abstract cut to its first 300 characters so both runs encode in a few seconds on 2 cores.
The two encoders' vectors differ by ~1e-7 (cosine ≥ 0.99999), so a kept negative can only
change where two candidates tie to that precision: the kept sets are expected to be identical,
and the test allows 5% for such ties.
"""

import gzip
import json
import random

import pyarrow.parquet as pq
import pytest

import trueneg
from fixtures import write_beir
from trueneg.data import demo_data_path

pytestmark = pytest.mark.slow
SETTINGS = {
    "filters": ["percent:0.95"],
    "sampler": "top",
    "num_negatives": 4,
    "retriever": "exact",
    "device": "cpu",
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    source = demo_data_path()
    with gzip.open(source / "corpus.jsonl.gz", "rt", encoding="utf-8") as handle:
        docs = {d["_id"]: d for d in map(json.loads, handle)}
    qrels = [
        line.split("\t") for line in (source / "qrels" / "train.tsv").read_text().splitlines()[1:]
    ]
    rng = random.Random(0)
    query_ids = sorted(rng.sample(sorted({q for q, _, _ in qrels}), 20))
    kept = [(q, d, int(s)) for q, d, s in qrels if q in query_ids and d in docs]
    needed = {d for _, d, _ in kept}
    others = rng.sample(sorted(set(docs) - needed), 60)
    corpus = [(i, docs[i]["title"], docs[i]["text"][:300]) for i in sorted(needed | set(others))]
    with open(source / "queries.jsonl", encoding="utf-8") as handle:
        queries = {q["_id"]: q["text"] for q in map(json.loads, handle)}
    folder = tmp_path_factory.mktemp("sample") / "beir"
    return write_beir(folder, corpus, [(q, queries[q]) for q in query_ids], kept)


def kept_pairs(run) -> set[tuple[str, str]]:
    table = pq.read_table(run.path / "negatives.parquet")
    rows = zip(
        table["query_id"].to_pylist(),
        table["doc_id"].to_pylist(),
        table["kept"].to_pylist(),
        strict=True,
    )
    return {(q, d) for q, d, kept in rows if kept}


def test_fast_encoder_mines_the_same_negatives(sample, minilm_path, tmp_path):
    reference = trueneg.mine(
        sample, tmp_path / "st", model=minilm_path, encoder="sentence-transformers", **SETTINGS
    )
    fast = trueneg.mine(sample, tmp_path / "fast", model=minilm_path, encoder="fast", **SETTINGS)
    want, got = kept_pairs(reference), kept_pairs(fast)
    assert len(want) >= 40
    assert len(want & got) / len(want) >= 0.95, (len(want & got), len(want))

    state = json.loads((fast.path / "manifest.json").read_text())["stages"]["encode"]
    assert (state["encoder"], state["precision"]) == ("fast", "float32")
    assert state["docs_per_s"] > 0
    st_state = json.loads((reference.path / "manifest.json").read_text())["stages"]["encode"]
    assert st_state["encoder"] == "sentence-transformers"
    assert st_state["model_fingerprint"] != state["model_fingerprint"]  # separate caches
