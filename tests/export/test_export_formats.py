import pyarrow as pa
import pytest

from trueneg.errors import ConfigError, DataError
from trueneg.export import EXPORT_FORMATS, build_export, export_notes

Q1, Q2 = "what is a cat", "capital of france"
D1 = "Cats Cats are small felines."  # title + " " + text
D2, D3 = "A kitten is a young cat.", "Paris is the capital of France."
D4, D6 = "Lyon is a city in France.", "Python is a programming language."


def rows(table):
    return table.to_pylist()


def test_every_format_is_registered():
    assert EXPORT_FORMATS.names() == [
        "flagembedding",
        "labeled-list",
        "labeled-pair",
        "n-tuple",
        "tevatron",
        "triplet",
    ]


def test_triplet_one_row_per_positive_and_negative(negatives, dataset):
    table = build_export(negatives, dataset, "triplet")
    assert table.column_names == ["anchor", "positive", "negative"]
    assert rows(table) == [
        {"anchor": Q1, "positive": D1, "negative": D6},
        {"anchor": Q1, "positive": D1, "negative": D4},
        {"anchor": Q1, "positive": D2, "negative": D6},
        {"anchor": Q1, "positive": D2, "negative": D4},
        {"anchor": Q2, "positive": D3, "negative": D1},
    ]
    assert export_notes(table) == {
        "format": "triplet",
        "queries_total": 3,
        "queries_written": 2,
        "queries_without_kept_negatives": 1,  # q3
        "queries_without_positives": 0,
    }


def test_triplet_with_scores_adds_a_trailing_scores_list(negatives, dataset):
    table = build_export(negatives, dataset, "triplet", include_scores=True)
    assert table.column_names == ["anchor", "positive", "negative", "scores"]
    # no positive scores given: positives get 1.0
    assert table["scores"].to_pylist() == [
        [1.0, 0.5],
        [1.0, 0.4],
        [1.0, 0.5],
        [1.0, 0.4],
        [1.0, 0.2],
    ]


def test_positive_scores_and_another_score_column(negatives, dataset):
    pos = pa.table({"query_id": ["q1", "q2"], "doc_id": ["d2", "d3"], "judge": [0.9, 0.8]})
    table = build_export(
        negatives,
        dataset,
        "triplet",
        include_scores=True,
        score_column="judge",
        positive_scores=pos,
    )
    # q1/d1 has no judge score: 1.0
    assert table["scores"].to_pylist() == [
        [1.0, 0.05],
        [1.0, 0.02],
        [0.9, 0.05],
        [0.9, 0.02],
        [0.8, 0.01],
    ]


def test_n_tuple_drops_queries_short_of_k(negatives, dataset):
    table = build_export(negatives, dataset, "n-tuple", include_scores=True)
    assert table.column_names == ["anchor", "positive", "negative_1", "negative_2", "scores"]
    assert rows(table) == [
        {
            "anchor": Q1,
            "positive": D1,
            "negative_1": D6,
            "negative_2": D4,
            "scores": [1.0, 0.5, 0.4],
        },
        {
            "anchor": Q1,
            "positive": D2,
            "negative_1": D6,
            "negative_2": D4,
            "scores": [1.0, 0.5, 0.4],
        },
    ]
    assert export_notes(table)["queries_short_of_k"] == 1  # q2 has one negative


def test_labeled_pair_positives_then_negatives(negatives, dataset):
    table = build_export(negatives, dataset, "labeled-pair")
    assert table.column_names == ["anchor", "positive", "label"]
    assert rows(table) == [
        {"anchor": Q1, "positive": D1, "label": 1.0},
        {"anchor": Q1, "positive": D2, "label": 1.0},
        {"anchor": Q1, "positive": D6, "label": 0.0},
        {"anchor": Q1, "positive": D4, "label": 0.0},
        {"anchor": Q2, "positive": D3, "label": 1.0},
        {"anchor": Q2, "positive": D1, "label": 0.0},
    ]
    scored = build_export(negatives, dataset, "labeled-pair", include_scores=True)
    assert scored.column_names == ["anchor", "positive", "score"]
    assert scored["score"].to_pylist() == [1.0, 1.0, 0.5, 0.4, 1.0, 0.2]


def test_labeled_list_one_row_per_query(negatives, dataset):
    table = build_export(negatives, dataset, "labeled-list")
    assert table.column_names == ["anchor", "positive", "labels"]
    assert rows(table) == [
        {"anchor": Q1, "positive": [D1, D2, D6, D4], "labels": [1.0, 1.0, 0.0, 0.0]},
        {"anchor": Q2, "positive": [D3, D1], "labels": [1.0, 0.0]},
    ]
    scored = build_export(negatives, dataset, "labeled-list", include_scores=True)
    assert scored.column_names == ["anchor", "positive", "scores"]
    assert scored["scores"].to_pylist() == [[1.0, 1.0, 0.5, 0.4], [1.0, 0.2]]


def test_flagembedding_record_per_query(negatives, dataset):
    assert rows(build_export(negatives, dataset, "flagembedding")) == [
        {"query": Q1, "pos": [D1, D2], "neg": [D6, D4]},
        {"query": Q2, "pos": [D3], "neg": [D1]},
    ]
    scored = build_export(negatives, dataset, "flagembedding", include_scores=True)
    assert rows(scored)[1] == {
        "query": Q2,
        "pos": [D3],
        "neg": [D1],
        "pos_scores": [1.0],
        "neg_scores": [0.2],
    }


def test_tevatron_keeps_ids_and_titles_apart(negatives, dataset):
    table = build_export(negatives, dataset, "tevatron")
    first = rows(table)[0]
    assert first == {
        "query_id": "q1",
        "query": Q1,
        "positive_passages": [
            {"docid": "d1", "title": "Cats", "text": "Cats are small felines."},
            {"docid": "d2", "title": "", "text": D2},
        ],
        "negative_passages": [
            {"docid": "d6", "title": "", "text": D6},
            {"docid": "d4", "title": "", "text": D4},
        ],
    }
    assert [r["query_id"] for r in rows(table)] == ["q1", "q2"]
    scored = build_export(negatives, dataset, "tevatron", include_scores=True)
    assert rows(scored)[1]["negative_passages"][0]["score"] == 0.2


@pytest.mark.parametrize("fmt", sorted(EXPORT_FORMATS.names()))
def test_no_kept_negatives_gives_an_empty_table(negatives, dataset, fmt):
    none_kept = negatives.set_column(5, "kept", pa.array([False] * negatives.num_rows))
    table = build_export(none_kept, dataset, fmt, include_scores=True)
    assert table.num_rows == 0
    assert export_notes(table)["queries_without_kept_negatives"] == 3


def test_unknown_format_lists_the_valid_ones(negatives, dataset):
    with pytest.raises(ConfigError, match="tevatron"):
        build_export(negatives, dataset, "msmarco")


def test_missing_score_column_is_explained(negatives, dataset):
    with pytest.raises(DataError, match="judge2"):
        build_export(negatives, dataset, "triplet", include_scores=True, score_column="judge2")


def test_unknown_document_is_a_data_error(negatives, dataset):
    bad = negatives.set_column(1, "doc_id", pa.array(["d1", "zz", "d6", "d3", "d4", "d6"]))
    with pytest.raises(DataError, match="zz"):
        build_export(bad, dataset, "triplet")


def test_training_queries_restrict_the_export_and_are_counted(negatives, dataset):
    import pyarrow as pa

    every = build_export(negatives, dataset, "triplet")
    only = build_export(negatives, dataset, "triplet", queries=pa.array(["q2", "q3"]))
    assert rows(only) == [r for r in rows(every) if r["anchor"] == Q2]
    # q1 had a positive and kept negatives: left out by the choice; q3 had none anyway
    assert export_notes(only)["queries_not_for_training"] == 1
    assert export_notes(only)["queries_without_kept_negatives"] == 1
    assert "queries_not_for_training" not in export_notes(every)
