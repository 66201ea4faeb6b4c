"""The rescore stage inside mine(): the real ms-marco judge on the tiny hand-made set."""

import json

import pytest

import trueneg
from fixtures import write_tiny_beir
from trueneg.errors import ConfigError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_beir(tmp_path_factory.mktemp("tiny") / "beir")


@pytest.fixture(scope="module")
def judged(tiny, judge_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "judged"
    return trueneg.mine(
        tiny,
        out,
        filters=["judge-threshold:0.1"],
        judge=str(judge_model_dir),
        judge_depth=5,
        num_negatives=3,
    )


def test_judge_drops_the_false_negative(judged):
    # d2 paraphrases q1's positive d1: the cross-encoder gives it a high probability
    rows = {(r["query_id"], r["doc_id"]): r for r in judged.negatives().to_pylist()}
    assert rows[("q1", "d2")]["judge"] > 0.5
    assert rows[("q1", "d2")]["reason"] == "judge-threshold"
    assert all(r["kept"] for r in rows.values() if r["reason"] == "")


def test_only_top_ranks_are_judged_and_throughput_is_reported(judged):
    rows = judged.negatives().to_pylist()
    assert all((r["judge"] == r["judge"]) == (r["rank"] <= 5) for r in rows)  # NaN below 5
    rescore = judged.summary().rescore
    assert rescore["pairs"] == 4 * 5 + 4  # 5 candidates and 1 positive per query
    assert rescore["pairs_per_s"] > 0


def test_rerun_reuses_judge_scores(tiny, judged, judge_model_dir):
    before = json.loads((judged.path / "state.json").read_text())["rescore"]
    trueneg.mine(
        tiny,
        judged.path,
        filters=["judge-threshold:0.1"],
        judge=str(judge_model_dir),
        judge_depth=5,
        num_negatives=3,
    )
    after = json.loads((judged.path / "state.json").read_text())["rescore"]
    assert before == after


def test_margin_on_judge_scale(tiny, judge_model_dir, tmp_path):
    run = trueneg.mine(
        tiny,
        tmp_path / "m",
        filters=["margin:0.5@judge"],
        judge=str(judge_model_dir),
        judge_depth=5,
        num_negatives=3,
    )
    rows = {(r["query_id"], r["doc_id"]): r for r in run.negatives().to_pylist()}
    assert rows[("q1", "d2")]["reason"] == "margin"


def test_judge_strategies_without_judge_fail_before_any_work(tiny, tmp_path):
    with pytest.raises(ConfigError, match="judge"):
        trueneg.mine(tiny, tmp_path / "x", filters=["judge-threshold:0.1"])
    assert not (tmp_path / "x").exists()


def test_a_cascade_judges_inside_mine_and_reports_its_stages(
    tiny, judge_model_dir, bge_model_dir, tmp_path
):
    run = trueneg.mine(
        tiny,
        tmp_path / "cascade",
        filters=["judge-threshold:0.1"],
        judge=f"{judge_model_dir} > {bge_model_dir}",
        judge_cascade="top:0.25",
        judge_depth=5,
        num_negatives=3,
    )
    rescore = run.summary().rescore
    stages = rescore["cascade"]["stages"]
    assert rescore["judge_kind"] == "cascade"
    assert [s["pairs_seen"] for s in stages] == [24, 6]  # a quarter of 24 pairs, rounded up
    assert rescore["cascade"]["rule"] == "top:0.25"
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["config"]["judge_cascade"] == "top:0.25"
    from trueneg.cli.render import judge_cost_lines

    lines = judge_cost_lines(rescore)
    assert lines[0].startswith(f"{judge_model_dir}: saw 24 pairs")
    assert "the last judge saw 25% of the pairs" in lines[-1]
