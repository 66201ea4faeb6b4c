"""`train(..., model_type="cross-encoder")`: rerankers built from the bundled all-MiniLM-L6-v2
(a bi-encoder checkpoint, so a new 1-label head) on a run's labeled pairs or lists.

Tiny BEIR runs mined with BM25 (nothing encoded); 1-6 steps of batch 4 on CPU.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import trueneg
from fixtures import write_tiny_beir
from trueneg.cli.train import train_command
from trueneg.errors import ConfigError
from trueneg.train import LOSSES, train
from trueneg.train.card import CARD_HEADING
from trueneg.train.checkpoints import checkpoint_dir, latest
from trueneg.train.losses import losses_for

pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
pytest.importorskip("datasets", reason="training needs `pip install datasets`")

CROSS = {"model_type": "cross-encoder", "batch_size": 4, "device": "cpu", "max_seq_length": 64}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cross")
    data = write_tiny_beir(root / "beir")
    return trueneg.mine(data, root / "run", retriever="bm25", filters=[], num_negatives=2).path


def _load(model_dir: Path) -> Any:
    from sentence_transformers.cross_encoder import CrossEncoder

    return CrossEncoder(str(model_dir), device="cpu")


def test_the_cross_encoder_losses_are_bce_and_the_listwise_ones():
    assert losses_for("cross-encoder") == ["bce", "lambda", "listnet"]
    assert losses_for("bi-encoder") == [
        "cached-mnrl",
        "gist",
        "kl",
        "margin-mse",
        "mnrl",
        "mnrl+kl",
    ]
    assert LOSSES.get_class("bce").fmt == "labeled-pair"
    assert LOSSES.get_class("lambda").fmt == LOSSES.get_class("listnet").fmt == "labeled-list"


def test_bce_trains_a_1_label_reranker_whose_card_says_so(
    run_dir: Path, tmp_path: Path, minilm_path: str
):
    result = train(run_dir, tmp_path / "model", max_steps=2, **CROSS)

    assert result.model_type == "cross-encoder" and result.loss == "bce"  # the default loss
    pairs = trueneg.open_run(run_dir).export("labeled-pair")
    labels = pairs["label"].to_pylist()
    positives, negatives = labels.count(1.0), labels.count(0.0)
    assert result.rows == positives + negatives  # one pair per positive and per kept negative
    assert result.steps == 2 and len(result.loss_history) == 2 and result.prompts == {}
    model = _load(result.model_dir)
    assert model.num_labels == 1
    scores = model.predict([("vitamin D", "Vitamin D and bones."), ("coffee", "Salt.")])
    assert len(scores) == 2
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert CARD_HEADING in card and "trained as a cross-encoder" in card
    assert f"- base model: `{minilm_path}` (sentence-transformers/all-MiniLM-L6-v2)" in card
    assert "finetuned from [sentence-transformers/all-MiniLM-L6-v2]" in card  # not "Unknown"
    assert '"export_format": "labeled-pair"' in card and '"batch_sampler": "random"' in card
    assert f'"pos_weight": {round(negatives / positives, 4)}' in card  # negatives per positive
    assert '"max_seq_length": 64' in card


@pytest.mark.parametrize("loss", ["lambda", "listnet"])
def test_listwise_losses_train_on_one_list_per_query(run_dir: Path, tmp_path: Path, loss: str):
    result = train(run_dir, tmp_path / "model", loss=loss, max_steps=1, **CROSS)

    queries = trueneg.open_run(run_dir).export("labeled-list").num_rows
    assert result.loss == loss and result.steps == 1 and result.rows == queries  # one per query
    assert _load(result.model_dir).num_labels == 1
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert f'"loss": "{loss}"' in card and '"export_format": "labeled-list"' in card


@pytest.mark.parametrize(
    "setting,match",
    [
        ({"loss": "mnrl"}, "trains a bi-encoder, not a cross-encoder"),
        ({"rows": "triplet"}, "trains on labeled-pair rows"),
        ({"guide": "x"}, "--guide applies to bi-encoders"),
        ({"batch_sampler": "topic"}, "--batch-sampler applies to bi-encoders"),
        ({"query_prompt": "query: "}, "--query-prompt applies to bi-encoders"),
        ({"model_type": "colbert"}, "Unknown --model-type"),
    ],
)
def test_settings_a_cross_encoder_cannot_use_are_refused_before_any_work(
    tmp_path: Path, setting: dict, match: str
):
    with pytest.raises(ConfigError, match=match) as info:
        train(tmp_path / "no-such-run", tmp_path / "model", **{**CROSS, **setting})
    if "loss" in setting:
        assert "bce" in str(info.value) and "lambda" in str(info.value)
    assert not (tmp_path / "model").exists()


def test_a_cross_encoder_loss_is_refused_for_a_bi_encoder(tmp_path: Path):
    with pytest.raises(ConfigError, match="trains a cross-encoder, not a bi-encoder") as info:
        train(tmp_path / "no-such-run", tmp_path / "model", loss="bce")
    assert "--model-type cross-encoder" in str(info.value)


def _interrupt_at(step: int) -> Any:
    from transformers import TrainerCallback

    class CtrlC(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if state.global_step == step:
                raise KeyboardInterrupt
            return control

    return CtrlC()


def test_a_stopped_cross_encoder_run_resumes_to_the_same_weights(run_dir: Path, tmp_path: Path):
    from safetensors.torch import load_file

    settings = {**CROSS, "max_steps": 4, "checkpoint_minutes": 1e-9}
    whole = train(run_dir, tmp_path / "whole", **settings)
    out = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        train(run_dir, out, callbacks=[_interrupt_at(3)], **settings)
    assert latest(checkpoint_dir(out)) == checkpoint_dir(out) / "checkpoint-2"

    result = train(run_dir, out, **settings)

    assert result.resumed_from_step == 2 and result.steps == 4
    assert not checkpoint_dir(out).exists()
    expected = load_file(str(whole.model_dir / "model.safetensors"))
    got = load_file(str(out / "model.safetensors"))
    assert expected.keys() == got.keys()
    assert all((expected[k] == got[k]).all() for k in expected)


def test_cli_trains_a_cross_encoder_and_stdout_holds_only_the_result(run_dir: Path, tmp_path: Path):
    app = typer.Typer()
    app.command("train")(train_command)
    app.command("noop")(lambda: None)
    out = tmp_path / "model"
    args = ["train", str(run_dir), "--out", str(out), "--model-type", "cross-encoder"]
    result = CliRunner().invoke(
        app, [*args, "--max-steps", "2", "--batch-size", "4", "--device", "cpu"]
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("Trained a cross-encoder with bce for 2 steps"), result.stdout
    assert lines[1:] == [f"Saved to {out}"]
    assert "'loss'" not in result.stdout and "train_runtime" not in result.stdout

    listwise = ["--loss", "lambda", "--max-steps", "1", "--batch-size", "4", "--json", "-q"]
    again = CliRunner().invoke(
        app,
        [*args[:2], "--out", str(tmp_path / "m2"), *args[4:], *listwise],
    )
    assert again.exit_code == 0, again.output
    payload = json.loads(again.stdout)
    assert payload["model_type"] == "cross-encoder" and payload["loss"] == "lambda"
