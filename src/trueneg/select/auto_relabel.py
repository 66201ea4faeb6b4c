"""``auto`` with a judge: whether the judge's "relevant" verdict is trusted enough to relabel.

Relabeling (:mod:`trueneg.select.relabel`) turns candidates the judge calls relevant into
positives, so it needs two things, and ``auto`` checks both from the run's own data:

* **The judge recognises this collection's relevant documents.** The labeled positives are
  relevant by definition, so the share the judge scores at or above the relabel floor is its
  recall on this data. The lower end of that share's one-sided 95% Wilson interval must reach
  :data:`MIN_RECALL`, from at least :data:`MIN_POSITIVES` judged positives.
* **There are enough unlabeled relevant documents for its relabels to be mostly right.** The
  contamination profile ``auto`` already estimated (per rank, the share of candidates that are
  relevant documents nobody labeled: the labeled positives' rank bound, tightened by the judge's)
  summed over the judged candidates is the expected number of relevant documents among them.
  Relabeling ``K`` candidates can be right at most that many times, so the relabels' precision is
  at most ``expected / K``; it must reach :data:`MIN_PRECISION`. On collections whose labels are
  nearly complete the judge calls far more candidates relevant than there can be, and relabeling
  would mostly add wrong positives. The estimate needs :data:`~trueneg.select.auto.MIN_QUERIES`
  queries with ranked positives; with fewer, relabeling stays off.

Otherwise the judge only filters (``percent:0.95@judge``). Thin evidence leaves relabeling off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trueneg.select.auto import MIN_QUERIES, wilson_lower
from trueneg.select.relabel import RELABEL, Relabel

MIN_POSITIVES = 30  # judged labeled positives needed before the judge's recall counts
MIN_RECALL = 0.5  # lower 95% bound of the share of labeled positives called relevant
MIN_PRECISION = 0.5  # expected relevant documents among the judged candidates, per relabel


@dataclass(frozen=True)
class RelabelAdvice:
    """Whether ``auto`` relabels, the filter it adds (None when off), and why."""

    spec: str | None
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Relabelable:
    """What relabeling would do on this run: ``relabeled``, how many candidates the rule turns
    into positives; ``expected_relevant``, how many relevant documents nobody labeled the
    contamination estimate puts among the judged candidates; ``queries_ranked``, how many
    queries that estimate rests on."""

    relabeled: int
    expected_relevant: float
    queries_ranked: int

    @property
    def precision_bound(self) -> float | None:
        """At most this share of the relabels can be right (None when nothing is relabeled)."""
        return min(1.0, self.expected_relevant / self.relabeled) if self.relabeled else None


def relabelable(
    rule: Relabel,
    judge: np.ndarray,
    positive_judge: np.ndarray,
    offsets: np.ndarray,
    rank: np.ndarray,
    contamination: np.ndarray,
    queries_ranked: int,
) -> Relabelable:
    """Count what ``rule`` relabels and the relevant documents expected among the judged
    candidates. Per candidate (sorted by query, ``offsets`` delimiting each query's rows):
    ``judge`` (NaN where not judged) and ``rank`` (1-based); per query: ``positive_judge`` (the
    lowest-judged labeled positive's score); per rank ``1..depth``: ``contamination``, estimated
    from ``queries_ranked`` queries."""
    per_row = np.repeat(positive_judge.astype(np.float64), np.diff(offsets))
    relabeled = int(np.count_nonzero(rule.reaches(judge, per_row)))
    judged = np.isfinite(judge)
    at = np.clip(rank[judged].astype(np.int64), 1, contamination.shape[0]) - 1
    return Relabelable(relabeled, float(contamination[at].sum()), queries_ranked)


def relabel_advice(
    positive_judge: np.ndarray, would: Relabelable, rule: Relabel | None = None
) -> RelabelAdvice:
    """Relabel with ``rule`` (default ``relabel:0.9,0.5``) when the judge calls enough of the
    labeled positives (``positive_judge``: one judge score per labeled positive) relevant and
    the run holds enough unlabeled relevant documents for ``would``'s relabels to be mostly
    right (see the module docstring)."""
    rule = rule or Relabel()
    scores = positive_judge[np.isfinite(positive_judge)]
    n = int(scores.size)
    hits = int(np.count_nonzero(scores >= rule.floor))
    evidence: dict[str, Any] = {
        "judged_positives": n,
        "called_relevant": hits,
        "floor": rule.floor,
        "relabeled": would.relabeled,
        "expected_relevant": round(would.expected_relevant, 1),
    }
    if would.precision_bound is not None:
        evidence["precision_bound"] = round(would.precision_bound, 4)
    if n < MIN_POSITIVES:
        why = f"only {n} labeled positives were judged (< {MIN_POSITIVES}): no relabeling"
        return RelabelAdvice(None, why, evidence)
    lower = float(wilson_lower(np.array(hits), n))
    evidence.update(recall=round(hits / n, 4), recall_lower=round(lower, 4))
    summary = (
        f"the judge scores {hits}/{n} labeled positives ≥ {rule.floor:g} "
        f"({hits / n:.0%}, lower 95% bound {lower:.0%})"
    )
    if lower < MIN_RECALL:
        return RelabelAdvice(
            None,
            f"{summary} < {MIN_RECALL:.0%}: its 'relevant' is not trusted on this data, so it "
            "only filters",
            evidence,
        )
    return _precision_advice(rule, would, summary, evidence)


def _precision_advice(
    rule: Relabel, would: Relabelable, summary: str, evidence: dict[str, Any]
) -> RelabelAdvice:
    """The second test: can the relabels be mostly right?"""
    k, expected, precision = would.relabeled, would.expected_relevant, would.precision_bound
    if would.queries_ranked < MIN_QUERIES:
        return RelabelAdvice(
            None,
            f"{summary}, but the contamination estimate rests on {would.queries_ranked} "
            f"queries (< {MIN_QUERIES}), too few to tell whether its relabels can be right: "
            "no relabeling",
            evidence,
        )
    if precision is None:
        return RelabelAdvice(None, f"{summary}, but it calls no candidate relevant", evidence)
    found = (
        f"it would relabel {k:,} candidates, and the contamination estimate puts about "
        f"{expected:.0f} relevant documents nobody labeled among the judged ones: at most "
        f"{precision:.0%} of the relabels can be right"
    )
    if precision < MIN_PRECISION:
        return RelabelAdvice(
            None,
            f"{summary}; {found} (< {MIN_PRECISION:.0%}), so it only filters: relabeling would "
            "mostly add wrong positives",
            evidence,
        )
    return RelabelAdvice(
        rule.spec(),
        f"{summary} ≥ {MIN_RECALL:.0%}; {found} (≥ {MIN_PRECISION:.0%}): candidates it rates "
        f"like the positive become positives ({RELABEL})",
        evidence,
    )
