"""Filters: each keeps a candidate only if one rule holds, vectorised over all queries.

Notation: ``s`` is the candidate's score, ``s⁺`` the lowest score among the query's labeled
positives on the same scale (``positive_min`` for ``on="score"``, else the per-row column
``positive_<on>``). Score filters read the column named by ``on`` (default ``"score"``; e.g.
``"judge"`` for a rescoring judge), written ``NAME:VALUE@COLUMN`` (``margin:0.1@judge``).
A NaN score fails every score rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

from trueneg.errors import ConfigError
from trueneg.select.base import FILTERS, CandidateFrame, Filter


def parse_number(value: str | None, name: str, default: float | None = None) -> float:
    """``value`` as a finite float, ``default`` when absent, or a ConfigError naming the
    strategy (``nan`` and ``inf`` are refused: no threshold means anything with them)."""
    if value is None or not value.strip():
        if default is None:
            raise ConfigError(f"{name!r} needs a value", received=name, expected=f"{name}:NUMBER")
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(
            f"{name!r} needs a number", received=f"{name}:{value}", expected=f"{name}:NUMBER"
        ) from None
    if not math.isfinite(number):
        raise ConfigError(
            f"{name!r} needs a finite number",
            received=f"{name}:{value}",
            expected=f"{name}:NUMBER, not nan or inf",
            fix="Give a real threshold; to switch the strategy off, leave it out",
        )
    return number


def check_value(
    name: str, value: object, ok: bool, rule: str, example: str, why: str | None = None
) -> None:
    """Raise a ConfigError unless ``value`` is a finite real number and ``ok`` (its range
    holds). ``rule`` states the range (``0 < P <= 1``), ``example`` a valid spec."""
    if is_finite_number(value) and ok:
        return
    raise ConfigError(
        f"{name} needs {rule}",
        received=f"{name}:{value!r}",
        expected=f"{rule}, e.g. {example}",
        fix=why,
    )


def is_finite_number(value: object) -> bool:
    """A real number (not a bool) that is neither nan nor infinite."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def check_column(name: str, on: object) -> None:
    """The column a strategy reads is a non-empty name."""
    if not isinstance(on, str) or not on.strip():
        raise ConfigError(
            f"{name} needs a column name after '@'",
            received=repr(on),
            expected=f"a column such as score or judge, e.g. {name}:VALUE@judge",
        )


def split_column(value: str | None, default: str = "score") -> tuple[str | None, str]:
    """Split ``"0.05@judge"`` into the number text and the column it applies to."""
    if value is None:
        return None, default
    number, _, column = value.partition("@")
    return number, column.strip() or default


def _fmt(x: float) -> str:
    return repr(float(x))


def _suffix(on: str, default: str = "score") -> str:
    return "" if on == default else f"@{on}"


def positive_baseline(frame: CandidateFrame, on: str, needed_by: str) -> np.ndarray:
    """Per-row ``s⁺`` on the scale of column ``on``."""
    if on == "score":
        return frame.positive_min
    return frame.column(f"positive_{on}", needed_by)


@FILTERS.register("rank-window")
@dataclass(frozen=True)
class RankWindow(Filter):
    """Keeps ranks ``[min, max)`` of the raw candidate list (1-based; 10-110 keeps 10..109)."""

    min: int
    max: int

    def __post_init__(self) -> None:
        if not (_whole(self.min) and _whole(self.max) and 1 <= self.min < self.max):
            raise ConfigError(
                "rank-window needs 1 <= MIN < MAX (ranks are 1-based, MAX is exclusive)",
                received=f"{self.min}-{self.max}",
                expected="rank-window:MIN-MAX, e.g. rank-window:10-110",
            )

    @classmethod
    def from_value(cls, value: str | None) -> RankWindow:
        lo, _, hi = (value or "").partition("-")
        try:
            return cls(int(lo), int(hi))
        except ValueError:
            raise ConfigError(
                "rank-window needs a range",
                received=f"rank-window:{value or ''}",
                expected="rank-window:MIN-MAX, e.g. rank-window:10-110",
            ) from None

    def keep(self, frame: CandidateFrame) -> np.ndarray:
        return (frame.rank >= self.min) & (frame.rank < self.max)

    def columns(self) -> frozenset[str]:
        return frozenset({"rank"})

    def deepest_rank(self) -> int:
        return self.max - 1

    def spec(self) -> str:
        return f"rank-window:{self.min}-{self.max}"


@FILTERS.register("max-score")
@dataclass(frozen=True)
class MaxScore(Filter):
    """Keeps candidates scoring at most ``τ`` (NV-Retriever TopK-Abs, 0.7)."""

    threshold: float = 0.7
    on: str = "score"

    def __post_init__(self) -> None:
        check_value("max-score", self.threshold, True, "a finite number", "max-score:0.7")
        check_column("max-score", self.on)

    @classmethod
    def from_value(cls, value: str | None) -> MaxScore:
        number, on = split_column(value)
        return cls(parse_number(number, "max-score", 0.7), on)

    def keep(self, frame: CandidateFrame) -> np.ndarray:
        return frame.column(self.on, self.spec()) <= self.threshold

    def spec(self) -> str:
        return f"max-score:{_fmt(self.threshold)}{_suffix(self.on)}"


@FILTERS.register("min-score")
@dataclass(frozen=True)
class MinScore(Filter):
    """Keeps candidates scoring at least ``τ`` (drops easy or broken candidates)."""

    threshold: float
    on: str = "score"

    def __post_init__(self) -> None:
        check_value("min-score", self.threshold, True, "a finite number", "min-score:0.2")
        check_column("min-score", self.on)

    @classmethod
    def from_value(cls, value: str | None) -> MinScore:
        number, on = split_column(value)
        return cls(parse_number(number, "min-score"), on)

    def keep(self, frame: CandidateFrame) -> np.ndarray:
        return frame.column(self.on, self.spec()) >= self.threshold

    def spec(self) -> str:
        return f"min-score:{_fmt(self.threshold)}{_suffix(self.on)}"


class _PositiveAware(Filter):
    """Shared part of filters that compare a candidate with the query's positive."""

    on: str

    def threshold(self, baseline: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def keep(self, frame: CandidateFrame) -> np.ndarray:
        score = frame.column(self.on, self.spec())
        baseline = positive_baseline(frame, self.on, self.spec())
        return (score <= self.threshold(baseline)) | self.unchecked(frame)

    def unchecked(self, frame: CandidateFrame) -> np.ndarray:
        """Rows kept only because a score is unknown (NaN): the query's positive's, or, on a
        column other than ``score``, the candidate's own (``@judge``: deeper than
        ``--judge-depth``, not judged, passes as with ``judge-threshold``). A NaN ``score``
        is a broken row and fails."""
        unknown = np.isnan(positive_baseline(frame, self.on, self.spec()))
        if self.on != "score":
            unknown |= np.isnan(frame.column(self.on, self.spec()))
        return unknown


@FILTERS.register("margin")
@dataclass(frozen=True)
class Margin(_PositiveAware):
    """Keeps candidates scoring at most ``s⁺ − m`` (NV-Retriever TopK-MarginPos, 0.05)."""

    margin: float = 0.05
    on: str = "score"

    def __post_init__(self) -> None:
        ok = is_finite_number(self.margin) and self.margin >= 0
        why = "A negative margin keeps negatives scoring above the positive; use 0 for none"
        check_value("margin", self.margin, ok, "M >= 0", "margin:0.05", why)
        check_column("margin", self.on)

    @classmethod
    def from_value(cls, value: str | None) -> Margin:
        number, on = split_column(value)
        return cls(parse_number(number, "margin", 0.05), on)

    def threshold(self, baseline: np.ndarray) -> np.ndarray:
        return baseline - self.margin

    def spec(self) -> str:
        return f"margin:{_fmt(self.margin)}{_suffix(self.on)}"


@FILTERS.register("percent")
@dataclass(frozen=True)
class Percent(_PositiveAware):
    """Keeps candidates scoring at most ``p·s⁺``, sign-safe: ``s⁺ − |s⁺|·(1 − p)`` (NV 0.95)."""

    p: float = 0.95
    on: str = "score"

    def __post_init__(self) -> None:
        ok = is_finite_number(self.p) and 0 < self.p <= 1
        why = (
            "P is the share of the positive's score a negative may reach: above 1 keeps "
            "negatives scoring more than the positive, so 0.95 is 95%"
        )
        check_value("percent", self.p, ok, "0 < P <= 1", "percent:0.95", why)
        check_column("percent", self.on)

    @classmethod
    def from_value(cls, value: str | None) -> Percent:
        number, on = split_column(value)
        return cls(parse_number(number, "percent", 0.95), on)

    def threshold(self, baseline: np.ndarray) -> np.ndarray:
        return baseline - np.abs(baseline) * (1.0 - self.p)

    def spec(self) -> str:
        return f"percent:{_fmt(self.p)}{_suffix(self.on)}"


@FILTERS.register("positive-rank")
@dataclass(frozen=True)
class PositiveRank(Filter):
    """Keeps the candidates of queries whose labeled positive ranks in the top ``N`` (round-trip
    consistency); other queries keep no negatives."""

    max_rank: int

    def __post_init__(self) -> None:
        if not _whole(self.max_rank) or self.max_rank < 1:
            raise ConfigError(
                "positive-rank needs a whole number N >= 1 (ranks are 1-based)",
                received=f"positive-rank:{self.max_rank!r}",
                expected="positive-rank:N, e.g. positive-rank:100",
            )

    @classmethod
    def from_value(cls, value: str | None) -> PositiveRank:
        text = (value or "").strip()
        try:
            return cls(int(text))
        except ValueError:
            return cls(text)  # not a whole number: the error above names it

    def keep(self, frame: CandidateFrame) -> np.ndarray:
        rank = frame.column("positive_rank", self.spec())
        return (rank <= self.max_rank) | self.unchecked(frame)

    def unchecked(self, frame: CandidateFrame) -> np.ndarray:
        """Rows kept because the retriever did not rank the query's positive (rank 0: FAISS)."""
        return frame.column("positive_rank", self.spec()) <= 0

    def columns(self) -> frozenset[str]:
        return frozenset({"positive_rank"})

    def spec(self) -> str:
        return f"positive-rank:{self.max_rank}"


@FILTERS.register("near-duplicate")
@dataclass(frozen=True)
class NearDuplicate(Filter):
    """Drops candidates whose cosine to any positive is at least ``τ`` (negminer, 0.95)."""

    threshold: float = 0.95
    column: str = "pos_cosine"

    def __post_init__(self) -> None:
        ok = is_finite_number(self.threshold) and 0 < self.threshold <= 1
        why = (
            "The threshold is a cosine, at most 1: above 1 drops nothing, and at 0 or below "
            "it drops every candidate that is not opposite to a positive"
        )
        rule = "a cosine T with 0 < T <= 1"
        check_value("near-duplicate", self.threshold, ok, rule, "near-duplicate:0.95", why)
        check_column("near-duplicate", self.column)

    @classmethod
    def from_value(cls, value: str | None) -> NearDuplicate:
        number, column = split_column(value, "pos_cosine")
        return cls(parse_number(number, "near-duplicate", 0.95), column)

    def keep(self, frame: CandidateFrame) -> np.ndarray:
        # NaN (cosine unknown) compares False, so the candidate is kept.
        return ~(frame.column(self.column, self.spec()) >= self.threshold)

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})

    def spec(self) -> str:
        return f"near-duplicate:{_fmt(self.threshold)}{_suffix(self.column, 'pos_cosine')}"
