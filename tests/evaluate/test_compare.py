"""``compare`` on synthetic per-query scores: mean ± std over seeds, paired t-test."""

from __future__ import annotations

import numpy as np
import pytest

from trueneg.errors import ConfigError, DataError
from trueneg.evaluate import EvalResult, compare
from trueneg.evaluate.compare import paired_t_test

QUERIES = [f"q{i}" for i in range(40)]


def result(scores: np.ndarray, name: str = "", metric: str = "ndcg@10") -> EvalResult:
    per_query = {metric: dict(zip(QUERIES, map(float, scores), strict=True))}
    return EvalResult(scores={metric: float(np.mean(scores))}, per_query=per_query, name=name)


@pytest.fixture
def systems() -> dict[str, list[EvalResult]]:
    """A baseline (1 seed), a clearly better system (3 seeds) and a same-as-baseline one."""
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, size=len(QUERIES))
    better = [base + 0.1 + rng.normal(0, 0.02, size=len(QUERIES)) for _ in range(3)]
    noise = [base + rng.normal(0, 0.05, size=len(QUERIES)) for _ in range(2)]
    return {
        "base": [result(base)],
        "better": [result(s) for s in better],
        "noise": [result(s) for s in noise],
    }


def t_test_by_hand(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import t

    diff = b - a
    stat = diff.mean() / (diff.std(ddof=1) / np.sqrt(diff.size))
    return float(2 * t.sf(abs(stat), df=diff.size - 1))


def test_mean_std_over_seeds_and_p_values(systems):
    table = compare(systems)
    base, better, noise = table.rows
    assert [r.name for r in table.rows] == ["base", "better", "noise"]
    assert table.baseline == "base" and table.num_queries == 40
    seed_means = [r.scores["ndcg@10"] for r in systems["better"]]
    assert better.seeds == 3
    assert better.mean["ndcg@10"] == pytest.approx(np.mean(seed_means))
    assert better.std["ndcg@10"] == pytest.approx(np.std(seed_means, ddof=1))
    assert better.delta["ndcg@10"] == pytest.approx(better.mean["ndcg@10"] - base.mean["ndcg@10"])
    assert base.p_value["ndcg@10"] is None and base.std["ndcg@10"] == 0.0
    assert better.p_value["ndcg@10"] < 1e-10
    assert noise.p_value["ndcg@10"] > 0.05


def test_the_test_pairs_queries_after_averaging_seeds(systems):
    table = compare(systems)
    base = np.array([systems["base"][0].per_query["ndcg@10"][q] for q in sorted(QUERIES)])
    runs = [[r.per_query["ndcg@10"][q] for q in sorted(QUERIES)] for r in systems["noise"]]
    expected = t_test_by_hand(base, np.mean(runs, axis=0))
    assert table.rows[2].p_value["ndcg@10"] == pytest.approx(expected)


def test_paired_t_test_edge_cases():
    same = np.array([0.1, 0.5, 0.9])
    assert paired_t_test(same, same) == 1.0
    assert paired_t_test(same, same + 0.1) == 0.0
    assert paired_t_test(np.array([0.1]), np.array([0.9])) == 1.0


def test_renders_markdown_and_rich(systems):
    from rich.console import Console

    table = compare(systems)
    markdown = table.to_markdown()
    assert markdown.splitlines()[0].startswith("| system | seeds | ndcg@10 | Δ ndcg@10 |")
    assert "| base | 1 | " in markdown and "baseline" in markdown
    assert " ± " in markdown and "*" in markdown and "paired two-sided t-test" in markdown
    console = Console(record=True, width=200)
    console.print(table)
    assert "better" in console.export_text()
    assert table.to_dict()["systems"][1]["name"] == "better"


def test_several_metrics():
    rows = np.linspace(0, 1, len(QUERIES))
    one = result(rows)
    one.scores["mrr@10"] = 0.5
    one.per_query["mrr@10"] = dict.fromkeys(QUERIES, 0.5)
    table = compare({"a": [one], "b": [one]}, ["ndcg@10", "mrr@10"])
    assert table.metrics == ["ndcg@10", "mrr@10"]
    assert table.rows[1].p_value == {"ndcg@10": 1.0, "mrr@10": 1.0}


def test_errors(systems):
    with pytest.raises(ConfigError, match="Nothing to compare"):
        compare({})
    with pytest.raises(ConfigError, match="has no results"):
        compare({"a": systems["base"], "b": []})
    with pytest.raises(DataError, match="has no recall@100"):
        compare(systems, "recall@100")
    fewer = EvalResult(scores={"ndcg@10": 0.5}, per_query={"ndcg@10": {"q1": 0.5}})
    with pytest.raises(DataError, match="other queries"):
        compare({"a": systems["base"], "b": [fewer]})
