"""``mine()``: mine hard negatives into a run directory and open the finished run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from trueneg.api.run import Run
from trueneg.api.settings_doc import settings_section
from trueneg.pipeline import run_pipeline
from trueneg.settings import MineConfig


def progress_default() -> bool:
    """Whether ``mine(show_progress=None)`` draws bars: when stderr is a terminal or the code
    runs in a Jupyter kernel (not under pytest, in a pipe or a log file)."""
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def mine(
    data: str | Path | None = None,
    out: str | Path | None = None,
    *,
    config: MineConfig | None = None,
    show_progress: bool | None = None,
    force: bool = False,
    **settings: Any,
) -> Run:
    """Mine hard negatives for ``data`` into the run directory ``out``; return the :class:`Run`.

    ``settings`` are :class:`~trueneg.MineConfig` fields (listed below), given as keywords or
    as ``config`` (keywords win). Re-running with the same settings reuses every finished
    stage whose files verify and rebuilds damaged ones. ``out`` must be new, empty or an
    earlier run; ``force`` mines into a non-empty folder beside its files (never over them).
    While mining, the run is locked: a second ``mine`` into it, or a reader, fails at once.

    ``show_progress``: draw progress bars on stderr (True), never (False), or — the
    default, None — when stderr is a terminal or in a Jupyter notebook
    (:func:`progress_default`). Log lines go to the ``trueneg`` logger either way.

    >>> run = trueneg.mine("data/scifact", "runs/scifact", num_negatives=4)  # doctest: +SKIP
    >>> run.negatives(kept_only=True).num_rows                                 # doctest: +SKIP

    """
    if show_progress is None:
        show_progress = progress_default()
    path = run_pipeline(
        data, out, config=config, show_progress=show_progress, force=force, **settings
    )
    return Run(path)


mine.__doc__ = (mine.__doc__ or "") + settings_section() + "\n"
