"""Relabel: candidates the judge rates as relevant become extra positives (RLHN).

A candidate is relabeled when its judge score ``j`` reaches both the query's lowest-judged
labeled positive's, scaled sign-safely by ``R`` (``s⁺ − |s⁺|·(1 − R)``, as ``percent``), and an
absolute ``FLOOR``: ``j >= max(R·s⁺, FLOOR)``. The positive-aware half keeps the rule on the
judge's own scale; the floor keeps an out-of-domain judge, which rates even the labeled
positives near zero, from relabeling everything that merely beats them. Where the positive was
not judged (NaN) only the floor applies; a candidate deeper than ``--judge-depth`` (NaN) is
never relabeled. Written ``relabel:R,FLOOR[@COLUMN]`` (defaults ``relabel:0.9,0.5``).

As a filter it drops what it relabels; the engine runs it before every other filter, so a
relabeled candidate carries the reason ``relabel`` whatever else would have dropped it, and
exports and ``train`` read those rows as positives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from trueneg.select.base import FILTERS, JUDGE_COLUMN, CandidateFrame, Filter
from trueneg.select.filters import (
    check_column,
    check_value,
    is_finite_number,
    parse_number,
    positive_baseline,
    split_column,
)

RELABEL = "relabel"


@FILTERS.register(RELABEL)
@dataclass(frozen=True)
class Relabel(Filter):
    """Turns candidates the judge scores at least ``R`` times the labeled positive's score and
    at least ``FLOOR`` into extra positives (RLHN relabeling; see the module docstring)."""

    ratio: float = 0.9
    floor: float = 0.5
    on: str = JUDGE_COLUMN

    relabels: ClassVar[bool] = True

    def __post_init__(self) -> None:
        ok = is_finite_number(self.ratio) and 0 < self.ratio <= 1
        why = "R is the share of the positive's judge score a candidate must reach: 1.0 is 100%"
        check_value(RELABEL, self.ratio, ok, "0 < R <= 1", "relabel:0.9,0.5", why)
        check_value(RELABEL, self.floor, True, "a finite FLOOR", "relabel:0.9,0.5")
        check_column(RELABEL, self.on)

    @classmethod
    def from_value(cls, value: str | None) -> Relabel:
        numbers, on = split_column(value, JUDGE_COLUMN)
        ratio, _, floor = (numbers or "").partition(",")
        return cls(parse_number(ratio, RELABEL, 0.9), parse_number(floor, RELABEL, 0.5), on)

    def relevant(self, frame: CandidateFrame) -> np.ndarray:
        """True where the candidate is relabeled as a positive."""
        judge = frame.column(self.on, self.spec())
        return self.reaches(judge, positive_baseline(frame, self.on, self.spec()))

    def reaches(self, judge: np.ndarray, baseline: np.ndarray) -> np.ndarray:
        """True where a judge score reaches the bar set by its query's positive ``baseline``
        (both per candidate; NaN judge scores never do, a NaN baseline leaves the floor)."""
        scaled = baseline - np.abs(baseline) * (1.0 - self.ratio)
        bar = np.where(np.isnan(scaled), self.floor, np.fmax(scaled, self.floor))
        return np.nan_to_num(judge, nan=-np.inf) >= bar

    def keep(self, frame: CandidateFrame) -> np.ndarray:
        return ~self.relevant(frame)

    def columns(self) -> frozenset[str]:
        return frozenset({self.on})

    def spec(self) -> str:
        suffix = "" if self.on == JUDGE_COLUMN else f"@{self.on}"
        return f"{RELABEL}:{float(self.ratio)!r},{float(self.floor)!r}{suffix}"


def relabels(f: Filter) -> bool:
    """Whether a filter turns what it drops into positives."""
    return bool(getattr(f, "relabels", False))
