"""``AuditReport``: the audit's findings as an object that renders itself.

The data lives in :mod:`trueneg.audit.findings` (which imports no renderer); the part
dataclasses are re-exported here so ``from trueneg.audit.report import HiddenQrels`` keeps
working.
"""

from __future__ import annotations

from dataclasses import dataclass

from trueneg.audit.findings import (
    AuditFindings,
    BucketRate,
    DataHealth,
    DepthAdvice,
    HiddenQrels,
    JudgeEstimate,
    JudgeQuality,
    OperatingPoint,
    Proportion,
    ReliabilityBin,
    Statistic,
    StrategyRate,
)
from trueneg.audit.markdown import render_markdown

__all__ = [
    "AuditReport",
    "BucketRate",
    "DataHealth",
    "DepthAdvice",
    "HiddenQrels",
    "JudgeEstimate",
    "JudgeQuality",
    "OperatingPoint",
    "Proportion",
    "ReliabilityBin",
    "Statistic",
    "StrategyRate",
]


@dataclass
class AuditReport(AuditFindings):
    """Everything ``trueneg audit`` measures about one run: ``to_dict``, ``to_json``, ``save``
    (JSON) and ``to_markdown``; :func:`~trueneg.audit.html.write_html_report` writes the page."""

    def to_markdown(self) -> str:
        return render_markdown(self)
