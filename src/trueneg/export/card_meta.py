"""The dataset card's YAML metadata header, as the Hugging Face Hub reads it.

Written without a YAML library: every scalar is emitted as JSON, which YAML reads as is, so
any text (a prompt, a repository name) round-trips.
"""

from __future__ import annotations

import json
from typing import Any

# The Hub's size categories, as upper bounds of the row count.
SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
)
TASK_CATEGORIES = ["sentence-similarity", "text-retrieval"]


def size_category(rows: int) -> str:
    for bound, name in SIZE_CATEGORIES:
        if rows < bound:
            return name
    return "n>1B"


def card_metadata(
    *,
    pretty_name: str,
    rows: int,
    data_file: str,
    tags: list[str],
    license: str | None,
    source: str | None = None,
) -> dict[str, Any]:
    """The header's fields: name, license (only when known), the source Hub dataset (when
    mined from one), task categories, tags, size category, and one ``default`` config whose
    ``train`` split is ``data_file``."""
    meta: dict[str, Any] = {"pretty_name": pretty_name}
    if license:
        meta["license"] = license
    if source:
        meta["source_datasets"] = [source]
    meta |= {
        "task_categories": TASK_CATEGORIES,
        "tags": tags,
        "size_categories": [size_category(rows)],
        "configs": [
            {"config_name": "default", "data_files": [{"split": "train", "path": data_file}]}
        ],
    }
    return meta


def yaml_header(meta: dict[str, Any]) -> str:
    """``---`` + ``meta`` as block YAML + ``---``."""
    return "\n".join(["---", *_lines(meta, 0), "---"])


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                out += [
                    f"{pad}{key}:",
                    *_lines(item, indent + (2 if isinstance(item, dict) else 0)),
                ]
            else:
                out.append(f"{pad}{key}: {_scalar(item)}")
        return out
    out = []
    for item in value:
        inner = _lines(item, indent + 2) if isinstance(item, dict | list) else None
        if inner:
            out += [f"{pad}- {inner[0].lstrip()}", *inner[1:]]
        else:
            out.append(f"{pad}- {_scalar(item)}")
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, dict | list):  # empty
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value, ensure_ascii=False)
