"""A run directory is trueneg's own: damaged files are named by readers and rebuilt by `mine`,
the user's files are never overwritten, and exports cannot replace the run's own files."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from reliability.conftest import cli, one_line_error
from trueneg.run import MARKER

pytestmark = pytest.mark.slow

DAMAGES = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "empty": lambda p: p.write_bytes(b""),
    "zeroed": lambda p: p.write_bytes(bytes(p.stat().st_size)),
}


def mine_again(tiny, run):
    return cli("mine", tiny, "--out", run, "-k", "2", "-q")


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("name", ["negatives.parquet", "candidates.parquet", "data/corpus.parquet"])
def test_readers_name_a_damaged_table_and_mine_rebuilds_it(tiny, run_copy, name, damage):
    before = (run_copy / name).read_bytes()
    DAMAGES[damage](run_copy / name)
    export = cli("export", run_copy, "--format", "triplet", "--to", run_copy.parent / "t.jsonl")
    audit = cli("audit", run_copy, "--hide-fraction", "0", "--no-report", "-q")
    # sizes are checked when a run is opened, contents when a table is read: neither command
    # reads the candidates here, so a same-size change there goes unnoticed until `mine`
    unread = name == "candidates.parquet" and damage == "zeroed"
    for result in [] if unread else [export, audit]:
        message = one_line_error(result)
        assert f"{name} is damaged" in message and "Re-run the same `trueneg mine`" in message

    repaired = cli("mine", tiny, "--out", run_copy, "-k", "2")
    assert repaired.returncode == 0, repaired.stderr
    assert f"{name}" in repaired.stderr and "rebuilding it" in repaired.stderr
    assert (run_copy / name).read_bytes() == before
    again = cli("export", run_copy, "--format", "triplet", "--to", run_copy.parent / "t.jsonl")
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("content", [b"\x00\x01\x02binary", b"[1, 2]", b""])
def test_a_damaged_manifest_is_named_and_mine_rewrites_it(tiny, run_copy, content):
    (run_copy / "manifest.json").write_bytes(content)
    for args in (
        ["export", run_copy, "--format", "triplet", "--to", run_copy / "t.jsonl"],
        ["audit", run_copy, "--hide-fraction", "0", "--no-report", "-q"],
    ):
        message = one_line_error(cli(*args))
        assert "manifest.json is damaged" in message and "trueneg mine" in message
    assert mine_again(tiny, run_copy).returncode == 0
    assert json.loads((run_copy / "manifest.json").read_text())["counts"]["queries"] == 4


def test_a_damaged_state_file_is_repaired_by_mine(tiny, run_copy):
    negatives = (run_copy / "negatives.parquet").read_bytes()
    (run_copy / "state.json").write_text("not json")
    result = cli("mine", tiny, "--out", run_copy, "-k", "2")
    assert result.returncode == 0, result.stderr
    assert "state.json is damaged" in result.stderr
    assert (run_copy / "negatives.parquet").read_bytes() == negatives
    assert json.loads((run_copy / "state.json").read_text())["select"]["outputs"]


def test_an_export_cannot_replace_the_runs_own_file(tiny, run_copy):
    before = (run_copy / "negatives.parquet").read_bytes()
    result = cli("export", run_copy, "--format", "triplet", "--to", run_copy / "negatives.parquet")
    message = one_line_error(result)
    assert "belongs to the run" in message and "--to" in message
    assert (run_copy / "negatives.parquet").read_bytes() == before
    inside = cli("export", run_copy, "--format", "triplet", "--to", run_copy / "triplets.jsonl")
    assert inside.returncode == 0 and "(8 rows, 4 queries)" in inside.stdout
    assert mine_again(tiny, run_copy).returncode == 0


def test_an_export_through_a_link_replaces_the_link_not_its_target(run_copy, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("do not overwrite")
    link = tmp_path / "train.jsonl"
    link.symlink_to(target)
    result = cli("export", run_copy, "--format", "triplet", "--to", link)
    assert result.returncode == 0, result.stderr
    assert target.read_text() == "do not overwrite"
    assert not link.is_symlink() and len(link.read_text().splitlines()) == 8


def test_an_export_of_no_rows_says_so(tiny, tmp_path):
    out = tmp_path / "none"
    mined = cli("mine", tiny, "--out", out, "--filter", "max-score:-1", "-q")
    assert mined.returncode == 0, mined.stderr
    result = cli("export", out, "--format", "triplet", "--to", tmp_path / "t.jsonl")
    assert result.returncode == 0
    assert "(0 rows, 0 queries)" in result.stdout and "the export has no rows" in result.stderr


@pytest.mark.parametrize(
    "files", [["notes.txt"], ["manifest.json"], ["state.json"], ["data/corpus.parquet"]]
)
def test_mine_never_overwrites_a_users_files(tiny, tmp_path, files):
    out = tmp_path / "mine"
    for name in files:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(f"the user's {name}")
    message = one_line_error(cli("mine", tiny, "--out", out, "-q"))
    assert str(out) in message and files[0].split("/")[0] in message
    forced = cli("mine", tiny, "--out", out, "--force", "-q")
    if files == ["notes.txt"]:  # beside the user's file: allowed with --force
        assert forced.returncode == 0, forced.stderr
        assert (out / MARKER).is_file() and pq.read_table(out / "negatives.parquet").num_rows
    else:  # under a run's own names: refused even with --force
        assert "did not create them" in one_line_error(forced)
    for name in files:
        assert (out / name).read_text() == f"the user's {name}"


def test_a_readers_command_on_a_folder_that_is_not_a_run(tmp_path):
    (tmp_path / "manifest.json").write_text('{"trueneg_version": "0.1.0"}')
    message = one_line_error(cli("export", tmp_path, "--format", "triplet", "--to", "x.jsonl"))
    assert "is not a trueneg run directory" in message
