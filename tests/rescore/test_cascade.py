"""Judge cascades with the two real ONNX judges: what each judge sees, caching, the report."""

from __future__ import annotations

import numpy as np
import pytest

from trueneg.errors import ConfigError
from trueneg.rescore import load_judge, rescore
from trueneg.rescore.cascade import PassRule, parse_rule

QUERY = "How many people live in Berlin?"
DOCS = {
    "pop": "Berlin has a population of about 3.7 million inhabitants.",
    "city": "Berlin is the capital and largest city of Germany.",
    "cat": "The cat sat on the mat and purred.",
    "paris": "Paris is the capital of France, known for the Eiffel Tower.",
}


def test_rules_parse_and_select():
    assert parse_rule("band:0.1-0.9") == PassRule("band", low=0.1, high=0.9)
    assert parse_rule("top:0.5").spec() == "top:0.5"
    scores = np.array([0.9, 0.05, 0.5, 0.95], dtype=np.float32)
    assert parse_rule("band:0.1-0.9").passes(scores).tolist() == [True, False, True, False]
    assert parse_rule("top:0.5").passes(scores).tolist() == [True, False, False, True]
    assert parse_rule("top:0.01").passes(scores).sum() == 1  # a share rounds up: never nothing
    for bad in ("band:0.9-0.1", "top:0", "top:1.2", "median", "band:a-b"):
        with pytest.raises(ConfigError, match="Unknown cascade rule"):
            parse_rule(bad)


def test_top_rule_sends_only_the_top_share_to_the_later_judge(judge_model_dir, bge_model_dir):
    cross = load_judge(str(judge_model_dir))
    bi = load_judge(str(bge_model_dir))
    cascade = load_judge(f"{judge_model_dir} > {bge_model_dir}", cascade="top:0.5")
    queries, docs = [QUERY] * 4, list(DOCS.values())
    first = cross.score(queries, docs)
    second = bi.score(queries, docs)
    got = cascade.score(queries, docs)
    top2 = set(np.argsort(-first)[:2].tolist())
    assert top2 == {0, 1}  # the two Berlin passages
    for i in range(4):
        expected = second[i] if i in top2 else first[i]
        # INT8 bge scores move a little with the batch it is padded in
        assert got[i] == pytest.approx(expected, abs=0.02)
    report = cascade.report()
    assert [s["pairs_seen"] for s in report["stages"]] == [4, 2]
    assert report["last_judge_share"] == 0.5
    assert cascade.kind == "cascade"


def test_each_stage_is_cached_so_a_new_rule_pays_only_for_new_pairs(
    judge_model_dir, bge_model_dir, tmp_path
):
    ids = list(DOCS)
    spec = f"{judge_model_dir} > {bge_model_dir}"
    narrow = load_judge(spec, cascade="top:0.25")
    rescore(narrow, ["q"] * 4, ids, {"q": QUERY}, DOCS, tmp_path)
    assert [s.pairs_scored for s in narrow.stages] == [4, 1]
    wide = load_judge(spec, cascade="top:0.75")
    assert wide.fingerprint != narrow.fingerprint
    result = rescore(wide, ["q"] * 4, ids, {"q": QUERY}, DOCS, tmp_path)
    # the first judge is not asked again; the second scores only the two pairs it had not seen
    assert [s.pairs_scored for s in wide.stages] == [0, 2]
    assert [s.pairs_seen for s in wide.stages] == [4, 3]
    again = rescore(
        load_judge(spec, cascade="top:0.75"), ["q"] * 4, ids, {"q": QUERY}, DOCS, tmp_path
    )
    assert again.pairs_scored == 0
    np.testing.assert_array_equal(again.scores, result.scores)


def test_band_rule_keeps_sure_pairs_from_the_first_judge(judge_model_dir, bge_model_dir):
    cross = load_judge(str(judge_model_dir))
    queries, docs = [QUERY] * 4, list(DOCS.values())
    first = cross.score(queries, docs)
    cascade = load_judge(f"{judge_model_dir} > {bge_model_dir}", cascade="band:0.001-0.999")
    got = cascade.score(queries, docs)
    unsure = (first >= 0.001) & (first <= 0.999)
    np.testing.assert_allclose(got[~unsure], first[~unsure])
    assert cascade.stages[1].pairs_seen == int(unsure.sum())
