"""The loss modules trueneg adds to sentence-transformers': weighted MNRL and MNRL + KL.

Imported only when a loss is built (it imports torch). Both read the embeddings of the columns
(anchor, positive, negative_1..k) as sentence-transformers' own losses do, and the scale of
``MultipleNegativesRankingLoss`` (20: cosine / 0.05).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from sentence_transformers.base.losses.merged_forward import embed_columns
from sentence_transformers.util import cos_sim
from torch import Tensor, nn

SCALE = 20.0
MIN_WEIGHT = 1e-4  # a weight of 0 removes a negative from the softmax (up to e^-9.2)
PROBABILITY_EPS = 1e-6


def contrastive_logits(embeddings: list[Tensor], scale: float = SCALE) -> Tensor:
    """Scaled cosines of each anchor with every positive and negative of the batch, laid out
    as sentence-transformers' MNRL: columns ``[positives, negative_1s, ..., negative_ks]``."""
    docs = torch.cat(embeddings[1:])
    return cos_sim(embeddings[0], docs) * scale


def own_negative_columns(batch: int, k: int, device: torch.device) -> Tensor:
    """``(batch, k)`` column index of each anchor's own hard negatives in the logits."""
    rows = torch.arange(batch, device=device).unsqueeze(1)
    return rows + batch * torch.arange(1, k + 1, device=device).unsqueeze(0)


def weighted_contrastive_loss(embeddings: list[Tensor], weights: Tensor | None) -> Tensor:
    """MNRL where each anchor's own hard negatives count with ``weights`` (``(batch, k)`` or
    ``(batch,)`` for triplets): ``w·e^s`` in the softmax's denominator, i.e. ``s + log w``.
    In-batch negatives (other rows' positives and negatives) weigh 1."""
    logits = contrastive_logits(embeddings)
    batch, k = embeddings[0].size(0), len(embeddings) - 2
    if weights is not None and k > 0:
        w = weights.reshape(batch, k).to(logits.dtype).clamp(min=MIN_WEIGHT)
        bias = torch.zeros_like(logits)
        bias.scatter_(1, own_negative_columns(batch, k, logits.device), w.log())
        logits = logits + bias
    target = torch.arange(batch, device=logits.device)
    return nn.functional.cross_entropy(logits, target)


def teacher_logits(scores: Tensor) -> Tensor:
    """A judge's probabilities as logits (its raw scale when they are not all in [0, 1]);
    a missing score (NaN) stays missing."""
    scores = scores.float()
    in_unit = (scores >= 0) & (scores <= 1)
    if bool((in_unit | torch.isnan(scores)).all()):
        p = scores.clamp(PROBABILITY_EPS, 1 - PROBABILITY_EPS)
        return torch.log(p) - torch.log1p(-p)
    return scores


def listwise_kl(embeddings: list[Tensor], teacher: Tensor, temperature: float = 1.0) -> Tensor:
    """KL(teacher ‖ student) over each anchor's own list (positive, negative_1..k): the
    student's scaled cosines against the teacher's logits at ``temperature``.

    A negative the teacher did not score (NaN: below the judge's depth) is left out of both
    distributions, so the KL covers the positive and the scored negatives; every negative still
    counts in the contrastive part. Each anchor's positive must be scored.
    """
    student = torch.stack([cos_sim_rows(embeddings[0], e) for e in embeddings[1:]], dim=1)
    logits = teacher_logits(teacher).to(student.device) / temperature
    scored = ~torch.isnan(logits)
    log_student = torch.log_softmax((student * SCALE).masked_fill(~scored, float("-inf")), dim=1)
    target = torch.softmax(logits.masked_fill(~scored, float("-inf")), dim=1)
    log_target = torch.log(target.clamp_min(torch.finfo(target.dtype).tiny))
    terms = target * (log_target - torch.where(scored, log_student, 0.0))
    return terms.sum() / len(student)


def cos_sim_rows(a: Tensor, b: Tensor) -> Tensor:
    """Row-wise cosine of two ``(batch, dim)`` tensors."""
    return nn.functional.cosine_similarity(a, b, dim=-1)


class WeightedMNRL(nn.Module):
    """MultipleNegativesRankingLoss with a weight per hard negative (the run's ``weight``
    column, CET-style down-weighting): :func:`weighted_contrastive_loss`."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor) -> Tensor:
        return weighted_contrastive_loss(embed_columns(self.model, sentence_features), labels)

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": SCALE, "weights": "the run's weight column"}


class ContrastiveDistill(nn.Module):
    """MNRL (in-batch and hard negatives) plus ``weight`` × listwise KL to the teacher's scores
    of (positive, negatives): the contrastive signal and the judge's graded one in one loss."""

    def __init__(self, model: Any, weight: float = 1.0, temperature: float = 1.0) -> None:
        super().__init__()
        self.model = model
        self.weight = weight
        self.temperature = temperature

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor) -> Tensor:
        embeddings = embed_columns(self.model, sentence_features)
        contrastive = weighted_contrastive_loss(embeddings, None)
        return contrastive + self.weight * listwise_kl(embeddings, labels, self.temperature)

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": SCALE, "kl_weight": self.weight, "teacher_temperature": self.temperature}
