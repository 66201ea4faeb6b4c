"""Training losses by name: each says which export it trains on and builds its loss module.

One small frozen dataclass per loss, registered in :data:`LOSSES` so the CLI choices, the
model card and every "unknown loss" error come from one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from trueneg.registry import Registry

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from torch import nn


@dataclass(frozen=True)
class LossContext:
    """What a loss may need besides the model being trained."""

    guide: str | None = None  # resolved guide model (folder or hub name), for ``gist``
    mini_batch_size: int = 32  # for ``cached-mnrl``
    device: str | None = None
    score_column: str | None = None  # teacher scores of the distillation losses


class TrainLoss:
    """A training loss: the export format it reads and the module it builds."""

    name: ClassVar[str]
    fmt: ClassVar[str] = "n-tuple"
    include_scores: ClassVar[bool] = False

    def build(self, model: SentenceTransformer, context: LossContext) -> nn.Module:
        raise NotImplementedError

    def config(self, context: LossContext) -> dict[str, Any]:
        """The settings worth recording in the model card."""
        return {}


LOSSES: Registry[TrainLoss] = Registry("loss")


@LOSSES.register("mnrl")
@dataclass(frozen=True)
class MNRL(TrainLoss):
    """MultipleNegativesRankingLoss: in-batch negatives plus every kept hard negative."""

    def build(self, model: SentenceTransformer, context: LossContext) -> nn.Module:
        from sentence_transformers.sentence_transformer.losses import (
            MultipleNegativesRankingLoss,
        )

        return MultipleNegativesRankingLoss(model)


@LOSSES.register("cached-mnrl")
@dataclass(frozen=True)
class CachedMNRL(TrainLoss):
    """CachedMultipleNegativesRankingLoss (GradCache): large batches on small memory."""

    def build(self, model: SentenceTransformer, context: LossContext) -> nn.Module:
        from sentence_transformers.sentence_transformer.losses import (
            CachedMultipleNegativesRankingLoss,
        )

        return CachedMultipleNegativesRankingLoss(model, mini_batch_size=context.mini_batch_size)

    def config(self, context: LossContext) -> dict[str, Any]:
        return {"mini_batch_size": context.mini_batch_size}


@LOSSES.register("gist")
@dataclass(frozen=True)
class GIST(TrainLoss):
    """GISTEmbedLoss: a guide model masks in-batch and hard negatives scoring above the positive."""

    def build(self, model: SentenceTransformer, context: LossContext) -> nn.Module:
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.sentence_transformer.losses import GISTEmbedLoss

        guide = SentenceTransformer(context.guide, device=context.device)
        return GISTEmbedLoss(model, guide)

    def config(self, context: LossContext) -> dict[str, Any]:
        return {"guide": context.guide}


class _TeacherScoreLoss(TrainLoss):
    """Shared part of the distillation losses: they train on the run's stored scores, from its
    judge (``judge``) or else its dense retriever."""

    include_scores: ClassVar[bool] = True

    def config(self, context: LossContext) -> dict[str, Any]:
        return {"teacher_scores": context.score_column}


@LOSSES.register("margin-mse")
@dataclass(frozen=True)
class MarginMSE(_TeacherScoreLoss):
    """MarginMSELoss: match the teacher's positive-minus-negative score margins."""

    def build(self, model: SentenceTransformer, context: LossContext) -> nn.Module:
        from sentence_transformers.sentence_transformer.losses import MarginMSELoss

        return MarginMSELoss(model)


@LOSSES.register("kl")
@dataclass(frozen=True)
class ListwiseKL(_TeacherScoreLoss):
    """DistillKLDivLoss: listwise KL distillation of the teacher's scores (positive + negatives)."""

    def build(self, model: SentenceTransformer, context: LossContext) -> nn.Module:
        from sentence_transformers.sentence_transformer.losses import DistillKLDivLoss

        return DistillKLDivLoss(model)
