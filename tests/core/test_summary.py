"""summarize: counts per reason, short queries and score quantiles."""

import numpy as np
import pyarrow as pa

from trueneg.summary import Summary, summarize


def _tables():
    negatives = pa.table(
        {
            "query_id": ["q1"] * 4 + ["q2"] * 2,
            "doc_id": ["a", "b", "c", "d", "a", "e"],
            "rank": [1, 2, 3, 4, 1, 2],
            "score": np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], dtype=np.float32),
            "kept": [False, True, True, False, True, False],
            "reason": ["percent", "", "", "not-sampled", "", "near-duplicate"],
        }
    )
    stats = pa.table(
        {
            "query_id": ["q1", "q2"],
            "positive_min": np.array([0.85, 0.6], dtype=np.float32),
            "candidates": np.array([4, 2], dtype=np.int32),
            "dropped": [False, False],
        }
    )
    return negatives, stats


def test_counts_and_reasons():
    negatives, stats = _tables()
    summary = summarize(negatives, stats, num_negatives=2)
    assert (summary.queries, summary.candidates, summary.kept) == (2, 6, 3)
    assert summary.dropped == {"percent": 1, "not-sampled": 1, "near-duplicate": 1}
    assert (summary.queries_full, summary.queries_short) == (1, 1)


def test_quantiles_split_kept_and_dropped():
    negatives, stats = _tables()
    quantiles = summarize(negatives, stats, num_negatives=2).score_quantiles
    assert quantiles["kept negatives"]["q0"] == 0.5
    assert quantiles["kept negatives"]["q100"] == 0.8
    assert quantiles["dropped negatives"]["q100"] == 0.9
    assert quantiles["positive (lowest per query)"]["q50"] == 0.725


def test_round_trip_and_markdown():
    negatives, stats = _tables()
    summary = summarize(negatives, stats, num_negatives=2)
    again = Summary.from_dict(summary.to_dict())
    assert again == summary
    text = summary.to_markdown()
    assert "| percent | 1 |" in text and "kept: 3" in text
