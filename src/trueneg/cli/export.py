"""`trueneg export`: write a finished run's negatives as a training file."""

from __future__ import annotations

from typing import Annotated

import typer

from trueneg.cli.common import console, handle_errors


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
    ] = False,
    score_column: Annotated[
        str, typer.Option(help="Which score column to export with --scores.")
    ] = "score",
) -> None:
    """Export RUN_DIR's kept negatives as a training file for sentence-transformers, FlagEmbedding or Tevatron."""
    from trueneg.api import Run

    path = Run(run_dir).export(format_, to, include_scores=scores, score_column=score_column)
    console.print(f"wrote {path}")
