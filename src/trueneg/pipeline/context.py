"""The state one ``mine`` call hands from stage to stage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from trueneg.distributed import DeviceWorkers
from trueneg.pipeline.plan import Plan
from trueneg.run import RunDir
from trueneg.settings import MineConfig

STAGES = ["load", "encode", "retrieve", "rescore", "select"]


@dataclass
class MineContext:
    """The run directory (locked for writing), the settings and their plan, the device
    workers of ``--devices``, and the seconds each stage took."""

    run_dir: RunDir
    cfg: MineConfig
    plan: Plan
    show_progress: bool = False
    devices: DeviceWorkers | None = None  # one worker per device (--devices), else None
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Record the wall time of the block as ``stage``'s."""
        start = time.perf_counter()
        yield
        self.timings[stage] = round(time.perf_counter() - start, 3)

    def invalidate_from(self, stage: str) -> None:
        """Forget ``stage`` and every later one (they are redone)."""
        self.run_dir.invalidate_from(stage, STAGES)
