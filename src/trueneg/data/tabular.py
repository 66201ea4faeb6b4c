"""Record files of any accepted format (JSONL, JSON, CSV, TSV, Parquet, TXT) as rows."""

from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trueneg.data import spool
from trueneg.data.json_list import iter_json_list
from trueneg.data.jsonl import is_json_list, iter_jsonl
from trueneg.data.textio import empty_file_error, iter_lines, strip_gz
from trueneg.errors import DataError

RECORD_FORMATS = {
    ".jsonl": "JSON Lines",
    ".json": "JSON list or JSON Lines",
    ".csv": "CSV with a header row",
    ".tsv": "TSV with a header row",
    ".parquet": "Parquet",
    ".txt": "plain text, one record per line",
}


def describe_formats(formats: Iterable[str]) -> str:
    """``.jsonl[.gz], .csv[.gz], .parquet``: the suffixes accepted, for messages."""
    return ", ".join(s if s == ".parquet" else s + "[.gz]" for s in formats)


@dataclass
class Records:
    """Rows of a record file: ``rows`` yields ``(number, record)``; ``unit`` names the number."""

    path: Path
    columns: list[str]
    rows: Iterable[tuple[int, dict[str, Any]]]
    unit: str = "line"

    def where(self, number: int) -> str:
        return f"{self.path.name} {self.unit} {number}"


def record_format(path: Path) -> str | None:
    """Format suffix of ``path`` (``.jsonl``, ``.csv``...) ignoring ``.gz``; None if unknown."""
    name = strip_gz(path.name)
    suffix = Path(name).suffix
    if suffix == ".parquet" and path.name.lower().endswith(".gz"):
        return None
    return suffix if suffix in RECORD_FORMATS else None


def read_records(path: Path, formats: Iterable[str] = RECORD_FORMATS) -> Records:
    """Open ``path`` as records; raise DataError if its format is not among ``formats``."""
    fmt = record_format(path)
    if fmt is None or fmt not in formats:
        raise DataError(
            f"Cannot read {path.name}: unknown file type",
            received=path.name,
            expected="one of " + describe_formats(formats),
            fix="Rename the file with the right extension or convert it",
        )
    if fmt == ".jsonl":
        return _json_records(path, iter_jsonl(path), "line")
    if fmt == ".json":
        if is_json_list(path):  # the file's head is read once, here
            return _json_records(path, iter_json_list(path), "item")
        return _json_records(path, iter_jsonl(path), "line")
    if fmt in (".csv", ".tsv"):
        return _csv_records(path, "\t" if fmt == ".tsv" else ",")
    if fmt == ".parquet":
        return _parquet_records(path)
    return _txt_records(path)


def _json_records(path: Path, rows: Iterator[tuple[int, dict[str, Any]]], unit: str) -> Records:
    first = next(rows)  # the iterators raise DataError on an empty file
    return Records(path, list(first[1]), itertools.chain([first], rows), unit)


def _csv_records(path: Path, delimiter: str) -> Records:
    rows = _csv_rows(path, delimiter)  # streamed: one line of the file at a time
    first = next(rows, None)
    if first is None:
        raise empty_file_error(path)
    header = [name.strip() for name in first[1]]
    second = next(rows, None)
    if second is None:
        raise DataError(
            f"{path} has a header row but no data rows",
            received=", ".join(header),
            expected="a header row followed by at least one data row",
        )
    data = itertools.chain([second], rows)
    return Records(path, header, (_csv_row(path, header, n, row) for n, row in data))


def _csv_rows(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(line_number, fields)`` of each non-blank CSV record, decoded line by line."""
    lines = (line for _, line in iter_lines(path))
    old_limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long passages exceed the 128 KiB default
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for row in reader:
            if row:
                yield reader.line_num, row
    except csv.Error as exc:
        raise DataError(
            f"{path.name} line {reader.line_num} is not valid CSV: {exc}",
            received=str(path),
            expected="a CSV/TSV file with a header row",
            fix="Check the quoting on that line",
        ) from None
    finally:
        csv.field_size_limit(old_limit)


def _csv_row(path: Path, header: list[str], number: int, row: list[str]) -> tuple[int, dict]:
    if len(row) != len(header):
        raise DataError(
            f"{path.name} line {number} has {len(row)} fields but the header has {len(header)}",
            received=", ".join(v[:40] for v in row),
            expected=", ".join(header),
            fix="Quote fields that contain the delimiter, or fix that line",
        )
    return number, dict(zip(header, row, strict=True))


def _parquet_records(path: Path) -> Records:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for bad files
        raise _bad_parquet(path, exc) from exc
    if parquet.metadata.num_rows == 0:
        raise empty_file_error(path)
    return Records(path, parquet.schema_arrow.names, _parquet_rows(path, parquet), unit="row")


def _parquet_rows(path: Path, parquet: pq.ParquetFile) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of a Parquet file, read ``spool.CHUNK_ROWS`` at a time."""
    number = 0
    try:
        for batch in parquet.iter_batches(batch_size=spool.CHUNK_ROWS):
            for values in batch.to_pylist():
                number += 1
                yield number, values
    except (pa.ArrowException, OSError) as exc:
        raise _bad_parquet(path, exc) from exc


def _bad_parquet(path: Path, exc: Exception) -> DataError:
    return DataError(
        f"Could not read {path} as Parquet: {exc}",
        received=str(path),
        expected="a valid Parquet file",
        fix="Check that the file is complete and really Parquet",
    )


def _txt_records(path: Path) -> Records:
    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        seen = False
        for number, line in iter_lines(path):
            line = line.rstrip("\r\n")
            if line.strip():
                seen = True
                yield number, {"text": line}
        if not seen:
            raise empty_file_error(path)

    return Records(path, ["text"], rows())
