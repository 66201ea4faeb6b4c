"""The load stage: read the input into the canonical tables, once per input fingerprint."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pyarrow as pa

from trueneg.data import HubOptions, input_fingerprint, load_dataset, resolve_input
from trueneg.data.spool import CHUNK_ROWS, read_parquet
from trueneg.data.tables import Dataset, LoadReport
from trueneg.hashing import tree_fingerprint
from trueneg.pipeline.context import MineContext
from trueneg.pipeline.prepared import Prepared, prepare
from trueneg.run import RunDir, fingerprint
from trueneg.settings import MineConfig

logger = logging.getLogger(__name__)

TABLES = ["data/queries.parquet", "data/corpus.parquet", "data/qrels.parquet"]
ALIASES = "data/doc_aliases.parquet"


def load_stage(ctx: MineContext) -> Prepared:
    """The dataset of ``ctx.cfg.data``, from the run's tables when they still match it (a Hub
    dataset matches while its repositories, configs, splits and commits are the same)."""
    with ctx.timed("load"):
        cfg, run_dir = ctx.cfg, ctx.run_dir
        start = time.perf_counter()
        corpus = Path(cfg.corpus) if cfg.corpus else None
        source = resolve_input(cfg.data, split=cfg.split, hub=hub_options(cfg))
        stage_fp = fingerprint(
            "load",
            input_fingerprint(source),
            cfg.split,
            cfg.query_column,
            cfg.positive_column,
            tree_fingerprint(corpus) if corpus and corpus.exists() else cfg.corpus,
        )
        if run_dir.stage_done("load", stage_fp):
            dataset = _read(run_dir)
            logger.info(
                "load: reusing %d queries, %d documents", dataset.num_queries, dataset.num_docs
            )
        else:
            ctx.invalidate_from("load")
            dataset = load_dataset(
                source,
                split=cfg.split,
                query_column=cfg.query_column,
                positive_column=cfg.positive_column,
                corpus=cfg.corpus,
            )
            _write(run_dir, dataset)
            run_dir.mark_stage(
                "load",
                stage_fp,
                outputs=[*TABLES, ALIASES],
                seconds=time.perf_counter() - start,
                report=dataset.report.to_dict(),
                input_fingerprint=stage_fp,
            )
    return prepare(dataset, stage_fp)


def hub_options(cfg: MineConfig) -> HubOptions:
    """How a run reads a Hub dataset (its ``hub_*`` settings)."""
    return HubOptions(
        config=cfg.hub_config,
        revision=cfg.hub_revision,
        qrels=cfg.hub_qrels,
        streaming=cfg.hub_streaming,
    )


def _read(run_dir: RunDir) -> Dataset:
    aliases = run_dir.read_table(ALIASES)
    queries, corpus, qrels = TABLES
    return Dataset(
        run_dir.read_table(queries),
        read_parquet(run_dir.verified_file(corpus)),  # memory-mapped beyond one chunk
        run_dir.read_table(qrels),
        report=LoadReport(**run_dir.stage_info("load")["report"]),
        doc_aliases=dict(
            zip(aliases["doc_id"].to_pylist(), aliases["kept_id"].to_pylist(), strict=True)
        ),
    )


def _write(run_dir: RunDir, dataset: Dataset) -> None:
    aliases = pa.table(
        {"doc_id": list(dataset.doc_aliases), "kept_id": list(dataset.doc_aliases.values())},
        schema=pa.schema([("doc_id", pa.string()), ("kept_id", pa.string())]),
    )
    tables = (dataset.queries, dataset.corpus, dataset.qrels, aliases)
    for name, table in zip([*TABLES, ALIASES], tables, strict=True):
        run_dir.write_table(name, table, row_group_size=CHUNK_ROWS)
