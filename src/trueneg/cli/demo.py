"""`trueneg demo`: mine the bundled SciFact sample with the bundled model."""

from __future__ import annotations

from typing import Annotated

import typer

from trueneg.cli.common import Quiet, Verbose, console, handle_errors, setup_logging
from trueneg.cli.render import print_summary


@handle_errors
def demo_command(
    out: Annotated[
        str, typer.Option("--out", "-o", help="Run directory for the demo.")
    ] = "trueneg-demo",
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Mine hard negatives on a small bundled SciFact sample (CPU, about two minutes) and print the summary."""
    import trueneg
    from trueneg.data import demo_data_path

    setup_logging(quiet, verbose)
    data = demo_data_path()
    console.print(f"Mining the bundled sample {data.name} (see its LICENSE.md) into {out}/")
    run = trueneg.mine(data, out, show_progress=not quiet)
    print_summary(run.summary(), console, str(run.path))
    console.print(f"Next: trueneg export {out} --format triplet --to {out}/triplets.jsonl")
