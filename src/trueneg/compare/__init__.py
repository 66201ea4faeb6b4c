"""``trueneg compare``: mine → train → evaluate for several mining configs and seeds, resumable,
into one results table and a plot of nDCG@10 against the false-negative rate.

Importing this package is cheap: training, evaluation and matplotlib load on first use.
"""

from trueneg.compare.config import (
    CompareConfig,
    DatasetSpec,
    MiningSpec,
    TrainSpec,
    load_config,
    parse_config,
    restrict,
)
from trueneg.compare.hidden import false_negative_rate, hide_extra_positives
from trueneg.compare.report import ComparisonResult
from trueneg.compare.runner import Step, plan, run_comparison

__all__ = [
    "CompareConfig",
    "ComparisonResult",
    "DatasetSpec",
    "MiningSpec",
    "Step",
    "TrainSpec",
    "false_negative_rate",
    "hide_extra_positives",
    "load_config",
    "parse_config",
    "plan",
    "restrict",
    "run_comparison",
]
