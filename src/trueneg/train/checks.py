"""Checks of the training settings, all made before any model loads, and what ``auto`` means
for the device and the precision."""

from __future__ import annotations

import math
from pathlib import Path

from trueneg.errors import ConfigError
from trueneg.settings import TrainSettings
from trueneg.settings.schema import setting_name
from trueneg.settings.train import CROSS_ENCODER
from trueneg.train.losses import TrainLoss, losses_for
from trueneg.train.samplers import BatchSampler

ROW_FORMATS = ("n-tuple", "triplet")
PRECISIONS = ("auto", "bf16", "fp32")
FEW_STEPS = 100  # fewer optimizer steps than this on rows of several negatives: say so


def rows_fit(loss: TrainLoss, rows: str | None) -> bool:
    """Whether ``loss`` can train on ``rows``: its own format, or ``triplet`` and ``n-tuple``
    for the contrastive losses (not for score lists or a cross-encoder's pairs and lists)."""
    if rows is None or rows == loss.fmt:
        return True
    return not (loss.include_scores or loss.model_type == CROSS_ENCODER)


def row_format(loss: TrainLoss, rows: str | None) -> str:
    """The export the loss trains on: its own, or ``triplet`` for the contrastive losses."""
    if rows is None or rows == loss.fmt:
        return loss.fmt
    if rows not in ROW_FORMATS:
        raise ConfigError("Unknown --rows", received=rows, expected=ROW_FORMATS)
    if not rows_fit(loss, rows):
        what = "score lists" if loss.include_scores else f"{loss.fmt} rows"
        raise ConfigError(
            f"--loss {loss.name} trains on {what}, not {rows} rows",
            received=rows,
            fix=f"Leave --rows out for --loss {loss.name}",
        )
    return rows


def check_model_type(s: TrainSettings, loss: TrainLoss, sampler: BatchSampler) -> None:
    """The loss, the batch sampler and the bi-encoder-only settings fit ``s.model_type``."""
    model_type = s.checked_model_type()
    if loss.model_type != model_type:
        raise ConfigError(
            f"--loss {loss.name} trains a {loss.model_type}, not a {model_type}",
            received=loss.name,
            expected=losses_for(model_type),
            fix=f"Pass one of these losses, or --model-type {loss.model_type}",
        )
    if model_type != CROSS_ENCODER:
        return
    given = {
        "--guide": s.guide,
        "--batch-sampler": s.batch_sampler if sampler.embeds_queries else None,
        "--query-prompt": s.query_prompt,
        "--document-prompt": s.document_prompt,
    }
    for option, value in given.items():
        if value is not None:
            raise ConfigError(
                f"{option} applies to bi-encoders, not to --model-type {CROSS_ENCODER}",
                received=value,
                fix=f"Drop {option}",
            )


def check_settings(out: str | Path, s: TrainSettings) -> None:
    """Every numeric setting in range, a known device and precision, an empty ``out``; an
    error names the option (``--batch-size (batch_size)``) and the range it takes."""
    checks = [
        ("epochs", s.epochs is None or s.epochs > 0, "a number > 0"),
        ("batch_size", s.batch_size >= 1, "an integer >= 1"),
        ("lr", s.lr > 0, "a number > 0"),
        ("mini_batch_size", s.mini_batch_size >= 1, "an integer >= 1"),
        ("max_steps", s.max_steps == -1 or s.max_steps >= 1, "an integer >= 1, or -1 for no limit"),
        ("warmup_ratio", 0 <= s.warmup_ratio < 1, "a fraction from 0 to below 1"),
        ("checkpoint_minutes", s.checkpoint_minutes >= 0, "minutes >= 0 (0: never)"),
        ("max_seq_length", s.max_seq_length is None or s.max_seq_length >= 1, "tokens >= 1"),
    ]
    for name, ok, expected in checks:
        if not ok:
            raise ConfigError(
                f"Invalid {setting_name(TrainSettings, name)}",
                received=getattr(s, name),
                expected=expected,
            )
    device = s.device
    if device not in {"auto", "cpu", "cuda"} and not device.startswith("cuda:"):
        raise ConfigError(
            "Unknown --device", received=device, expected="auto | cpu | cuda | cuda:N"
        )
    check_precision(s.precision)
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError(
            "The model output folder is not empty",
            received=str(path),
            fix="Pass a new --out folder, or delete this one first",
        )


def check_precision(precision: str, where: str = "--precision") -> None:
    """Refuse a ``precision`` that is not one of :data:`PRECISIONS` (``where`` names it)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"Unknown {where}", received=precision, expected=PRECISIONS)


def precision_on(precision: str, device: str) -> str:
    """``bf16`` or ``fp32``: what ``precision`` means on ``device`` (already resolved).

    ``auto`` is bf16 on a CUDA GPU that supports it, fp32 elsewhere. ``bf16`` is also allowed on
    a CPU that computes bfloat16 natively (:func:`cpu_has_native_bf16`); on any other CPU torch
    would emulate it, so it is refused there."""
    import torch

    on_gpu = device.startswith("cuda")
    gpu_bf16 = on_gpu and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if precision == "auto":
        return "bf16" if gpu_bf16 else "fp32"
    cpu_bf16 = device == "cpu" and cpu_has_native_bf16()
    if precision == "bf16" and not (gpu_bf16 or cpu_bf16):
        why = " (this CPU has neither AMX nor AVX512-BF16)" if device == "cpu" else ""
        raise ConfigError(
            "bf16 training needs a CUDA GPU that supports bfloat16 or a CPU that computes it "
            "natively (AMX or AVX512-BF16)",
            received=f"precision bf16 on device {device}{why}",
            fix="Use --precision fp32 (or auto, which picks bf16 only on a CUDA GPU)",
        )
    return precision


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (Intel AMX tiles or AVX512-BF16), as torch
    reports them (x86 only); without them torch emulates bfloat16 arithmetic."""
    import torch

    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# What the epochs rule and the few-steps note rest on (docs/training.md).
STEPS_EVIDENCE = (
    "On SciFact 13 steps of such rows gave 0.675 nDCG@10, 52 steps (4 epochs) 0.712-0.727 in "
    "six runs (three seeds, two sets of negatives); on NFCorpus 15 steps 0.327 against 60 steps "
    "0.334 over two seeds (docs/training.md)"
)


def _steps_an_epoch(rows: int, negatives: int, s: TrainSettings) -> int | None:
    """Optimizer steps an epoch of ``rows`` of ``negatives`` each, or None where the steps rule
    does not apply: ``max_steps`` chose the steps, one negative a row, or no rows."""
    if s.max_steps != -1 or negatives < 2 or rows < 1:
        return None
    return math.ceil(rows / s.batch_size)


def epochs_for(rows: int, negatives: int, s: TrainSettings) -> tuple[float, str | None]:
    """The epochs a run trains, and why when the data chose them (None when it did not).

    ``s.epochs`` when it is set. Otherwise 1, except where rows of k >= 2 negatives each
    (``negatives``: the n-tuple export's ``negatives_per_row``) give fewer than
    :data:`FEW_STEPS` optimizer steps an epoch: then as many epochs as reach :data:`FEW_STEPS`
    steps, and at most k. One row a query with k negatives is 1/k of the triplets over the
    same negatives, so k epochs are the triplets' steps. On SciFact (809 queries, 4 negatives,
    batch 64) one epoch is 13 steps; the measured evidence is :data:`STEPS_EVIDENCE`, which the
    reason quotes. Steps set by ``max_steps`` leave the epochs at 1.
    """
    if s.epochs is not None:
        return s.epochs, None
    per_epoch = _steps_an_epoch(rows, negatives, s)
    if per_epoch is None or per_epoch >= FEW_STEPS:
        return 1, None
    epochs = min(negatives, math.ceil(FEW_STEPS / per_epoch))
    return epochs, (
        f"training {epochs} epochs, about {epochs * per_epoch} optimizer steps: {rows} rows of "
        f"{negatives} negatives each at batch {s.batch_size} give {per_epoch} steps an epoch "
        f"(under {FEW_STEPS}), and {negatives} epochs are the steps of the same negatives as "
        f"triplets. {STEPS_EVIDENCE}. Pass --epochs to choose"
    )


def few_steps_note(rows: int, negatives: int, s: TrainSettings, loss: TrainLoss) -> str | None:
    """What to do when rows of several negatives each give a run few optimizer steps at the
    epochs it chose (``s.epochs``, set), or None.

    The evidence is :func:`epochs_for`'s: when the epochs are left unset (None), the data
    chooses them and this stays silent; the note is for a run that set fewer. ``negatives``:
    each row's (1 for triplets). Silent too when the run chose its steps (``max_steps``), holds
    one negative a row, or has at least k epochs (the triplets' steps).
    """
    epochs, per_epoch = s.epochs, _steps_an_epoch(rows, negatives, s)
    if epochs is None or per_epoch is None or epochs >= negatives:
        return None  # left to the data, rule does not apply, or the triplets' steps already
    steps = math.ceil(per_epoch * epochs)
    if steps >= FEW_STEPS:
        return None
    triplets = " or --rows triplet" if rows_fit(loss, "triplet") else ""
    return (
        f"{rows} rows of {negatives} negatives each, batch {s.batch_size}, {epochs:g} "
        f"epoch(s): about {steps} optimizer steps (under {FEW_STEPS}). The same negatives as "
        f"triplet rows take about {negatives} times the steps. {STEPS_EVIDENCE}. For more "
        f"steps pass --epochs {negatives} (or more){triplets}, or leave --epochs out to let "
        "the data choose"
    )
