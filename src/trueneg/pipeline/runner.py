"""``mine``: load → encode → retrieve → rescore → select, each stage reused when its inputs
are unchanged and its files verify, with the run directory locked for writing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from trueneg.distributed import DeviceWorkers, parse_devices
from trueneg.pipeline.context import MineContext
from trueneg.pipeline.encode import encode_stage
from trueneg.pipeline.finish import finish
from trueneg.pipeline.judge_check import check_judge_answers
from trueneg.pipeline.load import load_stage
from trueneg.pipeline.plan import check_inputs, make_plan
from trueneg.pipeline.rescore import rescore_stage
from trueneg.pipeline.retrieve import retrieve_stage
from trueneg.pipeline.select import select_stage
from trueneg.run import MANIFEST, RunDir
from trueneg.settings import MineConfig
from trueneg.summary import Summary

logger = logging.getLogger(__name__)


def run_pipeline(
    data: str | Path | None = None,
    out: str | Path | None = None,
    *,
    config: MineConfig | None = None,
    show_progress: bool = False,
    force: bool = False,
    **settings: Any,
) -> Path:
    """Mine ``data`` into the run directory ``out`` and return its path (what
    :func:`trueneg.mine` runs; see it for the settings)."""
    base = config or MineConfig()
    cfg = base.replace(
        data=str(data) if data else None, out=str(out) if out else None, **settings
    ).validate()
    plan = make_plan(cfg)
    check_inputs(cfg, plan)
    run_dir = RunDir(cfg.out, create=True, force=force)
    workers = DeviceWorkers(parse_devices(cfg.devices)) if cfg.devices else None
    try:
        with run_dir.writing():
            summary = run_stages(MineContext(run_dir, cfg, plan, show_progress, workers))
    finally:
        if workers is not None:
            workers.close()
    logger.info("mined %d negatives for %d queries", summary.kept, summary.queries)
    return run_dir.path


def run_stages(ctx: MineContext) -> Summary:
    """Every stage in order (the run directory is locked for writing by the caller)."""
    ctx.run_dir.file(MANIFEST).unlink(missing_ok=True)
    check_judge_answers(ctx)
    prepared = load_stage(ctx)
    vectors = encode_stage(ctx, prepared) if ctx.plan.needs_vectors else None
    retrieve_fp = retrieve_stage(ctx, prepared, vectors)
    rescore_fp = rescore_stage(ctx, prepared, retrieve_fp)
    selection = select_stage(ctx, prepared, (retrieve_fp, rescore_fp))
    return finish(ctx, prepared, vectors, selection)
