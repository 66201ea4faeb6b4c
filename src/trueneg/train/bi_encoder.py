"""Fine-tune a bi-encoder (an embedding model) with ``SentenceTransformerTrainer``."""

from __future__ import annotations

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


def fit_bi_encoder(plan: FitPlan) -> FitResult:
    """Train ``plan.model_path`` on ``plan.dataset`` and save it to ``plan.out``; the saved
    model keeps the training prompts as its ``query`` / ``document`` prompts."""
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from transformers import set_seed

    s = plan.settings
    with transformers_bars(False):
        set_seed(s.seed)
        model = SentenceTransformer(plan.model_path, device=plan.context.device)
        if s.max_seq_length is not None:
            model.max_seq_length = s.max_seq_length
        prepare_card_data(model, plan.model_path)
        batches = plan.sampler.trainer_arg(
            model, plan.dataset, batch_size=s.batch_size, seed=s.seed
        )
        checkpointing = checkpointing_for(plan, model, pairs=False)
        args = SentenceTransformerTrainingArguments(
            **training_arguments(plan, batches, checkpointing=checkpointing)
        )
        model.model_card_data.widget = [{}]  # truthy: the trainer computes no widget examples
        trainer = SentenceTransformerTrainer(
            model=model,
            args=args,
            train_dataset=plan.dataset,
            loss=plan.loss.build(model, plan.context),
        )
        model.model_card_data.widget = []
        result = run_trainer(trainer, plan, checkpointing=checkpointing)
        _keep_prompts(model, dict(plan.prompts), query_column="anchor")
        model.save(str(plan.out))
    return result


def _keep_prompts(model: Any, prompts: dict[str, str], *, query_column: str) -> None:
    """Save the prompts trained with as the model's own, so encoding with it applies them."""
    if not prompts:
        return
    query = prompts.get(query_column)
    document = next((p for c, p in prompts.items() if c != query_column), None)
    saved = dict(model.prompts or {})
    saved.update({k: v for k, v in (("query", query), ("document", document)) if v})
    model.prompts = saved
