"""Errors that tell the user what was received, what was expected and how to fix it.

Library code raises these; the CLI turns them into one-line messages with exit code 1.
"""

from __future__ import annotations

from collections.abc import Iterable


class TruenegError(Exception):
    """Base class of every error trueneg raises on purpose.

    Args:
        what: one sentence saying what went wrong.
        received: what trueneg got (a value, a path, a list of columns found).
        expected: what it needed instead.
        fix: how the user can fix it.
    """

    def __init__(
        self,
        what: str,
        *,
        received: object | None = None,
        expected: object | None = None,
        fix: str | None = None,
    ) -> None:
        self.what = what
        self.received = received
        self.expected = expected
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [self.what.rstrip(".")]
        details = []
        if self.received is not None:
            details.append(f"received: {_short(self.received)}")
        if self.expected is not None:
            details.append(f"expected: {_short(self.expected)}")
        text = parts[0]
        if details:
            text += " (" + "; ".join(details) + ")"
        text += "."
        if self.fix:
            text += " " + self.fix.rstrip(".") + "."
        return text

    def __str__(self) -> str:
        return self.message


class DataError(TruenegError):
    """The input data is missing, malformed or inconsistent."""


class ConfigError(TruenegError):
    """An option, strategy name or config file is invalid."""


class ModelError(TruenegError):
    """A model could not be found or loaded."""


class RunDirError(TruenegError):
    """A run directory is missing, incomplete, damaged, in use or from an incompatible version."""


class StorageError(TruenegError):
    """A file could not be written or read: a full disk, a read-only file system, no
    permission, or a symbolic link where trueneg writes."""


def _short(value: object, limit: int = 300) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, Iterable) and not isinstance(value, bytes | dict):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
