"""`trueneg export`: write a finished run's negatives as a training file."""

from __future__ import annotations

from typing import Annotated

import typer

from trueneg.api import Run
from trueneg.cli.common import ALL_QUERIES_HELP, console, err_console, handle_errors, plural
from trueneg.settings import default_of


@handle_errors
def export_command(
    run_dir: Annotated[str, typer.Argument(help="A finished run directory.", show_default=False)],
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="triplet | n-tuple | labeled-pair | labeled-list | flagembedding | tevatron.",
        ),
    ],
    to: Annotated[str, typer.Option("--to", help="Output file: .jsonl, .jsonl.gz or .parquet.")],
    scores: Annotated[
        bool,
        typer.Option(
            "--scores/--no-scores", help="Include scores (teacher scores for distillation)."
        ),
    ] = default_of(Run.export, "include_scores"),
    score_column: Annotated[
        str, typer.Option(help="Which score column to export with --scores.")
    ] = default_of(Run.export, "score_column"),
    all_queries: Annotated[bool, typer.Option("--all-queries", help=ALL_QUERIES_HELP)] = default_of(
        Run.export, "all_queries"
    ),
) -> None:
    """Export RUN_DIR's kept negatives as a training file for sentence-transformers, FlagEmbedding or Tevatron."""
    from trueneg.export import export_notes, write_export

    run = Run(run_dir)
    table = run.export(
        format_, include_scores=scores, score_column=score_column, all_queries=all_queries
    )
    path = write_export(table, to)
    console.print(f"wrote {path} ({plural(table.num_rows, 'row', 'rows')})")
    if table.num_rows == 0:
        err_console.print(
            "Warning: the file has no rows: the run kept no negatives for the queries exported "
            "(see its summary: `kept negatives`, `short of k`); mine with other filters or "
            "--shortfall backfill"
        )
    left_out = export_notes(table).get("queries_not_for_training")
    if left_out:
        top = run.manifest["auto"]["train_queries"]["max_positive_rank"]
        err_console.print(
            f"left out {plural(left_out, 'query', 'queries')} whose labeled positive the "
            f"mining model ranks below its top {top} (auto's training queries; --all-queries "
            "keeps every query)"
        )
