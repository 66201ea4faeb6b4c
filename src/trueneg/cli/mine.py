"""`trueneg mine`: a thin wrapper over :func:`trueneg.mine`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trueneg.cli.common import (
    Quiet,
    Verbose,
    console,
    default_help,
    handle_errors,
    renamed_option,
    setup_logging,
)
from trueneg.cli.render import print_summary
from trueneg.select.auto import DEFAULT_WIDTH, NEAR_DUPLICATE
from trueneg.settings import MineConfig, load_toml

DATA_HELP = (
    "A BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv; positives = qrels with "
    "score > 0), a pairs file (.jsonl, .jsonl.gz, .csv, .tsv, .parquet) of (query, positive), "
    "or a Hugging Face Hub dataset: OWNER/NAME (when no such local path exists) or "
    "hub:NAME_OR_LOCAL_COPY, read with `datasets` (pip install 'trueneg\\[hf]') and kept in its "
    "cache. BEIR-style repositories (configs corpus and queries, the qrels in a default or "
    "qrels config as mteb/* publish them, or in NAME-qrels as BeIR/* do) and pairs datasets "
    "are recognised; the run log says which. Offline (HF_HUB_OFFLINE=1, or no network) the "
    "datasets cache is read."
)
RETRIEVER_HELP = (
    "exact | bm25 | hybrid | faiss-flat | faiss-ivf | faiss-hnsw (NAME[:VALUE]). BM25 takes "
    "a method and/or KEY=VALUE settings, comma-separated: language=L (stemmer and stop "
    "words), stemmer=L|none (PyStemmer), stopwords=L|none; e.g. bm25:language=french, "
    "bm25:robertson,stemmer=german,stopwords=de; its default stems English when PyStemmer is "
    "installed and drops English stop words. hybrid takes the RRF constant and the same "
    "keys: hybrid:60 or hybrid:k=60,language=french. "
)


@handle_errors
def mine_command(
    ctx: typer.Context,
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
        typer.Option(
            help="Qrels split of a BEIR folder or BEIR-style Hub dataset; the split of a "
            "pairs Hub dataset or saved DatasetDict. " + default_help(MineConfig, "split")
        ),
    ] = None,
    query_column: Annotated[str | None, typer.Option(help="Query column of a pairs file.")] = None,
    positive_column: Annotated[
        str | None, typer.Option(help="Positive column of a pairs file.")
    ] = None,
    corpus: Annotated[
        str | None,
        typer.Option(help="Extra corpus file for pairs input (more candidate documents)."),
    ] = None,
    hub_config: Annotated[
        str | None,
        typer.Option(
            help="Config of a pairs Hub dataset (e.g. triplet), or of a BEIR-style one's "
            "qrels. " + default_help(MineConfig, "hub_config")
        ),
    ] = None,
    hub_revision: Annotated[
        str | None,
        typer.Option(
            help="Branch, tag or commit of the Hub dataset. "
            + default_help(MineConfig, "hub_revision")
        ),
    ] = None,
    hub_qrels: Annotated[
        str | None,
        typer.Option(
            metavar="REPOSITORY",
            help="Hub repository holding a BEIR-style dataset's qrels. "
            + default_help(MineConfig, "hub_qrels"),
        ),
    ] = None,
    hub_streaming: Annotated[
        bool,
        typer.Option(
            "--hub-streaming",
            help="Stream a Hub dataset's rows instead of downloading it into the datasets "
            "cache first (no local copy, for corpora larger than the disk; needs the network "
            "at every load).",
        ),
    ] = False,
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
    prompt_name: Annotated[
        str | None,
        typer.Option(
            help="A prompt the model saved (config_sentence_transformers.json), by name, for "
            "queries: sentence-transformers' prompt_name. Without it or --query-prompt, the "
            "model's own `query` prompt is used when it has one."
        ),
    ] = None,
    document_prompt_name: Annotated[
        str | None,
        typer.Option(
            help="The same for documents (without it or --document-prompt: the model's "
            "`document` prompt, if any)."
        ),
    ] = None,
    max_seq_length: Annotated[
        int | None,
        typer.Option(
            help="Tokens per text; longer texts are truncated. Part of the embedding cache "
            "key. " + default_help(MineConfig, "max_seq_length")
        ),
    ] = None,
    trust_remote_code: Annotated[
        bool,
        typer.Option(
            "--trust-remote-code",
            help="Let a model with its own code (custom architecture) run that code on this "
            "machine; recorded in RUN_DIR/manifest.json. Off unless given.",
        ),
    ] = False,
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
        typer.Option(help=RETRIEVER_HELP + default_help(MineConfig, "retriever")),
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
            help="top | random | simans | softmax | mix (NAME[:VALUE]; mix:H takes the share H of k hardest-first and the rest at random). "
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
            help="Judge that rescores the top candidates; enables the judge-threshold filter and NAME:VALUE@judge. A cross-encoder folder (model.onnx + tokenizer.json, or a sentence-transformers CrossEncoder), a bi-encoder, a rerank API (rerank-api:http://HOST:PORT?model=NAME), an OpenAI-compatible chat model (chat:http://HOST:PORT/v1?model=NAME&key_env=VAR; the key is read from the variable VAR), or a cascade, cheapest first: 'A > B'."
        ),
    ] = None,
    judge_cascade: Annotated[
        str | None,
        typer.Option(
            metavar="top:F|band:LO-HI",
            help="Which pairs of a judge cascade go on to the next judge: top:F, the share F "
            "with the highest scores from the previous judge; band:LO-HI, those it scores "
            "between LO and HI. " + default_help(MineConfig, "judge_cascade"),
        ),
    ] = None,
    judge_depth: Annotated[
        int | None,
        typer.Option(
            help="Candidates per query the judge scores (ranks 1..N; deeper ones stay "
            "unjudged). " + default_help(MineConfig, "judge_depth")
        ),
    ] = None,
    relabel: Annotated[
        str | None,
        typer.Option(
            metavar="on|R,FLOOR|off",
            help="Turn candidates the judge rates as relevant into extra positives instead of "
            "dropping them (RLHN): a candidate whose judge score reaches R times the query's "
            "labeled positive's and at least FLOOR (0.9,0.5: at least 90% of the positive's "
            "score, and 0.5; `on` takes it); reason `relabel` in negatives.parquet, positives in every "
            "export and in `trueneg train`. `off` never relabels. Needs --judge. "
            + default_help(MineConfig, "relabel"),
        ),
    ] = None,
    relabel_query_limit: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Drop a query (it keeps no negatives) when N or more of its candidates are "
            "relabeled: its top is mostly relevant (RLHN's query-level choice). "
            + default_help(MineConfig, "relabel_query_limit"),
        ),
    ] = None,
    negative_weights: Annotated[
        str | None,
        typer.Option(
            metavar="judge|relative",
            help="Give each kept negative a weight 1 − p, p the judge's belief it is relevant "
            "(judge: its probability; relative: its score as a share of the labeled "
            "positive's), stored as the `weight` column, exported, and used by `trueneg "
            "train`'s contrastive loss (CET-style down-weighting). Needs --judge. "
            + default_help(MineConfig, "negative_weights"),
        ),
    ] = None,
    cache_dir: Annotated[
        str | None,
        typer.Option(
            help="Folder for cached embeddings (judge scores under judge/, ONNX exports under "
            "onnx/), shared by every run, so a new --out reuses the vectors; safe for runs at "
            "the same time; recorded in RUN_DIR/manifest.json. `run` keeps them inside RUN_DIR. "
            + default_help(MineConfig, "cache_dir")
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
    devices: Annotated[
        str | None,
        typer.Option(
            "--devices",
            metavar="all|cuda:0,cuda:1|cpu,cpu",
            help="Encode and run exact search with one worker process per device of this machine (no Ray): `all` is every GPU. Same vectors and negatives as one device. "
            + default_help(MineConfig, "devices"),
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
    verbose: Verbose = False,
) -> None:
    """Mine hard negatives for DATA into a run directory and print the summary.

    Without --filter/--sampler, `auto` estimates from the data how contaminated each rank is and picks the window and sampler; the choice and its evidence are printed and stored in RUN_DIR/manifest.json. Every candidate is kept in RUN_DIR/negatives.parquet with `kept` and the `reason` it was dropped. See `trueneg strategies` for every filter and sampler.
    """
    import trueneg

    setup_logging(quiet, verbose)
    base = load_toml(config) if config else MineConfig()
    settings: dict[str, Any] = dict(
        split=split,
        query_column=query_column,
        positive_column=positive_column,
        corpus=corpus,
        hub_config=hub_config,
        hub_revision=hub_revision,
        hub_qrels=hub_qrels,
        hub_streaming=hub_streaming or None,  # None: not given (a TOML value stands)
        model=model,
        query_prompt=query_prompt,
        document_prompt=document_prompt,
        prompt_name=prompt_name,
        document_prompt_name=document_prompt_name,
        max_seq_length=max_seq_length,
        trust_remote_code=trust_remote_code or None,
        batch_size=batch_size,
        device=device,
        encoder=encoder,
        retriever=retriever,
        depth=depth,
        sampler=sampler,
        false_negative_cost=renamed_option(
            ctx, "--false-negative-cost", false_negative_cost, "--auto-cost", auto_cost
        ),
        num_negatives=num_negatives,
        shortfall=shortfall,
        seed=seed,
        judge=judge,
        judge_depth=judge_depth,
        judge_cascade=judge_cascade,
        relabel=relabel,
        relabel_query_limit=relabel_query_limit,
        negative_weights=negative_weights,
    )
    if filter_:
        settings["filters"] = list(filter_)
    settings["cache_dir"] = cache_dir
    settings.update(ray=ray, ray_workers=ray_workers, devices=devices)
    run = trueneg.mine(data, out, config=base, show_progress=not quiet, force=force, **settings)
    print_summary(run.summary(), console, str(run.path))
