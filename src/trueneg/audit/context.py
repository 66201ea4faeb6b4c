"""``AuditContext``: a finished run and the views every audit part reads, each loaded once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa

from trueneg.api import Run
from trueneg.data.spool import TextsById
from trueneg.data.tables import DocumentTexts
from trueneg.encode import encode_cached
from trueneg.pipeline import Prepared, build_encoder, embedding_cache, judge_cache, prepare
from trueneg.pipeline import search_depth as plan_depth
from trueneg.pipeline.frames import flat_positions
from trueneg.rescore.cache import ScoreCache
from trueneg.retrieve import RETRIEVERS, Retriever
from trueneg.select import resolve_filters
from trueneg.settings import MineConfig


@dataclass
class AuditContext:
    """A finished run with the views every audit part shares, loaded once and lazily.

    ``judged`` collects the judge scores of (query id, doc id) pairs the audit scored.
    """

    run: Run
    show_progress: bool = False
    judged: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)

    @cached_property
    def config(self) -> dict[str, Any]:
        return dict(self.run.manifest["config"])

    @cached_property
    def mine_config(self) -> MineConfig:
        names = {f.name for f in fields(MineConfig)}
        return MineConfig(**{k: v for k, v in self.config.items() if k in names})

    @cached_property
    def prepared(self) -> Prepared:
        return prepare(self.run.dataset(), "audit")

    @cached_property
    def negatives(self) -> pa.Table:
        return self.run.negatives()

    @cached_property
    def stats(self) -> pa.Table:
        return self.run.query_stats()

    @cached_property
    def query_texts(self) -> list[str]:
        return self.prepared.dataset.query_texts()

    @cached_property
    def doc_texts(self) -> DocumentTexts:
        """Every document's text by position, read from the corpus table when used."""
        return self.prepared.dataset.doc_text_view()

    @cached_property
    def doc_text(self) -> TextsById:
        """``doc_id -> text``, re-read by id from the corpus table (:meth:`TextsById.load`
        the ids first: one scan of the ids for many documents)."""
        return TextsById(self.prepared.dataset.corpus)

    @cached_property
    def query_text(self) -> dict[str, str]:
        return dict(zip(self.prepared.query_ids, self.query_texts, strict=True))

    @cached_property
    def positives_by_query(self) -> dict[str, list[str]]:
        positives = self.prepared.positives
        ids = iter(self.prepared.doc_ids.take(flat_positions(positives)).to_pylist())
        return {
            q: [next(ids) for _ in pos]
            for q, pos in zip(self.prepared.query_ids, positives, strict=True)
        }

    def search_depth(self, filters: Sequence[str]) -> int:
        """How deep the run's settings search for ``filters`` (the mine's own rule)."""
        return plan_depth(self.mine_config, resolve_filters(list(filters)))

    def retriever(self) -> Retriever:
        return RETRIEVERS.resolve(self.config.get("retriever", "exact"))

    @cached_property
    def vectors(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Query and document embeddings from the run's cache, read with the run's own encoder
        (the one its ``encode`` stage recorded); None for runs without any."""
        encoded = self.run.dir.stage_info("encode")
        if not encoded:
            return None
        cfg = self.mine_config
        cache = embedding_cache(cfg, self.run.dir)
        encoder = build_encoder(cfg, cache, encoded.get("encoder"))
        options = {"show_progress": self.show_progress}
        docs = encode_cached(encoder, self.doc_texts, "document", cache, **options)
        queries = encode_cached(encoder, self.query_texts, "query", cache, **options)
        return queries, docs

    def attach_judge(
        self, table: pa.Table, stats: pa.Table, visible: list[np.ndarray]
    ) -> tuple[pa.Table, pa.Table]:
        """Add the run's cached judge scores (``judge``, ``positive_judge``) when it had a judge."""
        scores = self.run_judge_scores
        if scores is None:
            return table, stats
        depth = int(self.config.get("judge_depth") or 0)
        pairs = zip(table["query_id"].to_pylist(), table["doc_id"].to_pylist(), strict=True)
        rank = table["rank"].to_numpy()
        judge = np.array(
            [
                scores.get(p, np.nan) if r <= depth else np.nan
                for p, r in zip(pairs, rank, strict=True)
            ],
            dtype=np.float32,
        )
        ids = self.prepared.doc_ids
        lowest = [
            min((scores.get((q, ids[p]), np.nan) for p in pos), default=np.nan)
            for q, pos in zip(stats["query_id"].to_pylist(), visible, strict=True)
        ]
        return (
            table.append_column("judge", pa.array(judge)),
            stats.append_column("positive_judge", pa.array(np.asarray(lowest, "f4"))),
        )

    @cached_property
    def run_judge_scores(self) -> dict[tuple[str, str], float] | None:
        info = self.run.dir.stage_info("rescore")
        if not self.config.get("judge") or "judge_fingerprint" not in info:
            return None
        return ScoreCache(
            judge_cache(self.run.dir, self.mine_config), info["judge_fingerprint"]
        ).load()
