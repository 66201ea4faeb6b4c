"""``load_dataset``: pick the right loader from what is on disk, or read a Hub dataset."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from trueneg.data.beir import BEIR_LAYOUT, is_beir_folder, load_beir
from trueneg.data.hf import HF_MARKERS, is_hf_folder, load_hf
from trueneg.data.hub import HUB_PREFIX, HubOptions, HubSource, is_hub_name, resolve_hub
from trueneg.data.hub_tables import load_hub
from trueneg.data.pairs import PAIRS_FORMATS, load_pairs
from trueneg.data.tables import Dataset
from trueneg.data.tabular import describe_formats, record_format
from trueneg.data.textio import folder_listing, require_file
from trueneg.errors import ConfigError, DataError
from trueneg.hashing import tree_fingerprint

DEMO_NAME = "scifact-sample"
ACCEPTED_FORMS = (
    f"a BEIR folder ({BEIR_LAYOUT}); a folder written by datasets' save_to_disk "
    f"(with {' or '.join(HF_MARKERS)}); a pairs file "
    f"({describe_formats(PAIRS_FORMATS)}); or a Hugging Face Hub dataset name (owner/name, "
    f"or {HUB_PREFIX}NAME_OR_LOCAL_COPY)"
)


def load_dataset(
    path: str | Path | HubSource,
    *,
    split: str = "train",
    query_column: str | None = None,
    positive_column: str | None = None,
    corpus: str | Path | None = None,
    hub: HubOptions | None = None,
) -> Dataset:
    """Load a BEIR folder, a saved Hugging Face dataset, a pairs file or a Hub dataset.

    ``split`` applies to BEIR folders, DatasetDicts and Hub datasets (their qrels split, or
    a pairs dataset's split); the column options and ``corpus`` apply to pairs (files, saved
    and Hub datasets). A Hub dataset is a name that is not a local path (``owner/name``), or
    ``hub:`` + a name or a local copy of a Hub repository; ``hub`` says how to read it (see
    :func:`resolve_input`; an already resolved :class:`HubSource` is read as it is).
    """
    source = path if isinstance(path, HubSource) else resolve_input(path, split=split, hub=hub)
    columns = {"query_column": query_column, "positive_column": positive_column}
    if isinstance(source, HubSource):
        if source.layout == "beir":
            _reject_pair_options(
                f"{source.name} is a BEIR-style Hub dataset", *columns.values(), corpus
            )
        return load_hub(source, **columns, corpus=corpus)
    if not source.is_dir():
        return load_pairs(_pairs_file(source), **columns, corpus=corpus)
    if is_beir_folder(source):
        _reject_pair_options(f"{source} is a BEIR folder", query_column, positive_column, corpus)
        return load_beir(source, split=split)
    if is_hf_folder(source):
        return load_hf(source, split=split, **columns, corpus=corpus)
    hint = (
        f"; a local copy of a Hub dataset repository (README.md with configs) reads as "
        f"{HUB_PREFIX}{source}"
        if (source / "README.md").is_file()
        else ""
    )
    raise DataError(
        f"The folder {source} is neither a BEIR folder nor a saved Hugging Face dataset",
        received=folder_listing(source),
        expected=ACCEPTED_FORMS,
        fix="Point to the folder that holds corpus.jsonl, or to a pairs file" + hint,
    )


def resolve_input(
    data: str | Path, *, split: str = "train", hub: HubOptions | None = None
) -> Path | HubSource:
    """What ``data`` names: a local path, or a Hub dataset (``hub:NAME``, or ``owner/name``
    that is not a local path) resolved to the repositories, configs and splits it is read
    from (:func:`~trueneg.data.hub.resolve_hub`; that needs the Hub or the datasets cache).

    Raises:
        ConfigError: Hub options given for a local path.
    """
    text, options = str(data), hub or HubOptions()
    if is_hub_input(text):
        return resolve_hub(text.removeprefix(HUB_PREFIX), split=split, options=options)
    if options != HubOptions():
        raise ConfigError(
            f"{text} is a local path, and the Hub options apply to Hub datasets only",
            received={k: v for k, v in vars(options).items() if v not in (None, False)},
            fix="Drop the --hub-* options, or pass a Hub dataset name (owner/name)",
        )
    return Path(data)


def is_hub_input(data: str | Path) -> bool:
    """Whether ``data`` is read from the Hub (``hub:NAME``, or ``owner/name`` that is not a
    local path)."""
    text = str(data)
    return text.startswith(HUB_PREFIX) or is_hub_name(text)


def require_input(data: str | Path) -> None:
    """Fail fast on a local path that does not exist (the error names what is beside it); a
    Hub name passes (it is resolved by the load stage)."""
    if not is_hub_input(data) and not Path(data).exists():
        load_dataset(data)  # raises the DataError of a missing path


def input_label(data: str | Path) -> str:
    """``data`` as a run records it: a Hub name as given, a local path absolute."""
    return str(data) if is_hub_input(data) else str(Path(data).resolve())


def input_fingerprint(source: Path | HubSource) -> str:
    """What decides a loaded dataset's rows: the files' fingerprint, or the Hub dataset's
    repositories, configs, splits and resolved commits."""
    return source.fingerprint if isinstance(source, HubSource) else tree_fingerprint(source)


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


def _reject_pair_options(what: str, *options: object) -> None:
    if any(option is not None for option in options):
        raise ConfigError(
            f"{what}, which names its own columns and corpus",
            received="--query-column / --positive-column / --corpus",
            expected="no column or corpus options for a BEIR folder",
            fix="Drop those options, or pass a pairs file instead",
        )


def demo_data_path() -> Path:
    """Folder of the bundled SciFact sample (BEIR layout, CC BY-NC 2.0)."""
    return Path(str(files("trueneg").joinpath("demo_data", DEMO_NAME)))
