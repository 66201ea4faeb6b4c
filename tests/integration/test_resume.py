"""A killed run resumes: finished embedding rows are not encoded again, and the result equals
an uninterrupted run.

Two levels: in-process with a fake encoder and a small cache chunk (fast, checks "from row
N"), and the real CLI in a subprocess interrupted with SIGINT (exit 130, clean message).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import trueneg
import trueneg.encode
from fixtures import write_beir, write_subset
from integration.realdata import NAIVE
from trueneg.api import Run

CLI = [sys.executable, "-c", "from trueneg.cli.main import main; main()"]


# in-process, fake encoder ------------------------------------------------------------------
@pytest.fixture
def synthetic(tmp_path) -> Path:
    topics = ["vitamin bone", "coffee sleep", "sugar diabetes", "salt pressure", "fiber gut"]
    corpus = [
        (f"d{i}", f"title {i}", f"{topics[i % 5]} study number {i} cohort {i % 7}")
        for i in range(40)
    ]
    queries = [(f"q{i}", f"does {topics[i % 5]} matter {i}") for i in range(10)]
    qrels = [(f"q{i}", f"d{i}", 1) for i in range(10)]
    return write_beir(tmp_path / "beir", corpus, queries, qrels)


def _use_fake(monkeypatch, encoders: list, chunk_size: int = 4) -> None:
    """The pipeline builds its own encoder: hand it ``encoders`` in turn, and checkpoint the
    embedding cache every ``chunk_size`` rows."""
    pending = iter(encoders)
    monkeypatch.setattr(trueneg.encode, "make_encoder", lambda *args, **kwargs: next(pending))
    real = trueneg.encode.encode_cached

    def encode_cached(*args, **kwargs):  # the pipeline passes its own chunk size: override it
        return real(*args, **{**kwargs, "chunk_size": chunk_size})

    monkeypatch.setattr(trueneg.encode, "encode_cached", encode_cached)


def test_interrupted_encoding_resumes_from_the_last_chunk(
    synthetic, tmp_path, monkeypatch, caplog, make_fake_encoder
):
    class PathedFake(make_fake_encoder):
        model_path = "fake-model"  # the pipeline records it in the manifest

    settings = {
        "filters": ["percent:0.95"],
        "sampler": "top",
        "num_negatives": 3,
        "cache_dir": "run",  # each run its own cache: the reference encodes everything again
    }
    first, second, reference = PathedFake(fail_after_calls=3), PathedFake(), PathedFake()
    _use_fake(monkeypatch, [first, second, reference])
    with pytest.raises(KeyboardInterrupt):
        trueneg.mine(synthetic, tmp_path / "run", **settings)
    assert first.texts_encoded == 12  # 3 chunks of 4 documents are on disk
    assert not (tmp_path / "run" / "manifest.json").exists()

    # the CLI, run in-process by other tests, may have detached the logger from the root
    monkeypatch.setattr(logging.getLogger("trueneg"), "propagate", True)
    with caplog.at_level(logging.INFO, logger="trueneg"):
        resumed = trueneg.mine(synthetic, tmp_path / "run", **settings)
    assert "encoding 40 document texts from row 12" in caplog.text
    assert second.texts_encoded == 40 - 12 + 10  # the rest of the documents, then the queries

    fresh = trueneg.mine(synthetic, tmp_path / "fresh", **settings)
    assert reference.texts_encoded == 50
    assert resumed.negatives().equals(fresh.negatives())


# the real CLI, interrupted with SIGINT -------------------------------------------------------
def _rows_done(run_dir: Path) -> int:
    done = 0
    for path in (run_dir / "embeddings").glob("*.progress.json"):
        try:
            done += json.loads(path.read_text())["rows_done"]
        except (OSError, ValueError, KeyError):  # being replaced right now
            continue
    return done


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


ATTEMPTS: list[str] = []  # why each attempt that could not interrupt did not


def _interrupt_once_rows_are_on_disk(args: list[str], run_dir: Path, timeout: float = 300.0):
    """Start ``trueneg mine``; send SIGINT as soon as some embedding rows are on disk.

    Returns (returncode, stderr, rows on disk when signalled), or None when the run finished
    (wrote its manifest) before the signal arrived.
    """
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        # A shell that runs the tests in the background (`make test &`, nohup) hands its
        # children an ignored SIGINT, and Python then never raises KeyboardInterrupt: give the
        # child the default disposition, as a terminal would.
        preexec_fn=_default_sigint,
    )
    rows = 0
    try:
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            rows = _rows_done(run_dir)
            if rows > 0:
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.005)
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if rows == 0 or proc.returncode == 0 or (run_dir / "manifest.json").exists():
        ATTEMPTS.append(f"rows on disk {rows}, exit {proc.returncode}, stderr {err[-300:]!r}")
        return None
    return proc.returncode, err, rows


@pytest.fixture(scope="module")
def resume_subset(shared_data, tmp_path_factory) -> Path:
    return write_subset(
        shared_data / "scifact",
        tmp_path_factory.mktemp("resume") / "beir",
        queries=15,
        extra_docs=300,  # > 256 documents: two cache chunks, so the signal lands mid-encoding
        seed=11,
    )


@pytest.mark.slow
def test_sigint_exits_130_and_the_rerun_finishes_like_an_uninterrupted_run(
    resume_subset, minilm_path, mine_real, tmp_path
):
    reference = mine_real(resume_subset, **NAIVE)
    args = [
        *CLI,
        "mine",
        str(resume_subset),
        "--filter",
        "none",
        "--sampler",
        "top",
        "-k",
        "4",
        "--retriever",
        "exact",
        "--model",
        minilm_path,
        "--cache-dir",
        "run",  # the vectors inside the run folder, watched below
    ]
    for attempt in range(3):  # the signal may come too late on a very fast machine: retry
        run_dir = tmp_path / f"run{attempt}"
        result = _interrupt_once_rows_are_on_disk([*args, "--out", str(run_dir)], run_dir)
        if result is not None:
            break
    else:
        pytest.fail(
            "could not interrupt `trueneg mine` while it was encoding in 3 attempts: "
            + "; ".join(ATTEMPTS[-3:])
        )
    code, err, rows_at_signal = result
    assert code == 130, err
    assert "Interrupted. Re-run the same command to resume where it stopped." in err
    assert "Traceback" not in err
    assert not (run_dir / "manifest.json").exists()

    again = subprocess.run(
        [*args, "--out", str(run_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert again.returncode == 0, again.stderr
    assert "trueneg summary" in again.stdout
    docs = reference.dataset().num_docs
    # rows already on disk are not encoded again (the pipeline checkpoints every 256 rows
    # on the CPU, so the signal usually lands after the first of the two document chunks)
    assert f"encoding {docs} document texts from row 0" not in again.stderr
    if rows_at_signal < docs:
        assert f"from row {rows_at_signal}" in again.stderr

    resumed, ref = Run(run_dir).negatives(), reference.negatives()
    for column in ("query_id", "doc_id", "rank", "kept", "reason"):
        assert resumed[column].to_pylist() == ref[column].to_pylist(), column
    np.testing.assert_allclose(resumed["score"].to_numpy(), ref["score"].to_numpy(), atol=1e-5)
