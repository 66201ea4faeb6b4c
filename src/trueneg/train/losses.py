"""Training losses by name: each says which model type and export it trains on and builds its
loss module.

One small frozen dataclass per loss, registered in :data:`LOSSES` so the CLI choices, the
model card and every "unknown loss" error come from one list. Bi-encoder losses train on
(query, positive, negatives) rows; cross-encoder (reranker) losses on labeled pairs (``bce``)
or on one labeled list per query (``lambda``, ``listnet``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from trueneg.registry import Registry
from trueneg.settings.train import BI_ENCODER, CROSS_ENCODER

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
    pos_weight: float | None = None  # negatives per positive in the rows, for ``bce``
    weighted: bool = False  # the rows carry a weight per negative (``--negative-weights``)


class TrainLoss:
    """A training loss: the export format it reads and the module it builds."""

    name: ClassVar[str]
    model_type: ClassVar[str] = BI_ENCODER
    fmt: ClassVar[str] = "n-tuple"
    include_scores: ClassVar[bool] = False
    reads_weights: ClassVar[bool] = False  # uses the run's negative weights when it has them
    # teaches only on the negatives the teacher scored (the others stay contrastive negatives)
    skips_unscored: ClassVar[bool] = False
    # runs the model on ``mini_batch_size`` sequences at a time (GradCache, or mini-batches)
    cached: ClassVar[bool] = False

    def build(self, model: SentenceTransformer, context: LossContext) -> nn.Module:
        raise NotImplementedError

    def config(self, context: LossContext) -> dict[str, Any]:
        """The settings worth recording in the model card."""
        return {}

    def fitted(self, context: LossContext, dataset: Any) -> LossContext:
        """``context`` with what this loss takes from the training rows (default: nothing)."""
        return context


LOSSES: Registry[TrainLoss] = Registry("loss")


@LOSSES.register("mnrl")
@dataclass(frozen=True)
class MNRL(TrainLoss):
    """MultipleNegativesRankingLoss: in-batch negatives plus every kept hard negative. On a run
    mined with ``--negative-weights`` each hard negative counts with its weight
    (:class:`~trueneg.train.loss_modules.WeightedMNRL`)."""

    reads_weights = True

    def build(self, model: SentenceTransformer, context: LossContext) -> nn.Module:
        if context.weighted:
            from trueneg.train.loss_modules import WeightedMNRL

            return WeightedMNRL(model)
        from sentence_transformers.sentence_transformer.losses import (
            MultipleNegativesRankingLoss,
        )

        return MultipleNegativesRankingLoss(model)

    def config(self, context: LossContext) -> dict[str, Any]:
        return {"negative_weights": True} if context.weighted else {}


@LOSSES.register("cached-mnrl")
@dataclass(frozen=True)
class CachedMNRL(TrainLoss):
    """CachedMultipleNegativesRankingLoss (GradCache): large batches on small memory."""

    cached = True

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


@LOSSES.register("mnrl+kl")
@dataclass(frozen=True)
class MNRLDistill(_TeacherScoreLoss):
    """MNRL plus listwise KL to the teacher's scores (the run's judge, as logits) of the
    positive and the mined negatives: the distillation recipe in one option
    (:class:`~trueneg.train.loss_modules.ContrastiveDistill`). Negatives below the judge's
    depth have no score: the KL leaves them out, MNRL keeps them."""

    skips_unscored: ClassVar[bool] = True

    def build(self, model: SentenceTransformer, context: LossContext) -> nn.Module:
        from trueneg.train.loss_modules import ContrastiveDistill

        return ContrastiveDistill(model)

    def config(self, context: LossContext) -> dict[str, Any]:
        return {**super().config(context), "kl_weight": 1.0, "teacher": "logits"}


@LOSSES.register("bce")
@dataclass(frozen=True)
class BinaryCrossEntropy(TrainLoss):
    """BinaryCrossEntropyLoss: labeled pairs, positive 1 and each kept negative 0 (positives
    weighted by the negatives per positive, as sentence-transformers' reranker recipes)."""

    model_type = CROSS_ENCODER
    fmt = "labeled-pair"

    def build(self, model: Any, context: LossContext) -> nn.Module:
        import torch
        from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

        weight = None if context.pos_weight is None else torch.tensor(context.pos_weight)
        return BinaryCrossEntropyLoss(model, pos_weight=weight)

    def config(self, context: LossContext) -> dict[str, Any]:
        return {"pos_weight": context.pos_weight}

    def fitted(self, context: LossContext, dataset: Any) -> LossContext:
        labels = dataset["label"]
        positives = sum(1 for label in labels if label > 0)
        weight = round((len(labels) - positives) / positives, 4) if positives else None
        return replace(context, pos_weight=weight)


class _ListwiseLoss(TrainLoss):
    """A listwise cross-encoder loss of sentence-transformers, named by ``module``: one list
    per query (positives 1, kept negatives 0), scored in mini-batches."""

    model_type = CROSS_ENCODER
    fmt = "labeled-list"
    cached = True
    module: ClassVar[str]

    def build(self, model: Any, context: LossContext) -> nn.Module:
        from sentence_transformers.cross_encoder import losses

        loss_class = getattr(losses, self.module)
        return loss_class(model, mini_batch_size=context.mini_batch_size)

    def config(self, context: LossContext) -> dict[str, Any]:
        return {"mini_batch_size": context.mini_batch_size}


@LOSSES.register("lambda")
@dataclass(frozen=True)
class Lambda(_ListwiseLoss):
    """LambdaLoss: listwise, one list per query (positives 1, kept negatives 0), NDCG-Loss2++."""

    module = "LambdaLoss"


@LOSSES.register("listnet")
@dataclass(frozen=True)
class ListNet(_ListwiseLoss):
    """ListNetLoss: listwise softmax cross-entropy, one list per query (positives, negatives)."""

    module = "ListNetLoss"


def losses_for(model_type: str) -> list[str]:
    """The names of the losses that train ``model_type``."""
    return [name for name, cls in LOSSES.items() if cls.model_type == model_type]
