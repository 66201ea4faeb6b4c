"""``load_dataset``: pick the right loader from what is on disk."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from trueneg.data.beir import BEIR_LAYOUT, is_beir_folder, load_beir
from trueneg.data.hf import HF_MARKERS, is_hf_folder, load_hf
from trueneg.data.pairs import PAIRS_FORMATS, load_pairs
from trueneg.data.tables import Dataset
from trueneg.data.tabular import describe_formats, record_format
from trueneg.data.textio import folder_listing, require_file
from trueneg.errors import ConfigError, DataError

DEMO_NAME = "scifact-sample"
ACCEPTED_FORMS = (
    f"a BEIR folder ({BEIR_LAYOUT}); a folder written by datasets' save_to_disk "
    f"(with {' or '.join(HF_MARKERS)}); or a pairs file "
    f"({describe_formats(PAIRS_FORMATS)})"
)


def load_dataset(
    path: str | Path,
    *,
    split: str = "train",
    query_column: str | None = None,
    positive_column: str | None = None,
    corpus: str | Path | None = None,
) -> Dataset:
    """Load a BEIR folder, a saved Hugging Face dataset or a pairs file.

    ``split`` applies to BEIR folders and DatasetDicts; the column options and ``corpus``
    apply to pairs files and saved Hugging Face datasets.
    """
    path = Path(path)
    columns = {"query_column": query_column, "positive_column": positive_column}
    if not path.is_dir():
        return load_pairs(_pairs_file(path), **columns, corpus=corpus)
    if is_beir_folder(path):
        _reject_pair_options(path, query_column, positive_column, corpus)
        return load_beir(path, split=split)
    if is_hf_folder(path):
        return load_hf(path, split=split, **columns, corpus=corpus)
    raise DataError(
        f"The folder {path} is neither a BEIR folder nor a saved Hugging Face dataset",
        received=folder_listing(path),
        expected=ACCEPTED_FORMS,
        fix="Point to the folder that holds corpus.jsonl, or to a pairs file",
    )


def _pairs_file(path: Path) -> Path:
    path = require_file(path, "dataset path", expected=ACCEPTED_FORMS)
    if record_format(path) not in PAIRS_FORMATS:
        raise DataError(
            f"Cannot tell how to load {path.name}",
            received=path.name,
            expected=ACCEPTED_FORMS,
            fix="Rename the file with one of the accepted extensions, or convert it",
        )
    return path


def _reject_pair_options(path: Path, *options: object) -> None:
    if any(option is not None for option in options):
        raise ConfigError(
            f"{path} is a BEIR folder, which names its own columns and corpus",
            received="query_column / positive_column / corpus",
            expected="no column or corpus options for a BEIR folder",
            fix="Drop those options, or pass a pairs file instead",
        )


def demo_data_path() -> Path:
    """Folder of the bundled SciFact sample (BEIR layout, CC BY-NC 2.0)."""
    return Path(str(files("trueneg").joinpath("demo_data", DEMO_NAME)))
