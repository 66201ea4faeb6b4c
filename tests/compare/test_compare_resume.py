"""A `trueneg compare` killed (SIGINT) in the middle of a cell's training resumes that training
from its last checkpoint on the next call: the cell is mined again with the same seed, gives
the same rows, and train() goes on from the checkpoint instead of step 0. Real subprocess,
real MiniLM, tiny BEIR data, BM25 mining."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures import TINY_CORPUS, TINY_QRELS, TINY_QUERIES, write_beir
from trueneg.compare import run_comparison
from trueneg.train.checkpoints import checkpoint_dir, latest

pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
pytest.importorskip("datasets", reason="training needs `pip install datasets`")

CLI = [sys.executable, "-c", "from trueneg.cli.main import main; main()"]
STEPS = 12

CONFIG = """
[experiment]
name = "resume"
out = "out"
seeds = [0]
device = "cpu"

[[dataset]]
name = "tiny"
path = "beir"
train_split = "train"
test_split = "train"
hide_extra_positives = true

[train]
max_steps = {steps}
batch_size = 4
checkpoint_minutes = {minutes}

[mine]
retriever = "bm25"

[[mining]]
name = "naive"
filters = "none"
sampler = "top"
num_negatives = 2
"""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_after_first_checkpoint(config: Path, folder: Path) -> tuple[int, str] | None:
    """Run the comparison; SIGINT once a complete checkpoint is on disk. None: it finished
    (or never checkpointed) before the signal."""
    proc = subprocess.Popen(
        [*CLI, "compare", str(config), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        preexec_fn=_default_sigint,  # a background shell would hand the child an ignored SIGINT
    )
    signalled = False
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if latest(folder) is not None:
                proc.send_signal(signal.SIGINT)
                signalled = True
                break
            time.sleep(0.01)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not signalled or proc.returncode == 0:
        return None
    return proc.returncode, err


@pytest.mark.slow
def test_a_compare_killed_mid_training_resumes_from_the_checkpoint(
    tmp_path: Path, minilm_path: str
):
    write_beir(tmp_path / "beir", TINY_CORPUS, TINY_QUERIES, TINY_QRELS)
    config = tmp_path / "compare.toml"
    cell = tmp_path / "out" / "tiny" / "naive" / "seed-0"
    folder = checkpoint_dir(cell / "model")
    outcome = None
    for _ in range(3):  # the signal may land after the last step on a very fast machine
        config.write_text(CONFIG.format(steps=STEPS, minutes=1e-9), encoding="utf-8")
        outcome = _interrupt_after_first_checkpoint(config, folder)
        if outcome is not None:
            break
        (tmp_path / "out").rename(tmp_path / f"out-{time.monotonic_ns()}")
    assert outcome is not None, "the comparison finished before it could be interrupted"
    code, err = outcome
    assert code == 130, err
    assert "Re-run the same command to resume" in err
    stopped_at = int(latest(folder).name.split("-")[1])
    assert 1 <= stopped_at < STEPS
    assert not (cell / "train.json").exists()

    # The checkpoint interval is not part of what is resumed: a slower one is fine.
    config.write_text(CONFIG.format(steps=STEPS, minutes=10), encoding="utf-8")
    result = run_comparison(config)

    assert result.counts == {"mined": 1, "trained": 1, "evaluated": 1}
    trained = json.loads((cell / "train.json").read_text(encoding="utf-8"))
    assert trained["resumed_from_step"] >= stopped_at  # a later save may land before the exit
    assert trained["steps"] == STEPS
    assert not folder.exists()
    assert (cell / "model" / "model.safetensors").is_file()
