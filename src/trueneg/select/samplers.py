"""Samplers: pick up to ``k`` negatives per query among eligible rows, vectorised.

Every sampler gives each row a key and takes, per query, the ``k`` eligible rows with the
largest keys. Weighted sampling without replacement uses the Gumbel-top-k trick: with
``key = log(w) + Gumbel``, the top-k keys are a draw of k rows without replacement with
probabilities proportional to ``w``. The Gumbel noise comes from
:func:`trueneg.select.random.gumbel`, so the same seed and rows give the same picks whatever
the row order or the other queries present.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trueneg.errors import ConfigError
from trueneg.select.base import SAMPLERS, CandidateFrame, Sampler
from trueneg.select.filters import (
    check_column,
    check_value,
    is_finite_number,
    parse_number,
    positive_baseline,
    split_column,
)
from trueneg.select.random import gumbel, uniform


def top_k_per_group(
    group: np.ndarray,
    key: np.ndarray,
    mask: np.ndarray,
    k: int | np.ndarray,
    tiebreak: np.ndarray,
) -> np.ndarray:
    """Mask of the ``k`` rows with the largest ``key`` per group among rows in ``mask``.

    ``k`` is one int or one int per group. NaN keys rank last; ties go to the smaller
    ``tiebreak``.
    """
    picked = np.zeros(mask.shape[0], dtype=bool)
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return picked
    neg_key = -np.where(np.isnan(key[idx]), -np.inf, key[idx])
    order = np.lexsort((tiebreak[idx], neg_key, group[idx]))
    idx, g = idx[order], group[idx][order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, g.shape[0]]))
    position = np.arange(g.shape[0]) - first
    limit = np.asarray(k)[g] if np.ndim(k) else k
    picked[idx[position < limit]] = True
    return picked


def _no_value(name: str, value: str | None) -> None:
    if value is not None:
        raise ConfigError(
            f"sampler {name!r} takes no value", received=f"{name}:{value}", expected=name
        )


class _KeyedSampler(Sampler):
    """A sampler defined by one key per row: larger keys are picked first."""

    def keys(self, frame: CandidateFrame, seed: int) -> np.ndarray:
        raise NotImplementedError

    def sample(self, frame: CandidateFrame, eligible: np.ndarray, k: int, seed: int) -> np.ndarray:
        keys = self.keys(frame, seed)
        return top_k_per_group(frame.query_index(), keys, eligible, k, tiebreak=frame.rank)


@SAMPLERS.register("top")
@dataclass(frozen=True)
class Top(Sampler):
    """Takes the first ``k`` eligible candidates by rank."""

    @classmethod
    def from_value(cls, value: str | None) -> Top:
        _no_value("top", value)
        return cls()

    def sample(self, frame: CandidateFrame, eligible: np.ndarray, k: int, seed: int) -> np.ndarray:
        key = -frame.rank.astype(np.float64)
        return top_k_per_group(frame.query_index(), key, eligible, k, tiebreak=frame.row_key)

    def columns(self) -> frozenset[str]:
        return frozenset({"rank"})

    def spec(self) -> str:
        return "top"


@SAMPLERS.register("random")
@dataclass(frozen=True)
class Random(_KeyedSampler):
    """Draws ``k`` eligible candidates uniformly without replacement (seeded, hash-based)."""

    @classmethod
    def from_value(cls, value: str | None) -> Random:
        _no_value("random", value)
        return cls()

    def keys(self, frame: CandidateFrame, seed: int) -> np.ndarray:
        return uniform(frame.row_key, seed)

    def columns(self) -> frozenset[str]:
        return frozenset()

    def spec(self) -> str:
        return "random"


@SAMPLERS.register("simans")
@dataclass(frozen=True)
class SimANS(_KeyedSampler):
    """Draws ``k`` candidates with weight ``exp(−a·(s − s⁺ − b)²)``, peaked near the positive.

    SimANS (Zhou et al., 2022) used ``a=0.5`` on unnormalised inner products; on cosine
    scores in [−1, 1] the kernel must be much narrower, so ``a`` defaults to 20 (the middle of
    the {5, 20, 50} sweep in ``docs/algorithms.md``, claim C6): weights fall to ``e⁻¹`` at
    ``|s − s⁺ − b| ≈ 0.22``. The peak sits at ``s⁺ + b``; a negative ``b`` centres it below
    the positive. When the query's positive score is unknown (NaN) it takes the lowest-ranked
    eligible candidates, as the SimANS code does. Value syntax: ``simans:A`` or ``simans:A,B``.
    """

    a: float = 20.0
    b: float = 0.0
    on: str = "score"

    def __post_init__(self) -> None:
        ok = is_finite_number(self.a) and self.a >= 0
        why = "A is the kernel's sharpness: a negative A favours candidates far from the peak"
        check_value("simans", self.a, ok, "A >= 0", "simans:20", why)
        check_value("simans", self.b, True, "a finite B", "simans:20,-0.1")
        check_column("simans", self.on)

    @classmethod
    def from_value(cls, value: str | None) -> SimANS:
        numbers, on = split_column(value)
        a_text, _, b_text = (numbers or "").partition(",")
        return cls(parse_number(a_text, "simans", 20.0), parse_number(b_text, "simans", 0.0), on)

    def keys(self, frame: CandidateFrame, seed: int) -> np.ndarray:
        score = frame.column(self.on, self.spec())
        baseline = positive_baseline(frame, self.on, self.spec())
        log_w = -self.a * (score - baseline - self.b) ** 2
        return np.where(np.isnan(baseline), frame.rank, log_w + gumbel(frame.row_key, seed))

    def spec(self) -> str:
        on = "" if self.on == "score" else f"@{self.on}"
        return f"simans:{float(self.a)!r},{float(self.b)!r}{on}"


@SAMPLERS.register("softmax")
@dataclass(frozen=True)
class Softmax(_KeyedSampler):
    """Draws ``k`` candidates with weight ``exp(s/τ)`` (NV-Retriever sampled top-k; τ 0.05)."""

    tau: float = 0.05
    on: str = "score"

    def __post_init__(self) -> None:
        ok = is_finite_number(self.tau) and self.tau > 0
        why = "τ is a temperature: small values pick the top scores, large ones draw uniformly"
        check_value("softmax", self.tau, ok, "τ > 0", "softmax:0.05", why)
        check_column("softmax", self.on)

    @classmethod
    def from_value(cls, value: str | None) -> Softmax:
        number, on = split_column(value)
        return cls(parse_number(number, "softmax", 0.05), on)

    def keys(self, frame: CandidateFrame, seed: int) -> np.ndarray:
        score = frame.column(self.on, self.spec())
        return score / self.tau + gumbel(frame.row_key, seed)

    def spec(self) -> str:
        on = "" if self.on == "score" else f"@{self.on}"
        return f"softmax:{float(self.tau)!r}{on}"


@SAMPLERS.register("mix")
@dataclass(frozen=True)
class Mix(Sampler):
    """Some hard, some random negatives per query (STAR): the ``round(H·k)`` best-ranked
    eligible candidates, then the rest drawn uniformly (seeded, hash-based) among the other
    eligible ones. ``mix:0.5`` (the default) with ``k = 4`` keeps the 2 hardest and 2 random.

    The random half is drawn among the retrieved candidates (``--depth``), which under a rank
    window are already past the contaminated top; in-batch negatives supply corpus-random ones.
    """

    hard: float = 0.5

    def __post_init__(self) -> None:
        ok = is_finite_number(self.hard) and 0 <= self.hard <= 1
        why = "H is the share of the k negatives taken hardest-first; the rest are random"
        check_value("mix", self.hard, ok, "0 <= H <= 1", "mix:0.5", why)

    @classmethod
    def from_value(cls, value: str | None) -> Mix:
        return cls(parse_number(value, "mix", 0.5))

    def hard_count(self, k: int) -> int:
        """How many of ``k`` negatives are taken hardest-first (half rounds up)."""
        return min(k, int(np.floor(self.hard * k + 0.5)))

    def sample(self, frame: CandidateFrame, eligible: np.ndarray, k: int, seed: int) -> np.ndarray:
        group = frame.query_index()
        rank_key = -frame.rank.astype(np.float64)
        hard = top_k_per_group(group, rank_key, eligible, self.hard_count(k), frame.row_key)
        rest = np.maximum(k - np.bincount(group[hard], minlength=frame.num_queries), 0)
        drawn = top_k_per_group(
            group, uniform(frame.row_key, seed), eligible & ~hard, rest, tiebreak=frame.rank
        )
        return hard | drawn

    def columns(self) -> frozenset[str]:
        return frozenset({"rank"})

    def spec(self) -> str:
        return f"mix:{float(self.hard)!r}"
