"""Judge specs: the one string that names a judge wherever ``--judge`` is accepted.

* a model folder or Hub name: ``.models/ms-marco-MiniLM-L-12-v2``
* a rerank API: ``rerank-api:http://127.0.0.1:7997?model=NAME``
* an OpenAI-compatible chat model: ``chat:http://127.0.0.1:8080/v1?model=NAME&key_env=VAR``
* a cascade, cheapest first: ``A > B`` (B sees only the pairs A is unsure about; see
  :mod:`trueneg.rescore.cascade`)

Settings of a remote judge follow the URL as query parameters; unknown ones are refused, so a
typo never passes silently. The API key is never part of a spec: ``key_env`` names the
environment variable that holds it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from trueneg.errors import ConfigError

REMOTE_KINDS = ("rerank-api", "chat")
CASCADE_SEP = ">"

_COMMON = {
    "model": str,
    "key_env": str,
    "concurrency": int,
    "timeout": float,
    "retries": int,
    "backoff": float,
}
SETTINGS: dict[str, dict[str, type]] = {
    "rerank-api": {**_COMMON, "docs_per_request": int, "scores": str, "api": str},
    "chat": {
        **_COMMON,
        "prompt": str,
        "max_doc_chars": int,
        "scoring": str,
        "temperature": float,
        "max_unparseable": float,
    },
}
# spec names that differ from the judge class's keyword names
_KWARG = {"prompt": "prompt_file"}


@dataclass(frozen=True)
class RemoteSpec:
    """A parsed remote judge spec: its kind, its URL and the judge's keyword arguments."""

    kind: str
    url: str
    settings: dict[str, Any]

    def kwargs(self) -> dict[str, Any]:
        return {"url": self.url, **{_KWARG.get(k, k): v for k, v in self.settings.items()}}


def is_cascade(spec: str) -> bool:
    return CASCADE_SEP in spec and not _remote_kind(spec.strip())


def split_cascade(spec: str) -> list[str]:
    """The judges of ``A > B > C`` in order; an error on an empty part."""
    parts = [p.strip() for p in spec.split(CASCADE_SEP)]
    if len(parts) < 2 or not all(parts):
        raise ConfigError(
            "A judge cascade names two or more judges separated by '>'",
            received=spec,
            expected="e.g. '.models/ms-marco-MiniLM-L-12-v2 > chat:http://127.0.0.1:8080/v1"
            "?model=NAME'",
        )
    return parts


def judge_parts(spec: str) -> list[str]:
    """The judges a spec names: each stage of a cascade, else the spec itself."""
    return split_cascade(spec) if is_cascade(spec) else [spec]


def is_remote(spec: str) -> bool:
    return _remote_kind(spec.strip()) is not None


def parse_remote(spec: str) -> RemoteSpec:
    """``KIND:URL?key=value&...`` → :class:`RemoteSpec`, every setting checked and typed."""
    spec = spec.strip()
    kind = _remote_kind(spec)
    if kind is None:
        raise ConfigError(
            "Not a remote judge spec", received=spec, expected=[f"{k}:URL" for k in REMOTE_KINDS]
        )
    parts = urlsplit(spec[len(kind) + 1 :])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"A {kind} judge needs an http:// or https:// URL after '{kind}:'",
            received=spec,
            expected=f"{kind}:http://HOST:PORT{'/v1' if kind == 'chat' else ''}?model=NAME",
        )
    if parts.username or parts.password:
        raise ConfigError(
            "A judge URL must not carry credentials (they would be written to the manifest)",
            received=f"{parts.scheme}://***@{parts.hostname}",
            fix="Put the key in an environment variable and add key_env=VARIABLE to the spec",
        )
    settings = _settings(kind, parts.query, spec)
    if "model" not in settings:
        raise ConfigError(
            f"A {kind} judge needs the model name the server serves",
            received=spec,
            fix=f"Add ?model=NAME, e.g. {kind}:{urlunsplit(parts._replace(query=''))}?model=NAME",
        )
    url = urlunsplit(parts._replace(query="", fragment="")).rstrip("/")
    return RemoteSpec(kind, url, settings)


def _remote_kind(spec: str) -> str | None:
    for kind in REMOTE_KINDS:
        if spec.startswith(f"{kind}:"):
            return kind
    return None


def _settings(kind: str, query: str, spec: str) -> dict[str, Any]:
    known = SETTINGS[kind]
    out: dict[str, Any] = {}
    for name, raw in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if name not in known:
            raise ConfigError(
                f"Unknown setting {name!r} for a {kind} judge",
                received=spec,
                expected=sorted(known),
            )
        if name in out:
            raise ConfigError(f"Setting {name!r} given twice", received=spec)
        out[name] = _typed(name, raw, known[name], spec)
    return out


def _typed(name: str, raw: str, kind: type, spec: str) -> Any:
    if kind is str:
        if not raw:
            raise ConfigError(f"Setting {name!r} is empty", received=spec)
        return raw
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(
            f"Setting {name!r} must be a number", received=raw, expected=kind.__name__
        ) from None
    zero_ok = name in ("retries", "backoff", "temperature", "max_unparseable")
    floor_ok = value >= 0 if zero_ok else value > 0
    if not (floor_ok and math.isfinite(value)):
        least = "0 or more" if zero_ok else "a finite number above 0"
        raise ConfigError(f"Setting {name!r} must be {least}", received=raw)
    return value


def check_judge_spec(spec: str, cascade: str) -> None:
    """Refuse a malformed remote spec, cascade or cascade rule before anything runs."""
    from trueneg.rescore.cascade import parse_rule

    for part in judge_parts(spec):
        if is_remote(part):
            parse_remote(part)
    parse_rule(cascade)
