"""`trueneg export`: write a finished run's negatives as a training file, or push them to the
Hugging Face Hub with a dataset card (thin over ``Run.export`` and ``Run.push_to_hub``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from trueneg.api import Run
from trueneg.cli.common import (
    ALL_QUERIES_HELP,
    Quiet,
    Verbose,
    console,
    err_console,
    handle_errors,
    plural,
    setup_logging,
)
from trueneg.errors import ConfigError
from trueneg.export import EXPORT_FORMATS, export_notes, left_out_note, write_export
from trueneg.settings import default_of


@handle_errors
def export_command(
    run_dir: Annotated[str, typer.Argument(help="A finished run directory.", show_default=False)],
    format_: Annotated[
        str, typer.Option("--format", "-f", help=" | ".join(EXPORT_FORMATS.names()) + ".")
    ],
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Output file: .jsonl, .jsonl.gz or .parquet (or --push-to-hub instead).",
            show_default=False,
        ),
    ] = None,
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
    push_to_hub: Annotated[
        str | None,
        typer.Option(
            "--push-to-hub",
            metavar="REPO",
            help="Upload the export as data/train.parquet with a dataset card (README.md: how "
            "it was mined, the audit's measured contamination, how to load it) to the Hugging "
            "Face dataset repository REPO (OWNER/NAME), in one commit. The token comes from "
            "HF_TOKEN or `hf auth login`. Needs `pip install 'trueneg\\[hub]'`.",
            show_default=False,
        ),
    ] = None,
    private: Annotated[
        bool,
        typer.Option(
            "--private",
            help="With --push-to-hub: create REPO private (an existing repository keeps its "
            "visibility).",
            show_default=False,
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="With --push-to-hub: write README.md and data/train.parquet into "
            "--hub-folder (or ./NAME) for review, and upload nothing.",
            show_default=False,
        ),
    ] = False,
    hub_folder: Annotated[
        str | None,
        typer.Option(
            "--hub-folder",
            metavar="DIR",
            help="With --push-to-hub: the folder to stage the card and data in (kept); "
            "otherwise a temporary one, or ./NAME with --dry-run.",
            show_default=False,
        ),
    ] = None,
    license_: Annotated[
        str | None,
        typer.Option(
            "--license",
            metavar="ID",
            help="With --push-to-hub: the data's license as a Hub license id (e.g. "
            "cc-by-4.0), for the card; trueneg cannot know it.",
            show_default=False,
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Export RUN_DIR's kept negatives as a training file for sentence-transformers, FlagEmbedding or Tevatron, or push them to the Hugging Face Hub with a dataset card."""
    setup_logging(quiet, verbose)
    run = Run(run_dir)
    options = {"include_scores": scores, "score_column": score_column, "all_queries": all_queries}
    if push_to_hub is None:
        if to is None:
            raise ConfigError(
                "Nothing to write: no --to file and no --push-to-hub repository",
                fix="Pass --to FILE (.jsonl, .jsonl.gz or .parquet), or --push-to-hub OWNER/NAME",
            )
        hub_only = {"--private": private, "--dry-run": dry_run, "--hub-folder": hub_folder}
        hub_only["--license"] = license_
        given = [name for name, value in hub_only.items() if value]
        if given:
            raise ConfigError(
                f"{', '.join(given)}: only with --push-to-hub", fix="Add --push-to-hub REPO"
            )
        table = run.export(format_, **options)
        path = write_export(table, to)
        _report(run, f"wrote {path}", table.num_rows, export_notes(table))
        return
    if to is not None:
        raise ConfigError(
            "--to and --push-to-hub write the export twice",
            fix="Drop --to: --hub-folder DIR keeps the uploaded data/train.parquet on disk",
        )
    upload = run.push_to_hub(
        push_to_hub,
        format_,
        private=private,
        folder=hub_folder,
        dry_run=dry_run,
        license=license_,
        **options,
    )
    files = " and ".join(upload.files)
    if upload.uploaded:
        _report(run, f"pushed {files} to {upload.repo}", upload.rows, upload.notes, upload.url)
        return
    staged = " and ".join(str(upload.folder / f) for f in upload.files)
    then = f"nothing uploaded (to upload: `hf upload {upload.repo} {upload.folder} --repo-type dataset`)"
    _report(run, f"wrote {staged}", upload.rows, upload.notes, then)


def _report(run: Run, done: str, rows: int, notes: dict[str, Any], then: str = "") -> None:
    """``DONE (N rows, Q queries)[: THEN]`` on stdout; on stderr, the queries left out and
    why, counted per reason."""
    queries = int(notes.get("queries_written", 0))
    counts = f"{plural(rows, 'row', 'rows')}, {plural(queries, 'query', 'queries')}"
    console.print(f"{done} ({counts})" + (f": {then}" if then else ""))
    advice = (run.manifest.get("auto") or {}).get("train_queries") or {}
    note = left_out_note(notes, advice.get("max_positive_rank"))
    if note:
        err_console.print(note)
