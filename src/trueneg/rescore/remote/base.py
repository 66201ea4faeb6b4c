"""What every judge behind HTTP shares: one session with retries, bounded concurrency, costs.

Retries are urllib3's (``Retry``: exponential backoff with jitter on connection errors, 429 and
5xx, honouring ``Retry-After``), mounted on a ``requests`` session; no hand-written retry loop.
The API key is read from an environment variable when a request is made and never stored in a
fingerprint, a manifest or a log line.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from trueneg.errors import ConfigError, ModelError

T = TypeVar("T")
R = TypeVar("R")

RETRY_STATUSES = (408, 409, 425, 429, 500, 502, 503, 504)


@dataclass
class RemoteCost:
    """What a remote judge has spent so far (summed over every call of ``score``).

    Attributes:
        requests: HTTP requests answered (retries by urllib3 are inside one request).
        prompt_tokens: tokens the server reported reading (0 when it reports none).
        completion_tokens: tokens the server reported writing.
        seconds: wall time spent waiting for answers.
        pairs: pairs scored.
        unparseable: answers that could not be read as a verdict (chat judges), after one retry.
        reported_tokens: whether the server reported token counts at all.
    """

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    pairs: int = 0
    unparseable: int = 0
    reported_tokens: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **amounts: float | int | bool) -> None:
        with self._lock:
            for name, value in amounts.items():
                if name == "reported_tokens":
                    self.reported_tokens = self.reported_tokens or bool(value)
                else:
                    setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        # not asdict(): it deep-copies every field, and a lock cannot be copied
        with self._lock:
            out = {f.name: getattr(self, f.name) for f in fields(self) if f.name[0] != "_"}
        out["seconds"] = round(float(out["seconds"]), 3)
        return out


def retrying_session(retries: int, backoff: float, pool: int) -> requests.Session:
    """A ``requests`` session whose adapter retries POSTs on connection errors, 429 and 5xx."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        backoff_jitter=backoff / 2,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # POST too: a judge request has no side effects
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def api_key(env_var: str | None) -> str | None:
    """The key in ``env_var``; an error naming the variable when it is set but empty."""
    if not env_var:
        return None
    value = os.environ.get(env_var)
    if value is None or not value.strip():
        raise ConfigError(
            f"The judge's API key variable {env_var} is not set",
            fix=f"export {env_var}=... (the key is read from the environment, never from "
            "options), or leave key_env out for a server without a key",
        )
    return value.strip()


def check_url(url: str) -> str:
    """``url`` without a trailing slash; an error when it is not http(s)."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"A remote judge needs an http:// or https:// URL, got {url!r}",
            expected="e.g. http://127.0.0.1:8000",
        )
    return url.rstrip("/")


def post_json(
    session: requests.Session,
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    key_env: str | None,
    cost: RemoteCost,
) -> dict[str, Any]:
    """POST ``payload`` and return the JSON object answered; failures become ModelError."""
    data = post_json_value(session, url, payload, timeout=timeout, key_env=key_env, cost=cost)
    if not isinstance(data, dict):
        raise ModelError(f"The judge server at {url} answered JSON that is not an object")
    return data


def post_json_value(
    session: requests.Session,
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    key_env: str | None,
    cost: RemoteCost,
) -> Any:
    """POST ``payload`` and return the JSON answer, whatever its type (TEI's ``/rerank``
    answers a list); HTTP and network failures become ModelError."""
    headers = {"Content-Type": "application/json"}
    key = api_key(key_env)
    if key:
        headers["Authorization"] = f"Bearer {key}"
    start = time.perf_counter()
    try:
        response = session.post(url, json=payload, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise ModelError(
            f"The judge server at {url} did not answer ({type(exc).__name__})",
            received=_first_line(str(exc)),
            fix="Check that the server is running and reachable; retries were exhausted",
        ) from exc
    finally:
        cost.add(seconds=time.perf_counter() - start)
    cost.add(requests=1)
    if response.status_code >= 400:
        raise ModelError(
            f"The judge server at {url} answered HTTP {response.status_code}",
            received=_first_line(response.text)[:300],
            fix="Check the model name, the URL path and the API key variable",
        )
    try:
        data = response.json()
    except ValueError as exc:
        raise ModelError(
            f"The judge server at {url} answered something that is not JSON",
            received=_first_line(response.text)[:300],
        ) from exc
    return data


def run_concurrently(fn: Callable[[T], R], items: Sequence[T], concurrency: int) -> list[R]:
    """``[fn(x) for x in items]`` with at most ``concurrency`` calls in flight, order kept."""
    if concurrency <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return list(pool.map(fn, items))


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "(empty)"
