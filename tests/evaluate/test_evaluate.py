"""``evaluate`` end to end with the fake encoder (no weights): unmasked exact search, cache
reuse, queries without a relevant document, result files, errors."""

from __future__ import annotations

import json

import pytest

from fixtures import TINY_CORPUS, TINY_QRELS, TINY_QUERIES, write_beir, write_tiny_beir
from trueneg.errors import DataError, ModelError
from trueneg.evaluate import EvalResult, evaluate
from trueneg.evaluate.core import default_cache_dir

# q5 is judged, but only with relevance 0: it has no relevant document and is left out.
QUERIES = [*TINY_QUERIES, ("q5", "Is salt bad for you?")]
QRELS = [*TINY_QRELS, ("q5", "d9", 0)]


@pytest.fixture
def beir(tmp_path):
    return write_beir(tmp_path / "beir", TINY_CORPUS, QUERIES, QRELS, split="test")


def test_scores_and_counts(beir, fake_encoder, tmp_path):
    result = evaluate(fake_encoder, beir, cache_dir=tmp_path / "cache")
    assert set(result.scores) == {"ndcg@10", "recall@100", "mrr@10"}
    assert result.num_queries == 4 and result.queries_without_relevant == 1
    assert set(result.per_query["ndcg@10"]) == {"q1", "q2", "q3", "q4"}
    assert result.num_docs == 9  # d7 repeats d1 and is collapsed into it
    # 9 documents, depth 100: every relevant document is retrieved.
    assert result.scores["recall@100"] == 1.0
    for metric, values in result.per_query.items():
        assert result.scores[metric] == pytest.approx(sum(values.values()) / 4)


def test_labeled_positives_are_candidates(beir, tmp_path, make_fake_encoder):
    """The run is not masked: a query identical to its positive ranks it first."""
    queries = [(q, t) for q, t in QUERIES]
    queries[0] = (
        "q1",
        "Vitamin D Vitamin D deficiency is linked to weaker bones and more fractures.",
    )
    data = write_beir(tmp_path / "same", TINY_CORPUS, queries, QRELS, split="test")
    result = evaluate(make_fake_encoder(dim=256), data, cache_dir=tmp_path / "cache")
    assert result.per_query["mrr@10"]["q1"] == 1.0
    assert result.per_query["ndcg@10"]["q1"] == 1.0


def test_document_embeddings_are_cached(beir, tmp_path, make_fake_encoder):
    encoder = make_fake_encoder()
    first = evaluate(encoder, beir, cache_dir=tmp_path / "cache")
    assert encoder.texts_encoded == 9 + 4
    again = evaluate(encoder, beir, cache_dir=tmp_path / "cache", metrics=["map"])
    assert encoder.texts_encoded == 9 + 4  # documents and queries both came from the cache
    assert set(again.scores) == {"map"} and first.num_queries == again.num_queries


def test_graded_qrels_reach_ndcg(tmp_path, fake_encoder):
    """Swapping which of two relevant documents is graded 5 changes nDCG, not recall."""
    results = []
    for name, grades in {"a": (5, 1), "b": (1, 5)}.items():
        qrels = [("q1", "d1", grades[0]), ("q1", "d2", grades[1])]
        data = write_beir(tmp_path / name, TINY_CORPUS, TINY_QUERIES, qrels, split="test")
        results.append(evaluate(fake_encoder, data, cache_dir=tmp_path / "cache"))
    first, second = results
    assert first.num_queries == second.num_queries == 1
    assert first.scores["recall@100"] == second.scores["recall@100"] == 1.0
    assert first.scores["ndcg@10"] != pytest.approx(second.scores["ndcg@10"])
    assert max(first.scores["ndcg@10"], second.scores["ndcg@10"]) == pytest.approx(1.0)


def test_save_and_load_round_trip(beir, fake_encoder, tmp_path):
    result = evaluate(fake_encoder, beir, cache_dir=tmp_path / "cache", name="fake")
    path = result.save(tmp_path / "out" / "fake.json")
    payload = json.loads(path.read_text())
    assert payload["ndcg@10"] == result.scores["ndcg@10"] and "per_query" in payload
    loaded = EvalResult.load(path)
    assert loaded == result and loaded.name == "fake"
    assert "per_query" not in result.to_dict()


def test_load_rejects_other_json(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"ndcg@10": 0.5}')
    with pytest.raises(DataError, match="not a saved evaluation result"):
        EvalResult.load(path)
    with pytest.raises(DataError, match="Cannot read"):
        EvalResult.load(tmp_path / "missing.json")


def test_missing_split_lists_the_splits_found(beir, fake_encoder, tmp_path):
    with pytest.raises(DataError, match="no qrels for split 'dev'") as caught:
        evaluate(fake_encoder, beir, split="dev", cache_dir=tmp_path / "cache")
    assert "test" in str(caught.value.received)


def test_split_without_any_relevant_document(tmp_path, fake_encoder):
    data = write_beir(tmp_path / "zero", TINY_CORPUS, TINY_QUERIES, [("q1", "d1", 0)], split="test")
    with pytest.raises(DataError, match="No query of split 'test' has a relevant document"):
        evaluate(fake_encoder, data, cache_dir=tmp_path / "cache")


def test_model_folder_that_does_not_exist(tmp_path):
    data = write_tiny_beir(tmp_path / "tiny")
    with pytest.raises(ModelError, match="Model folder not found"):
        evaluate(str(tmp_path / "no-such-model"), data, split="train", cache_dir=tmp_path)


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUENEG_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path  # the folder `trueneg mine` shares
    monkeypatch.delenv("TRUENEG_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir().parts[-2:] == (".cache", "trueneg")
