"""Encoder backed by a sentence-transformers model, loaded lazily on first use."""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np

from trueneg.devices import DEVICES, check_choice, pick_device
from trueneg.encode.base import TextKind
from trueneg.encode.models import model_fingerprint, resolve_model
from trueneg.errors import ConfigError, ModelError
from trueneg.hashing import hash_json
from trueneg.progress import transformers_bars

logger = logging.getLogger(__name__)

PRECISIONS = ("float32", "float16", "bfloat16")
Precision = Literal["float32", "float16", "bfloat16"]
REMOTE_CODE_FIX = (
    "This model ships its own code: pass --trust-remote-code (trust_remote_code=True) if you "
    "trust its authors, as that code then runs on this machine"
)


class SentenceTransformerEncoder:
    """Encodes queries and documents with a sentence-transformers model.

    Building the object is cheap: the model loads on the first ``encode`` or ``dim``, and
    ``fingerprint`` only reads the model's files.

    Args:
        model: local folder or hub name; None for the bundled all-MiniLM-L6-v2.
        query_prompt: prepended to queries; None uses the model's own ``query`` prompt if it
            defines one.
        document_prompt: prepended to documents; None uses the model's ``document`` prompt.
        batch_size: texts per forward pass.
        device: ``auto`` (cuda when available), ``cpu`` or ``cuda``.
        max_seq_length: truncate inputs to this many tokens (None keeps the model's).
        precision: weight dtype for the forward pass; outputs are always float32.
        trust_remote_code: let sentence-transformers and transformers run code the model
            ships (custom architectures); off by default, as it runs that code here.
    """

    normalize: bool = True
    backend: str = "sentence-transformers"

    def __init__(
        self,
        model: str | None = None,
        *,
        query_prompt: str | None = None,
        document_prompt: str | None = None,
        batch_size: int = 64,
        device: str = "auto",
        max_seq_length: int | None = None,
        precision: Precision = "float32",
        trust_remote_code: bool = False,
    ) -> None:
        check_choice("device", device, DEVICES)
        check_choice("precision", precision, PRECISIONS)
        if batch_size < 1:
            raise ConfigError(
                "--batch-size (batch_size) must be positive", received=batch_size, expected=">= 1"
            )
        self.model_path = resolve_model(model)
        self.query_prompt = query_prompt
        self.document_prompt = document_prompt
        self.batch_size = batch_size
        self.device = device
        self.max_seq_length = max_seq_length
        self.precision = precision
        self.trust_remote_code = trust_remote_code
        self._model: Any = None
        self._fingerprint: str | None = None

    def __repr__(self) -> str:
        return (
            f"SentenceTransformerEncoder(model={self.model_path!r}, device={self.device!r}, "
            f"query_prompt={self.query_prompt!r}, document_prompt={self.document_prompt!r})"
        )

    @property
    def fingerprint(self) -> str:
        """Hash of the model files, prompts, max length, precision and normalisation."""
        if self._fingerprint is None:
            self._fingerprint = hash_json(
                {
                    "model": model_fingerprint(self.model_path),
                    "query_prompt": self.query_prompt,
                    "document_prompt": self.document_prompt,
                    "max_seq_length": self.max_seq_length,
                    "precision": self.precision,
                    "normalize": self.normalize,
                }
            )
        return self._fingerprint

    @property
    def dim(self) -> int:
        model = self.model
        get_dim = getattr(model, "get_embedding_dimension", None)
        get_dim = get_dim or model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loads it on first access)."""
        if self._model is None:
            device = pick_device(self.device)
            self._model = _load(self.model_path, device, self.precision, self.trust_remote_code)
            if self.max_seq_length is not None:
                self._model.max_seq_length = self.max_seq_length
        return self._model

    def encode(
        self, texts: list[str], kind: TextKind, *, show_progress: bool = False
    ) -> np.ndarray:
        """Return ``(len(texts), dim)`` float32 L2-normalised vectors."""
        if kind not in ("query", "document"):
            raise ConfigError("Unknown text kind", received=kind, expected=["query", "document"])
        model = self.model
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = self.query_prompt if kind == "query" else self.document_prompt
        method = getattr(model, f"encode_{kind}", None) or model.encode
        kwargs: dict[str, Any] = {"prompt": prompt} if prompt is not None else {}
        vectors = method(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
            **kwargs,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _load(name: str, device: str, precision: str, trust_remote_code: bool = False) -> Any:
    from sentence_transformers import SentenceTransformer

    logger.info("loading %s on %s (%s)", name, device, precision)
    try:
        with transformers_bars():
            model = SentenceTransformer(name, device=device, trust_remote_code=trust_remote_code)
    except Exception as exc:
        raise ModelError(
            f"Could not load the model: {type(exc).__name__}: {exc}",
            received=name,
            expected="a local sentence-transformers folder, or a hub name already in the cache",
            fix=REMOTE_CODE_FIX
            if "trust_remote_code" in str(exc) and not trust_remote_code
            else "Downloads are impossible offline: pass a local model folder with --model",
        ) from exc
    if precision != "float32":
        import torch

        model = model.to(getattr(torch, precision))
    return model
