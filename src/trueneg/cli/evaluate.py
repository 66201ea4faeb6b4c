"""`trueneg evaluate`: a thin wrapper over :func:`trueneg.evaluate.evaluate` and ``compare``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trueneg.cli.common import (
    Quiet,
    Verbose,
    console,
    default_help,
    handle_errors,
    setup_logging,
)
from trueneg.encode.user_cache import USER_CACHE_TEXT
from trueneg.errors import ConfigError
from trueneg.evaluate import DEFAULT_METRICS, evaluate
from trueneg.settings import default_of

if TYPE_CHECKING:
    from trueneg.evaluate import EvalResult

INPUTS_HELP = (
    "MODEL and DATA: a sentence-transformers folder or hub name (`default` for the bundled "
    "all-MiniLM-L6-v2; with --rerank, a cross-encoder) and a BEIR folder. With --compare: "
    "saved result files (from --save), "
    "first = baseline; NAME=FILE files sharing a NAME are seeds of one system (default NAME: "
    "the --name saved in the file)."
)


@handle_errors
def evaluate_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(metavar="MODEL DATA | FILE.json...", help=INPUTS_HELP, show_default=False),
    ] = None,
    split: Annotated[str, typer.Option(help="Qrels split to evaluate.")] = default_of(
        evaluate, "split"
    ),
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object (scores at the top level) instead of a table."
        ),
    ] = False,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            "-m",
            help="ranx metric NAME or NAME@K, repeatable. "
            + default_help(evaluate, "metrics", " (with --compare: those in the first file)"),
        ),
    ] = None,
    depth: Annotated[
        int,
        typer.Option(help="Documents retrieved per query (exact search over the whole corpus)."),
    ] = default_of(evaluate, "depth"),
    batch_size: Annotated[int, typer.Option(help="Encoding batch size.")] = default_of(
        evaluate, "batch_size"
    ),
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = default_of(
        evaluate, "device"
    ),
    cache_dir: Annotated[
        str | None,
        typer.Option(
            help="Embedding cache folder, shared between runs. "
            + default_help(
                evaluate,
                "cache_dir",
                none_means=USER_CACHE_TEXT + " (shared with trueneg mine)",
            )
        ),
    ] = None,
    query_prompt: Annotated[
        str | None,
        typer.Option(help="Prompt prepended to queries (with --rerank: the first stage's)."),
    ] = None,
    document_prompt: Annotated[
        str | None,
        typer.Option(help="Prompt prepended to documents (with --rerank: the first stage's)."),
    ] = None,
    rerank: Annotated[
        bool,
        typer.Option(
            "--rerank",
            help="MODEL is a reranker (a cross-encoder, e.g. from `trueneg train --model-type "
            "cross-encoder`): score the first stage's top --top documents of every query with it "
            "and report the reranked list beside the first stage's.",
        ),
    ] = default_of(evaluate, "rerank"),
    first_stage: Annotated[
        str | None,
        typer.Option(
            help="With --rerank: the retriever whose results are reranked, a sentence-transformers "
            "folder or hub name (`default`: the bundled model). "
            + default_help(evaluate, "first_stage", none_means="the bundled all-MiniLM-L6-v2")
        ),
    ] = None,
    top: Annotated[
        int, typer.Option(help="With --rerank: documents reranked per query.")
    ] = default_of(evaluate, "top"),
    name: Annotated[
        str | None,
        typer.Option(
            help="System name saved with the result, used by --compare. "
            + default_help(evaluate, "name", none_means="MODEL")
        ),
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option(
            help="Write the result with per-query scores to this JSON file (input of --compare)."
        ),
    ] = None,
    compare_files: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Compare saved results (the arguments are FILE.json...): mean ± std over seeds and a paired t-test against the first system.",
        ),
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Score MODEL on DATA's SPLIT: nDCG@10, Recall@100 and MRR@10 by exact search over the whole corpus.

    Document embeddings are cached, so evaluating again (or another split) only encodes the queries. With --rerank, MODEL is a cross-encoder reranking --first-stage's top --top. With --compare, put results saved by --save side by side.
    """
    setup_logging(quiet, verbose)
    inputs = list(inputs or [])
    if compare_files:
        _compare(inputs, metric, json_output, save)
        return
    if len(inputs) != 2:
        raise ConfigError(
            "trueneg evaluate needs MODEL and DATA, or --compare with saved result files",
            received=" ".join(inputs) or "no arguments",
            expected="MODEL DATA | --compare FILE.json ...",
            fix="Run `trueneg evaluate default path/to/beir --split test`, or see --help",
        )
    model, data = inputs
    result = evaluate(
        None if model == "default" else model,
        data,
        split=split,
        metrics=metric or DEFAULT_METRICS,
        depth=depth,
        batch_size=batch_size,
        device=device,
        cache_dir=cache_dir,
        query_prompt=query_prompt,
        document_prompt=document_prompt,
        name=name,
        rerank=rerank,
        first_stage=None if rerank and first_stage == "default" else first_stage,
        top=top,
        show_progress=not quiet,
    )
    if save is not None:
        result.save(save)
    if json_output:
        typer.echo(json.dumps(result.to_dict()))
        return
    _print_result(result, save)


def _compare(
    files: list[str], metric: list[str] | None, json_output: bool, save: Path | None
) -> None:
    from trueneg.evaluate import EvalResult, compare

    if not files:
        raise ConfigError(
            "--compare needs saved result files",
            received="none",
            expected="FILE.json ... written by `trueneg evaluate --save`",
        )
    if save is not None:
        raise ConfigError(
            "--save applies to an evaluation, not to --compare",
            received=str(save),
            fix="Drop --save (use --json to capture the comparison)",
        )
    systems: dict[str, list[EvalResult]] = {}
    for item in files:
        label, _, path = (
            item.partition("=") if "=" in item and not Path(item).exists() else ("", "", item)
        )
        result = EvalResult.load(path)
        systems.setdefault(label or result.name or Path(path).stem, []).append(result)
    first = next(iter(systems.values()))[0]
    table = compare(systems, metric or list(first.scores))
    if json_output:
        typer.echo(json.dumps(table.to_dict()))
    else:
        console.print(table)


def _print_result(result: EvalResult, save: Path | None) -> None:
    from rich.table import Table

    title = f"{result.name} on {result.data} ({result.split})"
    first = result.first_stage_scores
    if first:
        table = Table("metric", "first stage", f"reranked (top {result.top})", title=title)
        for metric, score in result.scores.items():
            table.add_row(metric, f"{first[metric]:.4f}", f"{score:.4f}")
    else:
        table = Table("metric", "score", title=title)
        for metric, score in result.scores.items():
            table.add_row(metric, f"{score:.4f}")
    console.print(table)
    if first:
        console.print(f"first stage: {result.first_stage}")
    skipped = result.queries_without_relevant
    note = f"; {skipped} queries without a relevant document left out" if skipped else ""
    console.print(
        f"{result.num_queries} queries{note}; {result.num_docs} documents; "
        f"{result.device}; {result.seconds:.1f} s"
    )
    if save is not None:
        console.print(f"Saved to {save}")
