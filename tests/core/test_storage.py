"""storage: atomic writes that never follow links, and storage errors in plain words."""

import errno
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trueneg.errors import StorageError
from trueneg.storage import (
    atomic_write_parquet,
    atomic_write_text,
    ensure_free_space,
    is_storage_error,
    own_dir,
    storage_error,
    storage_errors,
)


def test_an_atomic_write_replaces_a_link_instead_of_following_it(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep")
    link = tmp_path / "out.txt"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert target.read_text() == "keep"
    assert not link.is_symlink() and link.read_text() == "new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "t.parquet"
    atomic_write_text(path, "old")

    class Broken:
        nbytes = 10

    with pytest.raises(AttributeError):  # pyarrow fails half-way through the write
        atomic_write_parquet(path, Broken())
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_own_dir_refuses_a_link_below_the_root_but_accepts_a_linked_root(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "root").symlink_to(real)
    assert own_dir(tmp_path / "root", "a", "b") == tmp_path / "root" / "a" / "b"
    assert (real / "a" / "b").is_dir()
    (real / "a" / "c").symlink_to(tmp_path)
    with pytest.raises(StorageError, match="symbolic link"):
        own_dir(tmp_path / "root", "a", "c")


@pytest.mark.parametrize(
    "code, says",
    [
        (errno.ENOSPC, "No space left"),
        (errno.EDQUOT, "No space left"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "No permission"),
        (errno.EPERM, "No permission"),
    ],
)
def test_storage_errors_name_the_path_and_the_fix(tmp_path, code, says):
    exc = OSError(code, os.strerror(code), str(tmp_path / "x"))
    assert is_storage_error(exc)
    error = storage_error(exc, tmp_path / "x", needed=10_000_000)
    assert says in error.message and str(tmp_path / "x") in error.message
    if code in (errno.ENOSPC, errno.EDQUOT):
        assert "9.5 MiB needed" in error.message and "resumes" in error.message


def test_pyarrow_errors_keep_the_errno_in_their_text_only(tmp_path):
    exc = OSError(f"Error writing bytes to file. Detail: [errno 28] {os.strerror(28)}")
    assert is_storage_error(exc)
    with pytest.raises(StorageError, match="No space left"), storage_errors(tmp_path / "t"):
        raise exc
    with pytest.raises(FileNotFoundError), storage_errors(tmp_path):  # not the user's to fix
        raise FileNotFoundError(2, "gone")


def test_free_space_is_checked_before_writing(tmp_path):
    ensure_free_space(tmp_path, 1, "one byte")
    with pytest.raises(StorageError, match="Not enough free space for vectors") as err:
        ensure_free_space(tmp_path, 1 << 60, "vectors")
    assert "1,048,576.0 TiB" in err.value.message


def test_parquet_writes_are_atomic_and_readable(tmp_path):
    atomic_write_parquet(tmp_path / "t.parquet", pa.table({"a": [1, 2]}))
    assert pq.read_table(tmp_path / "t.parquet").num_rows == 2
