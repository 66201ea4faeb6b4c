"""``RunDir``: one run directory on disk — its stages' state, tables and manifest, claimed
and locked through :mod:`~trueneg.run.ownership` and :mod:`~trueneg.run.lock`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trueneg.errors import RunDirError
from trueneg.hashing import hash_file, hash_json, json_default
from trueneg.run import lock
from trueneg.run.layout import MANIFEST, STATE, read_json
from trueneg.run.ownership import check_is_run, claim, is_run, write_marker
from trueneg.storage import atomic_write_json, atomic_write_parquet, own_dir
from trueneg.version import __version__

logger = logging.getLogger(__name__)


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-serialisable parts (a stage's inputs and settings)."""
    return hash_json(parts, default=json_default)


def file_record(path: Path) -> dict[str, Any]:
    """What a finished output is: its size and content hash."""
    return {"bytes": path.stat().st_size, "blake2b": hash_file(path)}


class RunDir:
    """One mining run on disk. Stages record a fingerprint and their verified outputs.

    ``create``: claim the folder for ``mine`` (see :func:`~trueneg.run.ownership.claim`);
    otherwise it must be a run already.
    """

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
            claim(self.path, force)
        else:
            check_is_run(self.path)

    def file(self, name: str) -> Path:
        return self.path / name

    def is_run(self) -> bool:
        return is_run(self.path)

    @contextmanager
    def writing(self) -> Iterator[RunDir]:
        """Hold the exclusive lock (failing at once, naming the holder, if anyone else has
        it), mark the folder as a run and clear what killed writes left half-done."""
        with lock.exclusive(self.path):
            write_marker(self.path)
            self._sweep_temporaries()
            yield self

    @contextmanager
    def reading(self) -> Iterator[RunDir]:
        """Hold a shared lock while reading: fail at once if ``mine`` is writing the run."""
        with lock.shared(self.path):
            yield self

    def _sweep_temporaries(self) -> None:
        """Remove the temporary files of writes a killed run never finished (only ever under
        the exclusive lock: nobody else is writing them)."""
        for path in self.path.rglob(".*.tmp"):  # rglob does not descend into links
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)

    # stage state ----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        path = self.file(STATE)
        if not path.is_file():
            return {}
        state = read_json(path)
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
    def write_table(self, name: str, table: pa.Table, row_group_size: int | None = None) -> None:
        parent = Path(name).parent
        if parent.parts:
            own_dir(self.path, *parent.parts)
        atomic_write_parquet(self.file(name), table, row_group_size=row_group_size)

    def read_table(
        self, name: str, columns: list[str] | None = None, record: dict[str, Any] | None = None
    ) -> pa.Table:
        """A table of the run (only ``columns`` when given), checked against ``record`` (its
        size and hash when the stage finished; by default the one in ``state.json``)."""
        path = self.verified_file(name, record)
        try:
            return pq.read_table(path, columns=columns)
        except (pa.ArrowInvalid, OSError) as exc:
            raise damaged(path, f"cannot be read ({exc})") from None

    def verified_file(self, name: str, record: dict[str, Any] | None = None) -> Path:
        """The path of the run's file ``name``, checked as :meth:`read_table` checks it (for
        readers that stream the file instead of loading it)."""
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
        return path

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
        manifest = read_json(path)
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
