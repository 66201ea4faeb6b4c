"""The query and document prompts a bi-encoder trains with: the ones the run was mined with.

A model mined with ``--query-prompt "query: "`` (e5, bge) must train with the same prefixes,
or training teaches it texts it never sees at search time. The order: an explicit setting,
else the run's (:meth:`trueneg.Run.prompts`: ``trueneg mine --query-prompt/--document-prompt``,
or a prompt name of the model's saved prompts), else the model's own saved ``query`` /
``document`` prompts (which the mining encoder applied when the run gave none).
"""

from __future__ import annotations

import json
from pathlib import Path

from trueneg.encode.models import hub_snapshot
from trueneg.export.prompts import Prompts
from trueneg.settings import TrainSettings

DOCUMENT_KEYS = ("document", "passage", "corpus")  # sentence-transformers' encode_document order


def training_prompts(settings: TrainSettings, mined: Prompts, model_path: str) -> Prompts:
    """The prompts to train with (empty ones dropped); none when ``settings.prompts`` is
    False."""
    if not settings.prompts:
        return Prompts()
    own = saved_prompts(model_path)
    query = _first(
        settings.query_prompt,
        mined.query,
        own.get(mined.name) if mined.name else None,
        own.get("query"),
    )
    document = _first(
        settings.document_prompt,
        mined.document,
        own.get(mined.document_name) if mined.document_name else None,
        *(own.get(k) for k in DOCUMENT_KEYS),
    )
    return Prompts(query=query or None, document=document or None)


def as_dict(prompts: Prompts) -> dict[str, str]:
    """``{"query": ..., "document": ...}`` without the unset ones: the card's record."""
    pairs = (("query", prompts.query), ("document", prompts.document))
    return {kind: text for kind, text in pairs if text}


def saved_prompts(model_path: str) -> dict[str, str]:
    """The prompts a sentence-transformers model saved: a local folder, or a hub name's cached
    snapshot (empty when there is none)."""
    folder = Path(model_path) if Path(model_path).is_dir() else hub_snapshot(model_path)
    if folder is None:
        return {}
    path = folder / "config_sentence_transformers.json"
    try:
        saved = json.loads(path.read_text(encoding="utf-8")).get("prompts") or {}
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in saved.items() if isinstance(v, str) and v}


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v is not None), None)
