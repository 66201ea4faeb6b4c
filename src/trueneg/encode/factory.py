"""Encoder names → encoders: what ``--encoder`` accepts and what ``auto`` picks."""

from __future__ import annotations

from pathlib import Path

from trueneg.devices import pick_device
from trueneg.encode.base import Encoder
from trueneg.encode.fast import FastEncoder
from trueneg.encode.models import resolve_model
from trueneg.encode.onnx import OnnxEncoder
from trueneg.encode.spec import named_prompt
from trueneg.encode.st import SentenceTransformerEncoder
from trueneg.errors import ConfigError

ENCODERS = ("auto", "sentence-transformers", "fast", "onnx", "onnx-int8")
ENCODER_HELP = {
    "auto": "fast on CUDA, sentence-transformers on CPU",
    "sentence-transformers": "SentenceTransformer.encode (the reference)",
    "fast": "transformers model with length bucketing, token-budget batches, tokenizer "
    "workers; bfloat16 on CUDA, float32 on CPU",
    "onnx": "ONNX Runtime, float32 export (CPU)",
    "onnx-int8": "ONNX Runtime, INT8-quantized export (CPU; close to the reference, not equal)",
}


def pick_encoder(name: str, device: str) -> str:
    """The encoder ``name`` stands for on ``device`` (``auto`` → a concrete name).

    ``auto`` is ``fast`` on CUDA. On CPU it stays ``sentence-transformers``: there the fast
    encoder measured about as fast (``docs/benchmarks/speed.md``, encoders), and the reference
    keeps existing embedding caches valid.
    """
    if name not in ENCODERS:
        raise ConfigError("Unknown encoder", received=name, expected=ENCODERS)
    if name != "auto":
        return name
    return "fast" if _resolve_device(device) == "cuda" else "sentence-transformers"


def make_encoder(
    name: str = "auto",
    *,
    model: str | None = None,
    query_prompt: str | None = None,
    document_prompt: str | None = None,
    prompt_name: str | None = None,
    document_prompt_name: str | None = None,
    batch_size: int = 64,
    device: str = "auto",
    max_seq_length: int | None = None,
    trust_remote_code: bool = False,
    cache_dir: str | Path | None = None,
) -> Encoder:
    """Build the encoder called ``name`` (one of :data:`ENCODERS`).

    Args:
        prompt_name: a prompt the model saved, by name, for queries (instead of
            ``query_prompt`` text); the encoder gets its text, so its fingerprint does not
            depend on how the prompt was given.
        document_prompt_name: the same for documents (instead of ``document_prompt``).
        batch_size: texts per batch for sentence-transformers; the other encoders size
            batches by a token budget instead.
        max_seq_length: tokens per text (None: the model's own); part of the fingerprint.
        trust_remote_code: let the model's own code run (custom architectures).
        cache_dir: where the ONNX encoders keep their exported models.
    """
    chosen = pick_encoder(name, device)
    model_path = resolve_model(model)
    prompts = {
        "query_prompt": named_prompt(model_path, query_prompt, prompt_name, "prompt-name"),
        "document_prompt": named_prompt(
            model_path, document_prompt, document_prompt_name, "document-prompt-name"
        ),
    }
    common = {"max_seq_length": max_seq_length, "trust_remote_code": trust_remote_code}
    if chosen == "sentence-transformers":
        return SentenceTransformerEncoder(
            model_path, batch_size=batch_size, device=device, **prompts, **common
        )
    if chosen == "fast":
        return FastEncoder(model_path, device=device, **prompts, **common)
    if device == "cuda":
        raise ConfigError(
            "The ONNX encoders run on CPU only",
            received=f"{chosen} on cuda",
            fix="Pass --encoder fast for CUDA, or --device cpu",
        )
    quantize = chosen == "onnx-int8"
    return OnnxEncoder(model_path, quantize=quantize, cache_dir=cache_dir, **prompts, **common)


def _resolve_device(device: str) -> str:
    return pick_device(device)


def describe_encoder(encoder: Encoder) -> dict[str, str | None]:
    """``encoder`` (its backend name) and ``precision``, for a run's recorded state."""
    return {
        "encoder": getattr(encoder, "backend", type(encoder).__name__),
        "precision": getattr(encoder, "precision", None),
    }
