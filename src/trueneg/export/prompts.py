"""The prompts a run was mined with, read from its manifest, for the card and for training."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

# Export columns that hold query text; every other text column holds documents.
QUERY_COLUMNS = frozenset({"anchor", "query"})
# Export columns that hold no text (labels, scores, ids).
NON_TEXT_COLUMNS = frozenset(
    {"label", "labels", "score", "scores", "pos_scores", "neg_scores", "query_id"}
)


@dataclass(frozen=True)
class Prompts:
    """What the mining model was given before each text.

    ``query`` and ``document`` are the manifest config's ``query_prompt`` and
    ``document_prompt`` (text prepended to queries and documents); ``name`` and
    ``document_name`` are its ``prompt_name`` and ``document_prompt_name`` (keys of the
    model's own saved ``prompts``), when the run recorded them. None: not set (the model's own
    default prompts, if it saved any, were applied).
    """

    query: str | None = None
    document: str | None = None
    name: str | None = None
    document_name: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Prompts:
        """The prompts of a manifest's ``config`` (older runs without a key: None)."""
        return cls(
            query=config.get("query_prompt") or None,
            document=config.get("document_prompt") or None,
            name=config.get("prompt_name") or None,
            document_name=config.get("document_prompt_name") or None,
        )

    def __bool__(self) -> bool:
        return any((self.query, self.document, self.name, self.document_name))

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def for_columns(self, columns: Iterable[str]) -> dict[str, str]:
        """Column → prompt for sentence-transformers' ``prompts`` training argument:
        ``anchor``/``query`` get the query prompt, the other text columns the document
        prompt; columns without a prompt are left out (``{}`` when none was used)."""
        out = {}
        for column in columns:
            if column in NON_TEXT_COLUMNS:
                continue
            prompt = self.query if column in QUERY_COLUMNS else self.document
            if prompt:
                out[column] = prompt
        return out
