"""``auto`` with a judge: whether the judge's "relevant" verdict is trusted enough to relabel.

Relabeling (:mod:`trueneg.select.relabel`) turns candidates the judge calls relevant into
positives, so a judge that does not recognise this collection's relevant documents would add
wrong positives. The run's own labeled positives are the evidence: they are relevant by
definition, so the share the judge scores at or above the relabel floor is its recall on this
data. ``auto`` relabels when the lower end of that share's one-sided 95% Wilson interval reaches
:data:`MIN_RECALL`, from at least :data:`MIN_POSITIVES` judged positives; otherwise the judge
only filters (``percent:0.95@judge``), as before. Thin evidence leaves relabeling off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trueneg.select.auto import wilson_lower
from trueneg.select.relabel import RELABEL, Relabel

MIN_POSITIVES = 30  # judged labeled positives needed before the judge's recall counts
MIN_RECALL = 0.5  # lower 95% bound of the share of labeled positives called relevant


@dataclass(frozen=True)
class RelabelAdvice:
    """Whether ``auto`` relabels, the filter it adds (None when off), and why."""

    spec: str | None
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


def relabel_advice(positive_judge: np.ndarray, rule: Relabel | None = None) -> RelabelAdvice:
    """Relabel with ``rule`` (default ``relabel:0.9,0.5``) when the judge calls enough of the
    labeled positives (``positive_judge``: one judge score per labeled positive) relevant."""
    rule = rule or Relabel()
    scores = positive_judge[np.isfinite(positive_judge)]
    n = int(scores.size)
    hits = int(np.count_nonzero(scores >= rule.floor))
    evidence = {"judged_positives": n, "called_relevant": hits, "floor": rule.floor}
    if n < MIN_POSITIVES:
        why = f"only {n} labeled positives were judged (< {MIN_POSITIVES}): no relabeling"
        return RelabelAdvice(None, why, evidence)
    lower = float(wilson_lower(np.array(hits), n))
    evidence.update(recall=round(hits / n, 4), recall_lower=round(lower, 4))
    summary = (
        f"the judge scores {hits}/{n} labeled positives ≥ {rule.floor:g} "
        f"({hits / n:.0%}, lower 95% bound {lower:.0%})"
    )
    if lower >= MIN_RECALL:
        return RelabelAdvice(
            rule.spec(),
            f"{summary} ≥ {MIN_RECALL:.0%}: candidates it rates like the positive become "
            f"positives ({RELABEL})",
            evidence,
        )
    return RelabelAdvice(
        None,
        f"{summary} < {MIN_RECALL:.0%}: its 'relevant' is not trusted on this data, so it only "
        "filters",
        evidence,
    )
