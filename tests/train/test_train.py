"""`trueneg.train.train` and `trueneg train`: real, tiny MiniLM runs on the tiny BEIR set.

The run is mined with BM25 and no filters, so nothing is encoded before training; every
training run is 1-2 steps of batch 4 on CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import trueneg
from fixtures import write_tiny_beir
from trueneg.cli.train import train_command
from trueneg.errors import ConfigError, DataError, RunDirError
from trueneg.run import RunDir
from trueneg.train import LOSSES, train
from trueneg.train.card import CARD_HEADING
from trueneg.train.checks import cpu_has_native_bf16

pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
pytest.importorskip("datasets", reason="training needs `pip install datasets`")

runner = CliRunner()
app = typer.Typer()
app.command("train")(train_command)
app.command("noop")(lambda: None)  # two commands, so `train` stays a subcommand


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train")
    data = write_tiny_beir(root / "beir")
    run = trueneg.mine(data, root / "run", retriever="bm25", filters=[], num_negatives=2)
    return run.path


@pytest.fixture(scope="module")
def dense_run_dir(tmp_path_factory: pytest.TempPathFactory, minilm_path: str) -> Path:
    """Mined with exact search, so positives and negatives carry cosine (teacher) scores."""
    root = tmp_path_factory.mktemp("train-dense")
    data = write_tiny_beir(root / "beir")
    run = trueneg.mine(
        data,
        root / "run",
        retriever="exact",
        filters=[],
        num_negatives=2,
        device="cpu",
        cache_dir=str(root / "cache"),
    )
    return run.path


def test_training_saves_a_loadable_model_whose_card_names_the_mining_config(
    run_dir: Path, tmp_path: Path, minilm_path: str
):
    from sentence_transformers import SentenceTransformer

    result = train(run_dir, tmp_path / "model", max_steps=2, batch_size=4, device="cpu")

    assert result.steps == 2
    assert len(result.loss_history) == 2
    assert result.rows > 0 and result.loss == "mnrl"
    assert "queries_short_of_k" in result.export_notes
    model = SentenceTransformer(str(result.model_dir), device="cpu")
    assert model.encode(["vitamin D"]).shape == (1, 384)
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert CARD_HEADING in card
    assert str(run_dir.resolve()) in card
    assert '"retriever": "bm25"' in card and '"filters": []' in card
    assert '"num_negatives": 2' in card and '"sampler": "top"' in card
    assert '"loss": "mnrl"' in card and '"batch_sampler": "no-duplicates"' in card
    assert '"precision": "fp32"' in card and result.precision == "fp32"  # auto on a CPU
    assert f"trueneg {trueneg.__version__}" in card


def test_triplet_rows_give_one_row_per_kept_negative(run_dir: Path, tmp_path: Path):
    kept = trueneg.open_run(run_dir).negatives(kept_only=True).num_rows
    result = train(
        run_dir, tmp_path / "model", rows="triplet", max_steps=1, batch_size=4, device="cpu"
    )
    assert result.rows == kept
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert '"export_format": "triplet"' in card


@pytest.mark.parametrize(
    "rows,loss,match",
    [("pairs", "mnrl", "Unknown --rows"), ("triplet", "kl", "score lists")],
)
def test_bad_row_formats_are_refused_before_training(
    run_dir: Path, tmp_path: Path, rows: str, loss: str, match: str
):
    with pytest.raises(ConfigError, match=match):
        train(run_dir, tmp_path / "model", rows=rows, loss=loss, max_steps=1)


@pytest.mark.parametrize("loss", ["cached-mnrl", "gist"])
def test_each_loss_trains_a_step(run_dir: Path, tmp_path: Path, minilm_path: str, loss: str):
    result = train(
        run_dir,
        tmp_path / "model",
        loss=loss,
        max_steps=1,
        batch_size=4,
        mini_batch_size=2,
        device="cpu",
    )

    assert result.steps == 1 and result.loss == loss
    assert (result.model_dir / "model.safetensors").is_file()
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert f'"loss": "{loss}"' in card
    if loss == "gist":  # the guide defaults to the run's mining model (the bundled MiniLM)
        assert '"guide": ' in card and str(Path(minilm_path).name) in card


@pytest.mark.parametrize("loss", ["margin-mse", "kl"])
def test_distillation_losses_train_on_the_runs_scores(
    dense_run_dir: Path, tmp_path: Path, loss: str
):
    result = train(
        dense_run_dir, tmp_path / "model", loss=loss, max_steps=1, batch_size=4, device="cpu"
    )

    assert result.steps == 1 and result.loss_history
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert f'"loss": "{loss}"' in card and '"teacher_scores": "score"' in card


def test_distillation_needs_teacher_scores_for_positives(run_dir: Path, tmp_path: Path):
    # BM25 scores of positives are not stored (NaN): no teacher for the margins
    with pytest.raises(DataError, match="teacher score"):
        train(run_dir, tmp_path / "model", loss="margin-mse", max_steps=1)
    assert not (tmp_path / "model").exists()


def test_every_registered_loss_is_tested():
    # the bi-encoder losses here, the cross-encoder ones in test_cross_encoder.py
    assert LOSSES.names() == [
        "bce",
        "cached-mnrl",
        "gist",
        "kl",
        "lambda",
        "listnet",
        "margin-mse",
        "mnrl",
        "mnrl+kl",  # tests/train/test_train_judged.py
    ]


def test_unknown_loss_lists_the_valid_ones_before_any_work(tmp_path: Path):
    with pytest.raises(ConfigError) as info:
        train(tmp_path / "no-such-run", tmp_path / "model", loss="triplet-margin")
    for name in LOSSES.names():
        assert name in str(info.value)
    assert not (tmp_path / "model").exists()


def test_unfinished_run_dir_is_a_run_dir_error(run_dir: Path, tmp_path: Path):
    unfinished = tmp_path / "run"
    with RunDir(unfinished, create=True).writing():  # a run killed before its manifest
        pass
    with pytest.raises(RunDirError, match="not finished"):
        train(unfinished, tmp_path / "model")


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"batch_size": 0}, "Invalid --batch-size (batch_size)"),
        ({"epochs": 0}, "Invalid --epochs (epochs)"),
        ({"max_steps": 0}, "Invalid --max-steps (max_steps)"),
        ({"warmup_ratio": 1.0}, "Invalid --warmup-ratio (warmup_ratio)"),
        ({"max_seq_length": 0}, "Invalid --max-seq-length (max_seq_length)"),
        ({"device": "tpu"}, "Unknown --device"),
        ({"precision": "fp16"}, "Unknown --precision"),
    ],
)
def test_bad_settings_are_config_errors_naming_the_option(
    run_dir: Path, tmp_path: Path, setting: dict, named: str
):
    with pytest.raises(ConfigError) as caught:
        train(run_dir, tmp_path / "model", **setting)
    assert str(caught.value).startswith(named)
    assert f"received: {next(iter(setting.values()))}" in str(caught.value)


def _linear_dtypes(seen: list) -> object:
    """A callback that records the dtype of every ``nn.Linear`` output during training."""
    import torch
    from transformers import TrainerCallback

    class LinearDtypes(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):
            for module in model.modules():
                if isinstance(module, torch.nn.Linear):
                    module.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
            return control

    return LinearDtypes()


def test_bf16_on_a_cpu_trains_in_bf16_where_the_cpu_has_it_and_is_refused_elsewhere(
    run_dir: Path, tmp_path: Path
):
    out = tmp_path / "model"
    if not cpu_has_native_bf16():
        with pytest.raises(ConfigError, match="bf16 training needs a CUDA GPU") as caught:
            train(run_dir, out, precision="bf16", device="cpu", max_steps=1)
        assert "neither AMX nor AVX512-BF16" in str(caught.value)
        assert "--precision fp32" in str(caught.value)
        assert not out.exists()
        return
    seen: list = []
    result = train(
        run_dir, out, precision="bf16", device="cpu", max_steps=1, callbacks=[_linear_dtypes(seen)]
    )
    import torch

    assert result.precision == "bf16"
    assert seen and set(seen) == {torch.bfloat16}  # every linear layer ran under bf16 autocast
    assert '"precision": "bf16"' in (out / "README.md").read_text(encoding="utf-8")


def test_fp32_on_a_cpu_runs_every_linear_layer_in_fp32(run_dir: Path, tmp_path: Path):
    import torch

    seen: list = []
    result = train(
        run_dir,
        tmp_path / "model",
        precision="fp32",
        device="cpu",
        max_steps=1,
        callbacks=[_linear_dtypes(seen)],
    )
    assert result.precision == "fp32"
    assert seen and set(seen) == {torch.float32}


def test_the_bf16_probe_agrees_with_the_cpu_flags_linux_reports():
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text(encoding="utf-8").splitlines() if cpuinfo.exists() else []
    flag_lines = [line for line in lines if line.startswith("flags")]
    if not flag_lines:
        pytest.skip("no /proc/cpuinfo with x86 flags on this machine")
    flags = set(flag_lines[0].split(":", 1)[1].split())
    assert cpu_has_native_bf16() == bool({"amx_tile", "avx512_bf16"} & flags)


def test_a_non_empty_output_folder_is_refused(run_dir: Path, tmp_path: Path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty"):
        train(run_dir, tmp_path / "model")


def test_help_documents_every_option_and_loss():
    result = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for option in [
        "--batch-sampler",
        "--out",
        "--loss",
        "--epochs",
        "--batch-size",
        "--lr",
        "--seed",
        "--max-steps",
        "--guide",
        "--model",
        "--rows",
        "--checkpoint-minutes",
        "--precision",
    ]:
        assert option in text, option
    for name in LOSSES.names():
        assert name in text, name


def test_cli_gradient_checkpointing_is_reported(run_dir: Path, tmp_path: Path):
    args = f"train {run_dir} --out {tmp_path / 'model'} --max-steps 1 --batch-size 4"
    result = runner.invoke(
        app, [*args.split(), "--device", "cpu", "--gradient-checkpointing", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["gradient_checkpointing"] is True


def test_cli_trains_and_prints_json(run_dir: Path, tmp_path: Path, minilm_path: str):
    out = tmp_path / "model"
    result = runner.invoke(
        app,
        [
            "train",
            str(run_dir),
            "--out",
            str(out),
            "--max-steps",
            "1",
            "--batch-size",
            "4",
            "--device",
            "cpu",
            "--json",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("{"), result.stdout  # nothing else on stdout
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["steps"] == 1 and payload["loss"] == "mnrl"
    assert payload["precision"] == "fp32"
    assert (out / "README.md").is_file()


def test_cli_error_is_one_line_and_exit_1(tmp_path: Path):
    result = runner.invoke(
        app, ["train", str(tmp_path), "--out", str(tmp_path / "m"), "--loss", "nope"]
    )
    assert result.exit_code == 1
    assert "Unknown loss 'nope'" in result.output and "Traceback" not in result.output


def test_cli_stdout_holds_only_the_result_without_quiet(run_dir: Path, tmp_path: Path):
    """The trainer's log dicts ({'loss': ...}, train_runtime) stay off stdout; one bar, on
    stderr."""
    out = tmp_path / "model"
    args = ["train", str(run_dir), "--out", str(out), "--max-steps", "2", "--batch-size", "4"]
    result = runner.invoke(app, [*args, "--device", "cpu"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == [
        result.stdout.strip().splitlines()[0],
        f"Saved to {out}",
    ]
    assert result.stdout.startswith("Trained a bi-encoder with mnrl for 2 steps on ")
    assert "'loss'" not in result.output and "train_runtime" not in result.output
    assert "Computing widget examples" not in result.output
    assert "Loading weights" not in result.output


def test_the_card_names_the_base_model(run_dir: Path, tmp_path: Path, minilm_path: str):
    result = train(run_dir, tmp_path / "model", max_steps=1, batch_size=4, device="cpu")
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert "finetuned from [sentence-transformers/all-MiniLM-L6-v2]" in card
    assert "Base model:** [Unknown]" not in card
    assert f"- base model: `{minilm_path}` (sentence-transformers/all-MiniLM-L6-v2)" in card
    assert "- trained as a bi-encoder" in card
