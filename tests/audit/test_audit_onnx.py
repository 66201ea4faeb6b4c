"""The audit reads a run's vectors with the run's own encoder: a run mined with ``--encoder
onnx`` (the real all-MiniLM-L6-v2, exported to ONNX) is audited without encoding anything
again, even where the hidden-qrels protocol needs every query and document vector."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import trueneg
from fixtures import write_beir
from trueneg.audit import audit

pytestmark = pytest.mark.slow
pytest.importorskip("onnxruntime", reason="the ONNX encoder needs onnxruntime")
pytest.importorskip("onnx", reason="exporting the model needs the onnx package")

TOPICS = {
    "bone": "vitamin D supplements and bone fractures in older adults",
    "sleep": "coffee, caffeine and how long people sleep",
    "sugar": "sugar intake, insulin resistance and type 2 diabetes",
    "heart": "aerobic exercise and heart disease risk",
    "salt": "dietary salt and high blood pressure",
    "fiber": "dietary fiber, gut bacteria and digestion",
    "iron": "iron deficiency and anemia in children",
    "fish": "omega-3 fish oil and depression",
    "soy": "soy isoflavones and breast cancer survival",
    "milk": "milk, calcium and osteoporosis",
}


def write_topics(folder: Path) -> Path:
    """Four documents per topic; each topic's query labels three of them (so one positive can
    be hidden and two stay visible, or the other way round). Ten topics: the audit needs
    nine eligible queries for a hidden-qrels rate."""
    corpus, queries, qrels = [], [], []
    for topic, text in TOPICS.items():
        for i in range(4):
            corpus.append((f"{topic}{i}", "", f"{text}: study {i} of {topic}"))
        queries.append((topic, f"what does research say about {text}?"))
        qrels += [(topic, f"{topic}{i}", 1) for i in range(3)]
    return write_beir(folder, corpus, queries, qrels)


def encoding_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("encoding ")]


def test_an_onnx_run_is_audited_from_its_cached_vectors(minilm_path, tmp_path, caplog):
    cache = tmp_path / "cache"
    with caplog.at_level(logging.INFO, logger="trueneg"):
        run = trueneg.mine(
            write_topics(tmp_path / "beir"),
            tmp_path / "run",
            model=minilm_path,
            encoder="onnx",
            device="cpu",
            num_negatives=2,
            cache_dir=str(cache),
        )
    assert run.dir.stage_info("encode")["encoder"].startswith("onnx")
    assert encoding_lines(caplog)  # the mine encoded: the log check below is not vacuous
    caplog.clear()
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*")}

    with caplog.at_level(logging.INFO, logger="trueneg"):
        report = audit(run, hide_fraction=0.5)

    assert report.hidden_qrels is not None  # the re-search needed every vector
    assert report.hidden_qrels.queries_eligible == len(TOPICS)
    assert report.hidden_qrels.positives_hidden == 2 * len(TOPICS)  # round(1.5) = 2 of 3
    assert encoding_lines(caplog) == []
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*")} == before  # nothing new
