"""Fine-tune sentence-transformers models on a mining run: ``train`` and the ``LOSSES``."""

from trueneg.train.core import TrainResult, train
from trueneg.train.losses import LOSSES, LossContext, TrainLoss
from trueneg.train.samplers import SAMPLERS, BatchSampler

__all__ = [
    "LOSSES",
    "SAMPLERS",
    "BatchSampler",
    "LossContext",
    "TrainLoss",
    "TrainResult",
    "train",
]
