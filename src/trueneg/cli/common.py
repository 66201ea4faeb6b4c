"""Shared CLI plumbing: error handling, logging, console output."""

from __future__ import annotations

import functools
import logging
import sys
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from trueneg.errors import ConfigError, TruenegError
from trueneg.settings import default_text
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


def _as_cli_names(params: list[Any]) -> list[Any]:
    """Parameters as the help and the errors should show them. Typer prints a type beside
    every option, ``<bool>`` beside a flag, as if it took a value: an empty metavar leaves a
    flag's type blank. An argument without a metavar goes by its Python name (``Missing
    argument 'run_dir'``): it gets the name the help texts use (``RUN_DIR``)."""
    for param in params:
        if param.metavar is not None:
            continue
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.param_type_name == "argument":
            param.metavar = param.name.upper()
    return params


class FlagsCommand(TyperCommand):
    """A command whose boolean flags read as flags in ``--help`` (no ``<bool>``) and whose
    arguments go by their upper-case names."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _as_cli_names(super().get_params(ctx))


class FlagsGroup(TyperGroup):
    """The top-level group, its flags shown as in :class:`FlagsCommand`."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _as_cli_names(super().get_params(ctx))


def print_error(message: str) -> None:
    """``Error: MESSAGE`` on stderr, the message printed as it is."""
    err_console.print(Text.assemble(("Error:", "bold red"), " ", message), highlight=False)


# Loggers of the libraries trueneg drives: their warnings show with -v/--verbose only.
LIBRARY_LOGGERS = (
    "sentence_transformers",
    "transformers",
    "huggingface_hub",
    "datasets",
    "accelerate",
    "torch",
    "onnxruntime",
    "faiss",
    "bm25s",
    "ray",
    "numba",
)


def setup_logging(quiet: bool = False, verbose: bool = False) -> None:
    """Log lines on stderr through rich, as much as -q/--quiet or -v/--verbose ask for.

    By default trueneg's INFO lines and warnings; other libraries' warnings (their log records
    and Python warnings) are hidden. ``verbose``: trueneg's DEBUG lines too, and the other
    libraries' warnings. ``quiet``: errors only. Both at once is an error.
    """
    from rich.logging import RichHandler

    if quiet and verbose:
        raise ConfigError(
            "-q/--quiet and -v/--verbose contradict each other", fix="Give one of them"
        )
    handler = RichHandler(
        console=err_console, show_path=False, show_time=False, markup=False, rich_tracebacks=False
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("trueneg")
    logger.handlers.clear()
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.INFO)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if verbose else logging.ERROR)
    warnings.simplefilter("default" if verbose else "ignore")


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def default_help(
    source: type | Callable[..., Any], name: str, then: str = "", none_means: str | None = None
) -> str:
    """``"Default: X."``: the default of setting ``name`` of ``source`` (a settings dataclass,
    or the library function a command wraps), as :func:`trueneg.settings.default_text` words
    it; ``then`` follows it before the period. ``none_means`` words a function's default
    None (a dataclass field says it in its metadata)."""
    text = default_text(source, name)
    if none_means is not None:
        if text is not None:
            raise ValueError(f"{name} defaults to {text}, not None")
        text = none_means
    if text is None:
        raise ValueError(f"{name} has no default to show")
    return f"Default: {text}{then}."


def renamed_option(ctx: typer.Context, new: str, new_value: Any, old: str, old_value: Any) -> Any:
    """The value of option ``new`` (parameter ``new_value``), or of its old hidden spelling
    ``old`` when that was given; both given is an error."""
    if old_value is None:
        return new_value
    source = ctx.get_parameter_source(new.lstrip("-").replace("-", "_"))
    if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
        raise ConfigError(
            f"{new} is given twice: as {new} and as {old}, its old name",
            received={new: new_value, old: old_value},
            fix=f"Keep only {new}",
        )
    return old_value


Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Errors only: no progress bars, no log lines, no warnings."),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Debug log lines too, and the warnings of the libraries used."
    ),
]

ALL_QUERIES_HELP = (
    "Keep every query. By default, when at least half of the labeled positives rank below the "
    "mining model's top 100, a run mined with auto leaves those queries out (likely mislabeled, "
    "or too broad for their negatives to be negative; the mine summary says which and why)."
)


def plural(count: int, one: str, many: str) -> str:
    """``"1 query"``, ``"2,590 queries"``."""
    return f"{count:,} {one if count == 1 else many}"
