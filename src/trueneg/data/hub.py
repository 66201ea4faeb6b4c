"""Hugging Face Hub datasets as input: which repositories, configs and splits a name stands for.

A name is read through ``datasets`` (``load_dataset_builder``, then ``download_and_prepare``
and ``as_dataset``: what ``datasets.load_dataset(name, config, split=...)`` does), so it is
cached like any ``datasets`` load; with ``HF_HUB_OFFLINE=1`` (or ``HF_DATASETS_OFFLINE=1``)
or without a network, ``datasets`` reads the copy in its cache, and when there is none the
error says so and how to bring one. Two layouts are recognised (see :func:`resolve_hub`):

- BEIR-style: configs ``corpus`` and ``queries``, the qrels in the same repository's
  ``default`` or ``qrels`` config (as ``mteb/*`` publish them, one split per qrels split) or
  in the repository ``NAME-qrels`` (as ``BeIR/*`` do: ``train.tsv``, ``test.tsv``...);
- pairs: any other dataset, one row per query with its positive(s), like a pairs file.

Ids are kept as ``datasets`` reads them, numbers written in decimal: a TSV qrels file's
numeric ids lose leading zeros (no BEIR dataset pads its ids).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from trueneg.errors import DataError
from trueneg.hashing import hash_json

logger = logging.getLogger(__name__)

HUB_PREFIX = "hub:"
QRELS_CONFIGS = ("default", "qrels")
QRELS_SUFFIX = "-qrels"
VALIDATION_NAMES = ("dev", "val", "valid")  # datasets names a dev.tsv file's split validation
_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_FILE_SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".parquet", ".gz", ".txt", ".zip")


def is_hub_name(text: str) -> bool:
    """Whether ``text`` reads as a Hub dataset name: ``owner/name``, not a local path and not
    a file name (a missing ``data/pairs.jsonl`` stays a missing file)."""
    if Path(text).exists() or not _NAME.match(text):
        return False
    return not text.lower().endswith(_FILE_SUFFIXES)


@dataclass(frozen=True)
class HubOptions:
    """How to read a Hub dataset (``MineConfig``'s ``hub_*`` settings).

    Attributes:
        config: the config of a pairs dataset; for a BEIR-style one, the qrels config.
        revision: branch, tag or commit (None: ``main``).
        qrels: the repository that holds a BEIR-style dataset's qrels (None: its own
            ``default``/``qrels`` config, else ``NAME-qrels``).
        streaming: read rows from the Hub as they arrive instead of through the cache
            (no local copy: for corpora larger than the disk; needs the network every time).
    """

    config: str | None = None
    revision: str | None = None
    qrels: str | None = None
    streaming: bool = False


@dataclass(frozen=True)
class HubPart:
    """One table of a Hub dataset: a repository's config and split, and its ``datasets``
    builder (which knows the resolved commit and data files)."""

    role: str  # corpus, queries, qrels or pairs
    repo: str
    split: str
    builder: Any = field(compare=False, repr=False)

    @property
    def config(self) -> str:
        return str(self.builder.config.name)

    def describe(self) -> str:
        """``BeIR/scifact-qrels (config default, split test)``."""
        return f"{self.repo} (config {self.config}, split {self.split})"

    def where(self, number: int) -> str:
        return f"{self.repo} {self.config}/{self.split} row {number}"

    def fingerprint(self) -> list[str]:
        """What decides the rows: the builder's config id (data files included) and its hash
        (the commit on the Hub; the files' dates and sizes for a local copy)."""
        return [self.role, self.repo, str(self.builder.config_id), str(self.builder.hash)]


@dataclass(frozen=True)
class HubSource:
    """A Hub dataset resolved to the parts it is read from; ``layout`` is ``beir`` or
    ``pairs``."""

    name: str
    layout: str
    parts: tuple[HubPart, ...]
    options: HubOptions = HubOptions()

    @property
    def fingerprint(self) -> str:
        parts = [[*p.fingerprint(), p.split] for p in self.parts]
        return hash_json({"hub": self.name, "layout": self.layout, "parts": parts})

    def describe(self) -> str:
        kind = "BEIR-style" if self.layout == "beir" else "pairs"
        read = "; ".join(f"{p.role} from {p.describe()}" for p in self.parts)
        return f"{self.name}: a {kind} Hugging Face dataset; {read}"


def resolve_hub(name: str, *, split: str = "train", options: HubOptions | None = None) -> HubSource:
    """Find how the Hub dataset ``name`` is laid out and the parts to read (nothing is read
    yet); ``split`` is the qrels split (BEIR-style) or the split of a pairs dataset.

    Raises:
        DataError: ``datasets`` is missing, the Hub is unreachable and nothing is cached, the
            dataset or a config or split does not exist.
    """
    options = options or HubOptions()
    revision = options.revision
    corpus = open_builder(name, "corpus", revision, missing_ok=True)
    if corpus is None:
        if options.qrels is not None:
            raise DataError(
                f"{name} has no corpus config, so it is read as pairs, which have no qrels",
                received=f"--hub-qrels {options.qrels}",
                expected="a BEIR-style repository (configs corpus and queries) for --hub-qrels",
                fix="Drop --hub-qrels, or pass the repository that holds the corpus",
            )
        builder = open_builder(name, options.config, revision)
        parts: tuple[HubPart, ...] = (
            HubPart("pairs", name, pick_split(builder, split, name), builder),
        )
        source = HubSource(name, "pairs", parts, options)
    else:
        queries = open_builder(name, "queries", revision)
        qrels_repo, qrels = _qrels_builder(name, options)
        parts = (
            HubPart("corpus", name, _table_split(corpus, "corpus", split, name), corpus),
            HubPart("queries", name, _table_split(queries, "queries", split, name), queries),
            HubPart("qrels", qrels_repo, pick_split(qrels, split, qrels_repo), qrels),
        )
        source = HubSource(name, "beir", parts, options)
    logger.info("%s", source.describe())
    return source


def _qrels_builder(name: str, options: HubOptions) -> tuple[str, Any]:
    """The qrels of a BEIR-style repository: ``hub_qrels``, else its own qrels config, else
    the ``NAME-qrels`` repository."""
    revision = options.revision
    if options.qrels is not None:
        return options.qrels, open_builder(options.qrels, options.config, revision)
    for config in (options.config,) if options.config else QRELS_CONFIGS:
        builder = open_builder(name, config, revision, missing_ok=options.config is None)
        if builder is not None:
            return name, builder
    sibling = name + QRELS_SUFFIX
    builder = open_builder(sibling, None, None, missing_ok=True)
    if builder is None:
        raise DataError(
            f"{name} has corpus and queries configs but no qrels",
            received=f"no config {' or '.join(QRELS_CONFIGS)} in {name}, no repository {sibling}",
            expected="qrels in a default or qrels config, or in the repository NAME-qrels",
            fix="Pass --hub-qrels REPOSITORY (and --hub-config CONFIG) where the qrels are",
        )
    return sibling, builder


def open_builder(
    repo: str,
    config: str | None,
    revision: str | None,
    *,
    missing_ok: bool = False,
) -> Any:
    """``datasets.load_dataset_builder(repo, config, revision=...)`` with errors in words;
    None for a missing dataset or config when ``missing_ok``."""
    datasets = datasets_module(repo)
    try:
        return datasets.load_dataset_builder(repo, config, revision=revision)
    except ConnectionError as exc:
        raise unreachable(repo, exc) from None
    except datasets.exceptions.DatasetNotFoundError as exc:
        if missing_ok:
            return None
        raise DataError(
            f"There is no dataset {repo!r} on the Hugging Face Hub, or it is private or gated: "
            f"{exc}",
            received=f"{repo} (not a local file or folder either, so read as a Hub name)",
            expected="a local BEIR folder or pairs file, or an existing Hub dataset",
            fix="Check the name and --hub-revision, log in (`hf auth login`) for a private "
            "or gated dataset, or fix the local path",
        ) from None
    except ValueError as exc:  # no such config; datasets lists the ones there are
        if missing_ok:
            return None
        raise DataError(
            f"Cannot open config {config!r} of the Hub dataset {repo}: {exc}",
            received=f"config {config!r}",
            expected="a config the dataset has",
            fix="Pass --hub-config with one of the configs listed",
        ) from None
    except Exception as exc:  # datasets raises FileNotFoundError, EmptyDatasetError...
        raise DataError(
            f"datasets could not open the Hub dataset {repo}: {type(exc).__name__}: {exc}",
            received=f"{repo} config {config!r}",
            fix="Check the dataset's files and README configs, or pass a local copy",
        ) from None


def pick_split(builder: Any, wanted: str, repo: str) -> str:
    """``wanted`` if the builder has it (or does not say); ``validation`` for ``dev`` (how
    ``datasets`` names a ``dev.tsv``); else an error listing the splits."""
    names = split_names(builder)
    if not names or wanted in names:
        return wanted
    if wanted in VALIDATION_NAMES and "validation" in names:
        logger.info("split %r is called 'validation' in %s", wanted, repo)
        return "validation"
    raise DataError(
        f"The Hub dataset {repo} has no split {wanted!r}",
        received="splits " + ", ".join(names),
        expected=f"a split named {wanted!r}",
        fix="Pass --split with one of the splits found",
    )


def _table_split(builder: Any, role: str, wanted: str, repo: str) -> str:
    """The split of a corpus or queries config: its only one, else the one named ``role``
    (BeIR, mteb) or ``wanted`` (configs split like the qrels)."""
    names = split_names(builder)
    if len(names) <= 1:
        return names[0] if names else role
    for choice in (role, wanted):
        if choice in names:
            return choice
    raise DataError(
        f"The {role} config of {repo} has several splits and none is {role!r} or {wanted!r}",
        received="splits " + ", ".join(names),
        expected=f"one split, or one named {role!r} or like the qrels split",
        fix="Pass --split with one of the splits found",
    )


def split_names(builder: Any) -> list[str]:
    """The splits a builder knows of: its data files', else its info's (a cached copy)."""
    files = builder.config.data_files
    if files:
        return [str(name) for name in files]
    return [str(name) for name in (builder.info.splits or {})]


def datasets_module(what: str) -> ModuleType:
    try:
        import datasets
    except ImportError as exc:
        raise DataError(
            "Reading a Hugging Face dataset needs the 'datasets' package",
            received=what,
            expected="the 'datasets' package installed",
            fix="Run: pip install 'trueneg[hf]'",
        ) from exc
    return datasets


def unreachable(repo: str, exc: BaseException) -> DataError:
    """The Hub cannot be reached (offline mode or no network) and nothing is cached."""
    import datasets

    offline = bool(datasets.config.HF_HUB_OFFLINE)
    why = (
        "offline mode is on (HF_HUB_OFFLINE or HF_DATASETS_OFFLINE)"
        if offline
        else "the Hugging Face Hub cannot be reached from this machine"
    )
    cache = datasets.config.HF_DATASETS_CACHE
    return DataError(
        f"Cannot load the Hub dataset {repo!r}: {why}, and the datasets cache ({cache}) holds "
        "no copy of it",
        received=f"{repo}, not a local file or folder, so read as a Hub name ({exc})",
        expected="a Hub dataset already in the datasets cache, or a local folder or file",
        fix=f"On a machine with network, run the same `trueneg mine {repo} ...` once (or "
        f"`datasets.load_dataset({repo!r}, CONFIG)` for each config), copy its datasets "
        f"cache to {cache} here (or point HF_DATASETS_CACHE at the copy) and run with "
        "HF_HUB_OFFLINE=1; or download the files and pass their local folder as DATA",
    )
