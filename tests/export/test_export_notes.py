"""Every query of the dataset is either written or counted under one reason, and the note
words the reasons."""

import pyarrow as pa
import pytest

from trueneg.export import EXPORT_FORMATS, build_export, export_notes, left_out_note

REASONS = (
    "queries_without_positives",
    "queries_without_kept_negatives",
    "queries_not_for_training",
    "queries_short_of_k",
)


@pytest.mark.parametrize("queries", [None, ["q2", "q3"]])
@pytest.mark.parametrize("fmt", EXPORT_FORMATS.names())
def test_written_plus_left_out_is_every_query(negatives, dataset, fmt, queries):
    chosen = None if queries is None else pa.array(queries)
    notes = export_notes(build_export(negatives, dataset, fmt, queries=chosen))
    left = sum(int(notes.get(reason, 0)) for reason in REASONS)
    assert notes["queries_written"] + left == notes["queries_total"] == 3


def test_n_tuple_records_its_k_and_the_note_words_it(negatives, dataset):
    notes = export_notes(build_export(negatives, dataset, "n-tuple"))
    assert notes["queries_written"] == 1 and notes["negatives_per_row"] == 2
    assert left_out_note(notes) == (
        "left out 2 of 3 queries: 1 with no kept negative (none retrieved, or none passed the "
        "filters; see the run summary); 1 with fewer than the 2 kept negatives each n-tuple "
        "row needs (mining with --shortfall backfill fills them where candidates remain)"
    )


def test_training_queries_note_names_the_rank_cut():
    notes = {"queries_total": 10, "queries_written": 6, "queries_not_for_training": 4}
    note = left_out_note(notes, max_positive_rank=100)
    assert note.startswith("left out 4 of 10 queries: 4 whose labeled positive")
    assert "top 100" in note and "--all-queries" in note


def test_no_note_when_every_query_is_written():
    assert left_out_note({"queries_total": 2, "queries_written": 2}) is None
