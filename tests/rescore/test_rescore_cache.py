"""rescore(): dedup, cache per (query, doc, judge), resume after a kill, input validation."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trueneg.errors import ConfigError, DataError
from trueneg.rescore import rescore

QUERIES = {f"q{i}": f"query number {i} " + "w" * i for i in range(5)}
DOCS = {f"d{j}": f"document {j} " + "z" * (3 * j) for j in range(8)}
QIDS = [q for q in QUERIES for _ in DOCS]
DIDS = [d for _ in QUERIES for d in DOCS]  # 40 distinct pairs


def expected_scores(fake_scorer, qids, dids):
    return np.array(
        [fake_scorer(QUERIES[q], DOCS[d]) for q, d in zip(qids, dids, strict=True)], "f4"
    )


def test_scores_are_aligned_with_input_pairs(tmp_path, fake_judge_cls, fake_scorer):
    result = rescore(fake_judge_cls(), QIDS, DIDS, QUERIES, DOCS, tmp_path, batch_size=7)
    np.testing.assert_array_equal(result.scores, expected_scores(fake_scorer, QIDS, DIDS))
    assert (result.pairs_scored, result.pairs_cached) == (40, 0)
    assert result.scores.dtype == np.float32
    assert result.pairs_per_s > 0 and result.seconds > 0


def test_duplicate_pairs_are_scored_once(tmp_path, fake_judge_cls, fake_scorer):
    judge = fake_judge_cls()
    qids, dids = ["q1", "q2", "q1", "q1"], ["d3", "d3", "d3", "d0"]
    result = rescore(judge, qids, dids, QUERIES, DOCS, tmp_path)
    assert len(judge.scored) == 3
    assert result.pairs_scored == 3
    assert result.scores[0] == result.scores[2]
    np.testing.assert_array_equal(result.scores, expected_scores(fake_scorer, qids, dids))


def test_resume_after_kill_scores_only_missing_pairs(tmp_path, fake_judge_cls):
    # shards of 8 pairs scored in batches of 4: 2 judge calls per shard; the judge dies in
    # its 5th call, i.e. during the 3rd shard, after 2 shards reached the disk
    crashing = fake_judge_cls(fail_after_calls=4)
    with pytest.raises(KeyboardInterrupt):
        rescore(crashing, QIDS, DIDS, QUERIES, DOCS, tmp_path, batch_size=4, shard_size=8)
    shards = sorted((tmp_path / crashing.fingerprint[:16]).glob("part-*.parquet"))
    assert [p.name.split("-")[1] for p in shards] == ["00000", "00001"]
    assert len({p.name for p in shards}) == 2
    assert not list((tmp_path / crashing.fingerprint[:16]).glob("*.tmp"))
    tables = [pq.read_table(p).to_pydict() for p in shards]
    done = {(q, d) for t in tables for q, d in zip(t["query_id"], t["doc_id"], strict=True)}
    assert len(done) == 16

    resumed_judge = fake_judge_cls()
    resumed = rescore(
        resumed_judge, QIDS, DIDS, QUERIES, DOCS, tmp_path, batch_size=4, shard_size=8
    )
    text_to_id = {**{t: i for i, t in QUERIES.items()}, **{t: i for i, t in DOCS.items()}}
    rescored = {(text_to_id[q], text_to_id[d]) for q, d in resumed_judge.scored}
    assert len(resumed_judge.scored) == 40 - 16
    assert rescored == set(zip(QIDS, DIDS, strict=True)) - done
    assert (resumed.pairs_scored, resumed.pairs_cached) == (24, 16)

    clean = rescore(fake_judge_cls(), QIDS, DIDS, QUERIES, DOCS, tmp_path / "clean")
    np.testing.assert_array_equal(resumed.scores, clean.scores)


def test_a_second_call_reads_everything_from_cache(tmp_path, fake_judge_cls):
    first = rescore(fake_judge_cls(), QIDS, DIDS, QUERIES, DOCS, tmp_path, shard_size=16)
    again_judge = fake_judge_cls()
    again = rescore(again_judge, QIDS[::-1], DIDS[::-1], QUERIES, DOCS, tmp_path)
    assert again_judge.calls == 0
    assert (again.pairs_scored, again.pairs_cached, again.pairs_per_s) == (0, 40, 0.0)
    np.testing.assert_array_equal(again.scores, first.scores[::-1])


def test_another_judge_fingerprint_does_not_reuse_scores(tmp_path, fake_judge_cls):
    rescore(fake_judge_cls("judge-a"), QIDS, DIDS, QUERIES, DOCS, tmp_path)
    other = fake_judge_cls("judge-b")
    result = rescore(other, QIDS, DIDS, QUERIES, DOCS, tmp_path)
    assert result.pairs_scored == 40 and other.calls > 0
    assert len(list(tmp_path.iterdir())) == 2


def test_empty_input_gives_empty_scores(tmp_path, fake_judge_cls):
    result = rescore(fake_judge_cls(), [], [], QUERIES, DOCS, tmp_path)
    assert result.scores.shape == (0,) and result.scores.dtype == np.float32
    assert result.pairs_scored == 0


def test_progress_bar_does_not_change_scores(tmp_path, fake_judge_cls, fake_scorer):
    result = rescore(fake_judge_cls(), QIDS, DIDS, QUERIES, DOCS, tmp_path, show_progress=True)
    np.testing.assert_array_equal(result.scores, expected_scores(fake_scorer, QIDS, DIDS))


def test_ids_without_text_are_a_data_error(tmp_path, fake_judge_cls):
    with pytest.raises(DataError, match="doc ids of the pairs have no text") as info:
        rescore(fake_judge_cls(), ["q1", "q1"], ["d1", "nope"], QUERIES, DOCS, tmp_path)
    assert "nope" in str(info.value)


def test_unaligned_pairs_and_bad_sizes_are_rejected(tmp_path, fake_judge_cls):
    with pytest.raises(DataError, match="aligned"):
        rescore(fake_judge_cls(), ["q1"], [], QUERIES, DOCS, tmp_path)
    with pytest.raises(ConfigError, match="shard_size"):
        rescore(fake_judge_cls(), ["q1"], ["d1"], QUERIES, DOCS, tmp_path, shard_size=0)


ids = st.lists(st.tuples(st.sampled_from(sorted(QUERIES)), st.sampled_from(sorted(DOCS))))


@settings(max_examples=30, deadline=None)
@given(pairs=ids, shard_size=st.integers(1, 12), batch_size=st.integers(1, 5))
def test_any_pairs_any_sizes_match_direct_scoring(
    pairs, shard_size, batch_size, fake_judge_cls, fake_scorer
):
    qids, dids = [q for q, _ in pairs], [d for _, d in pairs]
    with tempfile.TemporaryDirectory() as cache:
        result = rescore(
            fake_judge_cls(),
            qids,
            dids,
            QUERIES,
            DOCS,
            Path(cache),
            batch_size=batch_size,
            shard_size=shard_size,
        )
    np.testing.assert_array_equal(result.scores, expected_scores(fake_scorer, qids, dids))
    assert result.pairs_scored == len(set(pairs))


def test_two_writers_sharing_the_cache_never_overwrite_each_other(tmp_path, monkeypatch):
    from trueneg.rescore.cache import ScoreCache

    # two runs that listed the folder at the same moment pick the same shard number
    monkeypatch.setattr(ScoreCache, "_next_index", lambda self: 0)
    first, second = ScoreCache(tmp_path, "f" * 64), ScoreCache(tmp_path, "f" * 64)
    a = first.write_shard(["q1"], ["d1"], np.array([0.5]))
    b = second.write_shard(["q2"], ["d2"], np.array([0.25]))
    assert a != b and a.exists() and b.exists()
    assert ScoreCache(tmp_path, "f" * 64).load() == {("q1", "d1"): 0.5, ("q2", "d2"): 0.25}
