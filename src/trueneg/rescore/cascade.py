"""A judge cascade: cheap judges first, a costly one only on the pairs they are unsure about.

``A > B`` scores every pair with ``A``; the pairs the pass rule marks as unsure go on to ``B``,
whose score replaces ``A``'s for them. Two rules:

* ``band:LO-HI`` — pairs whose score from the previous judge lies in ``[LO, HI]`` go on (both
  judges should give probabilities; pairs above ``HI`` count as surely relevant, below ``LO`` as
  surely not);
* ``top:F`` — the share ``F`` of the previous judge's pairs with the highest scores goes on (a
  budget: the later judge sees ``F`` of the pairs, whatever the previous judge's scale).

Every stage's verdicts are cached per (query text, document text, judge) in the judge cache, so
changing the rule or resuming a killed run never pays a judge twice for a pair.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trueneg.errors import ConfigError
from trueneg.rescore.cache import make_fingerprint

logger = logging.getLogger(__name__)

DEFAULT_RULE = "top:0.25"


@dataclass(frozen=True)
class PassRule:
    """Which of the previous judge's pairs go on to the next judge."""

    kind: str
    low: float = 0.0
    high: float = 1.0
    share: float = 1.0

    def spec(self) -> str:
        if self.kind == "band":
            return f"band:{self.low!r}-{self.high!r}"
        return f"top:{self.share!r}"

    def passes(self, scores: np.ndarray) -> np.ndarray:
        """Boolean mask over ``scores``: the pairs the next judge sees."""
        if self.kind == "band":
            return (scores >= self.low) & (scores <= self.high)
        count = math.ceil(self.share * scores.size)
        mask = np.zeros(scores.size, dtype=bool)
        if count:
            # stable: equal scores keep their input order, so the choice is reproducible
            mask[np.argsort(-scores, kind="stable")[:count]] = True
        return mask


def parse_rule(text: str) -> PassRule:
    """``band:LO-HI`` or ``top:F`` → :class:`PassRule`."""
    name, _, value = text.strip().partition(":")
    try:
        if name == "band":
            low, high = (float(v) for v in value.split("-", 1))
            if math.isfinite(low) and math.isfinite(high) and low <= high:
                return PassRule("band", low=low, high=high)
        elif name == "top":
            share = float(value)
            if 0 < share <= 1:
                return PassRule("top", share=share)
    except ValueError:
        pass
    raise ConfigError(
        "Unknown cascade rule",
        received=text,
        expected="band:LO-HI (LO <= HI, e.g. band:0.05-0.95) or top:F (0 < F <= 1, e.g. top:0.25)",
    )


@dataclass
class StageReport:
    """What one judge of the cascade saw and spent."""

    name: str
    kind: str
    pairs_seen: int = 0
    pairs_scored: int = 0
    seconds: float = 0.0
    cost: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {
            "judge": self.name,
            "kind": self.kind,
            "pairs_seen": self.pairs_seen,
            "pairs_scored": self.pairs_scored,
            "seconds": round(self.seconds, 3),
        }
        if self.cost:
            out["cost"] = self.cost
        return out


class CascadeJudge:
    """Judges in order, each later one scoring only what the rule passes on.

    Args:
        judges: loaded judges, cheapest first.
        names: their specs, for reports.
        rule: the pass rule between consecutive judges.
    """

    kind = "cascade"
    whole_batches = True  # the ``top`` rule ranks all pairs of a call, so take them at once

    def __init__(self, judges: list[Any], names: list[str], rule: PassRule) -> None:
        if len(judges) < 2:
            raise ConfigError("A cascade needs at least two judges", received=names)
        self.judges = judges
        self.names = names
        self.rule = rule
        self.fingerprint = make_fingerprint(
            "cascade", "", stages=[j.fingerprint for j in judges], rule=rule.spec()
        )
        self.stages = [StageReport(n, j.kind) for n, j in zip(names, judges, strict=True)]
        self.cache_dir: Path | None = None
        self.show_progress = False

    def use_cache(self, cache_dir: Path, show_progress: bool = False) -> None:
        """Cache every stage's verdicts under ``cache_dir``, with a progress bar per stage
        (called by ``rescore``)."""
        self.cache_dir = Path(cache_dir)
        self.show_progress = show_progress

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        todo = np.arange(len(queries))
        scores = np.zeros(len(queries), dtype=np.float32)
        for position, (judge, stage) in enumerate(zip(self.judges, self.stages, strict=True)):
            if position and todo.size:
                todo = todo[self.rule.passes(scores[todo])]
            if not todo.size:
                break
            scores[todo] = self._stage(
                judge, stage, [queries[i] for i in todo], [docs[i] for i in todo]
            )
        return scores

    def _stage(
        self, judge: Any, stage: StageReport, queries: list[str], docs: list[str]
    ) -> np.ndarray:
        from trueneg.rescore import rescore  # the stage reuses the cached, resumable scorer

        start = time.perf_counter()
        stage.pairs_seen += len(queries)
        if self.cache_dir is None:
            result = np.asarray(judge.score(queries, docs), dtype=np.float32)
            stage.pairs_scored += len(queries)
        else:
            q_ids, d_ids = [_text_id(t) for t in queries], [_text_id(t) for t in docs]
            out = rescore(
                judge,
                q_ids,
                d_ids,
                dict(zip(q_ids, queries, strict=True)),
                dict(zip(d_ids, docs, strict=True)),
                self.cache_dir / "cascade",
                batch_size=batch_size_for(judge, 32),
                show_progress=self.show_progress,
            )
            result = out.scores
            stage.pairs_scored += out.pairs_scored
        stage.seconds += time.perf_counter() - start
        if getattr(judge, "cost", None) is not None:
            stage.cost = judge.cost.as_dict()
        return result

    def report(self) -> dict[str, Any]:
        """Pairs and cost per judge, and what judging every pair with the last judge would cost."""
        first, last = self.stages[0], self.stages[-1]
        out: dict[str, Any] = {
            "rule": self.rule.spec(),
            "stages": [s.as_dict() for s in self.stages],
        }
        if last.pairs_scored and first.pairs_seen:
            per_pair = last.seconds / last.pairs_scored
            alone = per_pair * first.pairs_seen
            spent = sum(s.seconds for s in self.stages)
            out["last_judge_alone_seconds"] = round(alone, 1)
            out["cascade_seconds"] = round(spent, 1)
            out["last_judge_share"] = round(last.pairs_seen / first.pairs_seen, 4)
        return out


def batch_size_for(judge: Any, default: int) -> int:
    """The batch a judge prefers (remote judges fan a batch out over concurrent requests)."""
    return int(getattr(judge, "preferred_batch_size", 0) or default)


def _text_id(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()
