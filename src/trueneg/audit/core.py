"""``audit``: how many false negatives a finished run kept, measured and estimated.

One function builds the whole :class:`~trueneg.audit.report.AuditReport`; every part that
cannot be computed for the run is left out and its reason goes to ``report.unavailable``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from trueneg.api import Run
from trueneg.audit.hidden import Strategy, build_split, strategies_for, summarize_split
from trueneg.audit.report import AuditReport
from trueneg.config import MineConfig
from trueneg.encode import encode_cached
from trueneg.errors import ConfigError
from trueneg.pipeline import build_encoder, embedding_cache, judge_cache, prepare, search_depth

logger = logging.getLogger(__name__)

NO_JUDGE = (
    "no judge was given: pass --judge FOLDER_OR_NAME (e.g. the ms-marco cross-encoder "
    "folder) to estimate the false-negative share of the kept negatives"
)


@dataclass
class AuditContext:
    """A finished run with the views every audit part shares, loaded once and lazily."""

    run: Run
    show_progress: bool = False
    judged: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)
    _vectors: Any = field(default=None, repr=False)

    @cached_property
    def config(self) -> dict[str, Any]:
        return dict(self.run.manifest["config"])

    @cached_property
    def mine_config(self) -> MineConfig:
        names = {f.name for f in fields(MineConfig)}
        return MineConfig(**{k: v for k, v in self.config.items() if k in names})

    @cached_property
    def prepared(self) -> Any:
        return prepare(self.run.dataset(), "audit")

    @cached_property
    def negatives(self) -> pa.Table:
        return self.run.negatives()

    @cached_property
    def stats(self) -> pa.Table:
        return self.run.query_stats()

    @cached_property
    def doc_texts(self) -> list[str]:
        return self.prepared.dataset.doc_texts()

    @cached_property
    def doc_text(self) -> dict[str, str]:
        return dict(zip(self.prepared.doc_ids, self.doc_texts, strict=True))

    @cached_property
    def query_text(self) -> dict[str, str]:
        texts = self.prepared.dataset.query_texts()
        return dict(zip(self.prepared.query_ids, texts, strict=True))

    @cached_property
    def positives_by_query(self) -> dict[str, list[str]]:
        ids = self.prepared.doc_ids
        return {
            q: [ids[p] for p in pos]
            for q, pos in zip(self.prepared.query_ids, self.prepared.positives, strict=True)
        }

    def search_depth(self, filters: Sequence[str]) -> int:
        from trueneg.select import resolve_filters

        return search_depth(self.mine_config, resolve_filters(list(filters)))

    def retriever(self) -> Any:
        from trueneg.retrieve import RETRIEVERS

        return RETRIEVERS.resolve(self.config.get("retriever", "exact"))

    def vectors(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Query and document embeddings from the run's cache (None for runs without any)."""
        encoded = self.run.dir.stage_info("encode")
        if self._vectors is None and encoded:
            cfg = self.mine_config
            cache = embedding_cache(cfg, self.run.dir)
            encoder = build_encoder(cfg, cache, encoded.get("encoder"))  # the run's own
            docs = encode_cached(
                encoder, self.doc_texts, "document", cache, show_progress=self.show_progress
            )
            queries = encode_cached(
                encoder,
                self.prepared.dataset.query_texts(),
                "query",
                cache,
                show_progress=self.show_progress,
            )
            self._vectors = (queries, docs)
        return self._vectors

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
        from trueneg.rescore.cache import ScoreCache

        return ScoreCache(
            judge_cache(self.run.dir, self.mine_config), info["judge_fingerprint"]
        ).load()


def audit(
    run: Run | str | Path,
    *,
    hide_fraction: float = 0.5,
    judge: Any = None,
    judge_sample: int = 300,
    strategies: Sequence[Strategy | tuple[Sequence[str], str]] | None = None,
    cost_ratio: float = 9.0,
    seed: int = 0,
    show_progress: bool = False,
) -> AuditReport:
    """Audit a finished run: hidden-qrels rates, a judge estimate, depth advice, data health.

    Args:
        run: a :class:`~trueneg.api.Run` or its directory.
        hide_fraction: share of each query's labeled positives to hide (0 skips the protocol).
        judge: a judge folder/name or a loaded judge; None uses the run's own judge if it had one.
        judge_sample: judge budget in (query, document) pairs, all samples together.
        strategies: reference strategies replayed on the hidden split, as
            :class:`~trueneg.audit.hidden.Strategy` or ``(filters, sampler)`` pairs (None: naive
            top-k, percent 0.95, rank-window 10-110 random, the default filters).
        cost_ratio: how many true negatives at the same rank one false negative undoes
            (depth advice; 9 admits ranks whose false-negative rate is below 10%).
        seed: seed of every draw (hidden positives, judge samples, bootstrap).
    """
    _check_args(hide_fraction, judge_sample, cost_ratio)
    ctx = AuditContext(run if isinstance(run, Run) else Run(run), show_progress=show_progress)
    report = AuditReport(run=str(ctx.run.path), strategy=_strategy(ctx.config))
    from trueneg.audit.health import data_health
    from trueneg.audit.suspicious import most_suspicious

    with ctx.run.reading():  # one finished run throughout: `mine` into it fails meanwhile
        split = _hidden_part(ctx, report, hide_fraction, seed, strategies)
        _judge_part(ctx, report, split, judge, judge_sample, seed)
        _depth_part(ctx, report, split, cost_ratio)
        report.health = data_health(ctx)
        report.suspicious = most_suspicious(ctx, report.judge_estimate, ctx.judged)
    if not report.suspicious:
        report.unavailable["suspicious"] = "the run kept no negatives"
    return report


def _hidden_part(
    ctx: AuditContext, report: AuditReport, fraction: float, seed: int, extra: Sequence[Any] | None
) -> Any:
    if fraction == 0:
        report.unavailable["hidden_qrels"] = "hide_fraction is 0, so no positive was hidden"
        return None
    split = build_split(
        ctx, fraction, seed, strategies_for(ctx.config, extra), show_progress=ctx.show_progress
    )
    if split is None:
        report.unavailable["hidden_qrels"] = (
            "no query has two or more labeled positives (or the hide fraction rounds to zero "
            "hidden), so none can be hidden while one stays visible"
        )
        return None
    report.hidden_qrels = summarize_split(split, fraction, seed, ctx.config["num_negatives"])
    return split


def _judge_part(
    ctx: AuditContext, report: AuditReport, split: Any, judge: Any, budget: int, seed: int
) -> None:
    judge = judge if judge is not None else ctx.config.get("judge")
    if judge is None:
        report.unavailable["judge_estimate"] = NO_JUDGE
        return
    if ctx.negatives.num_rows == 0 or not np.any(ctx.negatives["kept"].to_numpy(False)):
        report.unavailable["judge_estimate"] = "the run kept no negatives to estimate on"
        return
    from trueneg.audit.judge_estimate import estimate_with_judge

    report.judge_estimate = estimate_with_judge(ctx, split, judge, budget, seed)


def _depth_part(ctx: AuditContext, report: AuditReport, split: Any, cost_ratio: float) -> None:
    from trueneg.audit.depth import depth_advice

    advice, reason = depth_advice(ctx, report.hidden_qrels, report.judge_estimate, cost_ratio)
    if advice is None:
        report.unavailable["depth"] = reason
    report.depth = advice


def _strategy(config: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "retriever",
        "model",
        "depth",
        "filters",
        "sampler",
        "num_negatives",
        "shortfall",
        "seed",
        "judge",
    )
    return {k: config.get(k) for k in keys if config.get(k) is not None}


def _check_args(hide_fraction: float, judge_sample: int, cost_ratio: float) -> None:
    if not 0 <= hide_fraction <= 1:
        raise ConfigError(
            "hide_fraction must be between 0 and 1", received=hide_fraction, expected="e.g. 0.5"
        )
    if judge_sample < 12:
        raise ConfigError(
            "judge_sample is too small to estimate anything",
            received=judge_sample,
            expected="at least 12 pairs (default 300)",
        )
    if not cost_ratio > 0:
        raise ConfigError("cost_ratio must be positive", received=cost_ratio, expected="e.g. 1")
