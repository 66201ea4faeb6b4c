"""Selection: filters and samplers that turn candidates into kept negatives, with reasons.

Importing this package registers every built-in filter and sampler.
"""

from trueneg.select.base import (
    FILTERS,
    SAMPLERS,
    SHORTFALL_POLICIES,
    CandidateFrame,
    Filter,
    Sampler,
)
from trueneg.select.engine import SelectionResult, resolve_filters, resolve_sampler, select
from trueneg.select.filters import (
    Margin,
    MaxScore,
    MinScore,
    NearDuplicate,
    Percent,
    PositiveRank,
    RankWindow,
)
from trueneg.select.judge import JudgeThreshold
from trueneg.select.samplers import Random, SimANS, Softmax, Top

__all__ = [
    "FILTERS",
    "SAMPLERS",
    "SHORTFALL_POLICIES",
    "CandidateFrame",
    "Filter",
    "JudgeThreshold",
    "Margin",
    "MaxScore",
    "MinScore",
    "NearDuplicate",
    "Percent",
    "PositiveRank",
    "Random",
    "RankWindow",
    "Sampler",
    "SelectionResult",
    "SimANS",
    "Softmax",
    "Top",
    "resolve_filters",
    "resolve_sampler",
    "select",
]
