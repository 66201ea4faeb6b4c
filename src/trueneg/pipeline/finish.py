"""The end of a mine: the summary, and the manifest that marks the run finished."""

from __future__ import annotations

import time

from trueneg.data import input_label
from trueneg.pipeline.context import STAGES, MineContext
from trueneg.pipeline.encode import Vectors
from trueneg.pipeline.prepared import Prepared
from trueneg.pipeline.select import Selection
from trueneg.settings import AUTO, MineConfig
from trueneg.summary import Summary, summarize
from trueneg.version import __version__

RESCORE_KEYS = (
    "judge",
    "judge_kind",
    "pairs",
    "pairs_scored",
    "pairs_per_s",
    "seconds",
    "cost",
    "cascade",
)
RETRIEVAL_KEYS = ("retriever", "depth", "recall_at_depth", "sample_queries")


def effective_config(cfg: MineConfig, selection: Selection) -> MineConfig:
    """The settings as they ran: ``auto``'s chosen filters and sampler in place of ``auto``."""
    if selection.choice is not None:
        return cfg.replace(
            filters=[f.spec() for f in selection.filters], sampler=selection.sampler.spec()
        )
    if cfg.sampler == AUTO:  # given filters, no sampler: top
        return cfg.replace(sampler=selection.sampler.spec())
    return cfg


def finish(
    ctx: MineContext, prepared: Prepared, vectors: Vectors | None, selection: Selection
) -> Summary:
    """Summarise the run and write its manifest (last: its presence means "finished")."""
    run_dir = ctx.run_dir
    cfg = effective_config(ctx.cfg, selection)
    state = run_dir.state()
    auto = selection.choice.to_dict() if selection.choice else None
    summary = summarize(
        run_dir.read_table("negatives.parquet"),
        run_dir.read_table("query_stats_selected.parquet"),
        num_negatives=cfg.num_negatives,
        timings=ctx.timings,
        load=prepared.dataset.report.to_dict(),
        config=cfg.to_dict(),
        rescore=_pick(state.get("rescore", {}), RESCORE_KEYS) if cfg.judge else None,
        retrieval=_pick(state.get("retrieve", {}), RETRIEVAL_KEYS),
        auto=auto,
    )
    run_dir.write_manifest(
        {
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "config": cfg.to_dict(),
            "seed": cfg.seed,
            "inputs": {
                "data": input_label(cfg.data),
                "load_fingerprint": prepared.fingerprint,
                "corpus": cfg.corpus,
            },
            "model": {"path": vectors.model, "fingerprint": vectors.fingerprint}
            if vectors
            else None,
            "stages": {
                name: {k: v for k, v in state.get(name, {}).items() if k != "report"}
                for name in STAGES
            },
            "counts": {
                "queries": summary.queries,
                "documents": prepared.dataset.num_docs,
                "candidates": summary.candidates,
                "kept": summary.kept,
            },
            "timings": ctx.timings,
            "auto": auto,
            "summary": summary.to_dict(),
            "version_written": __version__,
        }
    )
    return summary


def _pick(entry: dict, keys: tuple[str, ...]) -> dict:
    return {k: v for k, v in entry.items() if k in keys}
