"""Fine-tune a cross-encoder (a reranker) with ``CrossEncoderTrainer``.

The model is built from ``plan.model_path`` with a 1-label head: a cross-encoder checkpoint
keeps its head; a plain transformer or a bi-encoder checkpoint (all-MiniLM-L6-v2) gets a new
one, initialised at random and trained here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from trueneg.progress import transformers_bars
from trueneg.train.card import prepare_card_data
from trueneg.train.trainer import (
    FitPlan,
    FitResult,
    checkpointing_for,
    run_trainer,
    training_arguments,
)

logger = logging.getLogger(__name__)


def fit_cross_encoder(plan: FitPlan) -> FitResult:
    """Train a 1-label cross-encoder from ``plan.model_path`` and save it to ``plan.out``."""
    from sentence_transformers.cross_encoder import (
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from transformers import set_seed

    s = plan.settings
    with transformers_bars(False):
        set_seed(s.seed)
        model = build_cross_encoder(plan.model_path, plan.context.device, s.max_seq_length)
        batches = plan.sampler.trainer_arg(
            model, plan.dataset, batch_size=s.batch_size, seed=s.seed
        )
        checkpointing = checkpointing_for(plan, model, pairs=True)
        args = CrossEncoderTrainingArguments(
            **training_arguments(plan, batches, checkpointing=checkpointing)
        )
        trainer = CrossEncoderTrainer(
            model=model,
            args=args,
            train_dataset=plan.dataset,
            loss=plan.loss.build(model, plan.context),
        )
        result = run_trainer(trainer, plan, checkpointing=checkpointing)
        model.save(str(plan.out))
    return result


def build_cross_encoder(model_path: str, device: str | None, max_length: int | None) -> Any:
    """A 1-label ``CrossEncoder`` from any checkpoint, without transformers' load report."""
    from sentence_transformers.cross_encoder import CrossEncoder

    with _quiet_loading():
        model = CrossEncoder(model_path, num_labels=1, max_length=max_length, device=device)
    logger.info(
        "cross-encoder from %s (1-label head, max length %s)",
        model_path,
        max_length or model.max_seq_length,
    )
    prepare_card_data(model, model_path)
    return model


@contextmanager
def _quiet_loading() -> Iterator[None]:
    """Hide the notices of building a head ("Converting SentenceTransformer model", the load
    report listing the new classifier weights) for one load."""
    from transformers.utils import logging as hf_logging

    st_logger = logging.getLogger("sentence_transformers")
    verbosity, level = hf_logging.get_verbosity(), st_logger.level
    hf_logging.set_verbosity_error()
    st_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        st_logger.setLevel(level)
