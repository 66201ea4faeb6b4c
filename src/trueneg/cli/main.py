"""The `trueneg` command: one thin module per subcommand."""

from __future__ import annotations

from typing import Annotated

import typer

from trueneg.cli.audit import audit_command
from trueneg.cli.common import FlagsCommand, FlagsGroup, set_debug
from trueneg.cli.compare_cmd import compare_command
from trueneg.cli.demo import demo_command
from trueneg.cli.evaluate import evaluate_command
from trueneg.cli.export import export_command
from trueneg.cli.mine import mine_command
from trueneg.cli.strategies import strategies_command
from trueneg.cli.train import train_command
from trueneg.version import __version__

app = typer.Typer(
    help="trueneg: mine hard negatives that are truly negative, and measure how many are not.",
    cls=FlagsGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trueneg {__version__}")
        raise typer.Exit()


@app.callback()
def callback(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """trueneg: mine hard negatives that are truly negative, and measure how many are not."""
    ctx.obj = {"debug": debug}
    set_debug(debug)


COMMANDS = {
    "mine": mine_command,
    "export": export_command,
    "audit": audit_command,
    "train": train_command,
    "evaluate": evaluate_command,
    "compare": compare_command,
    "strategies": strategies_command,
    "demo": demo_command,
}
for _name, _function in COMMANDS.items():
    app.command(_name, cls=FlagsCommand)(_function)


def main() -> None:
    app()
