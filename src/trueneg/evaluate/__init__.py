"""Evaluate embedding models (exact search) and rerankers (over a first stage's top documents):
ranx metrics, comparisons over seeds.

Importing this package is cheap: ranx, scipy and the model load on first use.
"""

from trueneg.evaluate.compare import ComparisonTable, SystemScores, compare
from trueneg.evaluate.core import DEFAULT_METRICS, evaluate
from trueneg.evaluate.result import EvalResult

__all__ = [
    "DEFAULT_METRICS",
    "ComparisonTable",
    "EvalResult",
    "SystemScores",
    "compare",
    "evaluate",
]
