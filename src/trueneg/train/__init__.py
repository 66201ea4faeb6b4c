"""Fine-tune sentence-transformers models on a mining run: ``train`` and the ``LOSSES``.

``TrainSettings`` (every setting of :func:`train`, with its default) lives in
:mod:`trueneg.settings` and is re-exported here.
"""

from trueneg.settings import TrainSettings
from trueneg.train.core import TrainResult, train
from trueneg.train.losses import LOSSES, LossContext, TrainLoss
from trueneg.train.samplers import BATCH_SAMPLERS, BatchSampler

__all__ = [
    "BATCH_SAMPLERS",
    "LOSSES",
    "BatchSampler",
    "LossContext",
    "TrainLoss",
    "TrainResult",
    "TrainSettings",
    "train",
]
