"""Fine-tune sentence-transformers models on a mining run: ``train`` and the ``LOSSES``."""

from trueneg.train.core import TrainResult, train
from trueneg.train.losses import LOSSES, LossContext, TrainLoss

__all__ = ["LOSSES", "LossContext", "TrainLoss", "TrainResult", "train"]
