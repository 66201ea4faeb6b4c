"""Before a mine (or an audit) does any work, each remote judge of ``--judge`` scores one pair,
so a wrong model name, URL path or API key fails in seconds instead of after the encoding.

A server that does not answer at all (not started yet, or still loading its model) is only
warned about: the run goes on, and the judge is needed at the rescore stage, after encoding and
retrieval. The check is skipped where the judge cache already holds verdicts: that judge has
answered before, and the run may need no request at all.
"""

from __future__ import annotations

import logging
from pathlib import Path

import requests

from trueneg.errors import ModelError
from trueneg.pipeline.context import MineContext
from trueneg.pipeline.rescore import judge_cache
from trueneg.rescore.loader import load_remote
from trueneg.rescore.spec import is_remote, judge_parts, parse_remote

logger = logging.getLogger(__name__)

# one short pair, the same for every judge: its verdict is neither cached nor used
PAIR = (
    "what does vitamin D do",
    "Vitamin D helps the body absorb calcium and keeps bones strong.",
)


def remote_parts(spec: str) -> list[str]:
    """The remote judges of a judge spec (every stage of a cascade), in order."""
    return [p for p in judge_parts(spec) if is_remote(p)]


def check_judge_answers(ctx: MineContext) -> None:
    """:func:`check_remote_judges` for a mine's ``--judge`` and judge cache."""
    if ctx.cfg.judge:
        check_remote_judges(ctx.cfg.judge, judge_cache(ctx.run_dir, ctx.cfg))


def check_remote_judges(spec: str, cache: Path) -> None:
    """Score :data:`PAIR` with each remote judge of ``spec``, unless ``cache`` (the judge
    cache folder) already holds verdicts. An HTTP error (a wrong model, path or key) raises
    here; no answer at all is a warning, and the caller goes on."""
    parts = remote_parts(spec)
    if not parts:
        return
    if any(Path(cache).rglob("part-*.parquet")):
        logger.debug("judge check skipped: %s already holds verdicts", cache)
        return
    for part in parts:
        _check(part)


def _check(part: str) -> None:
    remote = parse_remote(part)
    judge = load_remote(remote)
    logger.info("judge: one pair to %s before any work", remote.url)
    try:
        judge.score([PAIR[0]], [PAIR[1]])
    except ModelError as exc:
        if isinstance(exc.__cause__, requests.RequestException):
            logger.warning(
                "The judge server at %s does not answer yet (%s). The work goes on and needs "
                "the judge later (a mine: at the rescore stage, after encoding and retrieval): "
                "start it by then, or stop now (Ctrl-C) and check the URL",
                remote.url,
                type(exc.__cause__).__name__,
            )
            return
        raise ModelError(
            f"The {remote.kind} judge at {remote.url} failed its first pair, checked before "
            f"any work: {exc.what}",
            received=exc.received,
            expected=exc.expected,
            fix=(exc.fix or "Check the judge spec") + "; nothing was computed or written yet",
        ) from exc
