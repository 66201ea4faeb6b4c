"""Opening input files: existence checks, gzip, and UTF-8 errors that point at a line."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from trueneg.errors import DataError

ICONV = "iconv -f latin1 -t utf-8"
RE_ENCODE = (
    "Re-encode the file as UTF-8, e.g. `{command}` (use the file's real encoding for latin1)"
)


def require_file(
    path: str | Path, what: str = "input file", expected: str = "an existing file"
) -> Path:
    """Return ``path`` as a Path, or raise DataError if it is not an existing file
    (``expected`` says what the caller accepts, for the error)."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        raise DataError(
            f"The {what} {path} is a folder",
            received=folder_listing(path),
            expected="a file",
            fix="Pass the path of the file itself",
        )
    raise DataError(
        f"The {what} {path} does not exist",
        received=str(path),
        expected=expected,
        fix=_parent_hint(path),
    )


def require_folder(path: str | Path, what: str = "input folder") -> Path:
    """Return ``path`` as a Path, or raise DataError if it is not an existing folder."""
    path = Path(path)
    if path.is_dir():
        return path
    raise DataError(
        f"The {what} {path} does not exist or is not a folder",
        received=str(path),
        expected="an existing folder",
        fix=_parent_hint(path),
    )


def folder_listing(folder: Path, limit: int = 20) -> str:
    """Names in ``folder`` (folders end with ``/``), for error messages."""
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    if not names:
        return "an empty folder"
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _parent_hint(path: Path) -> str:
    parent = path.parent
    if parent.is_dir():
        return f"Check the path; {parent} holds: {folder_listing(parent)}"
    return "Check the path"


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, decompressing ``.gz`` transparently."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line, 1-based, decoded as UTF-8.

    A UTF-8 byte-order mark on the first line is dropped. Bad bytes raise DataError naming
    the line and the byte offset in the (decompressed) file.
    """
    offset = 0
    try:
        with open_binary(path) as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise utf8_error(path, number, offset + exc.start, exc) from None
                if number == 1:
                    line = line.removeprefix("\ufeff")
                offset += len(raw)
                yield number, line
    except (OSError, EOFError) as exc:  # truncated or corrupt gzip, unreadable file
        raise unreadable(path, exc) from exc


def read_bytes(path: Path, size: int = -1) -> bytes:
    """The (decompressed) bytes of ``path``, or its first ``size`` bytes."""
    try:
        with open_binary(path) as handle:
            return handle.read(size)
    except (OSError, EOFError) as exc:
        raise unreadable(path, exc) from exc


def empty_file_error(path: Path) -> DataError:
    return DataError(
        f"{path} is empty",
        received="a file with no records",
        expected="at least one record",
        fix="Check that the file was written completely",
    )


def unreadable(path: Path, exc: BaseException) -> DataError:
    return DataError(
        f"Could not read {path}: {exc}",
        received=str(path),
        expected="a readable, complete file",
        fix="Check that the file is not truncated or corrupt",
    )


def utf8_error(path: Path, line: int, offset: int, exc: UnicodeDecodeError) -> DataError:
    bad = exc.object[exc.start : exc.start + 4]
    return DataError(
        f"{path} is not valid UTF-8: line {line}, byte offset {offset} ({bad!r})",
        received="non-UTF-8 bytes",
        expected="UTF-8 text",
        fix=RE_ENCODE.format(command=_iconv_command(path)),
    )


def _iconv_command(path: Path) -> str:
    if path.suffix == ".gz":
        return f"zcat {path.name} | {ICONV} | gzip > fixed-{path.name}"
    return f"{ICONV} {path.name} > fixed-{path.name}"


def strip_gz(name: str) -> str:
    """File name without a trailing ``.gz``, lower-cased, for format detection."""
    name = name.lower()
    return name[:-3] if name.endswith(".gz") else name
