"""A cross-encoder judge on sentence-transformers' ``CrossEncoder`` (torch, CPU or GPU)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from trueneg.errors import ModelError
from trueneg.rescore.batching import score_in_batches
from trueneg.rescore.cache import folder_digest, make_fingerprint

logger = logging.getLogger(__name__)


class STCrossEncoder:
    """sentence-transformers CrossEncoder judge; ``score`` returns sigmoid probabilities.

    The sigmoid is applied explicitly, whatever activation the saved model configures, so
    probabilities stay comparable with the ONNX judge's.
    """

    kind = "cross-encoder"

    def __init__(
        self,
        name_or_path: str | Path,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        device: str = "auto",
        local_files_only: bool = False,
    ) -> None:
        from sentence_transformers import CrossEncoder

        self.batch_size = batch_size
        self.model = CrossEncoder(
            str(name_or_path),
            device=None if device == "auto" else device,
            max_length=max_length,
            local_files_only=local_files_only,
        )
        self.max_length = self.model.max_seq_length
        self.fingerprint = make_fingerprint(
            self.kind, _model_id(name_or_path, self.model), max_length=self.max_length
        )

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        """Probability that each doc is relevant to its query, float32."""
        return score_in_batches(self._score_batch, queries, docs, self.batch_size)

    def _score_batch(self, queries: list[str], docs: list[str]) -> np.ndarray:
        import torch

        scores = self.model.predict(
            list(zip(queries, docs, strict=True)),
            batch_size=self.batch_size,
            activation_fn=torch.nn.Sigmoid(),
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        scores = np.asarray(scores, dtype=np.float32)
        if scores.ndim != 1:
            raise ModelError(
                "The cross-encoder has more than one output label; trueneg needs one score",
                received=f"scores of shape {scores.shape}",
                expected="a model saved with num_labels=1",
            )
        return scores


def _model_id(name_or_path: str | Path, model: object) -> str:
    """Content hash of a local folder; hub name plus resolved commit for a hub model."""
    path = Path(name_or_path)
    if path.is_dir():
        return folder_digest(path)
    config = getattr(getattr(model, "model", None), "config", None)
    commit = getattr(config, "_commit_hash", None)
    return f"hub:{name_or_path}@{commit}"
