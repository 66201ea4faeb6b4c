"""``Run``: a finished mining run, opened from its directory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from trueneg.data.tables import Dataset, LoadReport
from trueneg.errors import RunDirError
from trueneg.export import build_export, to_hf_dataset, write_export
from trueneg.pipeline import run_pipeline
from trueneg.run import MANIFEST, RunDir
from trueneg.select.auto import trains_on_training_queries
from trueneg.settings import MineConfig
from trueneg.summary import Summary


def mine(
    data: str | Path | None = None,
    out: str | Path | None = None,
    *,
    config: MineConfig | None = None,
    show_progress: bool = False,
    force: bool = False,
    **settings: Any,
) -> Run:
    """Mine hard negatives for ``data`` into the run directory ``out``.

    Settings are :class:`~trueneg.MineConfig` fields (``model``, ``retriever``, ``filters``,
    ``sampler``, ``num_negatives``, ``seed``, …), given as keywords or as ``config``.
    Re-running with the same settings reuses every finished stage whose files verify and
    rebuilds damaged ones. ``out`` must be new, empty or an earlier run; ``force`` mines into
    a non-empty folder beside its files (never over them). While mining, the run is locked: a
    second ``mine`` into it, or a reader, fails at once. ``show_progress`` draws progress bars
    on stderr. Returns the finished :class:`Run`.
    """
    path = run_pipeline(
        data, out, config=config, show_progress=show_progress, force=force, **settings
    )
    return Run(path)


class Run:
    """A finished run directory: its tables, summary and exports.

    >>> run = trueneg.mine("data/scifact", "runs/scifact")   # doctest: +SKIP
    >>> run.summary().kept                                      # doctest: +SKIP
    """

    def __init__(self, path: str | Path) -> None:
        self.dir = RunDir(path)
        with self.dir.reading():
            self._manifest = self.dir.manifest()
            self._generation = self._manifest_identity()
            self.dir.check_sizes(self._manifest["files"])

    def _manifest_identity(self) -> tuple[int, int, int] | None:
        try:
            stat = self.dir.file(MANIFEST).stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    @contextmanager
    def reading(self) -> Iterator[Run]:
        """Hold the run's shared lock for a block of reads (``mine`` into it fails meanwhile),
        so every table read in the block comes from the same finished run."""
        with self.dir.reading():
            if self._manifest_identity() != self._generation:
                self._check_unchanged()
            yield self

    def _check_unchanged(self) -> None:
        """The manifest was rewritten since the run was opened: fine when ``mine`` ran again
        and every table is the same; an error when the tables changed or are being rebuilt."""
        try:
            current = self.dir.manifest()
        except RunDirError:
            current = None
        if current is None or current.get("files") != self._manifest.get("files"):
            raise RunDirError(
                f"The run in {self.path} was mined again (or is being mined) since it was "
                "opened, and its tables changed",
                fix="Open it again (trueneg.open_run) to read the new run",
            )
        self._generation = self._manifest_identity()

    def _table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """A table of this finished run, checked against what ``mine`` recorded for it."""
        with self.reading():
            record = self._manifest.get("files", {}).get(name)
            return self.dir.read_table(name, columns=columns, record=record)

    def has_table(self, name: str) -> bool:
        return name in self._manifest.get("files", {})

    @property
    def path(self) -> Path:
        return self.dir.path

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(self._manifest)

    def summary(self) -> Summary:
        return Summary.from_dict(self._manifest["summary"])

    def negatives(self, kept_only: bool = False) -> pa.Table:
        """Every candidate with ``kept`` and ``reason`` (or only the kept ones)."""
        table = self._table("negatives.parquet")
        return table.filter(table["kept"]) if kept_only else table

    def candidates(self) -> pa.Table:
        return self._table("candidates.parquet")

    def query_stats(self) -> pa.Table:
        return self._table("query_stats_selected.parquet")

    def dataset(self) -> Dataset:
        report = self._manifest.get("summary", {}).get("load") or {}
        return Dataset(
            self._table("data/queries.parquet"),
            self._table("data/corpus.parquet"),
            self._table("data/qrels.parquet"),
            report=LoadReport(**report),
        )

    def training_queries(self, all_queries: bool = False) -> pa.Array | None:
        """The ids of the queries to train on: under ``auto``, when most labeled positives rank
        below the mining model's top N, those whose positive ranks in it (the manifest's
        ``auto.train_queries``; see :func:`trueneg.select.auto.training_queries`). None means
        every query: the run has no such recommendation, or ``all_queries`` asks for them all."""

        advice = (self._manifest.get("auto") or {}).get("train_queries")
        if all_queries or not trains_on_training_queries(advice):
            return None
        stats = self._table("query_stats.parquet", columns=["query_id", "positive_rank"])
        rank = stats["positive_rank"].to_numpy(zero_copy_only=False)
        return stats["query_id"].filter(pa.array(rank <= advice["max_positive_rank"]))

    def training_negatives(self, all_queries: bool = False) -> pa.Table:
        """The kept negatives of the queries :meth:`training_queries` trains on."""
        import pyarrow.compute as pc

        kept = self.negatives(kept_only=True)
        queries = self.training_queries(all_queries)
        if queries is None:
            return kept
        return kept.filter(pc.is_in(kept["query_id"], value_set=queries.combine_chunks()))

    def export(
        self,
        fmt: str,
        to: str | Path | None = None,
        *,
        include_scores: bool = False,
        score_column: str = "score",
        all_queries: bool = False,
    ) -> Path | pa.Table:
        """Build a training file in format ``fmt``; write it to ``to`` if given.

        Under ``auto`` only the queries of :meth:`training_queries` are exported unless
        ``all_queries``. Returns the written path, or the Arrow table when ``to`` is None.
        """

        table = self._export_table(fmt, include_scores, score_column, all_queries)
        return table if to is None else write_export(table, to)

    def _export_table(
        self, fmt: str, include_scores: bool, score_column: str, all_queries: bool
    ) -> pa.Table:

        return build_export(
            self.negatives(),
            self.dataset(),
            fmt,
            include_scores=include_scores,
            score_column=score_column,
            positive_scores=self.positive_scores(),
            queries=self.training_queries(all_queries),
        )

    def positive_scores(self) -> pa.Table | None:
        """Every labeled positive with its scores (``score``, ``score_dense``, ``judge``), or
        None for runs that stored none."""
        if not self.has_table("positives.parquet"):
            return None
        table = self._table("positives.parquet")
        if self.has_table("judge_positive_pairs.parquet"):
            judged = self._table("judge_positive_pairs.parquet")
            table = table.join(judged, ["query_id", "doc_id"], join_type="left outer")
        return table

    def to_dataset(
        self,
        fmt: str = "triplet",
        *,
        include_scores: bool = False,
        score_column: str = "score",
        all_queries: bool = False,
    ):
        """The export as a Hugging Face ``datasets.Dataset`` (for SentenceTransformerTrainer)."""

        return to_hf_dataset(self._export_table(fmt, include_scores, score_column, all_queries))

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"


def open_run(path: str | Path) -> Run:
    """Open a finished run directory."""
    return Run(path)
