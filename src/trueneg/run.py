"""The run directory: ownership, locking, verified stage outputs, resume, and the manifest.

Layout::

    RUN_DIR/
      .trueneg-run           marker: this folder is a trueneg run (format, version, created)
      .trueneg-lock          advisory lock: one writer (``mine``) or many readers at a time
      manifest.json          written last, when the run has finished
      state.json             fingerprint, verified outputs and timing of every finished stage
      data/queries.parquet   the canonical tables (text stored once)
      data/corpus.parquet
      data/qrels.parquet
      embeddings/            cached vectors (resumable)
      candidates.parquet     retrieve stage
      query_stats.parquet    per query: positives, lowest positive score, positive's rank
      negatives.parquet      select stage: every candidate with kept + reason

The contract (``docs/reliability.md``):

- A folder is a run when it holds the marker. ``mine`` makes one in a new or empty folder and
  refuses a non-empty folder that is not a run unless told (``force``); even then it refuses
  when the folder holds files under the names a run uses, so it never overwrites a file it did
  not create.
- One writer at a time: ``mine`` holds an exclusive ``flock`` on the lock file for the whole
  run; the kernel drops it when the process dies (kill -9 leaves no stale lock). Readers
  (``export``, ``audit``, ``train``) hold a shared lock while they read, so they see a finished
  run or get a clear "in progress" error, never a mix of two runs.
- A stage is done when its outputs verify: each output's size and content hash are recorded
  when the stage completes and checked on resume and on every read; a damaged output is
  rebuilt by ``mine`` and named by readers.
- Every write is atomic and never follows a link (:mod:`trueneg.storage`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trueneg.errors import RunDirError
from trueneg.hashing import hash_file, hash_json, json_default
from trueneg.storage import (
    atomic_write_json,
    atomic_write_parquet,
    open_no_follow,
    own_dir,
    storage_errors,
)
from trueneg.version import __version__

logger = logging.getLogger(__name__)

MARKER = ".trueneg-run"
LOCK = ".trueneg-lock"
MANIFEST = "manifest.json"
STATE = "state.json"
FORMAT = 1
# Names a run writes at its top level: never created by trueneg inside a folder that holds a
# file of the user's under one of them.
RUN_NAMES = frozenset(
    {
        MARKER,
        LOCK,
        MANIFEST,
        STATE,
        "data",
        "embeddings",
        "judge",
        "candidates.parquet",
        "query_stats.parquet",
        "positives.parquet",
        "judge_scores.parquet",
        "judge_positives.parquet",
        "judge_positive_pairs.parquet",
        "negatives.parquet",
        "query_stats_selected.parquet",
        "audit.json",
        "report.html",
        "plots",
    }
)
# What may be written into a run by other commands (an export, the audit's own files).
_WRITABLE_BY_OTHERS = frozenset({"audit.json", "report.html", "plots"})


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-serialisable parts (a stage's inputs and settings)."""
    return hash_json(parts, default=json_default)


def file_record(path: Path) -> dict[str, Any]:
    """What a finished output is: its size and content hash."""
    return {"bytes": path.stat().st_size, "blake2b": hash_file(path)}


class RunDir:
    """One mining run on disk. Stages record a fingerprint and their verified outputs."""

    def __init__(self, path: str | Path, *, create: bool = False, force: bool = False) -> None:
        self.path = Path(path)
        self._verified: dict[str, tuple[int, int, int]] = {}
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError(
                "The run directory is a file",
                received=str(self.path),
                fix="Pass a folder path to --out",
            )
        if create:
            self._claim(force)
        else:
            self._check_is_run()

    def file(self, name: str) -> Path:
        return self.path / name

    # ownership ------------------------------------------------------------------------------
    def is_run(self) -> bool:
        return self.file(MARKER).is_file() and not self.file(MARKER).is_symlink()

    def _claim(self, force: bool) -> None:
        """Make sure ``mine`` may write here: a run already, a new or empty folder, or (with
        ``force``) a folder whose files do not use a run's names."""
        if self.path.is_dir() and not self.is_run():
            entries = sorted(p.name for p in self.path.iterdir())
            clashes = [name for name in entries if name in RUN_NAMES]
            if entries and not force:
                raise RunDirError(
                    f"{self.path} is not empty and is not a trueneg run directory",
                    received=_listing(entries),
                    expected="a new or empty folder, or a folder trueneg mined into before",
                    fix="Choose a new --out, or pass --force to mine into this folder beside "
                    "its files",
                )
            if clashes:
                raise RunDirError(
                    f"{self.path} holds files under the names a run writes, and trueneg did not "
                    "create them",
                    received=_listing(clashes),
                    expected=f"a folder without these names (no {MARKER} marker found)",
                    fix="Choose a new --out, or move these files away (a run of an older "
                    "trueneg must be mined again into a new folder)",
                )
        with storage_errors(self.path):
            self.path.mkdir(parents=True, exist_ok=True)

    def _check_is_run(self) -> None:
        if not self.path.is_dir():
            raise RunDirError(
                "Run directory not found",
                received=str(self.path),
                fix="Run `trueneg mine DATA --out RUN_DIR` first",
            )
        if self.is_run():
            marker = _read_json(self.file(MARKER))
            if not isinstance(marker, dict) or marker.get("format") != FORMAT:
                raise RunDirError(
                    f"The run marker {self.file(MARKER)} is damaged or of another format",
                    received=_short_repr(marker),
                    expected=f'{{"format": {FORMAT}, ...}}',
                    fix="Re-run the same `trueneg mine` command: it rewrites the marker",
                )
            return
        older = self.file(MANIFEST).is_file()
        raise RunDirError(
            f"{self.path} is not a trueneg run directory (no {MARKER} marker)",
            received=_listing(sorted(p.name for p in self.path.iterdir())),
            expected="a folder written by `trueneg mine`",
            fix="Mine it again into a new --out folder (runs of trueneg before the marker "
            "cannot be read)"
            if older
            else "Pass the --out folder of a `trueneg mine` run",
        )

    def _write_marker(self) -> None:
        marker = _read_json(self.file(MARKER)) if self.is_run() else None
        if isinstance(marker, dict) and marker.get("format") == FORMAT:
            return
        atomic_write_json(
            self.file(MARKER),
            {
                "format": FORMAT,
                "trueneg_version": __version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
        )

    # locking --------------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[RunDir]:
        """Hold the exclusive lock: fail at once, naming the holder, if anyone else has it."""
        fd = open_no_follow(self.file(LOCK), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise self._busy_error(fd, writing=True) from None
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(_holder()).encode("utf-8"))
            self._write_marker()
            self._sweep_temporaries()
            yield self
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _sweep_temporaries(self) -> None:
        """Remove the temporary files of writes a killed run never finished (only ever under
        the exclusive lock: nobody else is writing them)."""
        for path in self.path.rglob(".*.tmp"):  # rglob does not descend into links
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)

    @contextmanager
    def reading(self) -> Iterator[RunDir]:
        """Hold a shared lock while reading: fail at once if ``mine`` is writing the run."""
        path = self.file(LOCK)
        if not path.exists():  # a run copied without its lock file: nobody is writing
            yield self
            return
        fd = open_no_follow(path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise self._busy_error(fd, writing=False) from None
            yield self
        finally:
            os.close(fd)

    def _busy_error(self, fd: int, *, writing: bool) -> RunDirError:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # an exclusive holder: another `mine`
            holder = _read_holder(fd)
            return RunDirError(
                f"Another trueneg process is mining into {self.path}",
                received=holder,
                fix="Wait for it to finish, or mine into another --out"
                if writing
                else "Wait for it to finish, then run this command again",
            )
        fcntl.flock(fd, fcntl.LOCK_UN)
        return RunDirError(
            f"{self.path} is being read by another trueneg process (export, audit or train)",
            fix="Wait for it to finish, or mine into another --out",
        )

    # stage state ----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        path = self.file(STATE)
        if not path.is_file():
            return {}
        state = _read_json(path)
        if not isinstance(state, dict):
            logger.warning("%s is damaged; every stage is checked again and redone", path)
            return {}
        return state

    def stage_done(self, stage: str, stage_fingerprint: str) -> bool:
        """Whether ``stage`` finished with this fingerprint and its outputs still verify."""
        entry = self.state().get(stage)
        if not isinstance(entry, dict) or entry.get("fingerprint") != stage_fingerprint:
            return False
        outputs = entry.get("outputs")
        if not isinstance(outputs, dict):
            return False
        for name, record in outputs.items():
            problem = self._problem(name, record)
            if problem:
                logger.warning("%s: %s %s; rebuilding it", stage, self.file(name), problem)
                return False
        return True

    def stage_info(self, stage: str) -> dict[str, Any]:
        entry = self.state().get(stage, {})
        return dict(entry) if isinstance(entry, dict) else {}

    def mark_stage(
        self,
        stage: str,
        stage_fingerprint: str,
        *,
        outputs: Iterable[str],
        seconds: float,
        **info: Any,
    ) -> None:
        state = self.state()
        state[stage] = {
            "fingerprint": stage_fingerprint,
            "outputs": {name: file_record(self.file(name)) for name in outputs},
            "seconds": round(seconds, 3),
            **info,
        }
        atomic_write_json(self.file(STATE), state)

    def invalidate_from(self, stage: str, order: list[str]) -> None:
        """Forget ``stage`` and every later stage, and the manifest."""
        state = self.state()
        for name in order[order.index(stage) :]:
            state.pop(name, None)
        atomic_write_json(self.file(STATE), state)
        self.file(MANIFEST).unlink(missing_ok=True)

    def outputs(self) -> dict[str, dict[str, Any]]:
        """Every recorded output of every finished stage: name → size and hash."""
        found: dict[str, dict[str, Any]] = {}
        for entry in self.state().values():
            if isinstance(entry, dict) and isinstance(entry.get("outputs"), dict):
                found.update(entry["outputs"])
        return found

    # tables ---------------------------------------------------------------------------------
    def write_table(self, name: str, table: pa.Table) -> None:
        parent = Path(name).parent
        if parent.parts:
            own_dir(self.path, *parent.parts)
        atomic_write_parquet(self.file(name), table)

    def read_table(
        self, name: str, columns: list[str] | None = None, record: dict[str, Any] | None = None
    ) -> pa.Table:
        """A table of the run (only ``columns`` when given), checked against ``record`` (its
        size and hash when the stage finished; by default the one in ``state.json``)."""
        path = self.file(name)
        if not path.is_file():
            raise RunDirError(
                f"The run has no {name}",
                received=str(self.path),
                fix="Re-run the same `trueneg mine` command: it rebuilds missing files",
            )
        record = record if record is not None else self.outputs().get(name)
        problem = self._problem(name, record) if record is not None else None
        if problem:
            raise damaged(path, problem)
        try:
            return pq.read_table(path, columns=columns)
        except (pa.ArrowInvalid, OSError) as exc:
            raise damaged(path, f"cannot be read ({exc})") from None

    def check_sizes(self, records: dict[str, Any]) -> None:
        """Every recorded file is there with its recorded size (cheap: no hashing; contents
        are checked when a file is read)."""
        for name, record in records.items():
            path = self.file(name)
            size = path.stat().st_size if path.is_file() and not path.is_symlink() else None
            if size is None or not isinstance(record, dict) or size != record.get("bytes"):
                raise damaged(path, self._problem(name, record) or "changed")

    def _problem(self, name: str, record: Any) -> str | None:
        """Why the output ``name`` does not match ``record``, or None when it does."""
        path = self.file(name)
        if not isinstance(record, dict):
            return "has no record of what it should hold"
        if path.is_symlink():
            return "is a symbolic link, not the file the stage wrote"
        if not path.is_file():
            return "is missing"
        stat = path.stat()
        if stat.st_size != record.get("bytes"):
            return f"has {stat.st_size:,} bytes where the stage wrote {record.get('bytes'):,}"
        seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if self._verified.get(name) == seen:
            return None
        if hash_file(path) != record.get("blake2b"):
            return "does not hold what the stage wrote (its content hash differs)"
        self._verified[name] = seen
        return None

    # manifest -------------------------------------------------------------------------------
    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest = {"trueneg_version": __version__, "files": self.outputs(), **manifest}
        atomic_write_json(self.file(MANIFEST), manifest)

    def manifest(self) -> dict[str, Any]:
        path = self.file(MANIFEST)
        if not path.is_file():
            raise RunDirError(
                "The run has not finished (no manifest.json)",
                received=str(self.path),
                fix="Re-run the same `trueneg mine` command: finished stages are reused",
            )
        manifest = _read_json(path)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files", {}), dict):
            raise damaged(path, "is not the JSON object trueneg wrote")
        check_version(manifest.get("trueneg_version"), self.path)
        return manifest


def damaged(path: Path, problem: str) -> RunDirError:
    """The error for a run file that is not what ``mine`` wrote."""
    return RunDirError(
        f"The run file {path} is damaged: it {problem}",
        fix="Re-run the same `trueneg mine` command: it checks every file and rebuilds the "
        "damaged ones",
    )


def check_version(version: str | None, path: Path) -> None:
    """Runs written by another minor version may have other tables: refuse them clearly."""
    if not isinstance(version, str) or version.split(".")[:2] != __version__.split(".")[:2]:
        raise RunDirError(
            "The run directory was written by another trueneg version",
            received=f"{version} in {path}",
            expected=f"{__version__} (same major.minor)",
            fix="Re-run `trueneg mine` with this version into a new --out folder",
        )


def guard_destination(path: str | Path) -> None:
    """Refuse to write a file (an export) over one of a run directory's own files."""
    target = Path(path).absolute()
    for folder in target.parents:
        if (folder / MARKER).is_file():
            relative = target.relative_to(folder)
            first = relative.parts[0]
            if first in RUN_NAMES and first not in _WRITABLE_BY_OTHERS:
                raise RunDirError(
                    f"Refusing to write over {target}: it belongs to the run in {folder}",
                    received=str(path),
                    expected="a path outside the run's own files, e.g. "
                    f"{folder / 'export' / 'train.jsonl'}",
                    fix="Choose another --to",
                )
            return


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


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


def _listing(names: list[str], limit: int = 8) -> str:
    if not names:
        return "an empty folder"
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."
