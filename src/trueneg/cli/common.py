"""Shared CLI plumbing: error handling, logging, console output."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
import typer
from rich.console import Console

from trueneg.errors import TruenegError

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
err_console = Console(stderr=True)


def debug_enabled() -> bool:
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx else None
    return bool(root and isinstance(root.obj, dict) and root.obj.get("debug"))


def handle_errors(func: F) -> F:
    """Turn library errors into one clean line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException):
            raise
        except TruenegError as exc:
            if debug_enabled():
                raise
            err_console.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted. Re-run the same command to resume where it stopped.")
            raise typer.Exit(130) from None
        except Exception as exc:
            if debug_enabled():
                raise
            err_console.print(
                f"[bold red]Error:[/] unexpected {type(exc).__name__}: {exc}. "
                "Re-run with --debug for the traceback.", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def setup_logging(quiet: bool) -> None:
    """INFO messages of the library go to stderr through rich, unless --quiet."""
    from rich.logging import RichHandler

    logger = logging.getLogger("trueneg")
    logger.handlers.clear()
    if quiet:
        logger.setLevel(logging.WARNING)
    else:
        logger.setLevel(logging.INFO)
    handler = RichHandler(console=err_console, show_path=False, show_time=False,
                          markup=False, rich_tracebacks=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
