"""`trueneg mine`: a thin wrapper over :func:`trueneg.mine`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trueneg.cli.common import console, handle_errors, setup_logging
from trueneg.cli.render import print_summary

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
        str | None, typer.Option(help="Qrels split of a BEIR folder. Default: train.")
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
            help="sentence-transformers model name or local folder. Default: the bundled all-MiniLM-L6-v2."
        ),
    ] = None,
    query_prompt: Annotated[str | None, typer.Option(help="Prompt prepended to queries.")] = None,
    document_prompt: Annotated[
        str | None, typer.Option(help="Prompt prepended to documents.")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Encoding batch size. Default: 64.")
    ] = None,
    device: Annotated[str | None, typer.Option(help="auto | cpu | cuda. Default: auto.")] = None,
    encoder: Annotated[
        str | None,
        typer.Option(
            help="How texts are encoded: auto (fast on CUDA, sentence-transformers on CPU) | sentence-transformers (the reference) | fast (length-bucketed token-budget batches, tokenizer workers, bfloat16 on CUDA; cosine >= 0.999 to the reference) | onnx (ONNX Runtime float32, CPU) | onnx-int8 (quantized, CPU; cosine ~0.995). Each has its own embedding cache. Default: auto."
        ),
    ] = None,
    retriever: Annotated[
        str | None,
        typer.Option(
            help="exact | bm25 | hybrid | faiss-flat | faiss-ivf | faiss-hnsw (NAME[:VALUE]). Default: exact."
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            help="Candidates retrieved per query. Default: 100; auto searches 100 deeper so that its 100-rank window can start anywhere in the first DEPTH."
        ),
    ] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="Filter NAME[:VALUE], repeatable; all must pass. `none` for no filter. Default: auto (a rank window chosen from where the labeled positives sit, plus near-duplicate:0.95; see `trueneg strategies`).",
        ),
    ] = None,
    sampler: Annotated[
        str | None,
        typer.Option(
            help="top | random | simans | softmax (NAME[:VALUE]). Default: auto (top when the chosen window looks clean, random otherwise); top when --filter is given."
        ),
    ] = None,
    auto_cost: Annotated[
        float | None,
        typer.Option(
            "--auto-cost",
            metavar="COST",
            help="How many true negatives one false negative undoes, for auto's choice: a rank is admitted while its estimated false-negative share is below 1/(1+COST). Lower takes harder, dirtier negatives (3: under 25%; 2: under 33%), higher cleaner, easier ones. Only without --filter. Default: 9 (under 10%).",
        ),
    ] = None,
    num_negatives: Annotated[
        int | None, typer.Option("--num-negatives", "-k", help="Negatives per query. Default: 4.")
    ] = None,
    shortfall: Annotated[
        str | None,
        typer.Option(
            help="Queries short of k negatives: keep-short | drop | backfill. Default: keep-short."
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of every random choice. Default: 0.")
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
            help="Candidates per query the judge scores (ranks 1..N; deeper ones stay unjudged). Default: 30."
        ),
    ] = None,
    cache_dir: Annotated[
        str | None,
        typer.Option(
            help="Folder for cached embeddings (and judge scores, under judge/), to share them between runs. Default: inside RUN_DIR."
        ),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="auto|ADDRESS",
            help="Encode and run exact search on a Ray cluster: `auto` joins the running cluster (RAY_ADDRESS or `ray start` on this machine) or starts a local one; ADDRESS is the head node, HOST:6379 or ray://HOST:10001. Same negatives as a local run; exact retriever only; needs `pip install 'trueneg\\[ray]'`. Default: run locally, no Ray.",
        ),
    ] = None,
    ray_workers: Annotated[
        int | None,
        typer.Option(
            "--ray-workers",
            metavar="N",
            help="Encoder actors and search shards with --ray. Default: one per GPU of the cluster, else one per CPU.",
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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars or log lines.")
    ] = False,
) -> None:
    """Mine hard negatives for DATA into a run directory and print the summary.

    Without --filter/--sampler, `auto` estimates from the data how contaminated each rank is and picks the window and sampler; the choice and its evidence are printed and stored in RUN_DIR/manifest.json. Every candidate is kept in RUN_DIR/negatives.parquet with `kept` and the `reason` it was dropped. See `trueneg strategies` for every filter and sampler.
    """
    import trueneg
    from trueneg.config import MineConfig, load_toml

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
        auto_cost=auto_cost,
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
