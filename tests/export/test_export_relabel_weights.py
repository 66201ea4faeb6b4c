"""Relabeled candidates exported as positives, and negative weights as columns."""

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from trueneg.export import build_export, export_notes

Q1, Q2 = "what is a cat", "capital of france"
D1 = "Cats Cats are small felines."
D2, D3 = "A kitten is a young cat.", "Paris is the capital of France."
D4, D5, D6 = (
    "Lyon is a city in France.",
    "Pythons are large snakes.",
    "Python is a programming language.",
)


@pytest.fixture
def relabeled(negatives):
    """The shared fixture plus: the judge found d2 relevant to q2 (it is not, the fixture is
    hand-made: the point is the plumbing) and relabeled it; weights on the kept negatives."""
    extra = pa.table(
        {
            "query_id": ["q2"],
            "doc_id": ["d2"],
            "rank": [3],
            "score": [0.15],
            "judge": [0.9],
            "kept": [False],
            "reason": ["relabel"],
        },
        schema=negatives.schema,
    )
    table = pa.concat_tables([negatives, extra])
    weight = pc.if_else(table["kept"], pc.subtract(1.0, table["judge"]), 1.0)
    return table.append_column("weight", pc.cast(weight, pa.float32()))


def test_triplet_carries_relabeled_positives_and_weights(relabeled, dataset):
    table = build_export(relabeled, dataset, "triplet")
    assert table.column_names == ["anchor", "positive", "negative", "weight"]
    q2 = [r for r in table.to_pylist() if r["anchor"] == Q2]
    # the labeled positive first, then the relabeled one; one row per positive × negative
    assert [(r["positive"], r["negative"]) for r in q2] == [(D3, D1), (D2, D1)]
    assert [r["weight"] for r in q2] == pytest.approx([0.99, 0.99])
    assert export_notes(table)["relabeled_positives"] == 1


def test_n_tuple_one_row_per_positive_with_weights(relabeled, dataset):
    table = build_export(relabeled, dataset, "n-tuple")
    weights = {r["positive"]: r["weights"] for r in table.to_pylist()}
    assert weights[D1] == pytest.approx([0.95, 0.98])  # q1's negatives d6 (rank 1), d4
    assert D2 in weights and D3 not in weights  # q2 has 1 negative (< k=2): left out


def test_lists_and_labels_carry_relabeled_positives(relabeled, dataset):
    flag = {r["query"]: r for r in build_export(relabeled, dataset, "flagembedding").to_pylist()}
    assert flag[Q2]["pos"] == [D3, D2] and flag[Q2]["neg_weights"] == pytest.approx([0.99])
    tev = {r["query"]: r for r in build_export(relabeled, dataset, "tevatron").to_pylist()}
    assert [p["docid"] for p in tev[Q2]["positive_passages"]] == ["d3", "d2"]
    assert tev[Q2]["negative_passages"][0]["weight"] == pytest.approx(0.99)
    pairs = build_export(relabeled, dataset, "labeled-pair").to_pylist()
    assert {"anchor": Q2, "positive": D2, "label": 1.0} in pairs
    lists = {r["anchor"]: r for r in build_export(relabeled, dataset, "labeled-list").to_pylist()}
    assert lists[Q2]["labels"] == [1.0, 1.0, 0.0]


def test_relabeled_positive_scores_come_from_the_score_column(relabeled, dataset):
    table = build_export(
        relabeled, dataset, "flagembedding", include_scores=True, score_column="judge"
    )
    q2 = next(r for r in table.to_pylist() if r["query"] == Q2)
    assert q2["pos_scores"] == pytest.approx([1.0, 0.9])  # labeled (unknown → 1.0), relabeled


def test_the_weight_column_appears_only_for_weighted_runs(negatives, dataset):
    table = negatives.append_column("weight", pa.array([1.0] * negatives.num_rows, pa.float32()))
    plain = build_export(negatives, dataset, "triplet")
    weighted = build_export(table, dataset, "triplet")
    assert "weight" not in plain.column_names and weighted.num_rows == plain.num_rows
