"""Down-weighting: a weight per kept negative from the judge's belief that it is relevant.

Instead of dropping a suspected false negative, keep it with a weight ``w = 1 − p`` where ``p``
is the judge's probability that the candidate is relevant (the debiased-contrastive idea of
"Hard Negatives or False Negatives", CET: a negative counts in the loss only as much as it is
believed to be negative). Two rules, by name:

- ``judge``: ``p`` is the judge's score clipped to [0, 1] (a cross-encoder's probability);
- ``relative``: ``p = clip(j / s⁺, 0, 1)``, the candidate's judge score as a share of the
  query's lowest-judged labeled positive's (1 when it scores like the positive); a judge whose
  probabilities are all small out of domain still separates candidates from the positive.
  Where the positive was not judged it falls back to ``judge``.

Candidates deeper than ``--judge-depth`` were not judged and weigh 1.
"""

from __future__ import annotations

import numpy as np

from trueneg.errors import ConfigError
from trueneg.select.base import JUDGE_COLUMN, CandidateFrame

WEIGHT_RULES = ("judge", "relative")
WEIGHT_COLUMN = "weight"


def check_weight_rule(rule: str | None) -> None:
    """``rule`` is None or one of :data:`WEIGHT_RULES`."""
    if rule is not None and rule not in WEIGHT_RULES:
        raise ConfigError(
            "Unknown negative-weight rule",
            received=rule,
            expected=WEIGHT_RULES,
            fix="Use --negative-weights judge (1 − the judge's probability) or relative",
        )


def negative_weights(frame: CandidateFrame, rule: str) -> np.ndarray:
    """``float32`` weight in [0, 1] per candidate under ``rule`` (1 where not judged)."""
    check_weight_rule(rule)
    judge = frame.column(JUDGE_COLUMN, f"negative weights ({rule})").astype(np.float64)
    p = np.clip(judge, 0.0, 1.0)
    if rule == "relative":
        positive = frame.column(f"positive_{JUDGE_COLUMN}", "negative weights (relative)")
        usable = np.isfinite(positive) & (positive > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.clip(judge / np.where(usable, positive, 1.0), 0.0, 1.0)
        p = np.where(usable, share, p)
    weight = 1.0 - np.nan_to_num(p, nan=0.0)
    return weight.astype(np.float32)
