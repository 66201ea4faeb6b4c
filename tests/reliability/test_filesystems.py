"""Full disks and read-only destinations: one clear error naming the path (never a bus error
or an `unexpected OSError`), nothing half-written, and a rerun after freeing space resumes."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from fixtures import write_subset
from reliability.conftest import cli, one_line_error

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scifact_small(shared_data, tmp_path_factory):
    """120 real SciFact abstracts: their vectors (180 KiB) do not fit in a 160 KiB disk."""
    return write_subset(
        shared_data / "scifact",
        tmp_path_factory.mktemp("scifact-fs") / "beir",
        queries=20,
        extra_docs=100,
        seed=3,
    )


def test_a_full_disk_while_mining_is_one_clear_error_and_a_rerun_resumes(
    scifact_small, mounts, tmp_path
):
    disk = mounts.tmpfs("160k")
    out = disk / "run"
    result = cli("mine", scifact_small, "--out", out, "-k", "2", "-q")
    message = one_line_error(result)
    assert result.returncode == 1 and "Bus error" not in result.stderr
    assert "No space left" in message or "Not enough free space" in message, message
    assert str(disk) in message and "resumes" in message
    mounts.remount(disk, "size=8m")
    resumed = cli("mine", scifact_small, "--out", out, "-k", "2", "-q")
    assert resumed.returncode == 0, resumed.stderr
    reference = tmp_path / "reference"
    assert cli("mine", scifact_small, "--out", reference, "-k", "2", "-q").returncode == 0
    for name in ("negatives.parquet", "candidates.parquet"):
        assert pq.read_table(out / name).equals(pq.read_table(reference / name))


def test_a_run_directory_on_a_read_only_file_system(tiny, mounts):
    disk = mounts.tmpfs("1m", read_only=True)
    message = one_line_error(cli("mine", tiny, "--out", disk / "run", "-q"))
    assert "read-only" in message and str(disk / "run") in message and "--out" in message


def test_an_export_to_a_read_only_or_full_destination(finished_run, mounts):
    read_only = mounts.tmpfs("1m", read_only=True)
    message = one_line_error(
        cli("export", finished_run, "--format", "triplet", "--to", read_only / "t.jsonl")
    )
    assert "read-only" in message and str(read_only) in message
    full = mounts.tmpfs("64k")
    _fill(full)
    message = one_line_error(
        cli("export", finished_run, "--format", "n-tuple", "--to", full / "t.parquet")
    )
    assert "No space left" in message and str(full) in message
    assert [p.name for p in full.iterdir()] == ["filler"]  # no half-written file left


def _fill(folder) -> None:
    """Fill a file system to its last byte."""
    with pytest.raises(OSError), open(folder / "filler", "wb") as handle:
        while True:
            handle.write(b"x" * 1024)
            handle.flush()
