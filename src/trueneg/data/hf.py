"""Load a Hugging Face dataset saved with ``save_to_disk`` as (query, positive) pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trueneg.data.normalize import DatasetBuilder
from trueneg.data.pairs import add_pairs, finish, pick_columns
from trueneg.data.tables import Dataset, LoadReport
from trueneg.data.textio import folder_listing, require_folder
from trueneg.errors import DataError

HF_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def is_hf_folder(folder: Path) -> bool:
    return any((folder / name).is_file() for name in HF_MARKERS)


def load_hf(
    folder: str | Path,
    *,
    split: str = "train",
    query_column: str | None = None,
    positive_column: str | None = None,
    corpus: str | Path | None = None,
) -> Dataset:
    """Load a folder written by ``datasets.Dataset.save_to_disk`` (or a ``DatasetDict``'s).

    The rows are treated like a pairs file: same column rules, content-hash ids, corpus
    from the positives plus the optional extra ``corpus`` file.
    """
    folder = require_folder(folder, "saved Hugging Face dataset")
    table = _select_split(_load_from_disk(folder), split, folder)
    if len(table) == 0:
        raise DataError(
            f"The saved dataset {folder} has no rows",
            received=f"0 rows, columns {', '.join(table.column_names)}",
            expected="at least one (query, positive) row",
        )
    columns = list(table.column_names)
    q_col, p_col = pick_columns(columns, query_column, positive_column, str(folder))
    rows = zip(range(1, len(table) + 1), table[q_col], table[p_col], strict=True)
    builder = DatasetBuilder(LoadReport(source=str(folder), kind="hf"))
    skipped = add_pairs(builder, rows, lambda n: f"{folder.name} row {n}", (q_col, p_col))
    return finish(builder, skipped, corpus)


def _load_from_disk(folder: Path) -> Any:
    try:
        import datasets
    except ImportError as exc:
        raise DataError(
            "Reading a saved Hugging Face dataset needs the 'datasets' package",
            received=str(folder),
            expected="the 'datasets' package installed",
            fix="Run: pip install 'trueneg[hf]'",
        ) from exc
    try:
        return datasets.load_from_disk(str(folder))
    except Exception as exc:  # datasets raises FileNotFoundError, ValueError and others
        raise DataError(
            f"Could not load {folder} with datasets.load_from_disk: {exc}",
            received=folder_listing(folder),
            expected="a folder written by Dataset.save_to_disk or DatasetDict.save_to_disk",
            fix="Point to the folder that save_to_disk wrote",
        ) from exc


def _select_split(loaded: Any, split: str, folder: Path) -> Any:
    if not hasattr(loaded, "keys"):  # a single Dataset
        return loaded
    splits = list(loaded.keys())
    if split not in splits:
        raise DataError(
            f"The saved DatasetDict {folder} has no split {split!r}",
            received="splits " + ", ".join(splits),
            expected=f"a split named {split!r}",
            fix="Pass split= one of the splits found",
        )
    return loaded[split]
