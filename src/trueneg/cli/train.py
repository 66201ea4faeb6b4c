"""`trueneg train`: a thin wrapper over :func:`trueneg.train.train`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from trueneg.cli.common import (
    ALL_QUERIES_HELP,
    Quiet,
    Verbose,
    console,
    default_help,
    handle_errors,
    plural,
    setup_logging,
)
from trueneg.registry import describe
from trueneg.settings import TrainSettings
from trueneg.settings.train import MODEL_TYPES
from trueneg.train.losses import LOSSES
from trueneg.train.samplers import BATCH_SAMPLERS

LOSS_HELP = (
    "Training loss: "
    + " | ".join(
        f"{name} ({cls.model_type}; {describe(cls).rstrip('.')})" for name, cls in LOSSES.items()
    )
    + ". "
    + default_help(TrainSettings, "loss")
)

SAMPLER_HELP = (
    "How rows are batched: "
    + " | ".join(f"{name} ({describe(cls).rstrip('.')})" for name, cls in BATCH_SAMPLERS.items())
    + ". topic:K sets K clusters (default: distinct queries / batch size). "
    + default_help(TrainSettings, "batch_sampler")
)


TRAIN = TrainSettings()  # the defaults of every option below


@handle_errors
def train_command(
    run_dir: Annotated[str, typer.Argument(help="A finished run directory.", show_default=False)],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="New folder for the trained model (must be empty or absent).",
            show_default=False,
        ),
    ],
    model_type: Annotated[
        str,
        typer.Option(
            help=" | ".join(MODEL_TYPES) + ": train an embedding model, or a reranker that scores "
            "(query, document) pairs (a 1-label head on --model; rerank with `trueneg evaluate "
            "RERANKER DATA --rerank`)."
        ),
    ] = TRAIN.model_type,
    loss: Annotated[str | None, typer.Option(help=LOSS_HELP, show_default=False)] = TRAIN.loss,
    model: Annotated[
        str | None,
        typer.Option(
            help="Model to fine-tune: a sentence-transformers folder or hub name (a "
            "cross-encoder starts from any, a bi-encoder's included). "
            + default_help(TrainSettings, "model")
        ),
    ] = TRAIN.model,
    guide: Annotated[
        str | None,
        typer.Option(help="Guide model for --loss gist. " + default_help(TrainSettings, "guide")),
    ] = TRAIN.guide,
    batch_sampler: Annotated[
        str | None, typer.Option(help=SAMPLER_HELP, show_default=False)
    ] = TRAIN.batch_sampler,
    rows: Annotated[
        str | None,
        typer.Option(
            help="n-tuple (one row per query with all its negatives; the default) or "
            "triplet (one row per negative, as sentence-transformers' "
            "mine_hard_negatives writes by default). Contrastive losses only. With k "
            "negatives a query, an epoch of n-tuples is about 1/k of the triplets' steps "
            "(see --epochs; docs/training.md)."
        ),
    ] = TRAIN.rows,
    epochs: Annotated[
        float | None,
        typer.Option(
            help="Training epochs. "
            + default_help(
                TrainSettings,
                "epochs",
                then="; as many as reach 100 steps, k being the steps of the same negatives "
                "as triplets (docs/training.md)",
            ),
            show_default=False,
        ),
    ] = TRAIN.epochs,
    batch_size: Annotated[
        int, typer.Option(help="Training batch size (no text repeats within a batch).")
    ] = TRAIN.batch_size,
    mini_batch_size: Annotated[
        int, typer.Option(help="Mini-batch size of --loss cached-mnrl.")
    ] = TRAIN.mini_batch_size,
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = TRAIN.lr,
    warmup_ratio: Annotated[
        float, typer.Option(help="Fraction of steps of linear warmup.")
    ] = TRAIN.warmup_ratio,
    seed: Annotated[
        int, typer.Option(help="Seed of python, numpy, torch and the batch order.")
    ] = TRAIN.seed,
    max_steps: Annotated[
        int, typer.Option(help="Stop after this many steps (-1: no limit; overrides --epochs).")
    ] = TRAIN.max_steps,
    device: Annotated[
        str, typer.Option(help="auto | cpu | cuda (cuda:N for another GPU).")
    ] = TRAIN.device,
    precision: Annotated[
        str,
        typer.Option(
            help="auto (bf16 mixed precision on a CUDA GPU that supports it, else fp32) | "
            "bf16 (a CUDA GPU, or a CPU with AMX or AVX512-BF16) | fp32 (sentence-transformers' default; the reference recipe)."
        ),
    ] = TRAIN.precision,
    gradient_checkpointing: Annotated[
        bool | None,
        typer.Option(
            "--gradient-checkpointing/--no-gradient-checkpointing",
            help="Keep only each transformer layer's input in the forward pass and recompute "
            "the rest for the backward pass: the same training (the same gradients, dropout "
            "included) in 2-4x less memory; each layer runs twice, usually slower. "
            + default_help(
                TrainSettings,
                "gradient_checkpointing",
                then=" (its estimate from the model's sizes, the batch and the texts' token "
                "counts over 75% of the free GPU memory, or of the system's within its cgroup "
                "limit); the log says which and why",
            ),
            show_default=False,
        ),
    ] = TRAIN.gradient_checkpointing,
    checkpoint_minutes: Annotated[
        float,
        typer.Option(
            help="Save a checkpoint to OUT.checkpoints every this many minutes of training "
            "(0: never). After a crash or Ctrl-C the same command resumes from the last one; "
            "the folder is deleted once the model is saved."
        ),
    ] = TRAIN.checkpoint_minutes,
    all_queries: Annotated[
        bool, typer.Option("--all-queries", help=ALL_QUERIES_HELP)
    ] = TRAIN.all_queries,
    max_seq_length: Annotated[
        int | None,
        typer.Option(
            help="Truncate texts (cross-encoder: query and document together) to this many "
            "tokens. " + default_help(TrainSettings, "max_seq_length")
        ),
    ] = TRAIN.max_seq_length,
    prompts: Annotated[
        bool,
        typer.Option(
            help="Prepend the run's query/document prompts (trueneg mine --query-prompt, "
            "--document-prompt; else the model's own) to a bi-encoder's training texts and save "
            "them with the model. --no-prompts trains on the bare texts."
        ),
    ] = TRAIN.prompts,
    query_prompt: Annotated[
        str | None,
        typer.Option(
            help='Query prompt to train with instead ("" for none). '
            + default_help(TrainSettings, "query_prompt")
        ),
    ] = TRAIN.query_prompt,
    document_prompt: Annotated[
        str | None,
        typer.Option(
            help='Document prompt to train with instead ("" for none). '
            + default_help(TrainSettings, "document_prompt")
        ),
    ] = TRAIN.document_prompt,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON object.")
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Fine-tune a sentence-transformers model (a bi-encoder, or a cross-encoder reranker) on
    RUN_DIR's hard negatives and save it to --out.

    The model folder's README.md names the base model, the run, the mining settings it used and
    the training settings. Only the result goes to stdout; progress and logs to stderr (the trainer's
    log lines with -v).
    Long runs save checkpoints (--checkpoint-minutes): re-running an interrupted command resumes.
    """
    setup_logging(quiet, verbose)
    from trueneg.api import Run
    from trueneg.train import train

    settings = TrainSettings(
        model=model,
        model_type=model_type,
        loss=loss,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        max_steps=max_steps,
        guide=guide,
        mini_batch_size=mini_batch_size,
        warmup_ratio=warmup_ratio,
        device=device,
        precision=precision,
        gradient_checkpointing=gradient_checkpointing,
        batch_sampler=batch_sampler,
        rows=rows,
        checkpoint_minutes=checkpoint_minutes,
        all_queries=all_queries,
        max_seq_length=max_seq_length,
        prompts=prompts,
        query_prompt=query_prompt,
        document_prompt=document_prompt,
    )
    result = train(run_dir, out, settings, show_progress=not (quiet or json_output))
    if json_output:
        typer.echo(json.dumps(result.to_dict()))
        return
    last = f"; last loss {result.loss_history[-1]:.4f}" if result.loss_history else ""
    short = result.queries_short_of_k
    note = f"; {short} queries short of k negatives left out" if short else ""
    if result.queries_not_for_training:
        top = Run(run_dir).manifest["auto"]["train_queries"]["max_positive_rank"]
        left = plural(result.queries_not_for_training, "query", "queries")
        note += (
            f"; left out {left} whose positive ranks below the mining model's top {top} "
            "(--all-queries keeps every query)"
        )
    if result.resumed_from_step is not None:
        note += f"; resumed from the checkpoint of step {result.resumed_from_step}"
    if result.gradient_checkpointing:
        note += "; gradient checkpointing on"
    if result.prompts:
        note += "; prompts " + ", ".join(f"{k} {v!r}" for k, v in result.prompts.items())
    console.print(
        f"Trained a {result.model_type} with {result.loss} for {result.steps} steps"
        f"{_epochs(result.epochs, max_steps)} on {result.rows} rows "
        f"({result.device}, {result.precision}, {result.seconds:.1f} s{last}{note})."
    )
    console.print(f"Saved to {result.model_dir}")


def _epochs(epochs: float, max_steps: int) -> str:
    """`` (4 epochs)``, or nothing where --max-steps set the steps."""
    if max_steps != -1:
        return ""
    return f" ({epochs:g} epoch{'' if epochs == 1 else 's'})"
