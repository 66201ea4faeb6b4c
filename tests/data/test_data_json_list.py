"""A ``.json`` list read one item at a time: the same records as ``json.loads``, in bounded
memory, with errors that name the line, the column and the item."""

from __future__ import annotations

import gzip
import json
import random
import tracemalloc

import pytest

from trueneg.data import json_list
from trueneg.data.jsonl import iter_json
from trueneg.errors import DataError


def records(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    tricky = ['a "quoted" ], {comma}', "line\nbreak", "ünïcødé ✓", "\\back\\slash", ""]
    return [
        {
            "_id": f"d{i}",
            "text": rng.choice(tricky) * rng.randint(0, 3),
            "score": rng.choice([0, 1, -2.5e-3, 12345678901234567890, None, True]),
            "meta": {"tags": [rng.randint(0, 9) for _ in range(rng.randint(0, 4))], "x": {}},
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("chunk", [1, 3, 17, 4096])
@pytest.mark.parametrize("indent", [None, 2])
def test_every_item_as_json_loads_reads_it(tmp_path, chunk, indent):
    items = records(60)
    path = tmp_path / "items.json"
    path.write_text(json.dumps(items, indent=indent, ensure_ascii=False), encoding="utf-8")
    got = list(json_list.iter_json_list(path, chunk=chunk))
    assert got == list(enumerate(items, start=1))


def test_a_byte_order_mark_white_space_and_gzip(tmp_path):
    items = records(5)
    path = tmp_path / "items.json.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf \n " + json.dumps(items).encode() + b"\n\n"))
    assert [item for _, item in iter_json(path)] == items


def test_json_lines_in_a_json_file_are_still_read_as_lines(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text('{"_id": "a"}\n{"_id": "b"}\n', encoding="utf-8")
    assert list(iter_json(path)) == [(1, {"_id": "a"}), (2, {"_id": "b"})]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[{"a": 1},\n {"a": 2,, "b": 3}]',
            r"item 2: Expecting property name .* at line 2 column 10",
        ),
        ('[{"a": 1}, 7]', "item 2 is a JSON int, not an object"),
        ('[{"a": 1} {"a": 2}]', r"expected ',' or ']' after item 1 at line 1 column 11"),
        ('[{"a": 1}] x', r"extra data after the list's closing '\]' at line 1 column 12"),
        ('[{"a": 1},', "item 2: Expecting value"),
        ('[{"a": "never closed}]', "item 1: Unterminated string"),
        ("[ ]", "is empty"),
    ],
)
def test_errors_name_the_item_and_the_place(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        list(json_list.iter_json_list(path, chunk=4))


def test_an_item_that_never_decodes_stops_at_the_item_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(json_list, "MAX_ITEM_CHARS", 100)
    path = tmp_path / "bad.json"
    path.write_text('[{"a": "' + "x" * 10_000 + "}]", encoding="utf-8")
    with pytest.raises(DataError, match="item 1: Unterminated string"):
        list(json_list.iter_json_list(path, chunk=10))


def test_not_utf8_says_how_to_convert(tmp_path):
    path = tmp_path / "latin.json"
    path.write_bytes('[{"a": "café"}]'.encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        list(json_list.iter_json_list(path))


def test_a_large_list_is_read_in_memory_bounded_by_the_chunk(tmp_path):
    items = records(20_000, seed=1)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    size = path.stat().st_size
    tracemalloc.start()
    count = sum(1 for _ in json_list.iter_json_list(path, chunk=1 << 14))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == len(items)
    assert size > 2_000_000 and peak < size / 10
