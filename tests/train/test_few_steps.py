"""Rows with several negatives each and few optimizer steps: with ``epochs`` unset the data
chooses them (`trueneg.train.checks.epochs_for`), with fewer epochs set the run says how to
get more steps (`few_steps_note`); `train` logs either before the model loads."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trueneg
from fixtures import write_beir
from trueneg.cli.main import app
from trueneg.settings import TrainSettings
from trueneg.train import LOSSES, train
from trueneg.train.checks import FEW_STEPS, epochs_for, few_steps_note

N_TUPLE = 4  # negatives a row: the n-tuple export's negatives_per_row
MNRL, KL = LOSSES.resolve("mnrl"), LOSSES.resolve("mnrl+kl")


def settings(**values) -> TrainSettings:
    return TrainSettings().replace(**{"batch_size": 64, "epochs": 1, **values})


def test_scifact_sized_n_tuples_get_the_steps_and_both_fixes():
    note = few_steps_note(809, N_TUPLE, settings(), MNRL)
    assert note is not None
    assert "809 rows of 4 negatives each, batch 64, 1 epoch(s): about 13 optimizer steps" in note
    assert "--epochs 4 (or more) or --rows triplet, or leave --epochs out" in note


def test_score_lists_are_not_pointed_at_triplets():
    note = few_steps_note(809, N_TUPLE, settings(), KL)  # score lists
    assert note is not None and "--epochs 4" in note and "--rows triplet" not in note


@pytest.mark.parametrize(
    ("rows", "negatives", "values"),
    [
        (809, N_TUPLE, {"epochs": 4}),  # the triplets' steps already
        (809, N_TUPLE, {"max_steps": 10}),  # chose its steps
        (809, 1, {}),  # triplets: one negative a row
        (64 * FEW_STEPS, N_TUPLE, {}),  # enough steps in one epoch
        (0, N_TUPLE, {}),
    ],
)
def test_silent_where_the_steps_are_chosen_or_enough(rows, negatives, values):
    assert few_steps_note(rows, negatives, settings(**values), MNRL) is None


def test_a_fractional_epoch_counts_its_steps():
    note = few_steps_note(809, N_TUPLE, settings(epochs=0.5), MNRL)
    assert note is not None and "0.5 epoch(s): about 7 optimizer steps" in note


def unset(**values) -> TrainSettings:
    return TrainSettings().replace(**{"batch_size": 64, **values})


def test_unset_epochs_on_scifact_sized_n_tuples_are_k():
    epochs, why = epochs_for(809, N_TUPLE, unset())
    assert epochs == N_TUPLE  # 4 epochs of 13 steps: 52, still under 100, so at most k
    assert why is not None
    assert "training 4 epochs, about 52 optimizer steps: 809 rows of 4 negatives each" in why
    assert "give 13 steps an epoch" in why
    assert few_steps_note(809, N_TUPLE, unset(epochs=epochs), MNRL) is None
    assert few_steps_note(809, N_TUPLE, unset(), MNRL) is None  # left to the data: no warning


def test_unset_epochs_stop_where_the_steps_reach_the_threshold():
    rows = 64 * 60  # 60 steps an epoch: 2 epochs reach 100, fewer than k = 4
    assert epochs_for(rows, N_TUPLE, unset())[0] == 2


@pytest.mark.parametrize(
    ("rows", "negatives", "values", "expected"),
    [
        (809, N_TUPLE, {"epochs": 1}, 1),  # set: kept, however few the steps
        (809, N_TUPLE, {"epochs": 0.5}, 0.5),
        (809, N_TUPLE, {"max_steps": 10}, 1),  # the steps are chosen
        (809, 1, {}, 1),  # triplets: one negative a row
        (64 * FEW_STEPS, N_TUPLE, {}, 1),  # enough steps in one epoch
        (0, N_TUPLE, {}, 1),
    ],
)
def test_epochs_the_data_does_not_choose(rows, negatives, values, expected):
    assert epochs_for(rows, negatives, unset(**values)) == (expected, None)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_real_tiny_run_takes_k_epochs_unset_and_warns_at_one(
    tmp_path: Path, minilm_path: str, caplog: pytest.LogCaptureFixture
):
    pytest.importorskip("datasets", reason="training needs `pip install datasets`")
    pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
    corpus = [(f"d{i}", "", f"vitamin study {i} of bone health, trial {i}") for i in range(12)]
    queries = [(f"q{i}", f"vitamin bone trial {i}") for i in range(6)]
    data = write_beir(tmp_path / "beir", corpus, queries, [(f"q{i}", f"d{i}", 1) for i in range(6)])
    run = trueneg.mine(data, tmp_path / "run", retriever="bm25", filters=[], num_negatives=2)
    with caplog.at_level(logging.INFO, logger="trueneg.train.core"):
        unset_run = train(run.path, tmp_path / "unset", batch_size=4, device="cpu")
    chose = [r.getMessage() for r in caplog.records if r.getMessage().startswith("training 2")]
    assert unset_run.epochs == 2 and len(chose) == 1
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in warned if "optimizer steps" in r.getMessage()]
    per_epoch = -(-unset_run.rows // 4)
    assert unset_run.steps == 2 * per_epoch
    assert f"{unset_run.rows} rows of 2 negatives each at batch 4" in chose[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="trueneg.train.core"):
        one = train(run.path, tmp_path / "one", batch_size=4, device="cpu", epochs=1)
    notes = [r.getMessage() for r in caplog.records if "optimizer steps" in r.getMessage()]
    assert one.epochs == 1 and one.steps == per_epoch and len(notes) == 1
    assert f"{one.rows} rows of 2 negatives each, batch 4, 1 epoch(s)" in notes[0]
    assert "--epochs 2 (or more) or --rows triplet" in notes[0]
    # the CLI names the epochs it trained (last: the CLI sets up its own log handlers)
    args = ["train", str(run.path), "--out", str(tmp_path / "cli"), "--batch-size", "4"]
    cli = CliRunner().invoke(app, [*args, "--device", "cpu"])
    assert cli.exit_code == 0, cli.output
    assert f"for {2 * per_epoch} steps (2 epochs) on {unset_run.rows} rows" in cli.stdout
