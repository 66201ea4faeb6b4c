"""The audit: how many false negatives a run kept, measured (hidden qrels) and estimated (judge).

>>> report = audit("runs/nfcorpus", judge=".models/ms-marco-MiniLM-L-12-v2")  # doctest: +SKIP
>>> report.estimated_false_negative_rate, report.hidden_qrels_false_negative_rate  # doctest: +SKIP
"""

from trueneg.audit.core import audit
from trueneg.audit.report import AuditReport

__all__ = ["AuditReport", "audit"]
