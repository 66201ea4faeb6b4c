"""Shared CLI plumbing: error handling, logging, console output."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from trueneg.errors import TruenegError
from trueneg.storage import is_storage_error, storage_error

F = TypeVar("F", bound=Callable[..., Any])

# No markup: what the CLI prints holds paths, TOML table names ("[experiment]") and filter
# syntax ("NAME[:VALUE]") that rich would otherwise read as style tags and drop.
console = Console(soft_wrap=True, markup=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False)

_DEBUG: ContextVar[bool] = ContextVar("trueneg_debug", default=False)


def set_debug(value: bool) -> None:
    """Called by the top-level callback with the value of --debug."""
    _DEBUG.set(value)


def debug_enabled() -> bool:
    return _DEBUG.get()


def _is_cli_exception(exc: BaseException) -> bool:
    """click's and typer's own exceptions (usage errors, exits) pass through untouched."""
    return type(exc).__module__.split(".")[0] in {"click", "typer"} or hasattr(exc, "exit_code")


def handle_errors(func: F) -> F:
    """Turn library errors into one clean line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TruenegError as exc:
            if debug_enabled():
                raise
            print_error(exc.message)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted. Re-run the same command to resume where it stopped.")
            raise typer.Exit(130) from None
        except Exception as exc:
            if debug_enabled() or _is_cli_exception(exc):
                raise
            if is_storage_error(exc):  # a full disk or read-only folder nobody wrapped
                print_error(storage_error(exc, exc.filename or "a file").message)
                raise typer.Exit(1) from None
            print_error(
                f"unexpected {type(exc).__name__}: {exc}. Re-run with --debug for the traceback."
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def print_error(message: str) -> None:
    """``Error: MESSAGE`` on stderr, the message printed as it is."""
    err_console.print(Text.assemble(("Error:", "bold red"), " ", message), highlight=False)


def setup_logging(quiet: bool) -> None:
    """INFO messages of the library go to stderr through rich, unless --quiet."""
    from rich.logging import RichHandler

    logger = logging.getLogger("trueneg")
    logger.handlers.clear()
    if quiet:
        logger.setLevel(logging.WARNING)
    else:
        logger.setLevel(logging.INFO)
    handler = RichHandler(
        console=err_console, show_path=False, show_time=False, markup=False, rich_tracebacks=False
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


ALL_QUERIES_HELP = (
    "Keep every query. By default, when at least half of the labeled positives rank below the "
    "mining model's top 100, a run mined with auto leaves those queries out (likely mislabeled, "
    "or too broad for their negatives to be negative; the mine summary says which and why)."
)


def plural(count: int, one: str, many: str) -> str:
    """``"1 query"``, ``"2,590 queries"``."""
    return f"{count:,} {one if count == 1 else many}"
