"""`trueneg compare`: a thin wrapper over :func:`trueneg.compare.run_comparison`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from trueneg.cli.common import Quiet, Verbose, console, handle_errors, plural, setup_logging


@handle_errors
def compare_command(
    config: Annotated[
        Path,
        typer.Argument(
            metavar="CONFIG.toml",
            help="Comparison config: \\[experiment], \\[\\[dataset]], \\[\\[mining]], \\[train], "
            "\\[mine] "
            "(see examples/compare/tiny.toml).",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the plan (every step and whether it is done); run nothing."
        ),
    ] = False,
    report_only: Annotated[
        bool,
        typer.Option(
            "--report-only",
            help="Train and evaluate nothing: write the results table from the finished cells "
            "(e.g. copied back from the machines a comparison was split over), leaving out the "
            "rest.",
        ),
    ] = False,
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", help="Run only this \\[\\[dataset]] (by name); repeatable."),
    ] = None,
    mining: Annotated[
        list[str] | None,
        typer.Option("--mining", help="Run only this \\[\\[mining]] entry (by name); repeatable."),
    ] = None,
    seed: Annotated[
        list[int] | None,
        typer.Option("--seed", help="Run only this seed of \\[experiment] seeds; repeatable."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write here instead of the config's \\[experiment] out.", show_default=False
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            metavar="NAME=PATH",
            help="Read dataset NAME from the BEIR folder PATH instead of the config's "
            "path (another machine's copy); repeatable.",
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Mine, train and evaluate every dataset x mining config x seed of CONFIG, then write one results table.

    Resumable: re-running the same command skips every finished step; --dataset, --mining and --seed run a part of it (to split a comparison over calls or machines: the parts share the output layout). Writes OUT/results.md, OUT/results.json and OUT/ndcg_vs_fn.png (nDCG@10 against the hidden-qrels false-negative rate).
    """
    setup_logging(quiet, verbose)
    from trueneg.compare import load_config, plan, restrict, run_comparison

    cfg = restrict(
        load_config(config),
        datasets=dataset,
        mining=mining,
        seeds=seed,
        out=out,
        data=_data_option(data),
    )
    if dry_run:
        _print_plan(cfg, plan(cfg))
        return
    result = run_comparison(cfg, show_progress=not quiet, report_only=report_only)
    if result.counts.get("missing"):
        console.print(
            f"Left out {plural(result.counts['missing'], 'unfinished cell', 'unfinished cells')}"
            " (--report-only); --dry-run lists them."
        )
    for dataset, table in result.tables.items():
        heading = "  negatives per config (FN rate, kept, median rank; training steps):"
        console.print(Text.assemble((dataset, "bold"), heading))
        for row in (r for r in result.rows() if r["dataset"] == dataset):
            console.print(f"  {row['mining']}: {_negatives_line(row)}{_steps_line(row)}")
        console.print(table)
        note = result.training_note(dataset)
        if note:
            console.print(note)
    console.print(f"Results in {result.out / 'results.md'} and {result.out / 'ndcg_vs_fn.png'}")


def _negatives_line(row: dict) -> str:
    if row["negatives"] is None:
        return "— (zero-shot: nothing mined)"
    if row["median_rank"] is None:
        return "no negatives kept"
    fn = (
        "FN rate unknown (no hidden positives)"
        if row["fn_rate"] is None
        else f"FN {row['fn_rate']:.1%}"
    )
    return f"{fn}, {row['negatives']:,.0f} kept, median rank {row['median_rank']:g}"


def _steps_line(row: dict) -> str:
    """``; 52 steps (rows n-tuple, epochs 4)``: a cell's optimizer steps, and how its row
    trains unlike [train]."""
    if row["steps"] is None:
        return ""
    from trueneg.compare.report import recipe_text

    changes = recipe_text(row["training"])
    unit = "step" if round(row["steps"]) == 1 else "steps"
    return f"; {row['steps']:,.0f} {unit}" + (f" ({changes})" if changes else "")


def _data_option(values: list[str] | None) -> dict[str, str] | None:
    from trueneg.errors import ConfigError

    if not values:
        return None
    pairs = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ConfigError(
                "--data takes NAME=PATH",
                received=value,
                expected="e.g. --data scifact=/data/beir/scifact",
            )
        pairs[name] = path
    return pairs


def _print_plan(cfg, steps) -> None:
    from rich.table import Table

    table = Table("step", "status", "folder", title=f"{cfg.name}: {len(steps)} steps")
    for step in steps:
        table.add_row(step.label, step.status, str(step.folder))
    console.print(table)
    todo = sum(1 for s in steps if s.status != "done")
    trainings = sum(1 for s in steps if s.status in {"todo", "mined"} and not s.mining.zero_shot)
    console.print(f"{todo} steps to run, {trainings} of them train a model. Output: {cfg.out}")
