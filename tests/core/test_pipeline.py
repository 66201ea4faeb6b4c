"""mine(): the whole pipeline on a tiny hand-made BEIR set with the real bundled model."""

import json

import pyarrow.parquet as pq
import pytest

import trueneg
from fixtures import TINY_CORPUS, TINY_QRELS, TINY_QUERIES, write_beir, write_tiny_beir
from trueneg.errors import ConfigError, DataError, ModelError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_beir(tmp_path_factory.mktemp("tiny") / "beir")


@pytest.fixture(scope="module")
def naive_run(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "naive"
    return trueneg.mine(tiny, out, filters=[], sampler="top", num_negatives=3)


def test_run_directory_has_tables_and_manifest(naive_run):
    path = naive_run.path
    assert (path / "manifest.json").is_file()
    columns = pq.read_schema(path / "negatives.parquet").names
    assert {"query_id", "doc_id", "rank", "score", "kept", "reason"} <= set(columns)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["trueneg_version"] == trueneg.__version__
    assert manifest["config"]["filters"] == []
    assert manifest["seed"] == 0
    assert manifest["counts"]["queries"] == 4
    assert set(manifest["timings"]) >= {"load", "encode", "retrieve", "select"}


def test_positives_and_their_duplicates_are_never_candidates(naive_run):
    rows = naive_run.negatives().to_pylist()
    pairs = {(r["query_id"], r["doc_id"]) for r in rows}
    for positive in [("q1", "d1"), ("q2", "d3"), ("q3", "d6"), ("q4", "d5")]:
        assert positive not in pairs
    # d7 duplicates d1 exactly: it collapsed into d1 at load time
    assert not any(r["doc_id"] == "d7" for r in rows)


def test_naive_top_k_keeps_the_false_negative(naive_run):
    # d2 paraphrases q1's positive: naive top-k mines it (this is the problem trueneg solves)
    kept = naive_run.negatives(kept_only=True).to_pylist()
    assert ("q1", "d2") in {(r["query_id"], r["doc_id"]) for r in kept}
    assert naive_run.summary().kept == 12


def test_default_on_few_queries_takes_the_upper_bound_and_drops_the_false_negative(tiny, tmp_path):
    run = trueneg.mine(tiny, tmp_path / "default", num_negatives=3)
    rows = {(r["query_id"], r["doc_id"]): r for r in run.negatives().to_pylist()}
    assert rows[("q1", "d2")]["kept"] is False
    assert rows[("q1", "d2")]["reason"] in {"rank-window", "percent", "near-duplicate"}
    assert run.summary().dropped
    auto = run.manifest["auto"]
    assert "upper end of its 95% interval" in auto["reason"]
    assert auto["evidence"]["queries_ranked"] == 4
    assert auto["evidence"]["contamination_estimate"] == "upper end of each rank's 95% interval"
    filters = run.manifest["config"]["filters"]
    assert filters[0].startswith("rank-window:")  # 4 queries prove little: the window moves down
    assert filters[1:] == ["near-duplicate:0.95"]


def test_rerun_reuses_every_stage(tiny, naive_run):
    before = json.loads((naive_run.path / "state.json").read_text())
    again = trueneg.mine(tiny, naive_run.path, filters=[], sampler="top", num_negatives=3)
    after = json.loads((again.path / "state.json").read_text())
    assert before == after
    assert again.summary().timings["retrieve"] == 0.0


def test_changing_selection_reuses_retrieval(tiny, naive_run, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(naive_run.path, copy)
    state = json.loads((copy / "state.json").read_text())
    run = trueneg.mine(tiny, copy, filters=["rank-window:2-5"], sampler="random", num_negatives=2)
    new_state = json.loads((copy / "state.json").read_text())
    assert new_state["retrieve"] == state["retrieve"]
    assert new_state["select"] != state["select"]
    kept = run.negatives(kept_only=True)
    assert all(2 <= r < 5 for r in kept["rank"].to_pylist())


def test_positive_rank_drops_the_queries_whose_positive_the_model_cannot_find(tmp_path):
    # q5's label is wrong (salt ↔ fiber): the model ranks its "positive" below other documents
    data = write_beir(
        tmp_path / "noisy",
        TINY_CORPUS,
        [*TINY_QUERIES, ("q5", "Does salt raise blood pressure?")],
        [*TINY_QRELS, ("q5", "d10", 1)],
    )
    run = trueneg.mine(
        data, tmp_path / "run", filters=["positive-rank:1"], sampler="top", num_negatives=2
    )
    ranks = dict(
        zip(
            *run.query_stats().select(["query_id", "positive_rank"]).to_pydict().values(),
            strict=True,
        )
    )
    assert ranks["q5"] > 1 and all(ranks[q] == 1 for q in ("q1", "q2", "q3", "q4"))
    rows = run.negatives().to_pylist()
    assert {r["query_id"] for r in rows if r["kept"]} == {"q1", "q2", "q3", "q4"}
    assert {r["reason"] for r in rows if r["query_id"] == "q5"} == {"positive-rank"}
    assert run.manifest["config"]["filters"] == ["positive-rank:1"]


@pytest.mark.parametrize(
    "fmt", ["triplet", "n-tuple", "labeled-pair", "labeled-list", "flagembedding", "tevatron"]
)
def test_every_export_format(naive_run, tmp_path, fmt):
    path = naive_run.export(fmt, tmp_path / f"out-{fmt}.jsonl")
    lines = path.read_text().splitlines()
    assert lines and all(json.loads(line) for line in lines)


def test_to_dataset(naive_run):
    ds = naive_run.to_dataset("triplet")
    assert ds.column_names[:3] == ["anchor", "positive", "negative"]
    assert len(ds) == 12


def test_unknown_strategy_lists_valid_names(tiny, tmp_path):
    with pytest.raises(ConfigError, match="rank-window"):
        trueneg.mine(tiny, tmp_path / "x", filters=["percentt:0.9"])


def test_missing_data_and_model(tiny, tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        trueneg.mine(tmp_path / "nope", tmp_path / "x")
    assert not (tmp_path / "x").exists(), "a failed run must not leave an empty run directory"
    with pytest.raises(ModelError, match="does-not-exist"):
        trueneg.mine(tiny, tmp_path / "y", model=str(tmp_path / "does-not-exist"))


def test_more_negatives_than_corpus_keeps_short(tiny, tmp_path):
    run = trueneg.mine(tiny, tmp_path / "many", filters=[], num_negatives=50)
    summary = run.summary()
    assert summary.queries_short == 4
    assert summary.kept == summary.candidates


def test_scores_export_uses_the_positives_real_scores(naive_run):
    table = naive_run.export("flagembedding", include_scores=True)
    rows = table.to_pylist()
    positives = naive_run.positive_scores().to_pylist()
    by_pair = {(r["query_id"], r["doc_id"]): r["score"] for r in positives}
    assert by_pair[("q1", "d1")] > 0.5  # cosine of q1 with its positive, not a placeholder
    q1 = next(r for r in rows if r["query"].startswith("Does vitamin D"))
    assert q1["pos_scores"] == [pytest.approx(by_pair[("q1", "d1")], abs=1e-6)]
    assert all(s < q1["pos_scores"][0] for s in q1["neg_scores"])


def test_cuda_without_a_gpu_fails_before_any_work(tiny, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="CUDA"):
        trueneg.mine(tiny, tmp_path / "gpu", device="cuda")
    assert not (tmp_path / "gpu").exists()
