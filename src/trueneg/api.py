"""``Run``: a finished mining run, opened from its directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from trueneg.data.tables import Dataset, LoadReport
from trueneg.run import RunDir
from trueneg.summary import Summary


class Run:
    """A finished run directory: its tables, summary and exports.

    >>> run = trueneg.mine("data/scifact", "runs/scifact")   # doctest: +SKIP
    >>> run.summary().kept                                      # doctest: +SKIP
    """

    def __init__(self, path: str | Path) -> None:
        self.dir = RunDir(path, create=False)
        self._manifest = self.dir.manifest()

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
        table = self.dir.read_table("negatives.parquet")
        return table.filter(table["kept"]) if kept_only else table

    def candidates(self) -> pa.Table:
        return self.dir.read_table("candidates.parquet")

    def query_stats(self) -> pa.Table:
        return self.dir.read_table("query_stats_selected.parquet")

    def dataset(self) -> Dataset:
        report = self.dir.stage_info("load").get("report", {})
        return Dataset(
            self.dir.read_table("data/queries.parquet"),
            self.dir.read_table("data/corpus.parquet"),
            self.dir.read_table("data/qrels.parquet"),
            report=LoadReport(**report),
        )

    def training_queries(self, all_queries: bool = False) -> pa.Array | None:
        """The ids of the queries to train on: under ``auto``, when most labeled positives rank
        below the mining model's top N, those whose positive ranks in it (the manifest's
        ``auto.train_queries``; see :func:`trueneg.select.auto.training_queries`). None means
        every query: the run has no such recommendation, or ``all_queries`` asks for them all."""
        from trueneg.select.auto import trains_on_training_queries

        advice = (self._manifest.get("auto") or {}).get("train_queries")
        if all_queries or not trains_on_training_queries(advice):
            return None
        stats = self.dir.read_table("query_stats.parquet", columns=["query_id", "positive_rank"])
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
        from trueneg.export import write_export

        table = self._export_table(fmt, include_scores, score_column, all_queries)
        return table if to is None else write_export(table, to)

    def _export_table(
        self, fmt: str, include_scores: bool, score_column: str, all_queries: bool
    ) -> pa.Table:
        from trueneg.export import build_export

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
        if not self.dir.file("positives.parquet").is_file():
            return None
        table = self.dir.read_table("positives.parquet")
        if self.dir.file("judge_positive_pairs.parquet").is_file():
            judged = self.dir.read_table("judge_positive_pairs.parquet")
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
        from trueneg.export import to_hf_dataset

        return to_hf_dataset(self._export_table(fmt, include_scores, score_column, all_queries))

    def audit(self, **options: Any):
        """Measure how contaminated this run's negatives are; see :func:`trueneg.audit.audit`.

        Returns an :class:`~trueneg.audit.AuditReport` (``to_dict``, ``to_markdown``, ``save``).
        """
        from trueneg.audit import audit

        return audit(self, **options)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"


def open_run(path: str | Path) -> Run:
    """Open a finished run directory."""
    return Run(path)
