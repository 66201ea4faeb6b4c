"""The model card section that says which mining run a model was trained on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trueneg.storage import atomic_write_text

CARD_HEADING = "## Hard negatives mined with trueneg"
MINING_KEYS = (
    "retriever",
    "model",
    "filters",
    "sampler",
    "num_negatives",
    "depth",
    "judge",
    "shortfall",
    "split",
    "seed",
    "data",
)


def card_section(run_dir: Path, manifest: dict[str, Any], training: dict[str, Any]) -> str:
    """Markdown naming the run directory, its mining config and the training settings."""
    config = manifest.get("config", {})
    mining = {key: config.get(key) for key in MINING_KEYS if key in config}
    lines = [
        CARD_HEADING,
        "",
        f"- run directory: `{run_dir}`",
        f"- mined with trueneg {manifest.get('trueneg_version', '?')}",
        "",
        "Mining config:",
        "",
        *_json_block(mining),
        "",
        "Training:",
        "",
        *_json_block(training),
        "",
    ]
    return "\n".join(lines)


def append_card(model_dir: Path, section: str) -> Path:
    """Append ``section`` to the model folder's README.md (created when missing)."""
    readme = model_dir / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    atomic_write_text(readme, text.rstrip("\n") + ("\n\n" if text else "") + section)
    return readme


def _json_block(values: dict[str, Any]) -> list[str]:
    return ["```json", json.dumps(values, indent=2, default=str), "```"]
