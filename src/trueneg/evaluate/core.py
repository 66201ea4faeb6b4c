"""``evaluate``: score a model on one split with exact search and ranx metrics, or a reranker
over a first-stage retriever's top documents.

The run is not masked: every document of the corpus is a candidate. Qrels with relevance > 0
count as relevant (nDCG uses the graded relevance, trec_eval's linear gain); queries of the
split with no relevant document are left out of the averages and counted.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc

from trueneg.data import Dataset, load_dataset
from trueneg.data.spool import TextsById
from trueneg.data.tables import DocumentIds, ids_at
from trueneg.devices import pick_device
from trueneg.encode import Encoder, SentenceTransformerEncoder, encode_cached
from trueneg.encode.user_cache import user_cache_dir
from trueneg.errors import ConfigError, DataError
from trueneg.evaluate.rerank import Reranker, check_top, load_reranker, rerank_run
from trueneg.evaluate.result import EvalResult
from trueneg.retrieve import ExactRetriever, SearchInput

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


def evaluate(
    model: str | Path | Encoder | Reranker | None,
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
    rerank: bool = False,
    first_stage: str | Path | Encoder | None = None,
    top: int = 100,
    show_progress: bool = False,
) -> EvalResult:
    """Encode ``data``'s corpus and ``split`` queries with ``model``, search exactly, score.

    With ``rerank``, ``model`` is a cross-encoder (a folder or hub name, or any object with
    ``predict``) that reranks the top ``top`` documents of ``first_stage`` (a bi-encoder as
    ``model`` otherwise is; None for the bundled MiniLM); the result holds the reranked list's
    scores and, in ``first_stage_scores``, the first stage's own.

    Args:
        model: sentence-transformers folder or hub name, None for the bundled MiniLM, or any
            :class:`~trueneg.encode.Encoder` instance.
        data: a BEIR folder (or anything :func:`trueneg.data.load_dataset` reads) or a Dataset.
        metrics: ranx metric names such as ``"ndcg@10"``; ``depth`` must reach every cutoff.
        cache_dir: embedding cache; default the per-user cache that ``trueneg mine`` shares
            (``$TRUENEG_CACHE``, else ``$XDG_CACHE_HOME/trueneg``, else ``~/.cache/trueneg``).
            Document vectors are reused across runs.
        query_prompt: prepended to the queries by the (first-stage) bi-encoder.
        document_prompt: prepended to the documents by the (first-stage) bi-encoder.
        rerank: ``model`` is a cross-encoder reranking ``first_stage``'s results.
        first_stage: with ``rerank``, the bi-encoder that searches (None: the bundled MiniLM).
        top: with ``rerank``, the documents reranked per query.
    """
    start = time.perf_counter()
    metrics = check_metrics(metrics, depth)
    retriever = _retriever(model, rerank, first_stage, top)
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
    encoder, resolved = _encoder(retriever, query_prompt, document_prompt, batch_size, device)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    texts = dataset.query_texts()
    doc_texts = dataset.doc_text_view()
    doc_vectors = encode_cached(encoder, doc_texts, "document", cache, show_progress=show_progress)
    query_vectors = encode_cached(
        encoder, [texts[i] for i in keep], "query", cache, show_progress=show_progress
    )
    query_ids = [ids[i] for i in keep]
    doc_ids = DocumentIds(dataset.corpus)
    search_depth = max(depth, top) if rerank else depth
    run = dense_run(
        query_vectors, doc_vectors, query_ids, doc_ids, search_depth, resolved, show_progress
    )
    first: dict[str, float] = {}
    if rerank:
        first, _ = score_run(qrels, run, metrics)
        run = rerank_run(
            load_reranker(model, resolved),  # type: ignore[arg-type]
            run,
            {ids[i]: texts[i] for i in keep},
            TextsById(dataset.corpus).load(d for found in run.values() for d in found),
            top=top,
            batch_size=batch_size,
            show_progress=show_progress,
        )
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
        depth=search_depth,
        num_queries=len(keep),
        queries_without_relevant=len(ids) - len(keep),
        num_docs=dataset.num_docs,
        device=resolved,
        seconds=round(time.perf_counter() - start, 3),
        first_stage=_model_label(retriever) if rerank else "",
        first_stage_scores=first,
        top=top if rerank else 0,
    )


def _retriever(model: Any, rerank: bool, first_stage: Any, top: int) -> Any:
    """The model that searches the corpus: ``first_stage`` when reranking, else ``model``."""
    if not rerank:
        if first_stage is not None:
            raise ConfigError(
                "A first stage is for reranking",
                received=str(first_stage),
                fix="Add --rerank (MODEL is then the reranker), or drop --first-stage",
            )
        return model
    check_top(top)
    if model is None:
        raise ConfigError(
            "Reranking needs a reranker as MODEL",
            received="default (the bundled bi-encoder)",
            expected="a cross-encoder folder, e.g. from trueneg train --model-type cross-encoder",
        )
    return first_stage


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
    doc_ids: Sequence[str],
    depth: int,
    device: str = "cpu",
    show_progress: bool = False,
) -> dict[str, dict[str, float]]:
    """Exact top-``depth`` over all documents: ``{query id: {doc id: score}}``."""

    empty = np.empty(0, dtype=np.int64)
    inputs = SearchInput(
        query_texts=[""] * len(query_ids),
        doc_texts=NoTexts(len(doc_ids)),
        positives=[empty] * len(query_ids),
        query_embeddings=query_vectors,
        doc_embeddings=doc_vectors,
    )
    retriever = ExactRetriever(device="cuda" if device == "cuda" else "cpu")
    found = retriever.search(inputs, min(depth, len(doc_ids)), show_progress=show_progress)
    names = ids_at(doc_ids, found.doc_index).to_pylist()
    run: dict[str, dict[str, float]] = {}
    for q, query_id in enumerate(query_ids):
        lo, hi = found.offsets[q], found.offsets[q + 1]
        run[query_id] = dict(zip(names[lo:hi], found.score[lo:hi].tolist(), strict=True))
    return run


class NoTexts(Sequence[str]):
    """``n`` empty texts (a search on embeddings alone), without a list of ``n`` items."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> Any:
        picked = range(self.n)[index]  # IndexError past the end, as a list
        return [""] * len(picked) if isinstance(picked, range) else ""


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
    """The per-user cache folder (:func:`~trueneg.encode.user_cache.user_cache_dir`) that
    ``trueneg mine`` fills too, so a model mined with is evaluated without encoding the corpus
    again."""
    return user_cache_dir()


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
