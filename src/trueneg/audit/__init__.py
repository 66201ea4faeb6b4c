"""The audit: how many false negatives a run kept, measured (hidden qrels) and estimated (judge).

>>> report = audit("runs/nfcorpus", judge=".models/ms-marco-MiniLM-L-12-v2")  # doctest: +SKIP
>>> report.estimated_false_negative_rate, report.hidden_qrels_false_negative_rate  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trueneg.audit.report import AuditReport

__all__ = ["AuditReport", "audit"]

if TYPE_CHECKING:
    from trueneg.audit.core import audit


def __getattr__(name: str) -> Any:
    if name == "audit":
        from trueneg.audit.core import audit

        return audit
    raise AttributeError(f"module 'trueneg.audit' has no attribute {name!r}")
