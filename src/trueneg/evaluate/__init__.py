"""Evaluate embedding models: exact search, ranx metrics, comparisons over seeds.

Importing this package is cheap: ranx, scipy and the model load on first use.
"""

from trueneg.evaluate.compare import ComparisonTable, SystemScores, compare
from trueneg.evaluate.core import DEFAULT_METRICS, EvalResult, evaluate

__all__ = [
    "DEFAULT_METRICS",
    "ComparisonTable",
    "EvalResult",
    "SystemScores",
    "compare",
    "evaluate",
]
