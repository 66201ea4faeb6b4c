"""What the bi-encoder and the cross-encoder trainers share: the plan of one fit, the training
arguments, one progress bar, checkpoints and the loss history.

sentence-transformers' trainers print every log dict to stdout (``PrinterCallback``, or
``ProgressCallback`` beside its tqdm bar); here the log dicts go to the ``trueneg`` logger at
DEBUG and the only bar is trueneg's own (:func:`trueneg.progress.progress_bar`, on stderr).
"""

from __future__ import annotations

import dataclasses
import logging
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trueneg.progress import progress_bar
from trueneg.settings import TrainSettings
from trueneg.train import checkpoints, memory
from trueneg.train.losses import LossContext, TrainLoss
from trueneg.train.samplers import BatchSampler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitPlan:
    """Everything one fit needs, settled before any model loads."""

    model_path: str
    dataset: Any
    loss: TrainLoss
    context: LossContext
    out: Path
    settings: TrainSettings
    precision: str
    sampler: BatchSampler
    show_progress: bool
    folder: Path  # the checkpoint folder
    resume: Path | None
    callbacks: tuple[Any, ...] = ()
    prompts: tuple[tuple[str, str], ...] = ()  # (column, prompt) pairs, bi-encoders only


@dataclass(frozen=True)
class FitResult:
    steps: int
    loss_history: list[float]
    device: str
    gradient_checkpointing: bool = False


def checkpointing_for(plan: FitPlan, model: Any, *, pairs: bool) -> bool:
    """Whether ``model`` trains with gradient checkpointing: the user's choice, else on when a
    step's activations would not fit in the memory available (:mod:`trueneg.train.memory`).
    ``pairs``: a cross-encoder, whose sequences are (query, document) pairs."""
    s = plan.settings
    inner = getattr(model, "model", None) if pairs else getattr(model[0], "auto_model", None)
    cap = getattr(model, "max_length" if pairs else "max_seq_length", None) or 512
    choice = memory.decide(
        s.gradient_checkpointing,
        getattr(inner, "config", None),
        model.tokenizer,
        plan.dataset,
        rows=s.batch_size,
        chunk=s.mini_batch_size if plan.loss.cached else None,
        cap=int(cap),
        pairs=pairs,
        device=plan.context.device or "cpu",
        bytes_per_value=2 if plan.precision == "bf16" else 4,
    )
    return choice.on


def training_arguments(
    plan: FitPlan, batch_sampler: Any, *, checkpointing: bool = False
) -> dict[str, Any]:
    """The keyword arguments of either trainer's ``TrainingArguments``."""
    s = plan.settings
    on_gpu = (plan.context.device or "").startswith("cuda")
    return {
        "output_dir": str(plan.folder),
        "num_train_epochs": s.epochs,
        "max_steps": s.max_steps,
        "per_device_train_batch_size": s.batch_size,
        "learning_rate": s.lr,
        "warmup_steps": s.warmup_ratio,
        "seed": s.seed,
        "data_seed": s.seed,
        "bf16": plan.precision == "bf16",
        "use_cpu": not on_gpu,
        "batch_sampler": batch_sampler,
        "save_strategy": "no",  # checkpoints come from the timed callback
        "save_total_limit": 1,
        "logging_steps": 1,
        "report_to": "none",
        "disable_tqdm": True,  # one bar: TrainProgress's
        **({"prompts": dict(plan.prompts)} if plan.prompts else {}),
        **(checkpointing_argument() if checkpointing else {}),
    }


def checkpointing_argument() -> dict[str, bool]:
    """The ``TrainingArguments`` field that turns on activation (gradient) checkpointing, under
    the name this transformers version reads: ``activation_checkpointing`` (the newer name)
    where it exists, else ``gradient_checkpointing``."""
    from transformers import TrainingArguments

    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    name = (
        "activation_checkpointing"
        if "activation_checkpointing" in names
        else "gradient_checkpointing"
    )
    return {name: True}


def run_trainer(trainer: Any, plan: FitPlan, *, checkpointing: bool = False) -> FitResult:
    """Train with one progress bar, the timed checkpoints and the caller's callbacks; resume
    from ``plan.resume``. Keeps the newest checkpoint (and says so) when training stops."""
    from transformers import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    bar = train_progress(plan.show_progress)
    trainer.add_callback(bar)
    if plan.settings.checkpoint_minutes > 0:
        trainer.add_callback(checkpoints.timed_callback(plan.settings.checkpoint_minutes))
    for callback in plan.callbacks:
        trainer.add_callback(callback)
    resume = str(plan.resume) if plan.resume is not None else None
    try:
        trainer.train(resume_from_checkpoint=resume)
    except BaseException:
        bar.close()
        _log_kept(plan.folder)
        raise
    history = [float(e["loss"]) for e in trainer.state.log_history if "loss" in e]
    device = plan.context.device or "cpu"
    return FitResult(int(trainer.state.global_step), history, device, checkpointing)


def train_progress(show: bool) -> Any:
    """A ``TrainerCallback`` drawing one bar over the training steps (when ``show``) and sending
    the trainer's log dicts to the logger at DEBUG."""
    from transformers import TrainerCallback

    class TrainProgress(TrainerCallback):
        def __init__(self) -> None:
            self.stack = ExitStack()
            self.advance: Any = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            bar = progress_bar(show, state.max_steps, "training", completed=state.global_step)
            self.advance = self.stack.enter_context(bar)
            return control

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if self.advance is not None:
                self.advance(1)
            return control

        def on_log(self, args: Any, state: Any, control: Any, logs=None, **kwargs: Any) -> Any:
            logger.debug("step %d: %s", state.global_step, logs)
            return control

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            self.close()
            return control

        def close(self) -> None:
            self.stack.close()
            self.advance = None

    return TrainProgress()


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
