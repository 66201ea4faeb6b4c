"""Settings: one dataclass per verb, the only home of each setting's name, type and default.

:class:`MineConfig` (``trueneg mine``), :class:`TrainSettings` (``trueneg train``),
:class:`AuditSettings` (``trueneg audit``); ``trueneg compare``'s tables are in
:mod:`trueneg.compare.config`. :mod:`trueneg.settings.schema` reads their annotations.
"""

from trueneg.settings.audit import AuditSettings
from trueneg.settings.mine import (
    AUTO,
    DEVICES,
    PERCENT_FILTERS,
    MineConfig,
    admitted_share,
    check_false_negative_cost,
    check_relabel,
    load_toml,
    none_means_empty,
)
from trueneg.settings.schema import (
    ALIASES,
    DEFAULT_TEXT,
    OPTION,
    aliases,
    check_known,
    check_types,
    default_of,
    default_text,
    describe_type,
    renamed,
)
from trueneg.settings.train import TrainSettings

__all__ = [
    "ALIASES",
    "AUTO",
    "DEFAULT_TEXT",
    "DEVICES",
    "OPTION",
    "PERCENT_FILTERS",
    "AuditSettings",
    "MineConfig",
    "TrainSettings",
    "admitted_share",
    "aliases",
    "check_false_negative_cost",
    "check_known",
    "check_relabel",
    "check_types",
    "default_of",
    "default_text",
    "describe_type",
    "load_toml",
    "none_means_empty",
    "renamed",
]
