"""`trueneg audit`: a thin wrapper over :func:`trueneg.audit.audit`."""

from __future__ import annotations

from typing import Annotated

import typer

from trueneg.cli.common import (
    Quiet,
    Verbose,
    default_help,
    err_console,
    handle_errors,
    renamed_option,
    setup_logging,
)
from trueneg.settings import AuditSettings

AUDIT = AuditSettings()  # the defaults of every option below


@handle_errors
def audit_command(
    ctx: typer.Context,
    run_dir: Annotated[str, typer.Argument(help="A finished run directory.", show_default=False)],
    hide_fraction: Annotated[
        float,
        typer.Option(
            "--hide-fraction",
            help="Share of each query's labeled positives to hide for the hidden-qrels protocol (queries with 2+ positives; 0 skips it).",
        ),
    ] = AUDIT.hide_fraction,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="Judge for the judge estimate and the judge-quality part: a folder or name "
            "(e.g. the ms-marco cross-encoder), rerank-api:URL?model=NAME, "
            "chat:URL?model=NAME, or a cascade 'A > B' (see docs/judges.md). "
            + default_help(AuditSettings, "judge"),
        ),
    ] = AUDIT.judge,
    judge_cascade: Annotated[
        str | None,
        typer.Option(
            "--judge-cascade",
            metavar="top:F|band:LO-HI",
            help="Which pairs of a judge cascade ('A > B') go on to the next judge. "
            + default_help(AuditSettings, "judge_cascade"),
        ),
    ] = AUDIT.judge_cascade,
    judge_sample: Annotated[
        int,
        typer.Option(
            "--judge-sample", help="Judge budget in (query, document) pairs, all samples together."
        ),
    ] = AUDIT.judge_sample,
    false_negative_cost: Annotated[
        float,
        typer.Option(
            "--false-negative-cost",
            metavar="COST",
            help="How many true negatives at the same rank one false negative undoes; the depth "
            "advice admits ranks whose false-negative rate is below 1/(1+COST).",
        ),
    ] = AUDIT.false_negative_cost,
    cost_ratio: Annotated[
        float | None,
        typer.Option("--cost-ratio", hidden=True, help="Old name of --false-negative-cost."),
    ] = None,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed of every draw (hidden positives, samples, bootstrap)."),
    ] = AUDIT.seed,
    json_: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the report as one JSON object on stdout (logs stay on stderr)."
        ),
    ] = False,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Do not write RUN_DIR/report.html.")
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Measure how many false negatives RUN_DIR kept: hidden-qrels rates, a judge estimate with a confidence interval, a recommended rank window, and data-health signals.

    Writes RUN_DIR/audit.json and RUN_DIR/report.html.
    """
    from trueneg.api import Run
    from trueneg.audit import audit

    settings = AuditSettings(
        hide_fraction=hide_fraction,
        judge=judge,
        judge_sample=judge_sample,
        judge_cascade=judge_cascade,
        false_negative_cost=renamed_option(
            ctx, "--false-negative-cost", false_negative_cost, "--cost-ratio", cost_ratio
        ),
        seed=seed,
    )
    setup_logging(quiet, verbose)
    run = Run(run_dir)
    with run.reading():  # `mine` into the run waits for the audit (and fails at once meanwhile)
        report = audit(run, settings, show_progress=not quiet)
        report.save(run.path / "audit.json")
        if not no_report:
            from trueneg.audit.html import write_html_report

            path = write_html_report(report, run, run.path / "report.html")
            if not quiet:
                err_console.print(f"wrote {path}")
    typer.echo(report.to_json() if json_ else report.to_markdown())
