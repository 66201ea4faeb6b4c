"""``evaluate``: score a model on one split with exact search and ranx metrics.

The run is not masked: every document of the corpus is a candidate. Qrels with relevance > 0
count as relevant (nDCG uses the graded relevance, trec_eval's linear gain); queries of the
split with no relevant document are left out of the averages and counted.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc

from trueneg.data import Dataset, load_dataset
from trueneg.devices import pick_device
from trueneg.encode import Encoder, SentenceTransformerEncoder, encode_cached
from trueneg.errors import ConfigError, DataError
from trueneg.retrieve import ExactRetriever, SearchInput
from trueneg.storage import atomic_write_text

logger = logging.getLogger(__name__)

DEFAULT_METRICS = ("ndcg@10", "recall@100", "mrr@10")
# Metric names ranx accepts (with an optional @k cutoff); trec_eval conventions throughout.
KNOWN_METRICS = (
    "ndcg",
    "ndcg_burges",
    "recall",
    "mrr",
    "precision",
    "map",
    "hits",
    "hit_rate",
    "f1",
    "r-precision",
    "bpref",
)
RESULT_VERSION = 1


@dataclass
class EvalResult:
    """Mean scores of one model on one split, and every query's score for significance tests.

    Attributes:
        scores: metric name (``"ndcg@10"``) -> mean over the evaluated queries.
        per_query: metric name -> {query id -> score}.
        name: label of the system in comparisons (defaults to ``model``).
        queries_without_relevant: queries of the split left out: no qrel with relevance > 0.
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


def evaluate(
    model: str | Path | Encoder | None,
    data: str | Path | Dataset,
    *,
    split: str = "test",
    metrics: Sequence[str] = DEFAULT_METRICS,
    depth: int = 100,
    batch_size: int = 64,
    device: str = "auto",
    cache_dir: str | Path | None = None,
    query_prompt: str | None = None,
    document_prompt: str | None = None,
    name: str | None = None,
    show_progress: bool = False,
) -> EvalResult:
    """Encode ``data``'s corpus and ``split`` queries with ``model``, search exactly, score.

    Args:
        model: sentence-transformers folder or hub name, None for the bundled MiniLM, or any
            :class:`~trueneg.encode.Encoder` instance.
        data: a BEIR folder (or anything :func:`trueneg.data.load_dataset` reads) or a Dataset.
        metrics: ranx metric names such as ``"ndcg@10"``; ``depth`` must reach every cutoff.
        cache_dir: embedding cache; default ``$TRUENEG_CACHE/embeddings`` or
            ``~/.cache/trueneg/embeddings``. Document vectors are reused across runs.
    """
    start = time.perf_counter()
    metrics = check_metrics(metrics, depth)
    dataset = data if isinstance(data, Dataset) else load_dataset(data, split=split)
    qrels = relevance_judgements(dataset)
    ids = dataset.queries.column("query_id").to_pylist()
    keep = [i for i, query_id in enumerate(ids) if query_id in qrels]
    if not keep:
        raise DataError(
            f"No query of split {split!r} has a relevant document",
            received=f"{len(ids)} queries, none with a qrel of relevance > 0",
            expected="at least one qrel with relevance > 0",
        )
    encoder, resolved = _encoder(model, query_prompt, document_prompt, batch_size, device)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    texts = dataset.query_texts()
    doc_vectors = encode_cached(
        encoder, dataset.doc_texts(), "document", cache, show_progress=show_progress
    )
    query_vectors = encode_cached(
        encoder, [texts[i] for i in keep], "query", cache, show_progress=show_progress
    )
    query_ids = [ids[i] for i in keep]
    doc_ids = dataset.corpus.column("doc_id").to_pylist()
    run = dense_run(query_vectors, doc_vectors, query_ids, doc_ids, depth, resolved, show_progress)
    scores, per_query = score_run(qrels, run, metrics)
    label = _model_label(model)
    source = dataset.report.source if isinstance(data, Dataset) else str(data)
    return EvalResult(
        scores=scores,
        per_query=per_query,
        model=label,
        data=source,
        split=split,
        name=name or label,
        depth=depth,
        num_queries=len(keep),
        queries_without_relevant=len(ids) - len(keep),
        num_docs=dataset.num_docs,
        device=resolved,
        seconds=round(time.perf_counter() - start, 3),
    )


def check_metrics(metrics: Sequence[str] | str, depth: int) -> list[str]:
    """Validate metric names and that ``depth`` reaches every cutoff."""
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metrics:
        raise ConfigError("No metric to compute", expected=f"names like {DEFAULT_METRICS[0]}")
    if depth < 1:
        raise ConfigError("depth must be positive", received=depth, expected=">= 1")
    for metric in metrics:
        base, _, cutoff = metric.partition("@")
        if base not in KNOWN_METRICS or (cutoff and not cutoff.isdigit()) or cutoff == "0":
            names = ", ".join(KNOWN_METRICS)
            raise ConfigError(
                "Unknown metric",
                received=metric,
                expected=f"NAME or NAME@K with NAME one of {names}",
            )
        if cutoff and int(cutoff) > depth:
            raise ConfigError(
                f"{metric} needs at least {cutoff} results per query",
                received=f"depth {depth}",
                expected=f"depth >= {cutoff}",
                fix=f"Pass --depth {cutoff} or more",
            )
    return metrics


def relevance_judgements(dataset: Dataset) -> dict[str, dict[str, int]]:
    """``{query id: {doc id: relevance}}`` for qrels with relevance > 0."""
    positives = dataset.qrels.filter(pc.greater(dataset.qrels["relevance"], 0))
    qrels: dict[str, dict[str, int]] = {}
    columns = (positives.column(c).to_pylist() for c in ("query_id", "doc_id", "relevance"))
    for query_id, doc_id, relevance in zip(*columns, strict=True):
        qrels.setdefault(query_id, {})[doc_id] = int(relevance)
    return qrels


def dense_run(
    query_vectors: np.ndarray,
    doc_vectors: np.ndarray,
    query_ids: list[str],
    doc_ids: list[str],
    depth: int,
    device: str = "cpu",
    show_progress: bool = False,
) -> dict[str, dict[str, float]]:
    """Exact top-``depth`` over all documents: ``{query id: {doc id: score}}``."""

    empty = np.empty(0, dtype=np.int64)
    inputs = SearchInput(
        query_texts=[""] * len(query_ids),
        doc_texts=[""] * len(doc_ids),
        positives=[empty] * len(query_ids),
        query_embeddings=query_vectors,
        doc_embeddings=doc_vectors,
    )
    retriever = ExactRetriever(device="cuda" if device == "cuda" else "cpu")
    found = retriever.search(inputs, min(depth, len(doc_ids)), show_progress=show_progress)
    run: dict[str, dict[str, float]] = {}
    for q, query_id in enumerate(query_ids):
        lo, hi = found.offsets[q], found.offsets[q + 1]
        rows = zip(found.doc_index[lo:hi].tolist(), found.score[lo:hi].tolist(), strict=True)
        run[query_id] = {doc_ids[d]: s for d, s in rows}
    return run


def score_run(
    qrels: dict[str, dict[str, int]],
    run: dict[str, dict[str, float]],
    metrics: Sequence[str],
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean and per-query ranx scores of ``run`` on the queries of ``qrels``.

    Queries of ``qrels`` missing from ``run`` score 0; queries of ``run`` without qrels are
    ignored.
    """
    try:
        import ranx
    except ImportError:
        raise ConfigError(
            "Evaluation needs ranx, which is not installed", fix="pip install 'trueneg[eval]'"
        ) from None

    run = {q: run.get(q) or {} for q in qrels}
    with warnings.catch_warnings():  # numba's uint64 -> int64 cast notice inside ranx
        warnings.simplefilter("ignore")
        ranx_run = ranx.Run(run)
        ranx.evaluate(ranx.Qrels(qrels), ranx_run, list(metrics), make_comparable=True)
    per_query = {m: {q: float(ranx_run.scores[m].get(q, 0.0)) for q in qrels} for m in metrics}
    means = {m: float(np.mean(list(values.values()))) for m, values in per_query.items()}
    return means, per_query


def default_cache_dir() -> Path:
    """``$TRUENEG_CACHE/embeddings`` if set, else ``~/.cache/trueneg/embeddings``."""
    root = os.environ.get("TRUENEG_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "trueneg") / "embeddings"


def _encoder(
    model: Any, query_prompt: str | None, document_prompt: str | None, batch_size: int, device: str
) -> tuple[Encoder, str]:
    """The encoder for ``model`` and the device exact search should use."""
    if not isinstance(model, str | Path | None):
        return model, "cpu"  # an Encoder instance

    encoder = SentenceTransformerEncoder(
        None if model is None else str(model),
        query_prompt=query_prompt,
        document_prompt=document_prompt,
        batch_size=batch_size,
        device=device,
    )
    return encoder, pick_device(device)


def _model_label(model: Any) -> str:
    if model is None:
        return "all-MiniLM-L6-v2 (bundled)"
    if isinstance(model, str | Path):
        return str(model)
    return str(getattr(model, "model_path", None) or type(model).__name__)
