"""Encoders and the resumable embedding cache.

Importing this package is cheap: torch and sentence-transformers load on first use.
"""

from trueneg.encode.base import Encoder, TextKind
from trueneg.encode.cache import EmbeddingCache, encode_cached
from trueneg.encode.fingerprint import folder_fingerprint, hash_texts
from trueneg.encode.models import resolve_model
from trueneg.encode.st import SentenceTransformerEncoder

__all__ = [
    "EmbeddingCache",
    "Encoder",
    "SentenceTransformerEncoder",
    "TextKind",
    "encode_cached",
    "folder_fingerprint",
    "hash_texts",
    "resolve_model",
]
