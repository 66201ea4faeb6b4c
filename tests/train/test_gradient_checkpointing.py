"""``gradient_checkpointing``: the same training in less memory, on real tiny MiniLM runs.

Checkpointing keeps each transformer layer's input and runs the layer again in the backward
pass; with dropout's random state replayed, the losses and the trained weights are those of
the run without it. The layers' forward calls show that it was on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import trueneg
from fixtures import write_tiny_beir
from trueneg.compare.config import parse_config
from trueneg.train import train

pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
pytest.importorskip("datasets", reason="training needs `pip install datasets`")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ckpt")
    data = write_tiny_beir(root / "beir")
    return trueneg.mine(data, root / "run", retriever="bm25", filters=[], num_negatives=2).path


def _layer_calls(calls: list[int]):
    """A callback counting the forward calls of the first transformer layer's attention while
    training (the layer's own hooks see only the first call; the recompute runs inside it)."""
    from transformers import TrainerCallback

    class LayerCalls(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):
            modules = model.named_modules()
            layer = next(m for name, m in modules if name.endswith("layer.0.attention"))
            layer.register_forward_hook(lambda *_: calls.append(1))
            return control

    return LayerCalls()


def _weights(folder: Path, model_type: str) -> dict:
    from safetensors.torch import load_file

    files = sorted(folder.rglob("model.safetensors"))
    assert files, f"no weights saved for the {model_type} in {folder}"
    return load_file(str(files[0]))


@pytest.mark.parametrize(("model_type", "loss"), [("bi-encoder", "mnrl"), ("cross-encoder", "bce")])
def test_checkpointing_trains_the_same_weights_recomputing_each_layer(
    run_dir: Path, tmp_path: Path, minilm_path: str, model_type: str, loss: str
):
    import torch

    results, calls = {}, {}
    for on in (False, True):
        calls[on] = []
        results[on] = train(
            run_dir,
            tmp_path / f"model-{on}",
            model_type=model_type,
            loss=loss,
            max_steps=2,
            batch_size=4,
            device="cpu",
            precision="fp32",
            gradient_checkpointing=on,
            callbacks=[_layer_calls(calls[on])],
        )
    # each layer runs again in the backward pass: twice the forward calls
    assert len(calls[True]) == 2 * len(calls[False]) > 0
    assert len(results[True].loss_history) == 2
    assert results[True].loss_history == pytest.approx(results[False].loss_history, abs=1e-6)
    plain, ckpt = (_weights(tmp_path / f"model-{on}", model_type) for on in (False, True))
    assert plain.keys() == ckpt.keys()
    for key in plain:
        torch.testing.assert_close(ckpt[key], plain[key], rtol=0, atol=1e-6)
    # and training moved them: the same query projection differs from the base model's
    base = _weights(Path(minilm_path), "base model")
    name = "encoder.layer.0.attention.self.query.weight"
    trained = next(v for k, v in ckpt.items() if k.endswith(name))
    assert not torch.equal(trained, next(v for k, v in base.items() if k.endswith(name)))
    assert results[True].gradient_checkpointing and not results[False].gradient_checkpointing
    card = (tmp_path / "model-True" / "README.md").read_text(encoding="utf-8")
    assert '"gradient_checkpointing": true' in card


def test_a_comparison_config_sets_it_for_every_cell():
    raw = {
        "experiment": {"name": "x", "out": "runs/x"},
        "dataset": [{"name": "tiny", "path": "data/tiny"}],
        "mining": [{"name": "naive", "filters": "none", "sampler": "top"}],
        "train": {"gradient_checkpointing": True, "loss": "mnrl+kl"},
    }
    config = parse_config(raw, base=Path("/tmp"))
    assert config.train.settings(seed=0).gradient_checkpointing is True
    assert config.train.for_loss("mnrl").settings(seed=0).gradient_checkpointing is True
    auto = parse_config({**raw, "train": {}}, base=Path("/tmp"))
    assert auto.train.settings(seed=0).gradient_checkpointing is None  # trueneg train decides
    off = parse_config({**raw, "train": {"gradient_checkpointing": False}}, base=Path("/tmp"))
    assert off.train.settings(seed=0).gradient_checkpointing is False


def test_a_comparison_row_sets_it_for_its_own_cells_only():
    raw = {
        "experiment": {"name": "x", "out": "runs/x"},
        "dataset": [{"name": "tiny", "path": "data/tiny"}],
        "mining": [
            {"name": "naive", "filters": "none", "sampler": "top"},
            {"name": "distill", "loss": "mnrl+kl", "gradient_checkpointing": True},
        ],
        "train": {"rows": "triplet"},
    }
    config = parse_config(raw, base=Path("/tmp"))
    naive, distill = (config.train.for_row(row) for row in config.mining)
    assert naive == config.train and naive.settings(seed=0).gradient_checkpointing is None
    assert distill.gradient_checkpointing is True and distill.loss == "mnrl+kl"
    assert distill.rows is None  # the loss's own score lists, as for_loss gives
    on = parse_config({**raw, "train": {"gradient_checkpointing": True}}, base=Path("/tmp"))
    off_row = {**raw["mining"][1], "gradient_checkpointing": False}
    on_off = parse_config({**raw, "train": {"gradient_checkpointing": True}, "mining": [off_row]})
    assert on.train.for_row(on.mining[0]).gradient_checkpointing is True
    assert on_off.train.for_row(on_off.mining[0]).gradient_checkpointing is False
