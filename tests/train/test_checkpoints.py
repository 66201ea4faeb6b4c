"""Checkpoints and resuming: a training run stopped by Ctrl-C (a ``KeyboardInterrupt`` raised
in the training loop, as the signal does) goes on from its last checkpoint and ends with the
same weights as a run that was never stopped. Real, tiny MiniLM runs on the tiny BEIR set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import trueneg
from fixtures import write_tiny_beir
from trueneg.errors import ConfigError
from trueneg.train import train
from trueneg.train.checkpoints import checkpoint_dir, latest

pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
pytest.importorskip("datasets", reason="training needs `pip install datasets`")

SETTINGS: dict[str, Any] = {"max_steps": 6, "batch_size": 4, "rows": "triplet", "device": "cpu"}
EVERY_STEP = 1e-9  # minutes: every step crosses the interval


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ckpt")
    data = write_tiny_beir(root / "beir")
    return trueneg.mine(data, root / "run", retriever="bm25", filters=[], num_negatives=2).path


def _interrupt_at(step: int) -> Any:
    from transformers import TrainerCallback

    class CtrlC(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if state.global_step == step:
                raise KeyboardInterrupt
            return control

    return CtrlC()


def _weights(model_dir: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(model_dir / "model.safetensors"))


@pytest.fixture(scope="module")
def uninterrupted(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "model"
    result = train(run_dir, out, **SETTINGS)
    assert result.steps == 6 and result.resumed_from_step is None
    assert not checkpoint_dir(out).exists()
    return out


def test_a_stopped_run_resumes_from_its_last_checkpoint_to_the_same_weights(
    run_dir: Path, uninterrupted: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    out = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        train(
            run_dir,
            out,
            checkpoint_minutes=EVERY_STEP,
            callbacks=[_interrupt_at(4)],
            **SETTINGS,
        )
    folder = checkpoint_dir(out)
    assert not out.exists()
    assert latest(folder) == folder / "checkpoint-3"  # step 4 stopped before its save
    assert [p.name for p in folder.glob("checkpoint-*")] == ["checkpoint-3"]  # newest only
    assert "checkpoint of step 3 kept" in caplog.text

    result = train(run_dir, out, checkpoint_minutes=EVERY_STEP, **SETTINGS)

    assert result.resumed_from_step == 3 and result.steps == 6
    assert len(result.loss_history) == 6  # the logged losses of steps 1-3 come back too
    assert not folder.exists()
    expected, got = _weights(uninterrupted), _weights(out)
    assert expected.keys() == got.keys()
    assert all((expected[k] == got[k]).all() for k in expected)


def test_resuming_with_other_settings_is_refused_and_names_them(run_dir: Path, tmp_path: Path):
    out = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        train(run_dir, out, checkpoint_minutes=EVERY_STEP, callbacks=[_interrupt_at(2)], **SETTINGS)
    with pytest.raises(ConfigError, match="different training run") as info:
        train(run_dir, out, lr=3e-5, **SETTINGS)
    assert "learning_rate was 2e-05, now 3e-05" in str(info.value)
    assert str(checkpoint_dir(out)) in str(info.value)
    stored = json.loads((checkpoint_dir(out) / "resume.json").read_text(encoding="utf-8"))
    assert stored["learning_rate"] == 2e-5 and len(stored["rows_sha256"]) == 64


def test_other_training_rows_are_refused(run_dir: Path, tmp_path: Path):
    out = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        train(run_dir, out, checkpoint_minutes=EVERY_STEP, callbacks=[_interrupt_at(2)], **SETTINGS)
    with pytest.raises(ConfigError, match="rows_sha256 was"):
        train(run_dir, out, **{**SETTINGS, "rows": "n-tuple"})


def test_a_checkpoint_folder_without_its_fingerprint_is_refused(run_dir: Path, tmp_path: Path):
    out = tmp_path / "model"
    (checkpoint_dir(out) / "checkpoint-5").mkdir(parents=True)
    with pytest.raises(ConfigError, match=r"no resume\.json"):
        train(run_dir, out, **SETTINGS)


def test_no_checkpoints_when_disabled_and_then_nothing_holds_the_next_call_back(
    run_dir: Path, tmp_path: Path
):
    out = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        train(run_dir, out, checkpoint_minutes=0, callbacks=[_interrupt_at(3)], **SETTINGS)
    assert latest(checkpoint_dir(out)) is None
    # No checkpoint means nothing to resume or lose: other settings simply start afresh.
    result = train(run_dir, out, lr=3e-5, **{**SETTINGS, "max_steps": 1})
    assert result.steps == 1 and result.resumed_from_step is None
    assert not checkpoint_dir(out).exists()


def test_negative_checkpoint_minutes_is_a_config_error(run_dir: Path, tmp_path: Path):
    with pytest.raises(ConfigError, match="checkpoint_minutes"):
        train(run_dir, tmp_path / "model", checkpoint_minutes=-1, **SETTINGS)


def test_the_cli_resumes_the_same_command_and_says_so(run_dir: Path, tmp_path: Path):
    import typer
    from typer.testing import CliRunner

    from trueneg.cli.train import train_command

    app = typer.Typer()
    app.command("train")(train_command)
    app.command("noop")(lambda: None)
    out = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        train(run_dir, out, checkpoint_minutes=EVERY_STEP, callbacks=[_interrupt_at(5)], **SETTINGS)
    args = ["train", str(run_dir), "--out", str(out), "--max-steps", "6", "--batch-size", "4"]
    result = CliRunner().invoke(app, [*args, "--rows", "triplet", "--device", "cpu", "-q"])
    assert result.exit_code == 0, result.output
    assert "for 6 steps" in result.output
    assert "resumed from the checkpoint of step 4" in result.output
    assert (out / "model.safetensors").is_file() and not checkpoint_dir(out).exists()
