"""RunDir: atomic writes, stage fingerprints, manifest and version checks."""

import json

import pyarrow as pa
import pytest

from trueneg import __version__
from trueneg.errors import RunDirError
from trueneg.run import RunDir, atomic_write_json, file_fingerprint, fingerprint


def test_atomic_write_leaves_no_temp_files(tmp_path):
    atomic_write_json(tmp_path / "a.json", {"x": 1})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_stage_reused_only_with_same_fingerprint_and_outputs(tmp_path):
    run = RunDir(tmp_path / "run")
    run.write_table("t.parquet", pa.table({"a": [1, 2]}))
    run.mark_stage("retrieve", "fp1", outputs=["t.parquet"], seconds=1.0)
    assert run.stage_done("retrieve", "fp1")
    assert not run.stage_done("retrieve", "fp2")
    (run.path / "t.parquet").unlink()
    assert not run.stage_done("retrieve", "fp1")


def test_invalidate_drops_later_stages(tmp_path):
    run = RunDir(tmp_path)
    for stage in ("load", "encode", "retrieve", "select"):
        run.mark_stage(stage, stage, outputs=[], seconds=0)
    run.invalidate_from("retrieve", ["load", "encode", "retrieve", "select"])
    assert sorted(run.state()) == ["encode", "load"]


def test_manifest_missing_says_how_to_finish(tmp_path):
    with pytest.raises(RunDirError, match="has not finished"):
        RunDir(tmp_path).manifest()


def test_manifest_from_another_version_is_refused(tmp_path):
    run = RunDir(tmp_path)
    run.write_manifest({"x": 1})
    assert run.manifest()["trueneg_version"] == __version__
    atomic_write_json(tmp_path / "manifest.json", {"trueneg_version": "9.9.0"})
    with pytest.raises(RunDirError, match="another trueneg version"):
        run.manifest()


def test_missing_run_dir_and_file_path(tmp_path):
    with pytest.raises(RunDirError, match="not found"):
        RunDir(tmp_path / "nope", create=False)
    file = tmp_path / "f"
    file.write_text("x")
    with pytest.raises(RunDirError, match="is a file"):
        RunDir(file)


def test_fingerprints_are_stable_and_content_based(tmp_path):
    assert fingerprint("a", 1, [2]) == fingerprint("a", 1, [2])
    assert fingerprint("a", 1) != fingerprint("a", 2)
    (tmp_path / "x.txt").write_text("one")
    before = file_fingerprint(tmp_path)
    (tmp_path / "x.txt").write_text("two")
    assert file_fingerprint(tmp_path) != before
