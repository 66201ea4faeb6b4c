"""``TrainSettings``: every setting of ``trueneg train`` with its default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from trueneg.settings.schema import DEFAULT_TEXT, check_known

RUN_MODEL = "the run's mining model"


@dataclass(frozen=True)
class TrainSettings:
    """The settings :func:`trueneg.train.train` reads; field names equal its keywords and the
    ``trueneg train`` options (``lr`` is ``--lr``).

    ``loss`` is a name of :data:`trueneg.train.LOSSES` and ``batch_sampler`` one of
    :data:`trueneg.train.BATCH_SAMPLERS` (the Python API also takes their instances). ``model`` and
    ``guide`` (``gist``'s guide model) default to the run's mining model; ``rows`` (None: the
    loss's own, ``n-tuple`` for the contrastive losses) may be ``triplet``.
    """

    model: str | None = field(default=None, metadata={DEFAULT_TEXT: RUN_MODEL})
    loss: str | Any = "mnrl"
    epochs: float = 1
    batch_size: int = 64
    lr: float = 2e-5
    seed: int = 0
    max_steps: int = -1
    guide: str | None = field(default=None, metadata={DEFAULT_TEXT: RUN_MODEL})
    mini_batch_size: int = 32
    warmup_ratio: float = 0.1
    device: str = "auto"
    precision: str = "auto"
    batch_sampler: str | Any = "no-duplicates"
    rows: str | None = None
    checkpoint_minutes: float = 10.0
    all_queries: bool = False

    def replace(self, **overrides: Any) -> TrainSettings:
        """A copy with ``overrides`` set; unknown names are refused, listing the valid ones."""
        check_known(overrides, TrainSettings, "training setting")
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
