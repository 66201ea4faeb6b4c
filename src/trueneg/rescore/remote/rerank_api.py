"""A judge behind a ``/rerank`` HTTP API: a cross-encoder served by infinity, vLLM, Jina or
Cohere (``api="cohere"``, the schema they share) or by text-embeddings-inference (``api="tei"``).

Pairs are grouped by query text; each request carries one query and at most
``docs_per_request`` of its documents, and up to ``concurrency`` requests are in flight.
Requests go to ``URL/rerank`` (or to ``URL`` itself when its path already ends in ``/rerank``)::

    {"model": "NAME", "query": "...", "documents": ["...", ...], "return_documents": false}
    → {"results": [{"index": 0, "relevance_score": 0.93}, ...], "usage": {...}}

TEI is sent ``{"query", "texts", "raw_scores": false, "truncate": true}`` and answers a bare
list ``[{"index": 0, "score": 0.93}, ...]``; both answer shapes are read either way.

What a score means: the server's relevance score for the pair. A cross-encoder server answers
``sigmoid(logit)``, a probability in [0, 1] (infinity and TEI unless raw scores are asked for;
Cohere's and Jina's relevance scores), the same scale as the local cross-encoder judges.
With ``scores="probabilities"`` (the default) a score outside [0, 1] is an error rather than a
silent change of scale; for a server that answers raw logits pass ``scores="logits"`` and the
judge applies the sigmoid itself.

The API key is read from the environment variable ``key_env`` at each request (sent as
``Authorization: Bearer``); the fingerprint holds the URL without credentials or query, the
model name and the score mode, never the key.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from trueneg.errors import ConfigError, DataError, ModelError
from trueneg.rescore.batching import sigmoid
from trueneg.rescore.cache import make_fingerprint
from trueneg.rescore.remote.base import (
    RemoteCost,
    check_url,
    chunks,
    post_json_value,
    retrying_session,
    run_concurrently,
)

logger = logging.getLogger(__name__)

SCORE_MODES = ("probabilities", "logits")
API_SCHEMAS = ("cohere", "tei")


class RerankApiJudge:
    """Scores (query, doc) pairs with a cross-encoder behind a ``/rerank`` endpoint.

    Args:
        url: the server's base URL (``http://127.0.0.1:7997``) or the full ``.../rerank`` URL.
        model: the model name the server serves (sent as ``model``; checked against the
            ``model`` the server answers with, when it names one).
        key_env: environment variable holding a bearer key; ``None`` for a server without one.
        concurrency: requests in flight at once.
        timeout: seconds to wait for one answer.
        retries: retries of one request on connection errors, 429 and 5xx (with backoff).
        backoff: urllib3's backoff factor, seconds.
        docs_per_request: documents sent with one query in one request.
        scores: ``"probabilities"`` (the server answers [0, 1]) or ``"logits"`` (apply a sigmoid).
        api: ``"cohere"`` (infinity, vLLM, Jina, Cohere) or ``"tei"``.
    """

    kind = "rerank-api"

    def __init__(
        self,
        url: str,
        model: str,
        *,
        key_env: str | None = None,
        concurrency: int = 4,
        timeout: float = 60,
        retries: int = 4,
        backoff: float = 0.5,
        docs_per_request: int = 32,
        scores: str = "probabilities",
        api: str = "cohere",
    ) -> None:
        _check_choice("scores", scores, SCORE_MODES)
        _check_choice("api", api, API_SCHEMAS)
        _check_numbers(concurrency=concurrency, docs_per_request=docs_per_request)
        if retries < 0 or not timeout > 0 or backoff < 0:
            raise ConfigError(
                "retries and backoff must be 0 or more, timeout above 0",
                received=f"retries={retries}, backoff={backoff}, timeout={timeout}",
            )
        if not model:
            raise ConfigError("A rerank-api judge needs the model name the server serves")
        self.url = rerank_endpoint(check_url(url))
        self.model = model
        self.key_env = key_env
        self.concurrency = concurrency
        self.timeout = timeout
        self.docs_per_request = docs_per_request
        self.scores = scores
        self.api = api
        self.preferred_batch_size = concurrency * docs_per_request
        self.cost = RemoteCost()
        self.fingerprint = make_fingerprint(
            self.kind, f"{public_url(self.url)}#{model}", scores=scores
        )
        self._session = retrying_session(retries, backoff, concurrency)

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        """The relevance probability of each (query, doc) pair, float32, input order."""
        if len(queries) != len(docs):
            raise DataError(
                "queries and docs must be aligned pairs",
                received=f"{len(queries)} queries, {len(docs)} docs",
            )
        jobs = query_groups(queries, self.docs_per_request)
        answers = run_concurrently(
            lambda job: self._rerank(job[0], [docs[i] for i in job[1]]), jobs, self.concurrency
        )
        out = np.empty(len(queries), dtype=np.float32)
        for (_, positions), values in zip(jobs, answers, strict=True):
            out[positions] = values
        self.cost.add(pairs=len(queries))
        return sigmoid(out) if self.scores == "logits" else out

    def _rerank(self, query: str, docs: list[str]) -> np.ndarray:
        logger.debug("POST %s: 1 query, %d documents", public_url(self.url), len(docs))
        data = post_json_value(
            self._session,
            self.url,
            self._payload(query, docs),
            timeout=self.timeout,
            key_env=self.key_env,
            cost=self.cost,
        )
        values, tokens, answered_model = read_answer(data, len(docs))
        if answered_model is not None and answered_model != self.model:
            raise ModelError(
                f"The rerank server at {public_url(self.url)} answered with another model",
                received=answered_model,
                expected=self.model,
                fix="Pass the model name the server serves (its /models lists them)",
            )
        if tokens is not None:
            self.cost.add(prompt_tokens=tokens, reported_tokens=True)
        if self.scores == "probabilities" and ((values < 0) | (values > 1)).any():
            raise ModelError(
                "The rerank server answered scores outside [0, 1], so they are not probabilities",
                received=values[(values < 0) | (values > 1)][:5].tolist(),
                expected="relevance probabilities in [0, 1]",
                fix="If the server answers raw logits, pass scores='logits'",
            )
        return values

    def _payload(self, query: str, docs: list[str]) -> dict[str, Any]:
        if self.api == "tei":
            return {"query": query, "texts": docs, "raw_scores": False, "truncate": True}
        return {"model": self.model, "query": query, "documents": docs, "return_documents": False}


def read_answer(data: Any, n_docs: int) -> tuple[np.ndarray, int | None, str | None]:
    """Scores in document order, the tokens the server reported, the model it names.

    Reads ``{"results": [{"index", "relevance_score"}], "usage", "model"}`` and TEI's bare
    ``[{"index", "score"}]``; every document must have exactly one finite score.
    """
    if isinstance(data, list):
        results, usage, model = data, None, None
    elif isinstance(data, dict) and isinstance(data.get("results"), list):
        results, usage, model = data["results"], data.get("usage"), data.get("model")
    else:
        raise ModelError(
            "The rerank server's answer has no list of results",
            received=str(data)[:200],
            expected='{"results": [{"index": i, "relevance_score": s}, ...]} or '
            '[{"index": i, "score": s}, ...]',
        )
    pairs = [_index_and_score(item) for item in results]
    indices = [index for index, _ in pairs]
    whole = all(isinstance(i, int) and not isinstance(i, bool) for i in indices)
    if not (whole and sorted(indices) == list(range(n_docs))):
        raise ModelError(
            "The rerank server did not score every document exactly once",
            received=f"{len(results)} results with indices {indices[:20]}",
            expected=f"{n_docs} results, one for each index 0..{n_docs - 1}",
        )
    values = np.empty(n_docs, dtype=np.float64)
    values[indices] = [score for _, score in pairs]
    if not np.isfinite(values).all():
        raise ModelError(
            "The rerank server answered non-finite scores",
            received=values[~np.isfinite(values)][:5].tolist(),
            expected="finite numbers",
        )
    return values.astype(np.float32), _tokens(usage), model if isinstance(model, str) else None


def _index_and_score(item: Any) -> tuple[Any, float]:
    score = item.get("relevance_score", item.get("score")) if isinstance(item, dict) else None
    if not isinstance(score, int | float) or isinstance(score, bool):
        raise ModelError(
            "A rerank result has no numeric score",
            received=str(item)[:200],
            expected='{"index": i, "relevance_score": s} or {"index": i, "score": s}',
        )
    return item.get("index"), float(score)


def _tokens(usage: Any) -> int | None:
    if not isinstance(usage, dict):
        return None
    for key in ("prompt_tokens", "total_tokens"):
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def query_groups(queries: Sequence[str], size: int) -> list[tuple[str, list[int]]]:
    """(query text, positions of its pairs), at most ``size`` positions each, first-seen order."""
    by_query: dict[str, list[int]] = {}
    for position, query in enumerate(queries):
        by_query.setdefault(query, []).append(position)
    return [(q, list(part)) for q, where in by_query.items() for part in chunks(where, size)]


def rerank_endpoint(url: str) -> str:
    """``url`` if its path ends in ``/rerank``, else ``url`` + ``/rerank``."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("/rerank"):
        path += "/rerank"
    return urlunsplit(parts._replace(path=path))


def public_url(url: str) -> str:
    """``url`` without user, password, query or fragment: safe for logs and fingerprints."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"Unknown {name} {value!r} for a rerank-api judge", expected=choices)


def _check_numbers(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a whole number of at least 1", received=value)
