"""Streaming JSON Lines (and JSON list) reading with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from trueneg.data.json_list import iter_json_list
from trueneg.data.textio import empty_file_error, iter_lines, read_bytes
from trueneg.errors import DataError

try:  # optional speed-up; the standard library is the fallback
    import orjson

    _loads: Callable[[str], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, record)`` for each non-blank line of a JSON Lines file.

    Raises DataError for an empty file, a line that is not valid JSON, or a line that is
    not a JSON object, always with the file name and the 1-based line number.
    """
    seen = False
    for number, line in iter_lines(path):
        if not line.strip():
            continue
        seen = True
        yield number, parse_object(line, path, number)
    if not seen:
        raise empty_file_error(path)


def parse_object(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        record = _loads(line)
    except (ValueError, RecursionError) as exc:  # decode errors; json may recurse too deep
        raise DataError(
            f"{path.name} line {number} is not valid JSON: {_json_message(exc)}",
            received=line.strip()[:120],
            expected="one JSON object per line",
            fix=f"Fix or remove line {number} of {path}",
        ) from None
    if not isinstance(record, dict):
        raise DataError(
            f"{path.name} line {number} is a JSON {type(record).__name__}, not an object",
            received=line.strip()[:120],
            expected='one JSON object per line, like {"_id": "1", "text": "..."}',
            fix=f"Fix line {number} of {path}",
        )
    return record


def iter_json(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Records of a ``.json`` file: a JSON list of objects (read an item at a time, see
    :mod:`trueneg.data.json_list`), or JSON Lines.

    For a list the number yielded is the 1-based item index.
    """
    if is_json_list(path):
        yield from iter_json_list(path)
    else:
        yield from iter_jsonl(path)


def is_json_list(path: Path) -> bool:
    """Whether the (decompressed) file starts, after white space, with ``[``."""
    head = read_bytes(path, 4096)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def _json_message(exc: Exception) -> str:
    """A one-line decode error (its column: the line is the caller's)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return str(exc).split("\n")[0]
