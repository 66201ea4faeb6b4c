"""A JSON list of objects read one item at a time, in memory bounded by the largest item.

``json.loads`` on a ``.json`` list holds the whole file as text and then every object at once.
:func:`iter_json_list` reads the file in chunks and decodes one item at a time with
``json.JSONDecoder.raw_decode``; text already decoded is dropped, so the reader holds a chunk
and the item being read (an item cut by a chunk's end is read again with the next chunk; one
that does not decode within ``MAX_ITEM_CHARS`` is reported as invalid rather than read to the
end of the file). Errors name the file, the line and column, and the item.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trueneg.data.textio import empty_file_error, open_binary, unreadable
from trueneg.errors import DataError

CHUNK_CHARS = 1 << 20  # characters read at a time
MAX_ITEM_CHARS = 1 << 26  # an item that does not decode within this much text is an error
_SPACE = " \t\r\n"


class _Cursor:
    """The unread text of the file: a buffer, a position in it, and the line it starts on."""

    def __init__(self, handle: io.TextIOBase, chunk: int) -> None:
        self.handle, self.chunk = handle, chunk
        self.text, self.pos, self.eof = "", 0, False
        self.line, self.column = 1, 0  # where the buffer starts (column: characters before it)

    def more(self) -> bool:
        """Read the next chunk (dropping what was consumed); False at the end of the file."""
        if self.eof:
            return False
        newline = self.text.rfind("\n", 0, self.pos)
        self.line += self.text.count("\n", 0, self.pos)
        self.column = self.pos - newline - 1 if newline >= 0 else self.column + self.pos
        self.text, self.pos = self.text[self.pos :], 0
        read = self.handle.read(self.chunk)
        self.eof = not read
        first = self.line == 1 and self.column == 0 and not self.text
        self.text += read.removeprefix("\ufeff") if first else read
        return not self.eof

    def peek(self) -> str:
        """The next character that is not white space ("" at the end of the file)."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos : self.pos + 1]

    def where(self, pos: int | None = None) -> str:
        pos = self.pos if pos is None else pos
        line = self.line + self.text.count("\n", 0, pos)
        newline = self.text.rfind("\n", 0, pos)
        column = pos - newline if newline >= 0 else self.column + pos + 1
        return f"line {line} column {column}"


def iter_json_list(path: Path, chunk: int = CHUNK_CHARS) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(item_number, object)`` for each item of the JSON list in ``path`` (1-based)."""
    try:
        with open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8") as handle:
            yield from _items(path, _Cursor(handle, chunk))
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path.name} is not UTF-8 text: {exc.reason}",
            received=str(path),
            expected="a UTF-8 encoded JSON list",
            fix=f"Convert it: iconv -f LATIN1 -t UTF-8 {path} > fixed.json",
        ) from None
    except (OSError, EOFError) as exc:
        raise unreadable(path, exc) from exc


def _items(path: Path, cursor: _Cursor) -> Iterator[tuple[int, dict[str, Any]]]:
    if cursor.peek() != "[":
        raise _invalid(path, cursor, "expected '[' (a JSON list)")
    cursor.pos += 1
    if cursor.peek() == "]":
        raise empty_file_error(path)
    decoder, index = json.JSONDecoder(), 0
    while True:
        cursor.peek()
        index += 1
        item = _decode(path, cursor, decoder, index)
        if not isinstance(item, dict):
            raise DataError(
                f"{path.name} item {index} is a JSON {type(item).__name__}, not an object",
                received=str(item)[:120],
                expected="a JSON list of objects",
                fix=f"Make item {index} of {path} an object",
            )
        yield index, item
        after = cursor.peek()
        cursor.pos += 1
        if after == "]":
            break
        if after != ",":
            cursor.pos -= 1
            raise _invalid(path, cursor, f"expected ',' or ']' after item {index}")
    if cursor.peek():
        raise _invalid(path, cursor, "extra data after the list's closing ']'")


def _decode(path: Path, cursor: _Cursor, decoder: json.JSONDecoder, index: int) -> Any:
    """The item at the cursor, reading more of the file while it is cut off."""
    while True:
        try:
            item, end = decoder.raw_decode(cursor.text, cursor.pos)
        except json.JSONDecodeError as exc:
            if len(cursor.text) - cursor.pos < MAX_ITEM_CHARS and cursor.more():
                continue  # the item may go on in the next chunk
            raise _invalid(path, cursor, f"item {index}: {exc.msg}", exc.pos) from None
        except RecursionError:
            raise _invalid(path, cursor, f"item {index} is nested too deeply") from None
        if end == len(cursor.text) and cursor.more():
            continue  # a number cut by the chunk's end decodes as a shorter one
        cursor.pos = end
        return item


def _invalid(path: Path, cursor: _Cursor, what: str, pos: int | None = None) -> DataError:
    return DataError(
        f"{path.name} is not valid JSON: {what} at {cursor.where(pos)}",
        received=cursor.text[cursor.pos : cursor.pos + 120] or "the end of the file",
        expected="a JSON list of objects, or one JSON object per line",
        fix="Fix the JSON syntax at the position shown",
    )
