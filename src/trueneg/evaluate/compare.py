"""``compare``: systems side by side, mean ± std over seeds, significance against the first.

The test is a paired two-sided Student's t-test (``scipy.stats.ttest_rel``) over queries: each
system's per-query score is first averaged over its seeds, then paired with the first
system's on the same query. No correction for multiple comparisons is applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from trueneg.errors import ConfigError, DataError
from trueneg.evaluate.result import EvalResult

TEST_NAME = "paired two-sided t-test"


@dataclass(frozen=True)
class SystemScores:
    """One row of the table: a named system's scores over its seeds."""

    name: str
    seeds: int
    mean: dict[str, float]
    std: dict[str, float]
    delta: dict[str, float]  # mean minus the baseline's mean
    p_value: dict[str, float | None]  # None for the baseline itself


@dataclass(frozen=True)
class ComparisonTable:
    """Rows of :class:`SystemScores`; the first row is the baseline of every test."""

    metrics: list[str]
    rows: list[SystemScores]
    num_queries: int
    test: str = TEST_NAME
    alpha: float = 0.05

    @property
    def baseline(self) -> str:
        return self.rows[0].name

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "baseline": self.baseline,
            "test": self.test,
            "alpha": self.alpha,
            "num_queries": self.num_queries,
            "systems": [asdict(row) for row in self.rows],
        }

    def cells(self, row: SystemScores) -> list[str]:
        """Display cells of ``row``: seeds, then ``mean ± std`` and ``Δ (p)`` per metric."""
        out = [str(row.seeds)]
        for metric in self.metrics:
            mean, std, p = row.mean[metric], row.std[metric], row.p_value[metric]
            out.append(f"{mean:.4f} ± {std:.4f}" if row.seeds > 1 else f"{mean:.4f}")
            if p is None:
                out.append("baseline")
            else:
                star = "*" if p < self.alpha else ""
                out.append(f"{row.delta[metric]:+.4f} (p={p:.3g}){star}")
        return out

    def headers(self) -> list[str]:
        return ["system", "seeds"] + [h for m in self.metrics for h in (m, f"Δ {m}")]

    def footnote(self) -> str:
        return (
            f"Δ and p against {self.baseline}: {self.test} on per-query scores averaged "
            f"over seeds ({self.num_queries} queries); * p < {self.alpha}."
        )

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(self.headers()) + " |", "|" + "---|" * len(self.headers())]
        lines += ["| " + " | ".join([row.name, *self.cells(row)]) + " |" for row in self.rows]
        return "\n".join([*lines, "", self.footnote()])

    def to_rich(self) -> Any:
        """A ``rich.table.Table`` (``console.print(table)`` also works directly)."""
        from rich.table import Table

        table = Table(*self.headers(), caption=self.footnote(), caption_justify="left")
        for row in self.rows:
            table.add_row(row.name, *self.cells(row))
        return table

    def __rich__(self) -> Any:
        return self.to_rich()


def compare(
    results: Mapping[str, Sequence[EvalResult]],
    metric: str | Sequence[str] = "ndcg@10",
    *,
    alpha: float = 0.05,
) -> ComparisonTable:
    """Mean ± std over seeds of every named system, and a paired t-test against the first.

    Args:
        results: system name -> its results, one per seed (all on the same queries).
        metric: one metric name or several; each must be in every result.
        alpha: significance level marked in the rendered table.
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    _check_results(results, metrics)
    names = list(results)
    query_ids = sorted(next(iter(results.values()))[0].per_query[metrics[0]])
    per_query = {m: {n: _seed_mean(results[n], m, query_ids, n) for n in names} for m in metrics}
    rows = []
    for name in names:
        runs = results[name]
        means = {m: float(np.mean([r.scores[m] for r in runs])) for m in metrics}
        stds = {m: _std([r.scores[m] for r in runs]) for m in metrics}
        base = names[0]
        rows.append(
            SystemScores(
                name=name,
                seeds=len(runs),
                mean=means,
                std=stds,
                delta={
                    m: means[m] - float(np.mean([r.scores[m] for r in results[base]]))
                    for m in metrics
                },
                p_value={
                    m: None
                    if name == base
                    else paired_t_test(per_query[m][base], per_query[m][name])
                    for m in metrics
                },
            )
        )
    return ComparisonTable(metrics=metrics, rows=rows, num_queries=len(query_ids), alpha=alpha)


def paired_t_test(baseline: np.ndarray, system: np.ndarray) -> float:
    """Two-sided p-value of a paired t-test; 1.0 when the two never differ (or < 2 pairs)."""
    diff = np.asarray(system, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    if diff.size < 2 or np.allclose(diff, 0.0):
        return 1.0
    if np.allclose(diff, diff[0]):  # constant non-zero difference: infinitely significant
        return 0.0
    from scipy.stats import ttest_rel

    return float(ttest_rel(system, baseline).pvalue)


def _seed_mean(
    runs: Sequence[EvalResult], metric: str, query_ids: list[str], name: str
) -> np.ndarray:
    rows = []
    for run in runs:
        scores = run.per_query[metric]
        if sorted(scores) != query_ids:
            raise DataError(
                f"System {name!r} was scored on other queries than the first system",
                received=f"{len(scores)} queries ({run.data} {run.split})",
                expected=f"the same {len(query_ids)} queries",
                fix="Compare results of the same dataset and split",
            )
        rows.append([scores[q] for q in query_ids])
    return np.mean(np.asarray(rows, dtype=np.float64), axis=0)


def _std(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _check_results(results: Mapping[str, Sequence[EvalResult]], metrics: list[str]) -> None:
    if not results or not metrics:
        raise ConfigError(
            "Nothing to compare",
            received=dict(results) or None,
            expected="at least one named system with one result, and a metric",
        )
    for name, runs in results.items():
        if not runs:
            raise ConfigError(f"System {name!r} has no results", expected="one per seed")
        for run in runs:
            missing = [m for m in metrics if m not in run.scores or m not in run.per_query]
            if missing:
                raise DataError(
                    f"A result of {name!r} has no {', '.join(missing)}",
                    received=sorted(run.scores),
                    expected=metrics,
                    fix="Evaluate with that metric, or compare another one",
                )
