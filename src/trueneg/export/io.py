"""Writing an export to disk (Parquet or JSON Lines, atomically) and handing it to ``datasets``."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from trueneg.errors import ConfigError
from trueneg.run import guard_destination
from trueneg.storage import atomic_path

if TYPE_CHECKING:
    import datasets

FILE_FORMATS = ("parquet", "jsonl")
logger = logging.getLogger(__name__)

_SUFFIXES = {".parquet": "parquet", ".jsonl": "jsonl", ".jsonl.gz": "jsonl"}


def write_export(table: pa.Table, path: str | Path, *, file_format: str | None = None) -> Path:
    """Write ``table`` to ``path`` as Parquet or JSON Lines (gzip if the name ends in ``.gz``).

    The format comes from ``file_format`` or the suffix (``.parquet``, ``.jsonl``,
    ``.jsonl.gz``). The file appears complete or not at all (temp file + rename, which replaces
    a link at ``path`` instead of writing through it); missing parent folders are created; a
    run directory's own files are refused. Returns the path written.
    """
    path = Path(path)
    fmt = file_format or _format_from_suffix(path)
    if fmt not in FILE_FORMATS:
        raise ConfigError("Unknown export file format", received=fmt, expected=FILE_FORMATS)
    if path.is_dir():
        raise ConfigError(
            "The export destination is a folder",
            received=str(path),
            expected="a file path ending in .jsonl, .jsonl.gz or .parquet",
            fix=f"Pass a file inside it, e.g. {path / 'train.jsonl'}",
        )
    guard_destination(path)
    if table.num_rows == 0:
        logger.warning(
            "the export has no rows: %s will be an empty file (the run kept no negatives for "
            "the queries exported: see its summary's `kept negatives` and `short of k`; mine "
            "with other filters or --shortfall backfill)",
            path,
        )
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            pq.write_table(table, tmp)
        else:
            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(tmp, "wt", encoding="utf-8") as handle:
                _write_jsonl(table, handle)
    return path


def _format_from_suffix(path: Path) -> str:
    for suffix, fmt in _SUFFIXES.items():
        if path.name.endswith(suffix):
            return fmt
    raise ConfigError(
        "Cannot tell the export file format from the file name",
        received=path.name,
        expected=list(_SUFFIXES),
        fix="Give --to one of these suffixes (from Python: or pass file_format)",
    )


def _write_jsonl(table: pa.Table, handle: IO[str]) -> None:
    for batch in table.to_batches(max_chunksize=4096):
        lines = [json.dumps(row, ensure_ascii=False) for row in batch.to_pylist()]
        if lines:
            handle.write("\n".join(lines) + "\n")


def to_hf_dataset(table: pa.Table) -> datasets.Dataset:
    """The export as a Hugging Face ``datasets.Dataset`` (e.g. for SentenceTransformerTrainer)."""
    try:
        import datasets
    except ImportError:
        raise ConfigError(
            "Converting to a Hugging Face dataset needs the `datasets` package",
            fix="pip install 'trueneg[hf]'",
        ) from None
    return datasets.Dataset(table.replace_schema_metadata(None))
