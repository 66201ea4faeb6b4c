"""`trueneg audit`: a thin wrapper over :func:`trueneg.audit.audit`."""

from __future__ import annotations

from typing import Annotated

import typer

from trueneg.cli.common import err_console, handle_errors, setup_logging


@handle_errors
def audit_command(
    run_dir: Annotated[str, typer.Argument(help="A finished run directory.", show_default=False)],
    hide_fraction: Annotated[
        float,
        typer.Option(
            "--hide-fraction",
            help="Share of each query's labeled positives to hide for the hidden-qrels protocol (queries with 2+ positives; 0 skips it).",
        ),
    ] = 0.5,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="Judge folder or name (e.g. the ms-marco cross-encoder) for the judge estimate. \\[default: the run's own judge, if any]",
        ),
    ] = None,
    judge_sample: Annotated[
        int,
        typer.Option(
            "--judge-sample", help="Judge budget in (query, document) pairs, all samples together."
        ),
    ] = 300,
    cost_ratio: Annotated[
        float,
        typer.Option(
            "--cost-ratio",
            help="How many true negatives at the same rank one false negative undoes; the depth advice admits ranks whose false-negative rate is below 1/(1+ratio).",
        ),
    ] = 9.0,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed of every draw (hidden positives, samples, bootstrap)."),
    ] = 0,
    json_: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the report as one JSON object on stdout (logs stay on stderr)."
        ),
    ] = False,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Do not write RUN_DIR/report.html.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars or log lines.")
    ] = False,
) -> None:
    """Measure how many false negatives RUN_DIR kept: hidden-qrels rates, a judge estimate with a confidence interval, a recommended rank window, and data-health signals.

    Writes RUN_DIR/audit.json and RUN_DIR/report.html.
    """
    from trueneg.api import Run
    from trueneg.audit import audit

    setup_logging(quiet)
    run = Run(run_dir)
    with run.reading():  # `mine` into the run waits for the audit (and fails at once meanwhile)
        report = audit(
            run,
            hide_fraction=hide_fraction,
            judge=judge,
            judge_sample=judge_sample,
            cost_ratio=cost_ratio,
            seed=seed,
            show_progress=not quiet,
        )
        report.save(run.path / "audit.json")
        if not no_report:
            from trueneg.audit.html import write_html_report

            path = write_html_report(report, run, run.path / "report.html")
            if not quiet:
                err_console.print(f"wrote {path}")
    typer.echo(report.to_json() if json_ else report.to_markdown())
