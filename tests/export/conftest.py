"""A tiny dataset and a selection result over it, annotated by hand."""

import pyarrow as pa
import pytest

from trueneg.data.tables import Dataset, make_corpus, make_qrels, make_queries


@pytest.fixture
def dataset():
    queries = make_queries(["q1", "q2", "q3"], ["what is a cat", "capital of france", "snakes"])
    corpus = make_corpus(
        ["d1", "d2", "d3", "d4", "d5", "d6"],
        [
            "Cats are small felines.",
            "A kitten is a young cat.",
            "Paris is the capital of France.",
            "Lyon is a city in France.",
            "Pythons are large snakes.",
            "Python is a programming language.",
        ],
        ["Cats", "", "", "", "", ""],
    )
    # q1 has two positives (d1, d2); q3's positive d5 has no kept negative.
    qrels = make_qrels(["q1", "q1", "q2", "q3"], ["d1", "d2", "d3", "d5"])
    return Dataset(queries, corpus, qrels)


@pytest.fixture
def negatives():
    rows = [
        # query, doc, rank, score, judge, kept, reason
        ("q2", "d1", 2, 0.20, 0.01, True, ""),
        ("q1", "d4", 2, 0.40, 0.02, True, ""),
        ("q1", "d6", 1, 0.50, 0.05, True, ""),
        ("q1", "d3", 3, 0.10, 0.00, False, "not-sampled"),
        # d4 ("Lyon is a city in France") is close to q2's positive: the percent filter drops it
        ("q2", "d4", 1, 0.80, 0.40, False, "percent"),
        # d6 ("Python is a programming language") is the only candidate of q3; a judge
        # found it ambiguous, so q3 ends with no kept negative
        ("q3", "d6", 1, 0.90, 0.60, False, "margin"),
    ]
    names = ["query_id", "doc_id", "rank", "score", "judge", "kept", "reason"]
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
