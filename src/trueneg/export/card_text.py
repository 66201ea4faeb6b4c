"""Small text helpers the dataset card's sections share: names, percentages, tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

DASH = "—"


def public_name(value: Any) -> str:
    """A setting as a public card may show it: a local path by its last part only (no user
    names or folder layout of this machine), anything else (a Hub id) as it is."""
    text = str(value)
    path = Path(text).expanduser()
    if path.is_absolute() or text.startswith((".", "~")) or path.exists():
        return path.name or text
    return text


def pct(value: Any, digits: int = 1) -> str:
    """``0.1234`` → ``"12.3%"``; None or NaN → ``"—"``."""
    if not isinstance(value, int | float) or value != value:
        return DASH
    return f"{100 * value:.{digits}f}%"


def code(value: Any) -> str:
    return f"`{value}`"


def cell(value: Any) -> str:
    """A Markdown table cell: pipes escaped, line breaks folded."""
    return " ".join(str(value).split()).replace("|", "\\|")


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]


def seconds(value: Any) -> str:
    """``0.31`` → ``"0.3 s"``, ``754`` → ``"12.6 min"``."""
    value = float(value)
    return f"{value / 60:.1f} min" if value >= 120 else f"{value:.1f} s"
