"""``TrainSettings``: every setting of ``trueneg train`` with its default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from trueneg.errors import ConfigError
from trueneg.settings.schema import DEFAULT_TEXT, check_known

RUN_MODEL = "the run's mining model"
BI_ENCODER = "bi-encoder"
CROSS_ENCODER = "cross-encoder"
MODEL_TYPES = (BI_ENCODER, CROSS_ENCODER)
# The defaults that depend on the model type: the first is the bi-encoder's.
DEFAULT_LOSS = {BI_ENCODER: "mnrl", CROSS_ENCODER: "bce"}
DEFAULT_BATCH_SAMPLER = {BI_ENCODER: "no-duplicates", CROSS_ENCODER: "random"}
# None: the epochs come from the data (trueneg.train.checks.epochs_for).
AUTO_EPOCHS = "1, or up to k for rows of k negatives giving under 100 steps an epoch"
# None: on when a step's activations would not fit (trueneg.train.memory).
AUTO_CKPT = "on when a step's activations would not fit in the memory available"


def _by_type(defaults: dict[str, str]) -> str:
    return f"{defaults[BI_ENCODER]} ({CROSS_ENCODER}: {defaults[CROSS_ENCODER]})"


@dataclass(frozen=True)
class TrainSettings:
    """The settings :func:`trueneg.train.train` reads; field names equal its keywords and the
    ``trueneg train`` options (``lr`` is ``--lr``).

    ``model_type`` is ``bi-encoder`` (an embedding model) or ``cross-encoder`` (a reranker
    with a 1-label head, built from ``model``). ``loss`` is a name of
    :data:`trueneg.train.LOSSES` and ``batch_sampler`` one of
    :data:`trueneg.train.BATCH_SAMPLERS` (the Python API also takes their instances); None
    means the model type's default (:data:`DEFAULT_LOSS`, :data:`DEFAULT_BATCH_SAMPLER`).
    ``model`` and ``guide`` (``gist``'s guide model) default to the run's mining model;
    ``rows`` (None: the loss's own, ``n-tuple`` for the contrastive losses) may be
    ``triplet``. ``epochs`` None is 1, except on rows of k >= 2 negatives that give fewer than
    100 optimizer steps an epoch: then as many epochs as reach 100 steps, at most k (the
    triplets' steps; :func:`trueneg.train.checks.epochs_for`). ``query_prompt`` /
    ``document_prompt`` (None: the run's, else the model's own) are prepended to a
    bi-encoder's texts unless ``prompts`` is False.
    ``gradient_checkpointing`` keeps only each transformer layer's input during the forward
    pass and recomputes the rest in the backward pass: the same gradients (dropout replays its
    masks) for less memory and more time. None (the default) turns it on when a step's
    activations would not fit in the memory available (:mod:`trueneg.train.memory`).
    """

    model: str | None = field(default=None, metadata={DEFAULT_TEXT: RUN_MODEL})
    model_type: str = BI_ENCODER
    loss: str | Any | None = field(default=None, metadata={DEFAULT_TEXT: _by_type(DEFAULT_LOSS)})
    epochs: float | None = field(default=None, metadata={DEFAULT_TEXT: AUTO_EPOCHS})
    batch_size: int = 64
    lr: float = 2e-5
    seed: int = 0
    max_steps: int = -1
    guide: str | None = field(default=None, metadata={DEFAULT_TEXT: RUN_MODEL})
    mini_batch_size: int = 32
    warmup_ratio: float = 0.1
    device: str = "auto"
    precision: str = "auto"
    gradient_checkpointing: bool | None = field(default=None, metadata={DEFAULT_TEXT: AUTO_CKPT})
    batch_sampler: str | Any | None = field(
        default=None, metadata={DEFAULT_TEXT: _by_type(DEFAULT_BATCH_SAMPLER)}
    )
    rows: str | None = None
    checkpoint_minutes: float = 10.0
    all_queries: bool = False
    max_seq_length: int | None = field(default=None, metadata={DEFAULT_TEXT: "the model's"})
    prompts: bool = True
    query_prompt: str | None = field(
        default=None, metadata={DEFAULT_TEXT: "the run's --query-prompt, else the model's own"}
    )
    document_prompt: str | None = field(
        default=None, metadata={DEFAULT_TEXT: "the run's --document-prompt, else the model's own"}
    )

    def replace(self, **overrides: Any) -> TrainSettings:
        """A copy with ``overrides`` set; unknown names are refused, listing the valid ones."""
        check_known(overrides, TrainSettings, "training setting")
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def checked_model_type(self) -> str:
        """``model_type``, refused when it is not one of :data:`MODEL_TYPES`."""
        if self.model_type not in MODEL_TYPES:
            raise ConfigError(
                "Unknown --model-type", received=self.model_type, expected=MODEL_TYPES
            )
        return self.model_type

    def loss_or_default(self) -> str | Any:
        """``loss``, or the model type's default loss when it is None."""
        return self.loss if self.loss is not None else DEFAULT_LOSS[self.checked_model_type()]

    def batch_sampler_or_default(self) -> str | Any:
        """``batch_sampler``, or the model type's default when it is None."""
        if self.batch_sampler is not None:
            return self.batch_sampler
        return DEFAULT_BATCH_SAMPLER[self.checked_model_type()]
