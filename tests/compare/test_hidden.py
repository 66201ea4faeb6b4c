"""Hidden-qrels prep: which positives stay, which are hidden, reuse and overwrite, the count."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from trueneg.compare.hidden import (
    HIDDEN_FILE,
    false_negative_rate,
    hide_extra_positives,
    read_positives,
    relabel_precision,
)
from trueneg.data.hidden import draw_hidden

QRELS = [
    ("q1", "d1", 1),
    ("q1", "d2", 1),
    ("q1", "d3", 2),
    ("q1", "d9", 0),  # judged not relevant: never a positive
    ("q2", "d4", 1),
    ("q3", "d5", 1),
    ("q3", "d6", 1),
    ("q3", "d5", 1),  # repeated row: counted once
]


@pytest.fixture()
def beir(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    (source / "qrels").mkdir(parents=True)
    rows = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{s}" for q, d, s in QRELS]
    (source / "qrels" / "train.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (source / "corpus.jsonl").write_text('{"_id": "d1", "text": "a"}\n', encoding="utf-8")
    (source / "queries.jsonl").write_text('{"_id": "q1", "text": "b"}\n', encoding="utf-8")
    return source


def kept_positives(dest: Path) -> dict[str, list[str]]:
    return read_positives(dest / "qrels" / "train.tsv")


def test_read_positives_keeps_file_order_once_and_skips_zero_scores(beir: Path) -> None:
    assert read_positives(beir / "qrels" / "train.tsv") == {
        "q1": ["d1", "d2", "d3"],
        "q2": ["d4"],
        "q3": ["d5", "d6"],
    }


def test_one_positive_kept_per_query_the_rest_hidden(beir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "hidden"
    hidden = hide_extra_positives(beir, "train", dest, seed=0)

    kept = kept_positives(dest)
    assert sorted(kept) == ["q1", "q2", "q3"]
    assert all(len(docs) == 1 for docs in kept.values())
    everything = read_positives(beir / "qrels" / "train.tsv")
    for query_id, docs in everything.items():
        assert sorted(kept[query_id] + hidden.get(query_id, [])) == sorted(docs)
    assert "q2" not in hidden  # nothing to hide: not listed
    assert json.loads((dest / HIDDEN_FILE).read_text(encoding="utf-8")) == hidden
    assert (dest / "corpus.jsonl").resolve() == (beir / "corpus.jsonl").resolve()
    assert (dest / "queries.jsonl").is_symlink()


def test_keep_two(beir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "hidden"
    hidden = hide_extra_positives(beir, "train", dest, seed=0, keep=2)
    assert [len(docs) for docs in kept_positives(dest).values()] == [2, 1, 2]
    assert list(hidden) == ["q1"] and len(hidden["q1"]) == 1


def test_the_draw_depends_on_the_seed_only(beir: Path, tmp_path: Path) -> None:
    draws = {
        seed: hide_extra_positives(beir, "train", tmp_path / f"s{seed}", seed=seed)
        for seed in range(8)
    }
    again = hide_extra_positives(beir, "train", tmp_path / "again", seed=3)
    assert again == draws[3]
    assert len({json.dumps(d, sort_keys=True) for d in draws.values()}) > 1


# The published benchmark splits come from this draw: these files must never change.
PINNED = {
    (0, 1): ("q1\td1\t1\nq2\td4\t1\nq3\td6\t1\n", {"q1": ["d2", "d3"], "q3": ["d5"]}),
    (1, 1): ("q1\td2\t1\nq2\td4\t1\nq3\td5\t1\n", {"q1": ["d1", "d3"], "q3": ["d6"]}),
    (0, 2): ("q1\td1\t1\nq1\td3\t1\nq2\td4\t1\nq3\td6\t1\nq3\td5\t1\n", {"q1": ["d2"]}),
}


@pytest.mark.parametrize(("seed", "keep"), sorted(PINNED))
def test_the_split_files_are_pinned_byte_for_byte(beir: Path, tmp_path: Path, seed, keep) -> None:
    qrels, hidden = PINNED[seed, keep]
    dest = tmp_path / "hidden"
    assert hide_extra_positives(beir, "train", dest, seed=seed, keep=keep) == hidden
    text = (dest / "qrels" / "train.tsv").read_text(encoding="utf-8")
    assert text == "query-id\tcorpus-id\tscore\n" + qrels
    assert (dest / HIDDEN_FILE).read_text(encoding="utf-8") == json.dumps(hidden, indent=1) + "\n"


def test_draw_hidden_contract() -> None:
    positives = {"b": ["x1", "x2", "x3"], "a": ["y1", "y2"], "c": ["z1"]}
    draw = draw_hidden(positives, 5, lambda n: 1)
    assert list(draw) == ["a", "b", "c"]  # sorted query ids, whatever the mapping's order
    for query_id, (visible, hidden) in draw.items():
        assert len(visible) == 1 and sorted(visible + hidden) == sorted(positives[query_id])
    assert draw["c"] == (["z1"], [])
    # a query with a single positive draws no number: adding or removing one moves nothing
    fewer = draw_hidden({"b": positives["b"], "a": positives["a"]}, 5, lambda n: 1)
    assert fewer == {k: v for k, v in draw.items() if k != "c"}
    assert draw_hidden(positives, 5, lambda n: 1) == draw  # seeded
    assert draw_hidden(positives, 5, lambda n: n)["b"] == (draw["b"][0] + draw["b"][1], [])


def test_a_finished_folder_is_reused_unless_overwritten(beir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "hidden"
    first = hide_extra_positives(beir, "train", dest, seed=0)
    other_seed = next(
        s
        for s in range(1, 20)
        if hide_extra_positives(beir, "train", tmp_path / f"probe{s}", seed=s) != first
    )
    assert hide_extra_positives(beir, "train", dest, seed=other_seed) == first
    rewritten = hide_extra_positives(beir, "train", dest, seed=other_seed, overwrite=True)
    assert rewritten != first
    assert json.loads((dest / HIDDEN_FILE).read_text(encoding="utf-8")) == rewritten
    for query_id, docs in rewritten.items():
        assert not set(docs) & set(kept_positives(dest)[query_id])


def test_false_negative_rate_counts_hidden_positives_among_kept() -> None:
    kept = pa.table({"query_id": ["q1", "q1", "q3", "q2"], "doc_id": ["d2", "d7", "d8", "d2"]})
    result = false_negative_rate(kept, {"q1": ["d2", "d3"], "q3": ["d6"]})
    assert result == {"kept": 4, "false_negatives": 1, "fn_rate": pytest.approx(0.25)}
    empty = kept.slice(0, 0)
    assert false_negative_rate(empty, {"q1": ["d2"]}) == {
        "kept": 0,
        "false_negatives": 0,
        "fn_rate": 0.0,
    }


def test_relabel_precision_counts_hidden_positives_among_relabeled() -> None:
    # q1's d2 is a hidden positive the judge relabeled (right); q2's d5 is not hidden (its
    # relevance is unknown: the precision is a lower bound); q1's d3 was only dropped
    negatives = pa.table(
        {
            "query_id": ["q1", "q1", "q2", "q2"],
            "doc_id": ["d2", "d3", "d5", "d6"],
            "reason": ["relabel", "percent", "relabel", ""],
        }
    )
    result = relabel_precision(negatives, {"q1": ["d2", "d3"]})
    assert result == {
        "relabeled": 2,
        "hidden_positives": 1,
        "precision_lower_bound": pytest.approx(0.5),
    }
    assert relabel_precision(negatives.filter(pa.array([False, True, False, True])), {}) == {}
