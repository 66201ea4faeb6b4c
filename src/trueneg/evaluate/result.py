"""``EvalResult``: one system's scores on one split, saved as JSON for ``--compare``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trueneg.errors import DataError
from trueneg.storage import atomic_write_text

RESULT_VERSION = 1


@dataclass
class EvalResult:
    """Mean scores of one model on one split, and every query's score for significance tests.

    Attributes:
        scores: metric name (``"ndcg@10"``) -> mean over the evaluated queries.
        per_query: metric name -> {query id -> score}.
        name: label of the system in comparisons (defaults to ``model``).
        queries_without_relevant: queries of the split left out: no qrel with relevance > 0.
        first_stage: with a reranker (``model``), the retriever whose top ``top`` it reranked;
            ``first_stage_scores`` are that retriever's own mean scores.
    """

    scores: dict[str, float]
    per_query: dict[str, dict[str, float]]
    model: str = ""
    data: str = ""
    split: str = ""
    name: str = ""
    depth: int = 0
    num_queries: int = 0
    queries_without_relevant: int = 0
    num_docs: int = 0
    device: str = ""
    seconds: float = 0.0
    first_stage: str = ""
    first_stage_scores: dict[str, float] = field(default_factory=dict)
    top: int = 0

    def to_dict(self, per_query: bool = False) -> dict[str, Any]:
        """Scores at the top level (``{"ndcg@10": ..., "model": ...}``); per-query on request."""
        payload = {**self.scores, **asdict(self)}
        del payload["scores"]
        if not per_query:
            del payload["per_query"]
        return payload

    def save(self, path: str | Path) -> Path:
        """Write the result with per-query scores as JSON (what ``trueneg evaluate --compare``
        and :meth:`load` read)."""
        path = Path(path)
        payload = {
            "trueneg_eval": RESULT_VERSION,
            **self.to_dict(per_query=True),
            "scores": self.scores,
        }
        atomic_write_text(path, json.dumps(payload, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> EvalResult:
        """Read a file written by :meth:`save`."""
        path = Path(path)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(
                f"Cannot read the result file {path}: {exc}",
                expected="a JSON file written by `trueneg evaluate --save`",
            ) from None
        if not isinstance(payload, dict) or "per_query" not in payload or "scores" not in payload:
            raise DataError(
                f"{path} is not a saved evaluation result",
                received=sorted(payload) if isinstance(payload, dict) else payload,
                expected="keys scores and per_query (from `trueneg evaluate --save`)",
                fix="Re-run `trueneg evaluate MODEL DATA --save FILE`",
            )
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in payload.items() if k in names})
