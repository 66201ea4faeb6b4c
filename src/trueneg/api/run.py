"""``Run``: a finished mining run, opened from its directory: its tables, summary, exports and
Hub push."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from trueneg.data.spool import read_parquet
from trueneg.data.tables import Dataset, LoadReport
from trueneg.errors import RunDirError
from trueneg.export import (
    CardInputs,
    HubUpload,
    Prompts,
    build_export,
    check_reachable,
    check_repo_id,
    publish,
    render_card,
    to_hf_dataset,
    write_export,
)
from trueneg.run import MANIFEST, RunDir
from trueneg.run.layout import read_json
from trueneg.select.auto import trains_on_training_queries
from trueneg.summary import Summary

AUDIT_FILE = "audit.json"


class Run:
    """A finished run directory: its tables, summary, exports, dataset card and Hub push.

    Tables are ``pyarrow.Table`` objects (``table.to_pandas()``, ``table.to_pylist()``), read
    and checked against what ``mine`` recorded each time they are asked for.

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

    def _mapped(self, name: str) -> pa.Table:
        """Like :meth:`_table`, memory-mapped beyond one chunk (a corpus of any size)."""
        with self.reading():
            record = self._manifest.get("files", {}).get(name)
            return read_parquet(self.dir.verified_file(name, record))

    def has_table(self, name: str) -> bool:
        """Whether the run stored table ``name`` (``"judge_scores.parquet"``: only with a judge)."""
        return name in self._manifest.get("files", {})

    @property
    def path(self) -> Path:
        return self.dir.path

    @property
    def manifest(self) -> dict[str, Any]:
        """A copy of ``manifest.json``: ``config`` (the settings as they ran, ``auto``'s
        choice in place of ``auto``), ``auto`` (its choice, reason and evidence, or None),
        ``model``, ``counts``, ``timings``, ``summary``, ``trueneg_version``, ``files``."""
        return dict(self._manifest)

    def summary(self) -> Summary:
        """The numbers ``trueneg mine`` prints (:class:`~trueneg.summary.Summary`)."""
        return Summary.from_dict(self._manifest["summary"])

    def negatives(self, kept_only: bool = False) -> pa.Table:
        """Every candidate, one row per (query, document), with what selection did to it.

        Columns: ``query_id``, ``doc_id`` (strings); ``rank`` (int32, 1 = the retriever's
        best); ``score`` (float32, the retriever's); ``pos_cosine`` (float32, the highest
        cosine to one of the query's labeled positives; dense, hybrid and ``auto`` runs);
        ``judge`` (float32, with a judge: its score, null below ``judge_depth``); ``kept``
        (bool); ``reason`` (string: ``""`` when kept, else what dropped the row, e.g.
        ``"percent"``, ``"not-sampled"``). ``kept_only``: only the kept rows.
        """
        table = self._table("negatives.parquet")
        return table.filter(table["kept"]) if kept_only else table

    def candidates(self) -> pa.Table:
        """What retrieval returned, labeled positives masked: ``query_id``, ``doc_id``,
        ``rank``, ``score`` and, where computed, ``pos_cosine`` (as in :meth:`negatives`)."""
        return self._table("candidates.parquet")

    def query_stats(self) -> pa.Table:
        """One row per query: ``query_id``; ``num_positives`` (int32); ``positive_min``
        (float32, the lowest score of a labeled positive); ``positive_rank`` (int64, where
        its best positive ranks among the candidates, 0: not ranked); ``candidates`` and
        ``kept`` (int32); ``dropped`` (bool: the shortfall policy dropped the query)."""
        return self._table("query_stats_selected.parquet")

    def dataset(self) -> Dataset:
        """The canonical tables the run mined: ``queries`` (``query_id``, ``text``),
        ``corpus`` (``doc_id``, ``text``, ``title``), ``qrels`` (``query_id``, ``doc_id``,
        ``relevance``), and the loader's ``report``."""
        report = self._manifest.get("summary", {}).get("load") or {}
        return Dataset(
            self._table("data/queries.parquet"),
            self._mapped("data/corpus.parquet"),
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
        ``all_queries``. Returns the written path, or the Arrow table when ``to`` is None:
        its columns are the format's (``trueneg strategies``; triplet: ``anchor``,
        ``positive``, ``negative``), and :func:`trueneg.export.export_notes` reads from it how
        many queries were written and, per reason, left out.
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
        """The export as a Hugging Face ``datasets.Dataset`` (for SentenceTransformerTrainer):
        the columns of :meth:`export`."""

        return to_hf_dataset(self._export_table(fmt, include_scores, score_column, all_queries))

    def prompts(self) -> Prompts:
        """The prompts the run was mined with (its config's ``query_prompt``,
        ``document_prompt``, ``prompt_name``, ``document_prompt_name``; None where not set):
        train and search with the same. ``prompts().for_columns(table.column_names)`` maps
        them onto an export's columns (sentence-transformers' ``prompts`` argument)."""
        return Prompts.from_config(self._manifest.get("config") or {})

    def audit_results(self) -> dict[str, Any] | None:
        """``RUN/audit.json`` as ``trueneg audit`` saved it (the keys of
        :meth:`~trueneg.audit.AuditReport.to_dict`: ``hidden_qrels_false_negative_rate``,
        ``estimated_false_negative_rate``, ``ci_low``, ``ci_high``, the parts), or None when
        the run was not audited."""
        found = read_json(self.path / AUDIT_FILE)
        return found if isinstance(found, dict) else None

    def dataset_card(
        self,
        fmt: str = "triplet",
        *,
        repo: str | None = None,
        include_scores: bool = False,
        score_column: str = "score",
        all_queries: bool = False,
        license: str | None = None,
    ) -> str:
        """The dataset card (README.md) of this run's export in ``fmt``: the data, how it was
        mined, the measured contamination (from :meth:`audit_results`) and how to load it.
        ``repo``: the Hub id its loading snippet names (default: the run folder's name);
        ``license``: the data's Hub license id, when known."""
        table = self._export_table(fmt, include_scores, score_column, all_queries)
        return self._card(table, repo or self.path.name, include_scores, score_column, license)

    def push_to_hub(
        self,
        repo: str,
        fmt: str = "triplet",
        *,
        private: bool = False,
        folder: str | Path | None = None,
        dry_run: bool = False,
        token: str | None = None,
        license: str | None = None,
        include_scores: bool = False,
        score_column: str = "score",
        all_queries: bool = False,
    ) -> HubUpload:
        """Upload the export in ``fmt`` with its :meth:`dataset_card` to the Hub dataset
        repository ``repo`` (created, ``private`` if asked, when it does not exist): one
        commit of ``README.md`` and ``data/train.parquet``.

        ``dry_run`` only writes those two files into ``folder`` (default ``./NAME``, the
        repository's name) for review, with no network. ``token``: default ``HF_TOKEN`` or
        the ``hf auth login`` token; it is never written anywhere. An unreachable Hub fails
        at once with a :class:`~trueneg.export.HubError` naming the repository.
        """
        check_repo_id(repo)
        if not dry_run:
            check_reachable(repo)
        table = self._export_table(fmt, include_scores, score_column, all_queries)
        card = self._card(table, repo, include_scores, score_column, license)
        return publish(
            table, card, repo, folder=folder, dry_run=dry_run, private=private, token=token
        )

    def _card(
        self,
        table: pa.Table,
        repo: str,
        include_scores: bool,
        score_column: str,
        license: str | None,
    ) -> str:
        return render_card(
            CardInputs(
                repo=repo,
                table=table,
                manifest=self._manifest,
                audit=self.audit_results(),
                prompts=self.prompts(),
                score_column=score_column if include_scores else None,
                license=license,
            )
        )

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"


def open_run(path: str | Path) -> Run:
    """Open a finished run directory."""
    return Run(path)
