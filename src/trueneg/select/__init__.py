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
from trueneg.select.relabel import Relabel
from trueneg.select.samplers import Mix, Random, SimANS, Softmax, Top
from trueneg.select.weights import WEIGHT_RULES, negative_weights

__all__ = [
    "FILTERS",
    "SAMPLERS",
    "SHORTFALL_POLICIES",
    "WEIGHT_RULES",
    "CandidateFrame",
    "Filter",
    "JudgeThreshold",
    "Margin",
    "MaxScore",
    "MinScore",
    "Mix",
    "NearDuplicate",
    "Percent",
    "PositiveRank",
    "Random",
    "RankWindow",
    "Relabel",
    "Sampler",
    "SelectionResult",
    "SimANS",
    "Softmax",
    "Top",
    "negative_weights",
    "resolve_filters",
    "resolve_sampler",
    "select",
]
