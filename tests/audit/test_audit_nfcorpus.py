"""The audit on a real NFCorpus subset with the real MiniLM model (and the real judge).

The hidden-qrels numbers are recounted by brute force here: exact cosine search over the
cached embeddings in plain numpy, the run's filters written out by hand, ranks counted per
query. Only the seeded draw of hidden positives is shared (it has its own unit tests).
"""

from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import trueneg
from fixtures import write_beir
from trueneg.audit import audit
from trueneg.audit.buckets import bucket_index
from trueneg.audit.hidden import hide_positives

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
K = 4
DEPTH = 100


def write_nfcorpus_subset(
    source: Path, folder: Path, *, queries: int, max_positives: int, extra_docs: int, seed: int
) -> Path:
    """``queries`` train queries with 3+ positives, ``max_positives`` of them labeled each (the
    rest are dropped from the qrels), those documents and ``extra_docs`` random others."""
    qrels = defaultdict(list)
    with open(source / "qrels" / "train.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            q, d, s = line.rstrip("\n").split("\t")
            if int(s) > 0:
                qrels[q].append(d)
    rng = random.Random(seed)
    chosen = sorted(rng.sample(sorted(q for q, d in qrels.items() if len(d) >= 3), queries))
    labeled = {
        q: sorted(rng.sample(sorted(qrels[q]), min(max_positives, len(qrels[q])))) for q in chosen
    }
    needed = {d for docs in labeled.values() for d in docs}
    docs = _jsonl(source / "corpus.jsonl")
    others = [d["_id"] for d in docs if d["_id"] not in needed]
    keep = needed | set(rng.sample(others, extra_docs))
    texts = {q["_id"]: q["text"] for q in _jsonl(source / "queries.jsonl")}
    return write_beir(
        folder,
        [(d["_id"], d.get("title", ""), d["text"]) for d in docs if d["_id"] in keep],
        [(q, texts[q]) for q in chosen],
        [(q, d, 1) for q in chosen for d in labeled[q]],
    )


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def nf_run(shared_data, minilm_path, tmp_path_factory):
    root = tmp_path_factory.mktemp("nfaudit")
    data = write_nfcorpus_subset(
        shared_data / "nfcorpus", root / "beir", queries=30, max_positives=4, extra_docs=40, seed=11
    )
    return trueneg.mine(
        data,
        root / "run",
        model=minilm_path,
        device="cpu",
        num_negatives=K,
        depth=DEPTH,
        cache_dir=str(root / "cache"),
        # the strategy the brute-force recount below replays (auto's own, on 30 queries, is a
        # randomly sampled window)
        filters=["percent:0.95", "near-duplicate:0.95"],
        sampler="top",
    )


@pytest.fixture(scope="module")
def nf_report(nf_run):
    return audit(nf_run, hide_fraction=0.5, seed=0)


@pytest.fixture(scope="module")
def brute_force(nf_run, minilm_path):
    """Per eligible query: hidden doc positions, and the naive / run-strategy / candidate picks
    recomputed with plain numpy."""
    from trueneg.encode import SentenceTransformerEncoder, encode_cached
    from trueneg.pipeline import prepare as _prepare

    prepared = _prepare(nf_run.dataset(), "x")
    encoder = SentenceTransformerEncoder(minilm_path, device="cpu")
    cache = Path(nf_run.manifest["config"]["cache_dir"])
    docs = np.asarray(
        encode_cached(encoder, prepared.dataset.doc_texts(), "document", cache), dtype=np.float32
    )
    queries = np.asarray(
        encode_cached(encoder, prepared.dataset.query_texts(), "query", cache), dtype=np.float32
    )
    visible, hidden = hide_positives(
        prepared.query_ids, prepared.positives, prepared.doc_ids, 0.5, 0
    )
    out = {"naive": [0, 0], "run": [0, 0], "buckets": np.zeros((5, 2), dtype=int), "queries": 0}
    for q in range(len(prepared.query_ids)):
        if hidden[q].size == 0:
            continue
        out["queries"] += 1
        scores = docs @ queries[q]
        order = [
            int(i)
            for i in sorted(range(len(scores)), key=lambda i: (-scores[i], i))
            if i not in set(visible[q].tolist())
        ][:DEPTH]
        is_hidden = np.isin(order, hidden[q])
        np.add.at(out["buckets"], (bucket_index(np.arange(1, len(order) + 1)), 0), 1)
        np.add.at(out["buckets"], (bucket_index(np.arange(1, len(order) + 1)), 1), is_hidden)
        out["naive"][0] += min(K, len(order))
        out["naive"][1] += int(is_hidden[:K].sum())
        s_pos = scores[visible[q]].min()
        cosine = (docs[order] @ docs[visible[q]].T).max(axis=1)
        passing = [
            i
            for i, d in enumerate(order)
            if scores[d] <= s_pos - abs(s_pos) * 0.05 and cosine[i] < 0.95
        ][:K]
        out["run"][0] += len(passing)
        out["run"][1] += int(is_hidden[passing].sum())
    return out


def test_hidden_qrels_match_a_brute_force_recount(nf_report, brute_force):
    hidden = nf_report.hidden_qrels
    assert hidden.queries_eligible == brute_force["queries"] == 30
    by_name = {s.strategy: s for s in hidden.strategies}
    assert (by_name["naive top-k"].kept, by_name["naive top-k"].false_negatives) == tuple(
        brute_force["naive"]
    )
    assert (
        by_name["this run's strategy"].kept,
        by_name["this run's strategy"].false_negatives,
    ) == tuple(brute_force["run"])
    rows = [(b.rows, int(b.false_negatives)) for b in hidden.candidate_rate_by_rank]
    assert rows == [tuple(r) for r in brute_force["buckets"] if r[0]]
    assert hidden.false_negative_rate == pytest.approx(
        brute_force["run"][1] / brute_force["run"][0]
    )


def test_hidden_positives_are_found_and_filters_remove_some(nf_report):
    by_name = {s.strategy: s for s in nf_report.hidden_qrels.strategies}
    naive, window = by_name["naive top-k"], by_name["rank-window 10-110"]
    assert naive.false_negatives > 0  # NFCorpus: hidden positives crowd the top ranks
    assert window.fn_rate <= naive.fn_rate
    top = nf_report.hidden_qrels.candidate_rate_by_rank[0]
    assert top.bucket == "1-5" and top.rate > 0


def test_depth_and_health_on_real_data(nf_report):
    depth = nf_report.depth
    assert depth is not None and depth.window is not None
    lo, hi = depth.window
    assert depth.rank_window_filter == f"rank-window:{lo}-{hi + 1}"
    assert "hidden-qrels" in depth.basis
    health = nf_report.health
    assert health.queries == 30
    assert set(health.near_duplicate_share) == {"pos_cosine >= 0.9", "pos_cosine >= 0.95"}
    assert 0 <= health.positive_not_in_top_k <= 1
    assert nf_report.suspicious and "retriever score" in nf_report.suspicious[0]["why"]


def _judge_dir() -> Path:
    path = Path(
        os.environ.get("TRUENEG_JUDGE_MODEL") or REPO / ".models" / "ms-marco-MiniLM-L-12-v2"
    )
    if not (path / "model.onnx").is_file():
        pytest.skip(f"real judge not found at {path}; set TRUENEG_JUDGE_MODEL")
    return path


# ρ and α come from about a fifth of the judged sample each. NFCorpus positives score low
# under the ms-marco judge (τ ~ 1e-4), so on ~10 documents each a draw can have ρ ≤ α and
# leave the estimate undefined (48 pairs at seed 0 did: ρ 0.55 from 11 positives, α 0.6
# from 10 random documents): 96 pairs give ~20 each.
JUDGE_SAMPLE = 96


def test_real_judge_estimate_on_a_small_sample(nf_run):
    report = audit(nf_run, judge=str(_judge_dir()), judge_sample=JUDGE_SAMPLE, seed=0)
    estimate = report.judge_estimate
    assert estimate is not None
    assert estimate.estimated_false_negative_rate is not None, estimate.notes
    assert estimate.ci_low <= estimate.estimated_false_negative_rate <= estimate.ci_high
    assert "median judge score of hidden positives" in estimate.calibration
    assert 0.3 <= estimate.recall_on_positives <= 0.7  # τ is the reference's median
    validation = estimate.validation
    assert validation is not None
    assert validation.get("explanation") or validation["reason"].startswith("not computable")
    assert report.suspicious[0]["judge"] is not None
    cache = Path(nf_run.manifest["config"]["cache_dir"]) / "judge"  # shared cache
    scored = sum(1 for _ in cache.rglob("part-*.parquet"))
    assert scored >= 1
    again = audit(nf_run, judge=str(_judge_dir()), judge_sample=JUDGE_SAMPLE, seed=0)  # cached
    assert (
        again.judge_estimate.estimated_false_negative_rate == estimate.estimated_false_negative_rate
    )
