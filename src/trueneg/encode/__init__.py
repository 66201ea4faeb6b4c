"""Encoders and the resumable embedding cache.

Importing this package is cheap: torch, transformers, sentence-transformers and onnxruntime
load on first use.
"""

from trueneg.encode.base import Encoder, TextKind
from trueneg.encode.batching import plan_batches
from trueneg.encode.cache import EmbeddingCache, encode_cached, is_cached
from trueneg.encode.factory import ENCODERS, describe_encoder, make_encoder, pick_encoder
from trueneg.encode.fast import FastEncoder
from trueneg.encode.models import resolve_model
from trueneg.encode.onnx import OnnxEncoder
from trueneg.encode.spec import model_prompts
from trueneg.encode.st import SentenceTransformerEncoder
from trueneg.encode.user_cache import user_cache_dir
from trueneg.hashing import folder_fingerprint, hash_texts

__all__ = [
    "ENCODERS",
    "EmbeddingCache",
    "Encoder",
    "FastEncoder",
    "OnnxEncoder",
    "SentenceTransformerEncoder",
    "TextKind",
    "describe_encoder",
    "encode_cached",
    "folder_fingerprint",
    "hash_texts",
    "is_cached",
    "make_encoder",
    "model_prompts",
    "pick_encoder",
    "plan_batches",
    "resolve_model",
    "user_cache_dir",
]
