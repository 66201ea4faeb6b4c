"""Bi-encoder judges: cosine similarity of a query vector and a doc vector.

``OnnxBiEncoder`` runs an ONNX export (CLS or mean pooling, e.g. INT8 bge-small-en) without
torch; a dynamically quantized one encodes each text on its own, as the ONNX cross-encoder
scores each pair on its own. ``STBiEncoder`` wraps a sentence-transformers folder. Each text is
encoded once per ``score`` call, however many pairs it appears in.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from trueneg.errors import ConfigError, ModelError
from trueneg.rescore.batching import batch_slices, length_order
from trueneg.rescore.cache import folder_digest, make_fingerprint
from trueneg.rescore.onnx_cross_encoder import (
    batching_setting,
    default_max_length,
    load_tokenizer,
    make_session,
    quantizes_per_batch,
    run_alone,
    session_feed,
)

logger = logging.getLogger(__name__)

BGE_QUERY_PROMPT = "Represent this sentence for searching relevant passages: "
POOLINGS = ("cls", "mean")


def default_query_prompt(folder: Path) -> str:
    """The bge retrieval instruction for folders named like bge, else no prompt."""
    return BGE_QUERY_PROMPT if "bge" in Path(folder).name.lower() else ""


def cosine_pairs(queries: list[str], docs: list[str], encode: Any) -> np.ndarray:
    """Cosine per pair, encoding each distinct query and doc text once.

    ``encode(texts, is_query)`` must return L2-normalised ``(len(texts), dim)`` vectors.
    """
    uq, q_idx = np.unique(np.asarray(queries, dtype=object), return_inverse=True)
    ud, d_idx = np.unique(np.asarray(docs, dtype=object), return_inverse=True)
    q_vecs = np.asarray(encode(list(uq), True), dtype=np.float32)
    d_vecs = np.asarray(encode(list(ud), False), dtype=np.float32)
    return np.einsum("ij,ij->i", q_vecs[q_idx], d_vecs[d_idx]).astype(np.float32)


def l2_normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


class OnnxBiEncoder:
    """ONNX bi-encoder judge; ``score`` returns the cosine of query and doc embeddings."""

    kind = "onnx-bi-encoder"

    def __init__(
        self,
        folder: str | Path,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        device: str = "auto",
        query_prompt: str | None = None,
        pooling: str = "cls",
    ) -> None:
        if pooling not in POOLINGS:
            raise ConfigError(f"Unknown pooling {pooling!r}", expected=POOLINGS)
        self.folder = Path(folder)
        self.batch_size = batch_size
        self.max_length = max_length or default_max_length(self.folder)
        self.query_prompt = (
            default_query_prompt(self.folder) if query_prompt is None else query_prompt
        )
        self.pooling = pooling
        self.session = make_session(self.folder / "model.onnx", device)
        self.tokenizer = load_tokenizer(self.folder, self.max_length)
        self.output = _embedding_output(self.session, self.folder)
        self.alone = quantizes_per_batch(self.folder / "model.onnx")
        self.fingerprint = make_fingerprint(
            self.kind,
            folder_digest(self.folder),
            max_length=self.max_length,
            query_prompt=self.query_prompt,
            pooling=self.pooling,
            output=self.output,
            **batching_setting(self.alone),
        )

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        """Cosine similarity of each (query, doc) pair, float32."""
        return cosine_pairs(queries, docs, self.encode)

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        """L2-normalised embeddings, the query prompt prepended for queries."""
        if is_query and self.query_prompt:
            texts = [self.query_prompt + t for t in texts]
        out = np.empty((len(texts), 0), dtype=np.float32)
        order = length_order(texts, [""] * len(texts))
        for part in batch_slices(len(texts), self.batch_size):
            idx = order[part]
            vecs = self._embed([texts[i] for i in idx])
            if out.shape[1] == 0:
                out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
            out[idx] = vecs
        return out

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self.alone and len(texts) > 1:
            return run_alone(self._embed_batch, texts)
        return self._embed_batch(texts)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        feed = session_feed(self.session, encodings)
        (hidden,) = self.session.run([self.output], feed)
        if self.output == "sentence_embedding":
            return l2_normalise(hidden)
        if self.pooling == "cls":
            return l2_normalise(hidden[:, 0])
        mask = feed["attention_mask"][..., None].astype(np.float32)
        return l2_normalise((hidden * mask).sum(1) / np.maximum(mask.sum(1), 1.0))


def _embedding_output(session: Any, folder: Path) -> str:
    names = [o.name for o in session.get_outputs()]
    for name in ("sentence_embedding", "last_hidden_state"):
        if name in names:
            return name
    raise ModelError(
        f"{folder / 'model.onnx'} has no embedding output",
        received=names,
        expected=["sentence_embedding", "last_hidden_state"],
    )


class STBiEncoder:
    """sentence-transformers bi-encoder judge; ``score`` returns the cosine similarity."""

    kind = "bi-encoder"

    def __init__(
        self,
        name_or_path: str | Path,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        device: str = "auto",
        query_prompt: str | None = None,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self.query_prompt = query_prompt
        self.model = SentenceTransformer(
            str(name_or_path), device=None if device == "auto" else device
        )
        if max_length is not None:
            self.model.max_seq_length = max_length
        self.fingerprint = make_fingerprint(
            self.kind,
            _model_id(name_or_path),
            max_length=self.model.max_seq_length,
            query_prompt=query_prompt,
            prompts=self.model.prompts,
        )

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        """Cosine similarity of each (query, doc) pair, float32."""
        return cosine_pairs(queries, docs, self.encode)

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        """L2-normalised embeddings; queries get ``query_prompt`` or the model's query prompt."""
        kwargs: dict[str, Any] = {"batch_size": self.batch_size, "normalize_embeddings": True}
        if is_query and self.query_prompt is not None:
            kwargs["prompt"] = self.query_prompt
        fn = self.model.encode_query if is_query else self.model.encode_document
        return np.asarray(fn(texts, convert_to_numpy=True, **kwargs), dtype=np.float32)


def _model_id(name_or_path: str | Path) -> str:
    path = Path(name_or_path)
    return folder_digest(path) if path.is_dir() else f"hub:{name_or_path}"
