"""`trueneg mine`: a thin wrapper over :func:`trueneg.mine`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trueneg.cli.common import Quiet, console, default_help, handle_errors, setup_logging
from trueneg.cli.render import print_summary
from trueneg.select.auto import DEFAULT_WIDTH, NEAR_DUPLICATE
from trueneg.settings import MineConfig, load_toml

DATA_HELP = (
    "A BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv; positives = qrels with "
    "score > 0) or a pairs file (.jsonl, .jsonl.gz, .csv, .tsv, .parquet) of (query, positive)."
)


@handle_errors
def mine_command(
    data: Annotated[str | None, typer.Argument(help=DATA_HELP, show_default=False)] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            help="Run directory to write "
            "(re-running the same command there reuses finished stages).",
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(help="Qrels split of a BEIR folder. " + default_help(MineConfig, "split")),
    ] = None,
    query_column: Annotated[str | None, typer.Option(help="Query column of a pairs file.")] = None,
    positive_column: Annotated[
        str | None, typer.Option(help="Positive column of a pairs file.")
    ] = None,
    corpus: Annotated[
        str | None,
        typer.Option(help="Extra corpus file for pairs input (more candidate documents)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="sentence-transformers model name or local folder. "
            + default_help(MineConfig, "model")
        ),
    ] = None,
    query_prompt: Annotated[str | None, typer.Option(help="Prompt prepended to queries.")] = None,
    document_prompt: Annotated[
        str | None, typer.Option(help="Prompt prepended to documents.")
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(help="Encoding batch size. " + default_help(MineConfig, "batch_size")),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="auto | cpu | cuda. " + default_help(MineConfig, "device"))
    ] = None,
    encoder: Annotated[
        str | None,
        typer.Option(
            help="How texts are encoded: auto (fast on CUDA, sentence-transformers on CPU) | sentence-transformers (the reference) | fast (length-bucketed token-budget batches, tokenizer workers, bfloat16 on CUDA; the same vectors as the reference) | onnx (ONNX Runtime float32, CPU) | onnx-int8 (quantized, CPU; close to the reference, see docs/benchmarks/speed.md). Each has its own embedding cache. "
            + default_help(MineConfig, "encoder")
        ),
    ] = None,
    retriever: Annotated[
        str | None,
        typer.Option(
            help="exact | bm25 | hybrid | faiss-flat | faiss-ivf | faiss-hnsw (NAME[:VALUE]). "
            + default_help(MineConfig, "retriever")
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            help="Candidates retrieved per query. "
            + default_help(
                MineConfig,
                "depth",
                f"; auto searches {DEFAULT_WIDTH} deeper so that its {DEFAULT_WIDTH}-rank window "
                "can start anywhere in the first DEPTH",
            )
        ),
    ] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="Filter NAME[:VALUE], repeatable; all must pass. `none` for no filter. "
            + default_help(
                MineConfig,
                "filters",
                f" (a rank window chosen from where the labeled positives sit, plus "
                f"{NEAR_DUPLICATE}; see `trueneg strategies`)",
            ),
        ),
    ] = None,
    sampler: Annotated[
        str | None,
        typer.Option(
            help="top | random | simans | softmax (NAME[:VALUE]). "
            + default_help(
                MineConfig,
                "sampler",
                " (top when the chosen window looks clean, random otherwise); top when --filter "
                "is given",
            )
        ),
    ] = None,
    false_negative_cost: Annotated[
        float | None,
        typer.Option(
            "--false-negative-cost",
            metavar="COST",
            help="How many true negatives one false negative undoes, for auto's choice: a rank "
            "is admitted while its estimated false-negative share is below 1/(1+COST). Lower "
            "takes harder, dirtier negatives (3: under 25%; 2: under 33%), higher cleaner, "
            "easier ones. Only without --filter. "
            + default_help(MineConfig, "false_negative_cost"),
        ),
    ] = None,
    auto_cost: Annotated[
        float | None,
        typer.Option("--auto-cost", hidden=True, help="Old name of --false-negative-cost."),
    ] = None,
    num_negatives: Annotated[
        int | None,
        typer.Option(
            "--num-negatives",
            "-k",
            help="Negatives per query. " + default_help(MineConfig, "num_negatives"),
        ),
    ] = None,
    shortfall: Annotated[
        str | None,
        typer.Option(
            help="Queries short of k negatives: keep-short | drop | backfill. "
            + default_help(MineConfig, "shortfall")
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Seed of every random choice. " + default_help(MineConfig, "seed")),
    ] = None,
    judge: Annotated[
        str | None,
        typer.Option(
            help="Judge (cross-encoder folder with model.onnx + tokenizer.json, a sentence-transformers CrossEncoder, or a bi-encoder) that rescores the top candidates; enables the judge-threshold filter and NAME:VALUE@judge."
        ),
    ] = None,
    judge_depth: Annotated[
        int | None,
        typer.Option(
            help="Candidates per query the judge scores (ranks 1..N; deeper ones stay "
            "unjudged). " + default_help(MineConfig, "judge_depth")
        ),
    ] = None,
    cache_dir: Annotated[
        str | None,
        typer.Option(
            help="Folder for cached embeddings (and judge scores, under judge/), to share them "
            "between runs. " + default_help(MineConfig, "cache_dir")
        ),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="auto|ADDRESS",
            help="Encode and run exact search on a Ray cluster: `auto` joins the running cluster (RAY_ADDRESS or `ray start` on this machine) or starts a local one; ADDRESS is the head node, HOST:6379 or ray://HOST:10001. Same negatives as a local run; exact retriever only; needs `pip install 'trueneg\\[ray]'`. "
            + default_help(MineConfig, "ray"),
        ),
    ] = None,
    ray_workers: Annotated[
        int | None,
        typer.Option(
            "--ray-workers",
            metavar="N",
            help="Encoder actors and search shards with --ray. "
            + default_help(MineConfig, "ray_workers"),
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="run.toml with the same settings (command-line flags win)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Mine into a non-empty --out folder that is not a trueneg run, beside its files (never over them: a folder with files under a run's names is still refused).",
        ),
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Mine hard negatives for DATA into a run directory and print the summary.

    Without --filter/--sampler, `auto` estimates from the data how contaminated each rank is and picks the window and sampler; the choice and its evidence are printed and stored in RUN_DIR/manifest.json. Every candidate is kept in RUN_DIR/negatives.parquet with `kept` and the `reason` it was dropped. See `trueneg strategies` for every filter and sampler.
    """
    import trueneg

    setup_logging(quiet)
    base = load_toml(config) if config else MineConfig()
    settings: dict[str, Any] = dict(
        split=split,
        query_column=query_column,
        positive_column=positive_column,
        corpus=corpus,
        model=model,
        query_prompt=query_prompt,
        document_prompt=document_prompt,
        batch_size=batch_size,
        device=device,
        encoder=encoder,
        retriever=retriever,
        depth=depth,
        sampler=sampler,
        false_negative_cost=false_negative_cost,
        auto_cost=auto_cost,  # its old name: mine() refuses both
        num_negatives=num_negatives,
        shortfall=shortfall,
        seed=seed,
        judge=judge,
        judge_depth=judge_depth,
    )
    if filter_:
        settings["filters"] = list(filter_)
    settings["cache_dir"] = cache_dir
    settings.update(ray=ray, ray_workers=ray_workers)
    run = trueneg.mine(data, out, config=base, show_progress=not quiet, force=force, **settings)
    print_summary(run.summary(), console, str(run.path))
