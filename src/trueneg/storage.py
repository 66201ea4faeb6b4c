"""Every file trueneg writes goes through here: atomic, never through a symbolic link, and with
disk errors turned into one clear message.

- Files appear complete or not at all: written to a temporary name beside the target, flushed,
  then renamed over it. A rename replaces a link at the target; it never writes through it.
- Folders trueneg creates inside its own folders (a run directory, a cache) must not be links:
  :func:`own_dir` refuses one instead of following it.
- ``ENOSPC``, ``EDQUOT``, ``EROFS``, ``EACCES``, ``EPERM`` become a :class:`StorageError` naming
  the path, the space needed where known, and that re-running resumes.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from trueneg.errors import StorageError
from trueneg.hashing import json_default
from trueneg.mapping import release_pages

DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
READ_ONLY = (errno.EROFS,)
NO_PERMISSION = (errno.EACCES, errno.EPERM)
STORAGE_ERRNOS = DISK_FULL + READ_ONLY + NO_PERMISSION + (errno.ELOOP,)


def umask_mode() -> int:
    """The permissions a plain ``open()`` would give a new file (``0o666`` less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


# errors -----------------------------------------------------------------------------------
def is_storage_error(exc: BaseException) -> bool:
    """An ``OSError`` a user fixes on their side (space, permissions, a read-only mount), also
    when it comes from pyarrow, which keeps the errno only in its message."""
    if not isinstance(exc, OSError):
        return False
    if exc.errno in STORAGE_ERRNOS:
        return True
    text = str(exc)
    return any(os.strerror(code) in text for code in STORAGE_ERRNOS)


def storage_error(
    exc: OSError, path: str | Path, *, needed: int | None = None, resumes: bool = True
) -> StorageError:
    """One clear :class:`StorageError` for ``exc``, which happened writing ``path``."""
    code = exc.errno if exc.errno in STORAGE_ERRNOS else _errno_from_text(str(exc))
    where = str(exc.filename or path) if isinstance(exc.filename, str) else str(path)
    again = " Re-running the same command resumes where it stopped." if resumes else ""
    if code in DISK_FULL:
        free = free_bytes(Path(where))
        need = f"; about {format_bytes(needed)} needed" if needed else ""
        have = f"; {format_bytes(free)} free there" if free is not None else ""
        return StorageError(
            f"No space left on the device while writing {where}",
            received=f"{os.strerror(code)}{need}{have}",
            fix="Free some space (or point the option at a bigger disk)." + again,
        )
    if code in READ_ONLY:
        return StorageError(
            f"Cannot write {where}: the file system is read-only",
            received=os.strerror(code),
            fix="Choose a writable folder for this output (--out, --to or --cache-dir)",
        )
    if code == errno.ELOOP:
        return StorageError(
            f"Refusing to write through the symbolic link {where}",
            received="a symbolic link where trueneg writes its own file",
            fix="Remove the link (trueneg never follows links inside its own folders)",
        )
    return StorageError(
        f"No permission to write {where}",
        received=os.strerror(code or errno.EACCES),
        fix="Choose a folder you can write to, or fix its permissions",
    )


def _errno_from_text(text: str) -> int | None:
    for code in STORAGE_ERRNOS:
        if os.strerror(code) in text:
            return code
    return None


@contextmanager
def storage_errors(
    path: str | Path, *, needed: int | None = None, resumes: bool = True
) -> Iterator[None]:
    """Turn storage ``OSError`` s raised inside the block into :class:`StorageError`."""
    try:
        yield
    except OSError as exc:
        if is_storage_error(exc):
            raise storage_error(exc, path, needed=needed, resumes=resumes) from exc
        raise


def free_bytes(path: Path) -> int | None:
    """Free bytes on the file system holding ``path`` (or its nearest existing parent)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def format_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def ensure_free_space(folder: str | Path, needed: int, what: str) -> None:
    """Fail before writing ``needed`` bytes of ``what`` into ``folder`` when they cannot fit."""
    free = free_bytes(Path(folder))
    if free is not None and needed > free:
        raise StorageError(
            f"Not enough free space for {what} in {folder}",
            received=f"{format_bytes(free)} free",
            expected=f"at least {format_bytes(needed)}",
            fix="Free some space or choose a folder on a bigger disk (--cache-dir or --out); "
            "re-running the same command resumes where it stopped",
        )


# folders ------------------------------------------------------------------------------------
def own_dir(root: str | Path, *parts: str) -> Path:
    """``root/parts…`` created as needed; a link among ``parts`` is refused, never followed.

    ``root`` itself was chosen by the user and may be a link to a folder; the folders trueneg
    makes below it are its own and must be real folders.
    """
    path = Path(root)
    with storage_errors(path):
        path.mkdir(parents=True, exist_ok=True)
        for part in Path(*parts).parts if parts else ():
            path = path / part
            if path.is_symlink():
                raise StorageError(
                    f"Refusing to write into {path}: it is a symbolic link",
                    received=f"a link to {os.readlink(path)}",
                    expected="a folder of trueneg's own",
                    fix=f"Remove the link {path} (trueneg never follows links in its folders)",
                )
            path.mkdir(exist_ok=True)
    return path


def ensure_parent(path: Path) -> None:
    """Create the folder of a destination the user named (links to folders are the user's)."""
    with storage_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)


# atomic files -------------------------------------------------------------------------------
@contextmanager
def atomic_path(path: str | Path, *, needed: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block succeeds it replaces ``path``.

    On any error the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    ensure_parent(path)
    with storage_errors(path, needed=needed):
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    tmp = Path(name)
    try:
        with storage_errors(path, needed=needed):
            yield tmp
            _fsync_file(tmp)
            os.chmod(tmp, umask_mode())  # mkstemp creates 0600; give the usual permissions
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: str | Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """``open(tmp, mode)`` whose file replaces ``path`` when the block succeeds."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path, needed=len(data)) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> None:
    text = json.dumps(obj, indent=2, sort_keys=True, default=json_default)
    atomic_write_text(path, text + "\n")


def atomic_write_parquet(path: str | Path, table: Any, row_group_size: int | None = None) -> None:
    """Write a pyarrow table as Parquet, atomically (``row_group_size`` rows at a time: a
    memory-mapped table is then written without holding more than a row group)."""
    import pyarrow.parquet as pq

    with atomic_path(path, needed=int(table.nbytes)) as tmp:
        if not row_group_size or table.num_rows == 0:
            pq.write_table(table, tmp, row_group_size=row_group_size)
            return
        with pq.ParquetWriter(tmp, table.schema) as writer:
            for start in range(0, table.num_rows, row_group_size):
                writer.write_table(table.slice(start, row_group_size), row_group_size)
                release_pages()  # a memory-mapped table's pages leave the resident set


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_no_follow(path: str | Path, flags: int, mode: int = 0o666) -> int:
    """``os.open`` that refuses a symbolic link at ``path`` (a :class:`StorageError`)."""
    with storage_errors(path):
        return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), mode)
