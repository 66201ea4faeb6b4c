"""`trueneg strategies`: every registered name, from the registries themselves."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from trueneg.cli.common import console, handle_errors
from trueneg.registry import describe
from trueneg.select.auto import DEFAULT_COST
from trueneg.settings import admitted_share


def registries() -> dict[str, object]:
    from trueneg.export import EXPORT_FORMATS
    from trueneg.retrieve import RETRIEVERS
    from trueneg.select import FILTERS, SAMPLERS
    from trueneg.train import BATCH_SAMPLERS, LOSSES

    return {
        "filter": FILTERS,
        "sampler": SAMPLERS,
        "retriever": RETRIEVERS,
        "export format": EXPORT_FORMATS,
        "training loss": LOSSES,
        "batch sampler": BATCH_SAMPLERS,
    }


@handle_errors
def strategies_command(
    json_: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every filter, sampler, retriever, export format, training loss and batch sampler with what it does."""
    rows = [
        (kind, name, describe(cls))
        for kind, reg in registries().items()
        for name, cls in reg.items()
    ]
    if json_:
        import json

        typer.echo(
            json.dumps([{"kind": k, "name": n, "description": d} for k, n, d in rows], indent=2)
        )
        return
    table = Table(title="trueneg strategies", title_justify="left")
    for column in ("kind", "name", "what it does"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(
        "Use filters as NAME[:VALUE], e.g. --filter rank-window:10-110 "
        "--filter percent:0.95 --sampler random"
    )
    console.print(
        "Default (no --filter/--sampler): auto — estimates the false-negative rate "
        "per rank from where the labeled positives sit, then picks a rank-window, "
        "top or random, plus near-duplicate:0.95 (and percent:0.95@judge with "
        f"--judge); --false-negative-cost sets how much a false negative costs it (default "
        f"{DEFAULT_COST:g}: ranks under {admitted_share(DEFAULT_COST)} estimated false "
        "negatives). See docs/strategies.md."
    )
