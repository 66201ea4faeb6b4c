"""The judge filter: RocketQA-style denoising with a cross-encoder's probability."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trueneg.select.base import FILTERS, CandidateFrame, Filter
from trueneg.select.filters import check_column, check_value, parse_number, split_column


@FILTERS.register("judge-threshold")
@dataclass(frozen=True)
class JudgeThreshold(Filter):
    """Keeps candidates whose judge probability is below ``τ`` (RocketQA denoising, 0.1).

    Needs ``trueneg mine --judge``. Candidates deeper than ``judge_depth`` were not judged
    (NaN) and pass, as in RocketQA, which backfills from below its judged top-50; they are
    counted as unchecked.
    """

    threshold: float = 0.1
    on: str = "judge"

    def __post_init__(self) -> None:
        # Only finite: a cross-encoder judge gives probabilities but a bi-encoder judge cosines
        # (trueneg.rescore.loader.Judge.score), and @COLUMN may name any score column.
        check_value(
            "judge-threshold", self.threshold, True, "a finite number", "judge-threshold:0.1"
        )
        check_column("judge-threshold", self.on)

    @classmethod
    def from_value(cls, value: str | None) -> JudgeThreshold:
        number, on = split_column(value, "judge")
        return cls(parse_number(number, "judge-threshold", 0.1), on)

    def keep(self, frame: CandidateFrame) -> np.ndarray:
        judge = frame.column(self.on, self.spec())
        return ~(judge >= self.threshold)

    def unchecked(self, frame: CandidateFrame) -> np.ndarray:
        return np.isnan(frame.column(self.on, self.spec()))

    def spec(self) -> str:
        suffix = "" if self.on == "judge" else f"@{self.on}"
        return f"judge-threshold:{float(self.threshold)!r}{suffix}"
