"""Which folders are runs: ``mine`` claims a new, empty or earlier-run folder (and, when told,
a folder of the user's whose files do not use a run's names); readers accept only marked runs;
exports never land on a run's own files."""

from __future__ import annotations

import time
from pathlib import Path

from trueneg.errors import RunDirError
from trueneg.run.layout import (
    FORMAT,
    MANIFEST,
    MARKER,
    RUN_NAMES,
    WRITABLE_BY_OTHERS,
    listing,
    read_json,
    short_repr,
)
from trueneg.storage import atomic_write_json, storage_errors
from trueneg.version import __version__


def is_run(folder: Path) -> bool:
    marker = folder / MARKER
    return marker.is_file() and not marker.is_symlink()


def claim(folder: Path, force: bool) -> None:
    """Make sure ``mine`` may write in ``folder``: a run already, a new or empty folder, or
    (with ``force``) a folder whose files do not use a run's names; create it."""
    if folder.is_dir() and not is_run(folder):
        entries = sorted(p.name for p in folder.iterdir())
        clashes = [name for name in entries if name in RUN_NAMES]
        if entries and not force:
            raise RunDirError(
                f"{folder} is not empty and is not a trueneg run directory",
                received=listing(entries),
                expected="a new or empty folder, or a folder trueneg mined into before",
                fix="Choose a new --out, or pass --force to mine into this folder beside its files",
            )
        if clashes:
            raise RunDirError(
                f"{folder} holds files under the names a run writes, and trueneg did not "
                "create them",
                received=listing(clashes),
                expected=f"a folder without these names (no {MARKER} marker found)",
                fix="Choose a new --out, or move these files away (a run of an older "
                "trueneg must be mined again into a new folder)",
            )
    with storage_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)


def check_is_run(folder: Path) -> None:
    """A reader's check: ``folder`` exists and holds a run marker of this format."""
    if not folder.is_dir():
        raise RunDirError(
            "Run directory not found",
            received=str(folder),
            fix="Run `trueneg mine DATA --out RUN_DIR` first",
        )
    if is_run(folder):
        marker = read_json(folder / MARKER)
        if not isinstance(marker, dict) or marker.get("format") != FORMAT:
            raise RunDirError(
                f"The run marker {folder / MARKER} is damaged or of another format",
                received=short_repr(marker),
                expected=f'{{"format": {FORMAT}, ...}}',
                fix="Re-run the same `trueneg mine` command: it rewrites the marker",
            )
        return
    raise RunDirError(
        f"{folder} is not a trueneg run directory (no {MARKER} marker)",
        received=listing(sorted(p.name for p in folder.iterdir())),
        expected="a folder written by `trueneg mine`",
        fix="Mine it again into a new --out folder (runs of trueneg before the marker "
        "cannot be read)"
        if (folder / MANIFEST).is_file()
        else "Pass the --out folder of a `trueneg mine` run",
    )


def write_marker(folder: Path) -> None:
    """Mark ``folder`` as a run (kept when a marker of this format is there)."""
    marker = read_json(folder / MARKER) if is_run(folder) else None
    if isinstance(marker, dict) and marker.get("format") == FORMAT:
        return
    atomic_write_json(
        folder / MARKER,
        {
            "format": FORMAT,
            "trueneg_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )


def guard_destination(path: str | Path) -> None:
    """Refuse to write a file (an export) over one of a run directory's own files."""
    target = Path(path).absolute()
    for folder in target.parents:
        if (folder / MARKER).is_file():
            first = target.relative_to(folder).parts[0]
            if first in RUN_NAMES and first not in WRITABLE_BY_OTHERS:
                raise RunDirError(
                    f"Refusing to write over {target}: it belongs to the run in {folder}",
                    received=str(path),
                    expected="a path outside the run's own files, e.g. "
                    f"{folder / 'export' / 'train.jsonl'}",
                    fix="Choose another --to",
                )
            return
