"""``train``: fine-tune a sentence-transformers model on a finished mining run.

A thin wrapper over ``SentenceTransformerTrainer``: the run's export is the training set,
the loss comes from :data:`~trueneg.train.losses.LOSSES`, batches never repeat a text
(no-duplicates sampler), and the saved model's README names the mining config.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trueneg.api import Run
from trueneg.encode import resolve_model
from trueneg.errors import ConfigError
from trueneg.progress import transformers_bars
from trueneg.settings import TrainSettings
from trueneg.train import checkpoints
from trueneg.train.card import append_card, card_section
from trueneg.train.data import teacher_column, training_set
from trueneg.train.losses import LOSSES, LossContext, TrainLoss
from trueneg.train.samplers import BATCH_SAMPLERS, BatchSampler
from trueneg.version import __version__

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """What one training run produced."""

    model_dir: Path
    steps: int
    seconds: float
    loss_history: list[float]
    loss: str = "mnrl"
    rows: int = 0
    device: str = "cpu"
    export_notes: dict[str, Any] = field(default_factory=dict)
    resumed_from_step: int | None = None
    precision: str = "fp32"

    @property
    def queries_short_of_k(self) -> int:
        """Queries the n-tuple export left out for having fewer kept negatives than the rest."""
        return int(self.export_notes.get("queries_short_of_k", 0))

    @property
    def queries_not_for_training(self) -> int:
        """Queries left out as ``auto`` recommends (positive ranked below the model's top N)."""
        return int(self.export_notes.get("queries_not_for_training", 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_dir": str(self.model_dir),
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "loss_history": self.loss_history,
            "loss": self.loss,
            "rows": self.rows,
            "device": self.device,
            "export_notes": self.export_notes,
            "resumed_from_step": self.resumed_from_step,
            "precision": self.precision,
        }


def train(
    run: Any,
    out: str | Path,
    settings: TrainSettings | None = None,
    *,
    callbacks: Sequence[Any] = (),
    show_progress: bool = False,
    **overrides: Any,
) -> TrainResult:
    """Train ``settings.model`` (default: the run's mining model) on the run's hard negatives.

    ``run`` is a :class:`~trueneg.api.Run` or its directory. ``settings`` holds every setting
    (:class:`~trueneg.settings.TrainSettings`, whose defaults apply where it is None);
    keyword ``overrides`` set some of them (``train(run, out, loss="gist", seed=1)``), and
    unknown names are refused. Losses: :data:`LOSSES`; batch samplers (``no-duplicates``,
    ``topic[:K]``): :data:`~trueneg.train.samplers.BATCH_SAMPLERS`. ``gist``'s ``guide`` defaults to
    the run's mining model; distillation losses (``margin-mse``, ``kl``) use the run's judge
    scores, else its retriever scores. ``rows``: ``n-tuple`` (one row per query with all its
    negatives, the default) or ``triplet`` (one row per negative, as sentence-transformers'
    ``mine_hard_negatives`` writes by default) for the contrastive losses. A run mined with
    ``auto`` trains on its training queries (``Run.training_queries``: where most labeled
    positives rank below the mining model's top 100, the queries whose positive ranks in it)
    unless ``all_queries``. Seeds python, numpy and torch. ``precision``: ``auto`` (bf16 mixed
    precision on a CUDA GPU that supports it, else fp32), ``bf16`` (a CUDA GPU only) or
    ``fp32`` (sentence-transformers' own default, on any device). The model is saved to
    ``out`` with a README section naming the run, its mining config and the training settings.
    """
    s = (settings or TrainSettings()).replace(**overrides)
    loss_obj = LOSSES.resolve(s.loss)
    fmt = _row_format(loss_obj, s.rows)
    sampler = BATCH_SAMPLERS.resolve(s.batch_sampler)
    _check_settings(out, s)

    run = run if isinstance(run, Run) else Run(run)
    mining_model = run.manifest.get("config", {}).get("model")
    model_path = resolve_model(s.model if s.model is not None else mining_model)
    context = LossContext(
        guide=resolve_model(s.guide if s.guide is not None else mining_model)
        if loss_obj.name == "gist"
        else None,
        mini_batch_size=s.mini_batch_size,
        device=_device(s.device),
        score_column=teacher_column(run, loss_obj),
    )
    precision = _precision(s.precision, context.device)
    with run.reading():  # the training rows come from one finished run
        dataset, notes = training_set(run, loss_obj, context.score_column, fmt, s.all_queries)
    sampler = sampler.resolved(dataset, batch_size=s.batch_size)
    recorded = {
        "loss": loss_obj.name,
        **loss_obj.config(context),
        "base_model": model_path,
        "epochs": s.epochs,
        "batch_size": s.batch_size,
        "learning_rate": s.lr,
        "seed": s.seed,
        "max_steps": s.max_steps,
        "warmup_ratio": s.warmup_ratio,
        "precision": precision,
        **sampler.config(),
        "export_format": fmt,
    }
    folder = checkpoints.checkpoint_dir(out)
    resume = checkpoints.prepare(
        folder,
        {**recorded, "rows": len(dataset), "rows_sha256": checkpoints.dataset_digest(dataset)},
    )
    if resume is not None:
        logger.info("resuming from %s (step %d)", resume, checkpoints.step_of(resume))
    start = time.perf_counter()
    steps, history, used = _fit(
        model_path,
        dataset,
        loss_obj,
        context,
        Path(out),
        settings=s,
        precision=precision,
        sampler=sampler,
        show_progress=show_progress,
        folder=folder,
        resume=resume,
        callbacks=list(callbacks),
    )
    seconds = time.perf_counter() - start
    checkpoints.finish(folder)
    hyper = {
        **recorded,
        "rows": len(dataset),
        "all_queries": s.all_queries,
        "export_notes": notes,
        "steps": steps,
        "trueneg_version": __version__,
    }
    append_card(Path(out), card_section(run.path.resolve(), run.manifest, hyper))
    return TrainResult(
        Path(out),
        steps,
        seconds,
        history,
        loss=loss_obj.name,
        rows=len(dataset),
        device=used,
        export_notes=notes,
        resumed_from_step=checkpoints.step_of(resume),
        precision=precision,
    )


ROW_FORMATS = ("n-tuple", "triplet")


def _row_format(loss: TrainLoss, rows: str | None) -> str:
    """The export the loss trains on: its own, or ``triplet`` for the contrastive losses."""
    if rows is None or rows == loss.fmt:
        return loss.fmt
    if rows not in ROW_FORMATS:
        raise ConfigError("Unknown training row format", received=rows, expected=ROW_FORMATS)
    if loss.include_scores:
        raise ConfigError(
            f"--loss {loss.name} trains on score lists, not {rows} rows",
            received=rows,
            fix="Leave --rows out for distillation losses",
        )
    return rows


def _check_settings(out: str | Path, s: TrainSettings) -> None:
    checks = [
        ("epochs", s.epochs, s.epochs > 0),
        ("batch_size", s.batch_size, s.batch_size >= 1),
        ("lr", s.lr, s.lr > 0),
        ("mini_batch_size", s.mini_batch_size, s.mini_batch_size >= 1),
        ("max_steps", s.max_steps, s.max_steps == -1 or s.max_steps >= 1),
        ("warmup_ratio", s.warmup_ratio, 0 <= s.warmup_ratio < 1),
        ("checkpoint_minutes", s.checkpoint_minutes, s.checkpoint_minutes >= 0),
    ]
    for name, value, ok in checks:
        if not ok:
            raise ConfigError(
                f"Invalid {name}",
                received=value,
                expected="a positive number (max_steps: -1 for no limit; warmup_ratio: 0 to < 1; "
                "checkpoint_minutes: 0 for never)",
            )
    device = s.device
    if device not in {"auto", "cpu", "cuda"} and not device.startswith("cuda:"):
        raise ConfigError("Unknown device", received=device, expected="auto | cpu | cuda")
    check_precision(s.precision)
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError(
            "The model output folder is not empty",
            received=str(path),
            fix="Pass a new --out folder, or delete this one first",
        )


PRECISIONS = ("auto", "bf16", "fp32")


def check_precision(precision: str, where: str = "training precision") -> None:
    """Refuse a ``precision`` that is not one of :data:`PRECISIONS` (``where`` names it)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"Unknown {where}", received=precision, expected=PRECISIONS)


def _precision(precision: str, device: str) -> str:
    """``bf16`` or ``fp32``: what ``precision`` means on ``device`` (already resolved)."""
    import torch

    on_gpu = device.startswith("cuda")
    bf16_ok = on_gpu and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if precision == "auto":
        return "bf16" if bf16_ok else "fp32"
    if precision == "bf16" and not bf16_ok:
        raise ConfigError(
            "bf16 training needs a CUDA GPU that supports bfloat16",
            received=f"precision bf16 on device {device}",
            fix="Use --precision fp32 (or auto, which picks bf16 only where it is supported)",
        )
    return precision


def _device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _fit(
    model_path: str,
    dataset: Any,
    loss: TrainLoss,
    context: LossContext,
    out: Path,
    *,
    settings: TrainSettings,
    precision: str,
    sampler: BatchSampler,
    show_progress: bool,
    folder: Path,
    resume: Path | None,
    callbacks: list[Any],
) -> tuple[int, list[float], str]:
    from sentence_transformers import SentenceTransformer
    from transformers import set_seed

    s = settings
    with transformers_bars(show_progress):
        set_seed(s.seed)
        model = SentenceTransformer(model_path, device=context.device)
        batches = sampler.trainer_arg(model, dataset, batch_size=s.batch_size, seed=s.seed)
        trainer = _trainer(
            model,
            dataset,
            loss.build(model, context),
            str(folder),
            context,
            batches,
            settings=s,
            precision=precision,
            show_progress=show_progress,
        )
        if s.checkpoint_minutes > 0:
            trainer.add_callback(checkpoints.timed_callback(s.checkpoint_minutes))
        for callback in callbacks:
            trainer.add_callback(callback)
        try:
            trainer.train(resume_from_checkpoint=str(resume) if resume is not None else None)
        except BaseException:
            _log_kept(folder)
            raise
        model.save(str(out))
    history = [float(e["loss"]) for e in trainer.state.log_history if "loss" in e]
    return int(trainer.state.global_step), history, context.device or "cpu"


def _log_kept(folder: Path) -> None:
    last = checkpoints.latest(folder)
    if last is None:
        logger.warning("training stopped before its first checkpoint (none in %s)", folder)
        return
    logger.warning(
        "training stopped; checkpoint of step %d kept in %s: the same call resumes from it",
        checkpoints.step_of(last),
        folder,
    )


def _trainer(
    model: Any,
    dataset: Any,
    loss_module: Any,
    folder: str,
    context: LossContext,
    batch_sampler: Any,
    *,
    settings: TrainSettings,
    precision: str,
    show_progress: bool,
) -> Any:
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from transformers import PrinterCallback

    on_gpu = (context.device or "").startswith("cuda")
    args = SentenceTransformerTrainingArguments(
        output_dir=folder,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.lr,
        warmup_steps=settings.warmup_ratio,
        seed=settings.seed,
        data_seed=settings.seed,
        bf16=precision == "bf16",
        use_cpu=not on_gpu,
        batch_sampler=batch_sampler,
        save_strategy="no",  # checkpoints come from the timed callback
        save_total_limit=1,
        logging_steps=1,
        report_to="none",
        disable_tqdm=not show_progress,
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=dataset, loss=loss_module
    )
    if not show_progress:  # it prints every log line to stdout
        trainer.remove_callback(PrinterCallback)
    return trainer
