"""An LLM judge over any OpenAI-compatible ``/chat/completions`` API (llama.cpp's llama-server,
vLLM, Ollama, OpenAI, ...): one short chat request per (query, document) pair.

The default prompt (:data:`DEFAULT_SYSTEM`, :data:`DEFAULT_USER`) asks for one word, ``yes``
when the document answers or is relevant to the query, ``no`` otherwise. A prompt file
replaces it: a ``.toml`` file with ``user`` (required), ``system`` and ``grades`` keys, or any
other text file, read whole as the user message. ``{query}`` and ``{document}`` in the user
message are replaced by the texts (other braces are left alone); documents longer than
``max_doc_chars`` characters are cut to that length first. ``grades = G`` asks for an integer
grade 0..G (a prompt file):

    system = "You rate search results."
    user = '''Query: {query}
    Document: {document}
    Rate the document from 0 (unrelated) to 3 (answers the query). Answer with one digit.'''
    grades = 3

How an answer becomes a score in [0, 1]:

1. Its first word (lower-cased, punctuation stripped) must be a verdict: ``yes`` or ``no``,
   or a grade ``0``..``G``. Anything else is unparseable, logprobs or not.
2. With logprobs (``scoring="auto"`` when the server returns them, or ``"logprobs"``): each
   verdict among the top tokens at the first non-blank answer token (case, spaces and
   punctuation ignored) weighs its probability: ``p(yes) / (p(yes) + p(no))``, or the
   expected grade ``sum(g * p(g)) / (G * sum(p(g)))``.
3. Without (``scoring="text"``, a server without logprobs, or no verdict among the top
   tokens): ``yes`` → 1.0, ``no`` → 0.0, a grade ``g`` → g/G.
4. Unparseable: the same request is sent once more. If the answer is still no verdict, the
   pair scores **1.0**, which keeps it out of the negatives: a broken judge removes negatives,
   it never lets a false negative through. Such pairs are counted in ``cost.unparseable``
   and logged with an example; when more than ``max_unparseable`` of the pairs scored so far
   (from 10 pairs on) are unparseable, ``score`` raises :class:`ModelError`.
"""

from __future__ import annotations

import logging
import math
import re
import string
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from trueneg.errors import ConfigError, ModelError
from trueneg.rescore.cache import make_fingerprint
from trueneg.rescore.remote.base import (
    RemoteCost,
    api_key,
    check_url,
    post_json,
    retrying_session,
    run_concurrently,
)

logger = logging.getLogger(__name__)

DEFAULT_SYSTEM = (
    "You are a search relevance judge. You read a search query and a document, and you answer "
    "with exactly one word: yes if the document answers the query or is relevant to it, no "
    "otherwise."
)
DEFAULT_USER = (
    "Query: {query}\n\nDocument: {document}\n\n"
    "Is the document relevant to the query? Answer with one word, yes or no."
)
SCORING_MODES = ("auto", "logprobs", "text")
UNPARSEABLE_SCORE = 1.0
MIN_PAIRS_FOR_GUARD = 10
TOP_LOGPROBS = 10
MAX_TOKENS = 3  # "Yes." and " no," fit; the first word decides
_PUNCTUATION = string.punctuation + "“”‘’«»"
_PLACEHOLDER = re.compile(r"\{(query|document)\}")


@dataclass(frozen=True)
class ChatPrompt:
    """A user message template (with ``{query}`` and ``{document}``), an optional system
    message, and the answer scale: yes/no (``grades=None``) or integers 0..grades."""

    user: str
    system: str | None = None
    grades: int | None = None

    def messages(self, query: str, document: str) -> list[dict[str, str]]:
        texts = {"query": query, "document": document}  # one pass: texts are never re-read
        user = _PLACEHOLDER.sub(lambda m: texts[m[1]], self.user)
        head = [{"role": "system", "content": self.system}] if self.system else []
        return [*head, {"role": "user", "content": user}]

    def verdicts(self) -> dict[str, float]:
        """Answer word → score."""
        if self.grades is None:
            return {"yes": 1.0, "no": 0.0}
        return {str(g): g / self.grades for g in range(self.grades + 1)}

    @classmethod
    def from_file(cls, path: Path) -> ChatPrompt:
        """Read a prompt file (``.toml`` with user/system/grades, else plain text) and check it."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"Cannot read the prompt file {path}", received=str(exc)) from exc
        if Path(path).suffix != ".toml":
            return _checked(path, cls(user=text))
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The prompt file {path} is not valid TOML", received=exc) from exc
        unknown = sorted(set(data) - {"user", "system", "grades"})
        user, system, grades = data.get("user"), data.get("system"), data.get("grades")
        if unknown or not isinstance(user, str) or not isinstance(system, str | None):
            raise ConfigError(
                f"The prompt file {path} needs a user string (system and grades are optional)",
                received=sorted(data),
                expected="keys user (text), system (text), grades (integer)",
            )
        if grades is not None and (not isinstance(grades, int) or not 1 <= grades <= 9):
            raise ConfigError(
                f"grades in {path} must be an integer from 1 to 9 (the top grade)",
                received=grades,
            )
        return _checked(path, cls(user=user, system=system, grades=grades))


DEFAULT_PROMPT = ChatPrompt(user=DEFAULT_USER, system=DEFAULT_SYSTEM)


def _checked(path: Path, prompt: ChatPrompt) -> ChatPrompt:
    missing = [p for p in ("{query}", "{document}") if p not in prompt.user]
    if missing:
        raise ConfigError(
            f"The prompt file {path} has no {' or '.join(missing)} placeholder in its user message",
            expected="a template with both {query} and {document}",
        )
    return prompt


def parse_answer(text: str, verdicts: dict[str, float]) -> float | None:
    """The score of an answer's first word, or None when it is not a verdict."""
    words = text.strip().split()
    return verdicts.get(words[0].strip(_PUNCTUATION).lower()) if words else None


def logprob_score(top: Sequence[dict[str, Any]], verdicts: dict[str, float]) -> float | None:
    """Probability-weighted verdict over one position's top tokens; None when none is one."""
    weights: dict[str, float] = {}
    for entry in top:
        word = str(entry.get("token", "")).strip().strip(_PUNCTUATION).lower()
        logprob = entry.get("logprob")
        if word in verdicts and isinstance(logprob, int | float):
            weights[word] = weights.get(word, 0.0) + math.exp(logprob)
    total = sum(weights.values())
    if total <= 0:
        return None
    return sum(verdicts[w] * p for w, p in weights.items()) / total


class _Answer(NamedTuple):
    score: float | None  # None: unparseable, even after the retry
    text: str
    from_logprobs: bool


class ChatJudge:
    """Scores pairs with an instruction-tuned LLM behind an OpenAI-compatible chat API.

    Args:
        url: base URL, e.g. ``http://127.0.0.1:8080/v1``; requests go to ``{url}/chat/completions``.
        model: the model name the server expects.
        key_env: environment variable holding the API key (sent as a Bearer token); the key
            itself is never stored, fingerprinted or logged.
        prompt_file: replaces the default prompt (see the module docstring).
        concurrency: requests in flight at once.
        timeout: seconds to wait for one answer.
        retries: retries of a request on connection errors, 429 and 5xx (exponential backoff).
        backoff: backoff factor of those retries, in seconds.
        max_doc_chars: documents are cut to this many characters (None: never cut).
        temperature: sampling temperature (0: the model's most likely answer).
        scoring: "auto" (logprobs when the server returns them, else the text), "logprobs"
            (an error without them) or "text" (never asks for logprobs).
        max_unparseable: the share of unparseable pairs (from 10 pairs on) that stops scoring.
    """

    kind = "chat"

    def __init__(
        self,
        url: str,
        model: str,
        *,
        key_env: str | None = None,
        prompt_file: Path | None = None,
        concurrency: int = 4,
        timeout: float = 120,
        retries: int = 4,
        backoff: float = 0.5,
        max_doc_chars: int | None = 4000,
        temperature: float = 0.0,
        scoring: str = "auto",
        max_unparseable: float = 0.2,
    ) -> None:
        _check_options(
            model,
            scoring,
            max_unparseable,
            concurrency=(concurrency, 1),
            timeout=(timeout, 1e-3),
            retries=(retries, 0),
            max_doc_chars=(1 if max_doc_chars is None else max_doc_chars, 1),
            temperature=(temperature, 0),
        )
        base = check_url(url)
        self.endpoint = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        self.key_env = key_env
        api_key(key_env)  # fail now, not at the first batch, when the variable is unset
        self.prompt = ChatPrompt.from_file(prompt_file) if prompt_file else DEFAULT_PROMPT
        self.prompt_file = prompt_file
        self.concurrency, self.timeout = concurrency, timeout
        self.max_doc_chars, self.temperature, self.scoring = max_doc_chars, temperature, scoring
        self.max_unparseable = max_unparseable
        self.preferred_batch_size = concurrency * 8
        self.cost = RemoteCost()
        self.by_logprobs = 0  # pairs whose score came from logprobs (the rest: from the text)
        self.unparseable_answers: list[str] = []  # a few examples, for the summary
        self._session = retrying_session(retries, backoff, pool=concurrency)
        self.fingerprint = make_fingerprint(
            "chat",
            model_id=f"{self.endpoint} {model}",
            prompt=[self.prompt.system, self.prompt.user],
            grades=self.prompt.grades,
            temperature=temperature,
            max_doc_chars=max_doc_chars,
            scoring=scoring,
        )

    def __repr__(self) -> str:
        return f"ChatJudge(model={self.model!r}, endpoint={self.endpoint!r})"

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        """float32 in [0, 1], one per pair (unparseable pairs: 1.0, counted in ``cost``)."""
        pairs = list(zip(queries, docs, strict=True))
        answers = run_concurrently(self._ask, pairs, self.concurrency)
        failed = [a.text for a in answers if a.score is None]
        self.by_logprobs += sum(a.from_logprobs and a.score is not None for a in answers)
        self.cost.add(pairs=len(answers), unparseable=len(failed))
        if failed:
            self.unparseable_answers = (self.unparseable_answers + failed)[:5]
            logger.warning(
                "%d of %d chat answers were not a verdict, even after a retry (e.g. %r); "
                "they score %.1f (kept out of the negatives)",
                len(failed),
                len(answers),
                failed[0][:80],
                UNPARSEABLE_SCORE,
            )
        self._guard()
        return np.array([UNPARSEABLE_SCORE if a.score is None else a.score for a in answers], "f4")

    def _ask(self, pair: tuple[str, str]) -> _Answer:
        query, doc = pair
        if self.max_doc_chars is not None:
            doc = doc[: self.max_doc_chars]
        payload = self._payload(self.prompt.messages(query, doc))
        for _ in range(2):  # an unparseable answer is asked once more
            data = post_json(
                self._session,
                self.endpoint,
                payload,
                timeout=self.timeout,
                key_env=self.key_env,
                cost=self.cost,
            )
            self._count_tokens(data)
            answer = self._read(data)
            if answer.score is not None:
                break
        return answer

    def _payload(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": MAX_TOKENS,
        }
        if self.scoring != "text":
            payload.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
        return payload

    def _read(self, data: dict[str, Any]) -> _Answer:
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ModelError(
                f"The chat server at {self.endpoint} answered without choices",
                received=str(data)[:300],
                expected='{"choices": [{"message": {"content": ...}}]}',
            )
        answer = str((choices[0].get("message") or {}).get("content") or "")
        verdicts = self.prompt.verdicts()
        tokens = (choices[0].get("logprobs") or {}).get("content") or []
        if self.scoring == "logprobs" and not tokens:
            raise ModelError(
                f"The chat server at {self.endpoint} returned no logprobs",
                fix="Pass scoring='text' (or 'auto') for a server without logprobs",
            )
        text_score = parse_answer(answer, verdicts)
        first = next((t for t in tokens if str(t.get("token", "")).strip()), None)
        if text_score is None or first is None or self.scoring == "text":
            return _Answer(text_score, answer, False)
        score = logprob_score(first.get("top_logprobs") or [], verdicts)
        return _Answer(text_score, answer, False) if score is None else _Answer(score, answer, True)

    def _count_tokens(self, data: dict[str, Any]) -> None:
        usage = data.get("usage")
        if isinstance(usage, dict):
            self.cost.add(
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                reported_tokens=True,
            )

    def _guard(self) -> None:
        pairs, bad = self.cost.pairs, self.cost.unparseable
        if pairs >= MIN_PAIRS_FOR_GUARD and bad > self.max_unparseable * pairs:
            raise ModelError(
                f"{bad} of {pairs} chat answers could not be read as a verdict; the model "
                f"{self.model!r} does not follow the prompt",
                received=self.unparseable_answers,
                expected=sorted(self.prompt.verdicts()),
                fix="Use a prompt that asks for exactly one of these words, or a stronger model",
            )


def _check_options(
    model: str, scoring: str, max_unparseable: float, **at_least: tuple[float, float]
) -> None:
    if not model:
        raise ConfigError("A chat judge needs a model name", fix="Pass the name the server serves")
    if scoring not in SCORING_MODES:
        raise ConfigError(f"Unknown scoring mode {scoring!r}", expected=SCORING_MODES)
    for name, (value, low) in at_least.items():
        if value < low:
            raise ConfigError(f"{name} must be at least {low}", received=value)
    if not 0 <= max_unparseable <= 1:
        raise ConfigError("max_unparseable is a share, from 0 to 1", received=max_unparseable)
