"""`mine` with the judge's verdict through the whole pipeline: auto's relabel decision and its
evidence in the manifest, the settings that need a judge, and the fingerprint (real MiniLM,
real ms-marco judge, the tiny BEIR set)."""

from __future__ import annotations

from pathlib import Path

import pytest

import trueneg
from fixtures import write_tiny_beir
from trueneg.errors import ConfigError


@pytest.fixture(scope="module")
def beir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_beir(tmp_path_factory.mktemp("relabel") / "beir")


def _mine(beir: Path, out: Path, judge: Path, **settings):
    return trueneg.mine(
        beir,
        out,
        retriever="exact",
        num_negatives=2,
        judge=str(judge),
        judge_depth=8,
        device="cpu",
        cache_dir=str(out.parent / "cache"),
        **settings,
    )


def test_auto_with_a_judge_records_why_it_does_not_relabel_on_thin_evidence(
    beir: Path, tmp_path: Path, judge_model_dir: Path, minilm_path: str
):
    run = _mine(beir, tmp_path / "run", judge_model_dir)
    auto = run.manifest["auto"]
    assert auto["evidence"]["relabel"]["chosen"] is None
    assert auto["evidence"]["relabel"]["judged_positives"] == 4
    assert "only 4 labeled positives were judged" in auto["reason"]
    assert not any(f.startswith("relabel") for f in auto["filters"])


def test_an_explicit_relabel_joins_auto_and_relabels(
    beir: Path, tmp_path: Path, judge_model_dir: Path, minilm_path: str
):
    run = _mine(beir, tmp_path / "run", judge_model_dir, relabel="0.9,0.5")
    reasons = run.negatives()["reason"].to_pylist()
    assert "relabel" in reasons  # d2 restates q1's positive d1: the judge rates it 0.999
    assert "relabel:0.9,0.5" in run.manifest["auto"]["filters"]
    assert run.summary().dropped.get("relabel", 0) == reasons.count("relabel")


@pytest.mark.parametrize(
    "settings",
    [{"relabel": "0.9,0.5"}, {"negative_weights": "judge"}, {"relabel_query_limit": 3}],
)
def test_the_verdict_settings_need_a_judge_before_any_work(beir: Path, tmp_path: Path, settings):
    with pytest.raises(ConfigError, match="no judge was given"):
        trueneg.mine(beir, tmp_path / "run", retriever="bm25", **settings)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"relabel": "2,0.5"}, "0 < R <= 1"),
        ({"negative_weights": "softmax"}, "relative"),
        ({"relabel_query_limit": 0}, "relabel_query_limit"),
    ],
)
def test_bad_verdict_settings_are_refused(beir: Path, tmp_path: Path, settings, message):
    with pytest.raises(ConfigError, match=message):
        trueneg.mine(beir, tmp_path / "run", retriever="bm25", judge="x", **settings)
