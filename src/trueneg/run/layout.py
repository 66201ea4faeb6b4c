"""The names a run directory uses, and small readers its modules share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MARKER = ".trueneg-run"
LOCK = ".trueneg-lock"
MANIFEST = "manifest.json"
STATE = "state.json"
FORMAT = 1
# Names a run writes at its top level: never created by trueneg inside a folder that holds a
# file of the user's under one of them.
RUN_NAMES = frozenset(
    {
        MARKER,
        LOCK,
        MANIFEST,
        STATE,
        "data",
        "embeddings",
        "judge",
        "candidates.parquet",
        "query_stats.parquet",
        "positives.parquet",
        "judge_scores.parquet",
        "judge_positives.parquet",
        "judge_positive_pairs.parquet",
        "negatives.parquet",
        "query_stats_selected.parquet",
        "audit.json",
        "report.html",
        "plots",
    }
)
# What may be written into a run by other commands (an export, the audit's own files).
WRITABLE_BY_OTHERS = frozenset({"audit.json", "report.html", "plots"})


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing, unreadable or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def listing(names: list[str], limit: int = 8) -> str:
    """Names for an error message (``an empty folder`` when there are none)."""
    if not names:
        return "an empty folder"
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."
