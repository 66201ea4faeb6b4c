"""What an encoder is: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np

TextKind = Literal["query", "document"]


class Encoder(Protocol):
    """A text encoder whose output can be cached.

    Attributes:
        fingerprint: changes whenever the vectors for the same text would change (model files,
            prompts, normalisation, max sequence length).
        dim: embedding dimension.
    """

    fingerprint: str
    dim: int

    def encode(
        self,
        texts: list[str],
        kind: TextKind,
        *,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Return ``(len(texts), dim)`` float32 L2-normalised vectors."""
        ...
