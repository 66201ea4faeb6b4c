"""The run directory: atomic writes, stage fingerprints, resume, and the manifest.

Layout::

    RUN_DIR/
      manifest.json          written last, when the run has finished
      state.json             fingerprint, outputs and timing of every finished stage
      data/queries.parquet   the canonical tables (text stored once)
      data/corpus.parquet
      data/qrels.parquet
      embeddings/            cached vectors (memory-mapped .npy, resumable)
      candidates.parquet     retrieve stage
      query_stats.parquet    per query: positives, lowest positive score, positive's rank
      negatives.parquet      select stage: every candidate with kept + reason
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trueneg import __version__
from trueneg.errors import RunDirError

MANIFEST = "manifest.json"
STATE = "state.json"


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _umask_mode())  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    text = json.dumps(obj, indent=2, sort_keys=True, default=_json_default)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))


def atomic_write_parquet(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-serialisable parts."""
    blob = json.dumps(parts, sort_keys=True, default=_json_default).encode("utf-8")
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def file_fingerprint(path: Path) -> str:
    """Content hash of a file, or of every file under a folder (relative names included)."""
    digest = hashlib.blake2b(digest_size=16)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class RunDir:
    """One mining run on disk. Stages record a fingerprint; a matching one is reused."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError(
                "The run directory is a file",
                received=str(self.path),
                fix="Pass a folder path to --out",
            )
        if create:
            self.path.mkdir(parents=True, exist_ok=True)
        elif not self.path.is_dir():
            raise RunDirError(
                "Run directory not found",
                received=str(self.path),
                fix="Run `trueneg mine DATA --out RUN_DIR` first",
            )

    def file(self, name: str) -> Path:
        return self.path / name

    # stage state -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        path = self.file(STATE)
        if not path.is_file():
            return {}
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return {}

    def stage_done(self, stage: str, stage_fingerprint: str) -> bool:
        entry = self.state().get(stage)
        if not entry or entry.get("fingerprint") != stage_fingerprint:
            return False
        return all(self.file(name).exists() for name in entry.get("outputs", []))

    def stage_info(self, stage: str) -> dict[str, Any]:
        return dict(self.state().get(stage, {}))

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
            "outputs": list(outputs),
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

    # tables ------------------------------------------------------------------------------
    def write_table(self, name: str, table: pa.Table) -> None:
        atomic_write_parquet(self.file(name), table)

    def read_table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """A table of the run (only ``columns`` when given)."""
        path = self.file(name)
        if not path.is_file():
            raise RunDirError(
                f"The run has no {name}",
                received=str(self.path),
                fix="Re-run `trueneg mine` with the same --out to finish it",
            )
        return pq.read_table(path, columns=columns)

    # manifest ----------------------------------------------------------------------------
    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest = {"trueneg_version": __version__, **manifest}
        atomic_write_json(self.file(MANIFEST), manifest)

    def manifest(self) -> dict[str, Any]:
        path = self.file(MANIFEST)
        if not path.is_file():
            raise RunDirError(
                "The run has not finished (no manifest.json)",
                received=str(self.path),
                fix="Re-run the same `trueneg mine` command: finished stages are reused",
            )
        manifest = json.loads(path.read_text(encoding="utf-8"))
        check_version(manifest.get("trueneg_version"), self.path)
        return manifest


def check_version(version: str | None, path: Path) -> None:
    """Runs written by another minor version may have other tables: refuse them clearly."""
    if version is None or version.split(".")[:2] != __version__.split(".")[:2]:
        raise RunDirError(
            "The run directory was written by another trueneg version",
            received=f"{version} in {path}",
            expected=f"{__version__} (same major.minor)",
            fix="Re-run `trueneg mine` with this version into a new --out folder",
        )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
