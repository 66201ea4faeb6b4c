"""RunDir: ownership, locking, verified stage outputs, manifest and version checks."""

import json
import os
import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest

from trueneg import __version__
from trueneg.errors import RunDirError, StorageError
from trueneg.hashing import tree_fingerprint as file_fingerprint
from trueneg.run import LOCK, MARKER, RunDir, fingerprint, guard_destination
from trueneg.storage import atomic_write_json


def new_run(path):
    """A run directory as ``mine`` leaves it: claimed, marked, unlocked."""
    run = RunDir(path, create=True)
    with run.writing():
        pass
    return run


def test_atomic_write_leaves_no_temp_files(tmp_path):
    atomic_write_json(tmp_path / "a.json", {"x": 1})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_stage_reused_only_with_same_fingerprint_and_outputs(tmp_path):
    run = new_run(tmp_path / "run")
    run.write_table("t.parquet", pa.table({"a": [1, 2]}))
    run.mark_stage("retrieve", "fp1", outputs=["t.parquet"], seconds=1.0)
    assert run.stage_done("retrieve", "fp1")
    assert not run.stage_done("retrieve", "fp2")
    (run.path / "t.parquet").unlink()
    assert not run.stage_done("retrieve", "fp1")


@pytest.mark.parametrize(
    "damage, says",
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-7]), "bytes where the stage wrote"),
        (lambda p: p.write_bytes(b""), "bytes where the stage wrote"),
        (lambda p: p.write_bytes(bytes(len(p.read_bytes()))), "content hash differs"),
        (lambda p: (p.unlink(), p.symlink_to(p.with_name("elsewhere"))), "symbolic link"),
    ],
    ids=["truncated", "empty", "same-size-other-bytes", "symlink"],
)
def test_a_damaged_output_is_not_done_and_says_which_file(tmp_path, caplog, damage, says):
    run = new_run(tmp_path / "run")
    run.write_table("t.parquet", pa.table({"a": list(range(100))}))
    (run.path / "elsewhere").write_bytes(b"x")
    run.mark_stage("retrieve", "fp", outputs=["t.parquet"], seconds=1.0)
    damage(run.path / "t.parquet")
    assert not run.stage_done("retrieve", "fp")
    assert "t.parquet" in caplog.text and says in caplog.text and "rebuilding" in caplog.text
    with pytest.raises(RunDirError, match="damaged") as err:
        run.read_table("t.parquet")
    assert "trueneg mine" in str(err.value)


def test_a_table_that_does_not_parse_is_named(tmp_path):
    run = new_run(tmp_path / "run")
    (run.path / "t.parquet").write_bytes(b"not parquet")
    with pytest.raises(RunDirError, match=r"t\.parquet is damaged: it cannot be read"):
        run.read_table("t.parquet")


def test_outputs_recorded_before_this_format_are_redone(tmp_path):
    run = new_run(tmp_path / "run")
    run.write_table("t.parquet", pa.table({"a": [1]}))
    atomic_write_json(run.path / "state.json", {"load": {"fingerprint": "fp", "outputs": []}})
    assert not run.stage_done("load", "fp")


def test_a_damaged_state_file_means_every_stage_is_redone(tmp_path, caplog):
    run = new_run(tmp_path / "run")
    run.mark_stage("load", "fp", outputs=[], seconds=0)
    (run.path / "state.json").write_bytes(b"\x00\xff garbage")
    assert run.state() == {}
    assert "state.json is damaged" in caplog.text
    (run.path / "state.json").write_text("[1, 2]")
    assert not run.stage_done("load", "fp")


def test_invalidate_drops_later_stages(tmp_path):
    run = new_run(tmp_path)
    for stage in ("load", "encode", "retrieve", "select"):
        run.mark_stage(stage, stage, outputs=[], seconds=0)
    run.invalidate_from("retrieve", ["load", "encode", "retrieve", "select"])
    assert sorted(run.state()) == ["encode", "load"]


def test_manifest_missing_says_how_to_finish(tmp_path):
    with pytest.raises(RunDirError, match="has not finished"):
        new_run(tmp_path).manifest()


def test_manifest_from_another_version_is_refused(tmp_path):
    run = new_run(tmp_path)
    run.write_manifest({"x": 1})
    assert run.manifest()["trueneg_version"] == __version__
    atomic_write_json(tmp_path / "manifest.json", {"trueneg_version": "9.9.0"})
    with pytest.raises(RunDirError, match="another trueneg version"):
        run.manifest()


@pytest.mark.parametrize("content", [b"\x89PNG\x00\x01binary", b"[1, 2, 3]", b'"text"', b""])
def test_a_damaged_manifest_is_named_with_the_fix(tmp_path, content):
    run = new_run(tmp_path)
    (tmp_path / "manifest.json").write_bytes(content)
    with pytest.raises(RunDirError, match=r"manifest\.json is damaged") as err:
        run.manifest()
    assert "Re-run the same `trueneg mine` command" in str(err.value)


def test_missing_run_dir_and_file_path(tmp_path):
    with pytest.raises(RunDirError, match="not found"):
        RunDir(tmp_path / "nope")
    file = tmp_path / "f"
    file.write_text("x")
    with pytest.raises(RunDirError, match="is a file"):
        RunDir(file, create=True)


def test_fingerprints_are_stable_and_content_based(tmp_path):
    assert fingerprint("a", 1, [2]) == fingerprint("a", 1, [2])
    assert fingerprint("a", 1) != fingerprint("a", 2)
    (tmp_path / "x.txt").write_text("one")
    before = file_fingerprint(tmp_path)
    (tmp_path / "x.txt").write_text("two")
    assert file_fingerprint(tmp_path) != before


# ownership ----------------------------------------------------------------------------------
def test_a_new_or_empty_folder_becomes_a_run(tmp_path):
    (tmp_path / "empty").mkdir()
    for path in (tmp_path / "new", tmp_path / "empty"):
        new_run(path)
        assert json.loads((path / MARKER).read_text())["format"] == 1
        RunDir(path)  # a reader accepts it


def test_a_folder_with_the_users_files_is_refused_without_force(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunDirError, match="not empty and is not a trueneg run") as err:
        RunDir(tmp_path, create=True)
    assert "notes.txt" in str(err.value) and "--force" in str(err.value)
    RunDir(tmp_path, create=True, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "name", ["manifest.json", "state.json", "negatives.parquet", "data/corpus.parquet"]
)
def test_files_under_a_runs_names_are_never_overwritten_even_with_force(tmp_path, name):
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text("the user's own file")
    for force in (False, True):
        with pytest.raises(RunDirError):
            RunDir(tmp_path, create=True, force=force)
    assert (tmp_path / name).read_text() == "the user's own file"
    assert not (tmp_path / MARKER).exists()


def test_a_reader_refuses_a_folder_that_is_not_a_run(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(RunDirError, match="not a trueneg run directory") as err:
        RunDir(tmp_path)
    assert "mine it again" in str(err.value).lower()


def test_a_damaged_marker_is_named(tmp_path):
    new_run(tmp_path)
    (tmp_path / MARKER).write_text("[]")
    with pytest.raises(RunDirError, match="marker"):
        RunDir(tmp_path)


# locking ------------------------------------------------------------------------------------
def test_a_second_writer_fails_at_once_and_a_reader_is_told_the_run_is_in_progress(tmp_path):
    run = new_run(tmp_path)
    second = RunDir(tmp_path, create=True)
    with run.writing():
        with pytest.raises(RunDirError, match="Another trueneg process is mining") as err:  # noqa: SIM117
            with second.writing():
                pass
        assert f"pid {os.getpid()}" in str(err.value)
        with pytest.raises(RunDirError, match="mining into"), RunDir(tmp_path).reading():
            pass
    with (
        RunDir(tmp_path).reading(),
        RunDir(tmp_path).reading(),  # readers share
        pytest.raises(RunDirError, match="being read"),
        run.writing(),
    ):
        pass


HOLDER = textwrap.dedent(
    """
    import sys, time
    from trueneg.run import RunDir
    with RunDir(sys.argv[1], create=True).writing():
        print("locked", flush=True)
        time.sleep(600)
    """
)


def test_the_lock_names_another_process_and_dies_with_it(tmp_path):
    new_run(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunDirError, match=f"pid {holder.pid}"), RunDir(tmp_path).writing():
            pass
    finally:
        holder.kill()  # SIGKILL: no clean-up code runs
        holder.wait()
    with RunDir(tmp_path, create=True).writing():  # no stale lock
        pass


def test_a_link_at_the_lock_path_is_refused(tmp_path):
    run = new_run(tmp_path / "run")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (run.path / LOCK).unlink()
    (run.path / LOCK).symlink_to(outside)
    with pytest.raises(StorageError, match="symbolic link"), run.writing():
        pass
    assert outside.read_text() == "keep me"


def test_folders_inside_a_run_are_never_followed(tmp_path):
    run = new_run(tmp_path / "run")
    outside = tmp_path / "outside"
    outside.mkdir()
    (run.path / "data").symlink_to(outside)
    with pytest.raises(StorageError, match="symbolic link"):
        run.write_table("data/queries.parquet", pa.table({"a": [1]}))
    assert list(outside.iterdir()) == []


# destinations -------------------------------------------------------------------------------
def test_exports_may_not_overwrite_the_runs_own_files(tmp_path):
    run = new_run(tmp_path / "run")
    for name in ("negatives.parquet", "manifest.json", "data/corpus.parquet", MARKER):
        with pytest.raises(RunDirError, match="belongs to the run"):
            guard_destination(run.path / name)
    guard_destination(run.path / "triplets.jsonl")  # beside the run's files: fine
    guard_destination(run.path / "export" / "train.parquet")
    guard_destination(tmp_path / "negatives.parquet")  # outside any run
