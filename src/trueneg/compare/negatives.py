"""What each cell trained on: how many negatives, and how hard they are for the mining model.

A lower false-negative rate is not the whole story: negatives sampled deep in the ranking are
cleaner but easier. Beside each config's FN rate the comparison shows how many negatives it kept
and their median rank and mean score under the model that mined them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trueneg.api import Run
from trueneg.storage import atomic_write_text

STATS_FILE = "negatives.json"


def negative_stats(kept: pa.Table) -> dict[str, Any]:
    """``kept``, ``queries`` (with at least one), ``median_rank`` and ``mean_score`` of a run's
    kept negatives (``Run.negatives(kept_only=True)``: rank and score as the mining model saw
    them; None when nothing is kept)."""
    if kept.num_rows == 0:
        return {"kept": 0, "queries": 0, "median_rank": None, "mean_score": None}
    return {
        "kept": kept.num_rows,
        "queries": pc.count_distinct(kept["query_id"]).as_py(),
        "median_rank": float(np.median(kept["rank"].to_numpy())),
        "mean_score": round(float(np.mean(kept["score"].to_numpy())), 4),
    }


def write_stats(folder: Path, kept: pa.Table) -> None:
    """Write the stats of the run just mined into ``folder`` (replacing an earlier run's)."""
    stats = negative_stats(kept)
    atomic_write_text(folder / STATS_FILE, json.dumps(stats, indent=2) + "\n")


def cell_stats(folder: Path, all_queries: bool = False) -> dict[str, Any] | None:
    """The stats of the negatives the run in ``folder/run`` trains on (``all_queries``: see
    ``Run.training_negatives``), read from ``folder/negatives.json`` or computed and written
    there (cells mined before the file existed get it on their next call); None when the cell
    has no finished run."""
    path = folder / STATS_FILE
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    if not (folder / "run" / "manifest.json").is_file():
        return None

    write_stats(folder, Run(folder / "run").training_negatives(all_queries))
    return json.loads(path.read_text(encoding="utf-8"))


def mean_stats(cells: list[dict[str, Any]]) -> dict[str, float | None]:
    """Each stat averaged over the seeds that have it (None where none has)."""
    out: dict[str, float | None] = {}
    for key in ("kept", "median_rank", "mean_score"):
        values = [c[key] for c in cells if c.get(key) is not None]
        out[key] = float(np.mean(values)) if values else None
    return out
