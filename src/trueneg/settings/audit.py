"""``AuditSettings``: every setting of ``trueneg audit`` with its default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from trueneg.select.auto import DEFAULT_COST
from trueneg.settings.schema import ALIASES, DEFAULT_TEXT, check_known, renamed


@dataclass(frozen=True)
class AuditSettings:
    """The settings :func:`trueneg.audit.audit` reads.

    ``hide_fraction``: share of each query's labeled positives hidden for the hidden-qrels
    protocol (0 skips it); ``judge``: the judge of the estimate (None: the run's own, if any);
    ``judge_sample``: judge budget in (query, document) pairs; ``judge_cascade``: the pass
    rule when the judge is a cascade ``A > B``; ``false_negative_cost``: how many
    true negatives at the same rank one false negative undoes, for the depth advice (the same
    cost ``trueneg mine`` gives ``auto``; ``cost_ratio`` is its old name);
    ``seed``: of every draw.
    """

    hide_fraction: float = 0.5
    judge: str | None = field(default=None, metadata={DEFAULT_TEXT: "the run's own judge, if any"})
    judge_sample: int = 300
    judge_cascade: str | None = field(
        default=None, metadata={DEFAULT_TEXT: "the run's own rule, else top:0.25"}
    )
    false_negative_cost: float = field(default=DEFAULT_COST, metadata={ALIASES: ("cost_ratio",)})
    seed: int = 0

    def replace(self, **overrides: Any) -> AuditSettings:
        """A copy with ``overrides`` set (old names accepted); unknown names are refused."""
        overrides = renamed(overrides, AuditSettings)
        check_known(overrides, AuditSettings, "audit setting")
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
