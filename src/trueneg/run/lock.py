"""The run's advisory lock: ``mine`` holds it exclusively, readers share it. An ``flock`` dies
with its process, so kill -9 never leaves a stale lock; a refused caller is told who holds it."""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trueneg.errors import RunDirError
from trueneg.run.layout import LOCK
from trueneg.storage import open_no_follow


@contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold the lock alone: fail at once, naming the holder, if anyone else has it."""
    fd = open_no_follow(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy_error(folder, fd, writing=True) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_holder()).encode("utf-8"))
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def shared(folder: Path) -> Iterator[None]:
    """Share the lock with other readers: fail at once if ``mine`` holds it."""
    path = folder / LOCK
    if not path.exists():  # a run copied without its lock file: nobody is writing
        yield
        return
    fd = open_no_follow(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy_error(folder, fd, writing=False) from None
        yield
    finally:
        os.close(fd)


def busy_error(folder: Path, fd: int, *, writing: bool) -> RunDirError:
    """Who holds the lock: another ``mine`` (named from the lock file) or readers."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:  # an exclusive holder: another `mine`
        return RunDirError(
            f"Another trueneg process is mining into {folder}",
            received=_read_holder(fd),
            fix="Wait for it to finish, or mine into another --out"
            if writing
            else "Wait for it to finish, then run this command again",
        )
    fcntl.flock(fd, fcntl.LOCK_UN)
    return RunDirError(
        f"{folder} is being read by another trueneg process (export, audit or train)",
        fix="Wait for it to finish, or mine into another --out",
    )


def _holder() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": os.uname().nodename if hasattr(os, "uname") else "",
        "command": " ".join(sys.argv)[:300],
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = json.loads(os.read(fd, 4096).decode("utf-8"))
        pid, host, command = holder["pid"], holder["host"], holder["command"]
        return f"pid {pid} on {host}, `{command}`, since {holder['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process holding its lock"
