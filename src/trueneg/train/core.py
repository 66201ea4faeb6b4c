"""``train``: fine-tune a sentence-transformers model on a finished mining run.

A thin wrapper over ``SentenceTransformerTrainer`` (bi-encoders) and ``CrossEncoderTrainer``
(rerankers): the run's export is the training set, the loss comes from
:data:`~trueneg.train.losses.LOSSES`, and the saved model's README names the base model, the
mining settings the run used and the training settings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trueneg.api import Run
from trueneg.encode import resolve_model
from trueneg.export.prompts import Prompts
from trueneg.settings import TrainSettings
from trueneg.settings.train import BI_ENCODER, CROSS_ENCODER
from trueneg.train import checkpoints
from trueneg.train.bi_encoder import fit_bi_encoder
from trueneg.train.card import append_card, card_section
from trueneg.train.checks import (
    PRECISIONS,
    check_model_type,
    check_precision,
    check_settings,
    epochs_for,
    few_steps_note,
    precision_on,
    resolve_device,
    row_format,
)
from trueneg.train.cross_encoder import fit_cross_encoder
from trueneg.train.data import run_is_weighted, teacher_column, training_set
from trueneg.train.losses import LOSSES, LossContext
from trueneg.train.prompts import as_dict, training_prompts
from trueneg.train.samplers import BATCH_SAMPLERS
from trueneg.train.trainer import FitPlan, FitResult
from trueneg.version import __version__

logger = logging.getLogger(__name__)

__all__ = ["PRECISIONS", "TrainResult", "check_precision", "train"]

FITS: dict[str, Callable[[FitPlan], FitResult]] = {
    BI_ENCODER: fit_bi_encoder,
    CROSS_ENCODER: fit_cross_encoder,
}


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
    model_type: str = BI_ENCODER
    prompts: dict[str, str] = field(default_factory=dict)
    gradient_checkpointing: bool = False
    epochs: float = 1

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
            "model_type": self.model_type,
            "prompts": self.prompts,
            "gradient_checkpointing": self.gradient_checkpointing,
            "epochs": self.epochs,
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
    unknown names are refused. ``model_type``: ``bi-encoder`` (default) or ``cross-encoder``
    (a reranker with a 1-label head, built from any checkpoint, a bi-encoder's included).
    Losses: :data:`LOSSES` (``mnrl`` by default; ``bce`` for cross-encoders); batch samplers
    (``no-duplicates``, ``random``, ``topic[:K]``): :data:`~trueneg.train.samplers.BATCH_SAMPLERS`.
    ``gist``'s ``guide`` defaults to the run's mining model; distillation losses
    (``margin-mse``, ``kl``) use the run's judge scores, else its retriever scores. ``rows``:
    ``n-tuple`` (one row per query with all its negatives, the default) or ``triplet`` (one row
    per negative, as sentence-transformers' ``mine_hard_negatives`` writes by default) for the
    contrastive losses. A run mined with ``auto`` trains on its training queries
    (``Run.training_queries``: where most labeled positives rank below the mining model's top
    100, the queries whose positive ranks in it) unless ``all_queries``. A bi-encoder trains
    with the run's query/document prompts (:mod:`trueneg.train.prompts`) and saves them as its
    own. Seeds python, numpy and torch. ``precision``: ``auto`` (bf16 mixed precision on a CUDA
    GPU that supports it, else fp32), ``bf16`` (a CUDA GPU, or a CPU with AMX or AVX512-BF16)
    or ``fp32``. The model is saved to ``out`` with a README section naming the base model, the
    run, the mining settings it used and the training settings.
    """
    s = (settings or TrainSettings()).replace(**overrides)
    loss_obj = LOSSES.resolve(s.loss_or_default())
    sampler = BATCH_SAMPLERS.resolve(s.batch_sampler_or_default())
    check_model_type(s, loss_obj, sampler)
    fmt = row_format(loss_obj, s.rows)
    check_settings(out, s)

    run = run if isinstance(run, Run) else Run(run)
    mining_model = run.manifest.get("config", {}).get("model")
    model_path = resolve_model(s.model if s.model is not None else mining_model)
    context = LossContext(
        guide=resolve_model(s.guide if s.guide is not None else mining_model)
        if loss_obj.name == "gist"
        else None,
        mini_batch_size=s.mini_batch_size,
        device=resolve_device(s.device),
        score_column=teacher_column(run, loss_obj),
        weighted=run_is_weighted(run, loss_obj),
    )
    precision = precision_on(s.precision, context.device)
    with run.reading():  # the training rows come from one finished run
        dataset, notes = training_set(
            run, loss_obj, context.score_column, fmt, s.all_queries, context.weighted
        )
    per_row = notes.get("negatives_per_row", 1)
    epochs, why = epochs_for(len(dataset), per_row, s)
    if why:
        logger.info(why)
    few_steps = few_steps_note(len(dataset), per_row, s, loss_obj)
    if few_steps:
        logger.warning(few_steps)
    s = s.replace(epochs=epochs)
    context = loss_obj.fitted(context, dataset)
    sampler = sampler.resolved(dataset, batch_size=s.batch_size)
    prompts = _prompts(s, run, model_path)
    recorded = {
        "model_type": s.model_type,
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
        "max_seq_length": s.max_seq_length,
        "prompts": as_dict(prompts),
    }
    folder = checkpoints.checkpoint_dir(out)
    resume = checkpoints.prepare(
        folder,
        {**recorded, "rows": len(dataset), "rows_sha256": checkpoints.dataset_digest(dataset)},
    )
    if resume is not None:
        logger.info("resuming from %s (step %d)", resume, checkpoints.step_of(resume))
    plan = FitPlan(
        model_path=model_path,
        dataset=dataset,
        loss=loss_obj,
        context=context,
        out=Path(out),
        settings=s,
        precision=precision,
        sampler=sampler,
        show_progress=show_progress,
        folder=folder,
        resume=resume,
        callbacks=tuple(callbacks),
        prompts=tuple(prompts.for_columns(dataset.column_names).items()),
    )
    start = time.perf_counter()
    fitted = FITS[s.model_type](plan)
    seconds = time.perf_counter() - start
    checkpoints.finish(folder)
    hyper = {
        **recorded,
        "rows": len(dataset),
        "all_queries": s.all_queries,
        "gradient_checkpointing": fitted.gradient_checkpointing,
        "export_notes": notes,
        "steps": fitted.steps,
        "trueneg_version": __version__,
    }
    append_card(Path(out), card_section(run.path.resolve(), run.manifest, hyper))
    return TrainResult(
        Path(out),
        fitted.steps,
        seconds,
        fitted.loss_history,
        loss=loss_obj.name,
        rows=len(dataset),
        device=fitted.device,
        export_notes=notes,
        resumed_from_step=checkpoints.step_of(resume),
        precision=precision,
        model_type=s.model_type,
        prompts=as_dict(prompts),
        gradient_checkpointing=fitted.gradient_checkpointing,
        epochs=epochs,
    )


def _prompts(s: TrainSettings, run: Run, model_path: str) -> Prompts:
    """A bi-encoder's training prompts; a cross-encoder trains without them (and says so when
    the run was mined with some)."""
    mined = run.prompts()
    if s.model_type == BI_ENCODER:
        return training_prompts(s, mined, model_path)
    if mined:
        logger.info(
            "the run was mined with prompts %s; a cross-encoder trains without them",
            mined.to_dict(),
        )
    return Prompts()
